/* api_health.c: GET /healthz, for load balancers and monitoring.
 *
 * Answers 200 with the version and whether the database answers a query,
 * or 503 when it does not. Kept cheap: it runs on every probe. */
#include "api_health.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "server.h"

void api_health_get(struct http_request *req)
{
	int ok = db_ping(req->srv->db) == 0;
	char body[128];
	int n = snprintf(body, sizeof(body),
			 "{\"status\":\"%s\",\"version\":\"%s\",\"database\":\"%s\"}",
			 ok ? "ok" : "degraded", VERN_VERSION, ok ? "ok" : "error");
	http_send(req, ok ? 200 : 503, "application/json; charset=utf-8", body,
		  (size_t)n, NULL);
}
