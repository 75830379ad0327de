/* api_health.h: GET /healthz. */
#ifndef VERN_API_HEALTH_H
#define VERN_API_HEALTH_H

#include "http.h"

void api_health_get(struct http_request *req);

#endif
