/* api_test_session.h: POST /api/test/session, a test-only sign-in (enabled
 * by test_endpoints = true) until and besides the real sign-in pages. */
#ifndef VERN_API_TEST_SESSION_H
#define VERN_API_TEST_SESSION_H

struct http_request;

/* {"employee": EXTERNAL_ID, "user": ACCOUNT_ID, "scope": "full"|"learn",
 * "course": ID}: creates a session for the employee and/or account (at least
 * one) and answers 201 {"csrf": ...} with its Set-Cookie. 404 unless
 * test_endpoints is on. */
void api_test_session(struct http_request *req);

#endif
