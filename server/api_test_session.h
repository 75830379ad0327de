/* api_test_session.h: the test-only sign-in endpoint (test_endpoints = true). */
#ifndef VERN_API_TEST_SESSION_H
#define VERN_API_TEST_SESSION_H

#include "http.h"

void api_test_session(struct http_request *req);

#endif
