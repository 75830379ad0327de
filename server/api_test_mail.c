/* api_test_mail.c: the test-only campaign clock (see api_test_mail.h). */
#include "api_test_mail.h"

#include <jansson.h>

#include "http.h"
#include "mail.h"
#include "server.h"
#include "session.h"

void api_test_mail_tick(struct http_request *req)
{
	if (!req->srv->cfg.test_endpoints) {
		http_send_error(req, 404, "not_found", "no such resource");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body)
		return;
	json_t *now = json_object_get(body, "now_ms");
	long long at = json_is_integer(now) ? (long long)json_integer_value(now) : session_now_ms();
	json_decref(body);
	if (at <= 0) {
		http_send_error(req, 400, "invalid", "now_ms must be a positive integer");
		return;
	}
	int n = mail_tick(req->srv, at);
	if (n < 0) {
		http_send_error(req, 500, "tick_failed", "the campaign step failed");
		return;
	}
	json_t *out = json_pack("{s:i}", "queued", n);
	http_send_json(req, 200, out);
	json_decref(out);
}
