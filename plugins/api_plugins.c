/* api_plugins.c: the plugin host over HTTP (see api_plugins.h). Reports
 * run on the request thread under the plugin's budget (host.c waits at
 * most that long for a free Lua state), so a request is never held longer
 * than the budget. */
#include "api_plugins.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>
#include <jansson.h>

#include "access.h"
#include "auth.h"
#include "host.h"
#include "http.h"
#include "server.h"

#define MAX_QUERY_PARAMS 32

int plugin_http_require_all(struct http_request *req)
{
	struct lrs_client client;
	memset(&client, 0, sizeof(client));
	if (lrs_auth_basic(req->srv, http_header(req, "Authorization"), &client) != 0) {
		const char *body = "{\"error\":\"unauthorized\",\"detail\":\"LRS client credentials"
				   " (HTTP Basic) with scope all are required\"}";
		http_send(req, 401, "application/json", body, strlen(body),
			  "WWW-Authenticate: Basic realm=\"Vern\"\r\n");
		return -1;
	}
	unsigned scopes = client.scopes;
	json_decref(client.authority);
	if (!(scopes & LRS_SCOPE_ALL)) {
		http_send_error(req, 403, "forbidden", "this needs an LRS client with scope all");
		return -1;
	}
	return 0;
}

void api_plugins_list(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *st = plugin_host_status(req->srv->plugins);
	http_send_json(req, 200, st);
	json_decref(st);
}

/* The query string as an object of strings; NULL after answering 400. */
static json_t *query_params(struct http_request *req)
{
	json_t *obj = json_object();
	const char *q = req->query ? req->query : "";
	int n = 0;
	while (obj && *q) {
		const char *amp = strchr(q, '&');
		size_t len = amp ? (size_t)(amp - q) : strlen(q);
		const char *eq = memchr(q, '=', len);
		char key[128], value[1024];
		value[0] = '\0';
		size_t klen = eq ? (size_t)(eq - q) : len;
		int kl = mg_url_decode(q, (int)klen, key, sizeof(key), 1);
		int vl = eq ? mg_url_decode(eq + 1, (int)(len - klen - 1), value, sizeof(value), 1) : 0;
		if (len > 0 && (kl <= 0 || vl < 0 || ++n > MAX_QUERY_PARAMS ||
				strlen(key) != (size_t)kl || strlen(value) != (size_t)vl)) {
			json_decref(obj);
			http_send_error(req, 400, "bad_parameter",
					"query parameters must be at most %d short name=value pairs",
					MAX_QUERY_PARAMS);
			return NULL;
		}
		if (len > 0) {
			json_t *v = json_string(value);
			if (!v) {
				json_decref(obj);
				http_send_error(req, 400, "bad_parameter", "parameters must be UTF-8");
				return NULL;
			}
			json_object_set_new(obj, key, v);
		}
		q += len + (amp ? 1 : 0);
	}
	return obj;
}

void api_plugins_report(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *params;
	if (req->method == HTTP_POST) {
		params = http_body_json(req);
		if (!params)
			return;
		if (!json_is_object(params)) {
			json_decref(params);
			http_send_error(req, 400, "bad_json", "the parameters must be a JSON object");
			return;
		}
	} else if (!(params = query_params(req))) {
		return;
	}
	json_t *result = NULL;
	char err[600];
	int rc = plugin_host_report(req->srv->plugins, req->params[0], req->params[1], params,
				    &result, err, sizeof(err));
	json_decref(params);
	switch (rc) {
	case PLUGIN_OK:
		http_send_json(req, 200, result);
		break;
	case PLUGIN_NOT_FOUND:
		http_send_error(req, 404, "not_found", "%s", err);
		break;
	case PLUGIN_BUSY: {
		json_t *e = json_pack("{s:s, s:s}", "error", "busy", "detail", err);
		char *text = json_dumps(e, JSON_COMPACT);
		if (text)
			http_send(req, 503, "application/json", text, strlen(text), "Retry-After: 1\r\n");
		else
			http_send_error(req, 503, "busy", "try again");
		free(text);
		json_decref(e);
		break;
	}
	case PLUGIN_BROKEN:
		http_send_error(req, 503, "plugin_broken", "%s", err);
		break;
	default:
		http_send_error(req, 500, "plugin_failed", "%s", err);
	}
	json_decref(result);
}

void api_test_plugins(struct http_request *req)
{
	if (!req->srv->cfg.test_endpoints) {
		http_send_error(req, 404, "not_found", "no such resource");
		return;
	}
	long long now = (long long)time(NULL);
	if (req->body_len > 0) {
		json_t *body = http_body_json(req);
		if (!body)
			return;
		json_t *n = json_object_get(body, "now");
		if (json_is_integer(n))
			now = json_integer_value(n);
		json_decref(body);
	}
	const char *what = req->params[0];
	long rc;
	if (strcmp(what, "daily") == 0)
		rc = plugin_host_run_daily(req->srv->plugins, (time_t)now);
	else if (strcmp(what, "sync") == 0)
		rc = plugin_host_sync_employees(req->srv->plugins, (time_t)now);
	else if (strcmp(what, "events") == 0)
		rc = plugin_host_run_events(req->srv->plugins);
	else if (strcmp(what, "scheduled") == 0)
		rc = plugin_host_daily_if_due(req->srv->plugins, (time_t)now);
	else {
		http_send_error(req, 404, "not_found", "no such test action");
		return;
	}
	json_t *out = json_pack("{s:I}", "result", (json_int_t)rc);
	http_send_json(req, 200, out);
	json_decref(out);
}

void api_plugins_reload(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (!req->srv->plugins) {
		http_send_error(req, 503, "no_plugins", "Tilleggene er ikke startet på denne serveren.");
		return;
	}
	int broken = plugin_host_reload(req->srv->plugins);
	if (broken < 0) {
		http_send_error(req, 500, "reload_failed", "Tilleggene kunne ikke lastes på nytt.");
		return;
	}
	(void)audit_record(req->srv, &p, 0, "plugins_reload", "lastet tilleggene på nytt");
	json_t *out = json_pack("{s:i}", "broken", broken);
	http_send_json(req, 200, out);
	json_decref(out);
}
