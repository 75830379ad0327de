/* api_test.h: test-only endpoints (enabled by test_endpoints = true). */
#ifndef VERN_API_TEST_H
#define VERN_API_TEST_H

#include "http.h"

void api_test_writes(struct http_request *req);

#endif
