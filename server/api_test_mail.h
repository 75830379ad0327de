/* api_test_mail.h: POST /api/test/mail-tick {"now_ms": N}: runs the
 * campaign step as if the time were N (reminders and digests days ahead),
 * for the test suite. 404 unless test_endpoints = true. */
#ifndef VERN_API_TEST_MAIL_H
#define VERN_API_TEST_MAIL_H

struct http_request;

void api_test_mail_tick(struct http_request *req);

#endif
