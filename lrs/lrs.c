/* lrs.c: the entry point of the xAPI LRS (/xapi/...): version negotiation,
 * the 1.0.3 alternate request syntax, CORS, authentication and scopes, the
 * About resource, and the response helpers every resource handler uses
 * (see lrs.h for the map of the folder). */
#include "lrs.h"

#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "cmi5.h"
#include "documents.h"
#include "log.h"
#include "query.h"
#include "server.h"
#include "statements.h"

#define MAX_PARAMS 64

static const char cors_headers[] =
	"Access-Control-Allow-Origin: *\r\n"
	"Access-Control-Expose-Headers: ETag, Last-Modified, Content-Type, Content-Length, "
	"WWW-Authenticate, X-Experience-API-Version, X-Experience-API-Consistent-Through\r\n";

/* ---- time ---- */

long long lrs_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *lrs_format_time(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	return buf;
}

/* ---- parameters and headers ---- */

const char *lrs_param(const struct lrs_ctx *x, const char *name)
{
	return json_string_value(json_object_get(x->params, name));
}

const char *lrs_header(const struct lrs_ctx *x, const char *name)
{
	if (x->form_headers) {
		json_t *v;
		const char *key;
		json_object_foreach(x->form_headers, key, v)
			if (strcasecmp(key, name) == 0)
				return json_string_value(v);
		/* The outer Content-Type is the form's own, never the content's;
		 * form content without one is JSON (statements, JSON documents). */
		if (strcasecmp(name, "Content-Type") == 0)
			return "application/json";
	}
	return http_header(x->req, name);
}

const char *lrs_content_type(const struct lrs_ctx *x, char *buf, size_t size)
{
	const char *ct = lrs_header(x, "Content-Type");
	size_t o = 0;
	if (ct) {
		while (*ct == ' ')
			ct++;
		for (; *ct && *ct != ';' && *ct != ' ' && o + 1 < size; ct++)
			buf[o++] = (char)((*ct >= 'A' && *ct <= 'Z') ? *ct + 32 : *ct);
	}
	buf[o] = '\0';
	return buf;
}

/* Parses a query string or form body (a=b&c=d) into an object of strings.
 * Returns 0, or -1 with err set (duplicate name, too many, bad encoding). */
static int parse_params(const char *text, size_t len, json_t *out, char *err, size_t errsize)
{
	size_t i = 0;
	int count = 0;
	while (i < len) {
		size_t end = i;
		while (end < len && text[end] != '&')
			end++;
		if (end > i) {
			size_t eq = i;
			while (eq < end && text[eq] != '=')
				eq++;
			if (++count > MAX_PARAMS) {
				snprintf(err, errsize, "more than %d parameters", MAX_PARAMS);
				return -1;
			}
			size_t nlen = eq - i, vlen = eq < end ? end - eq - 1 : 0;
			char *name = malloc(nlen + 1), *value = malloc(vlen + 1);
			if (!name || !value) {
				free(name);
				free(value);
				snprintf(err, errsize, "out of memory");
				return -1;
			}
			int n = mg_url_decode(text + i, (int)nlen, name, (int)nlen + 1, 1);
			int v = mg_url_decode(text + eq + (eq < end), (int)vlen, value, (int)vlen + 1, 1);
			int bad = n < 0 || v < 0 || (size_t)n != strlen(name) || (size_t)v != strlen(value);
			json_t *s = bad ? NULL : json_string(value);
			if (bad || !s) {
				snprintf(err, errsize, "parameter %.40s is not valid UTF-8 text", bad ? "?" : name);
				free(name);
				free(value);
				return -1;
			}
			if (json_object_get(out, name)) {
				snprintf(err, errsize, "parameter %.64s is given more than once", name);
				json_decref(s);
				free(name);
				free(value);
				return -1;
			}
			json_object_set_new(out, name, s);
			free(name);
			free(value);
		}
		i = end + 1;
	}
	return 0;
}

/* ---- responses ---- */

void lrs_send(struct lrs_ctx *x, int status, const char *content_type, const void *body,
	      size_t len, const char *extra_headers)
{
	char headers[1536];
	if (x->method == HTTP_HEAD)
		x->req->method = HTTP_HEAD; /* alternate syntax: HEAD sends no body */
	/* GET statements carries Consistent-Through whatever the outcome. */
	char consistent[96] = "";
	if ((x->method == HTTP_GET || x->method == HTTP_HEAD) && x->resource &&
	    strcmp(x->resource, "statements") == 0 &&
	    !(extra_headers && strstr(extra_headers, "X-Experience-API-Consistent-Through"))) {
		char iso[32];
		lrs_format_time(lrs_now_ms(), iso, sizeof(iso));
		snprintf(consistent, sizeof(consistent), "X-Experience-API-Consistent-Through: %s\r\n", iso);
	}
	snprintf(headers, sizeof(headers), "X-Experience-API-Version: %s\r\n%s%s%s",
		 x->version_string ? x->version_string : "2.0.0", cors_headers, consistent,
		 extra_headers ? extra_headers : "");
	http_send(x->req, status, content_type, body, len, headers);
}

void lrs_send_json(struct lrs_ctx *x, int status, const json_t *value, const char *extra_headers)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		lrs_send_error(x, 500, "internal", "out of memory");
		return;
	}
	lrs_send(x, status, "application/json", text, strlen(text), extra_headers);
	free(text);
}

void lrs_send_empty(struct lrs_ctx *x, int status, const char *extra_headers)
{
	lrs_send(x, status, "text/plain", "", 0, extra_headers);
}

void lrs_send_error(struct lrs_ctx *x, int status, const char *error, const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	if (!x->req) {
		if (x->error_out)
			snprintf(x->error_out, x->error_size, "%s: %s", error, detail);
		return;
	}
	json_t *obj = json_pack("{s:s, s:s}", "error", error, "detail", detail);
	if (!obj)
		obj = json_pack("{s:s, s:s}", "error", error, "detail", "");
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	const char *out = text ? text : "{\"error\":\"internal\"}";
	lrs_send(x, status, "application/json", out, strlen(out),
		 status == 401 ? "WWW-Authenticate: Basic realm=\"Vern xAPI\"\r\n" : NULL);
	free(text);
}

/* ---- About ---- */

static void lrs_about(struct lrs_ctx *x)
{
	if (x->method != HTTP_GET && x->method != HTTP_HEAD) {
		lrs_send_error(x, 405, "method_not_allowed", "the about resource only answers GET");
		return;
	}
	if (json_object_size(x->params) > 0) {
		lrs_send_error(x, 400, "bad_parameter", "the about resource takes no parameters");
		return;
	}
	json_t *about = json_pack("{s:[s,s,s,s,s], s:{}}", "version", "1.0.0", "1.0.1", "1.0.2",
				  "1.0.3", "2.0.0", "extensions");
	lrs_send_json(x, 200, about, NULL);
	json_decref(about);
}

/* ---- dispatch ---- */

struct resource {
	const char *name;
	void (*handler)(struct lrs_ctx *x);
	unsigned read_scopes, write_scopes;
	unsigned methods;
};

#define READ_ALL (LRS_SCOPE_ALL | LRS_SCOPE_ALL_READ)
static const struct resource resources[] = {
	{ "statements", lrs_statements, READ_ALL | LRS_SCOPE_STATEMENTS_READ |
	  LRS_SCOPE_STATEMENTS_READ_MINE, LRS_SCOPE_ALL | LRS_SCOPE_STATEMENTS_WRITE,
	  HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_POST },
	{ "activities/state", lrs_state, READ_ALL | LRS_SCOPE_STATE, LRS_SCOPE_ALL | LRS_SCOPE_STATE,
	  HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_POST | HTTP_DELETE },
	{ "activities/profile", lrs_activity_profile, READ_ALL | LRS_SCOPE_PROFILE,
	  LRS_SCOPE_ALL | LRS_SCOPE_PROFILE, HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_POST | HTTP_DELETE },
	{ "agents/profile", lrs_agent_profile, READ_ALL | LRS_SCOPE_PROFILE,
	  LRS_SCOPE_ALL | LRS_SCOPE_PROFILE, HTTP_GET | HTTP_HEAD | HTTP_PUT | HTTP_POST | HTTP_DELETE },
	{ "activities", lrs_activities, READ_ALL | LRS_SCOPE_STATEMENTS_READ | LRS_SCOPE_PROFILE |
	  LRS_SCOPE_STATE | LRS_SCOPE_DEFINE | LRS_SCOPE_STATEMENTS_READ_MINE, 0, HTTP_GET | HTTP_HEAD },
	{ "agents", lrs_agents, READ_ALL | LRS_SCOPE_STATEMENTS_READ | LRS_SCOPE_PROFILE |
	  LRS_SCOPE_STATE | LRS_SCOPE_STATEMENTS_READ_MINE, 0, HTTP_GET | HTTP_HEAD },
	{ "about", lrs_about, 0, 0, HTTP_GET | HTTP_HEAD },
};

static const struct resource *find_resource(const char *path)
{
	char name[64];
	size_t len = strlen(path);
	if (len > 0 && path[len - 1] == '/')
		len--;
	if (len >= sizeof(name))
		return NULL;
	memcpy(name, path, len);
	name[len] = '\0';
	for (size_t i = 0; i < sizeof(resources) / sizeof(resources[0]); i++)
		if (strcmp(resources[i].name, name) == 0)
			return &resources[i];
	return NULL;
}

static int parse_version(struct lrs_ctx *x, const char *v)
{
	static const char *const v1[] = { "1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3" };
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++)
		if (strcmp(v, v1[i]) == 0) {
			x->version = LRS_V103;
			x->version_string = "1.0.3";
			return 0;
		}
	if (strcmp(v, "2.0") == 0 || strcmp(v, "2.0.0") == 0) {
		x->version = LRS_V200;
		x->version_string = "2.0.0";
		return 0;
	}
	return -1;
}

static enum http_method method_named(const char *name)
{
	static const struct {
		const char *name;
		enum http_method m;
	} names[] = { { "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
		      { "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE } };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].m;
	return 0;
}

/* The 1.0.3 alternate request syntax: POST ?method=M with a form body that
 * carries the headers, the parameters and the content. Returns 0 (x set
 * up), or -1 after answering 400. */
static int unwrap_alternate(struct lrs_ctx *x)
{
	const char *m = lrs_param(x, "method");
	if (json_object_size(x->params) != 1) {
		lrs_send_error(x, 400, "bad_parameter",
			       "with the alternate request syntax, method must be the only query parameter");
		return -1;
	}
	x->method = method_named(m);
	if (!x->method) {
		lrs_send_error(x, 400, "bad_parameter", "method must be GET, HEAD, PUT, POST or DELETE");
		return -1;
	}
	char ct[128];
	const char *h = http_header(x->req, "Content-Type");
	size_t o = 0;
	for (; h && *h && *h != ';' && o + 1 < sizeof(ct); h++)
		ct[o++] = (char)((*h >= 'A' && *h <= 'Z') ? *h + 32 : *h);
	ct[o] = '\0';
	if (strcmp(ct, "application/x-www-form-urlencoded") != 0) {
		lrs_send_error(x, 400, "bad_content_type",
			       "the alternate request syntax needs application/x-www-form-urlencoded");
		return -1;
	}
	json_t *form = json_object();
	char err[160];
	if (!form || parse_params(x->req->body ? x->req->body : "", x->req->body_len, form, err,
				  sizeof(err)) != 0) {
		json_decref(form);
		lrs_send_error(x, 400, "bad_form", "the form body is not valid: %s", err);
		return -1;
	}
	static const char *const header_names[] = { "Authorization", "X-Experience-API-Version",
						    "Content-Type", "Content-Length", "If-Match",
						    "If-None-Match" };
	json_decref(x->params);
	x->params = json_object();
	x->form_headers = json_object();
	const char *key;
	json_t *v;
	json_object_foreach(form, key, v) {
		int is_header = 0;
		for (size_t i = 0; i < sizeof(header_names) / sizeof(header_names[0]); i++)
			if (strcasecmp(key, header_names[i]) == 0)
				is_header = 1;
		if (is_header)
			json_object_set(x->form_headers, key, v);
		else if (strcmp(key, "content") == 0) {
			size_t len = json_string_length(v);
			x->body_owned = malloc(len + 1);
			if (x->body_owned) {
				memcpy(x->body_owned, json_string_value(v), len + 1);
				x->body = x->body_owned;
				x->body_len = len;
			}
		} else
			json_object_set(x->params, key, v);
	}
	json_decref(form);
	if (!x->body_owned) {
		x->body = NULL;
		x->body_len = 0;
	}
	return 0;
}

void lrs_dispatch(struct http_request *req)
{
	struct lrs_ctx x;
	memset(&x, 0, sizeof(x));
	x.req = req;
	x.srv = req->srv;
	x.method = req->method;
	x.body = req->body;
	x.body_len = req->body_len;
	x.params = json_object();
	const char *path = req->nparams > 0 ? req->params[0] : "";
	const struct resource *res = find_resource(path);
	char err[160];

	if (!x.params) {
		lrs_send_error(&x, 503, "unavailable", "out of memory");
		goto out;
	}
	if (req->method == HTTP_OPTIONS) {
		lrs_send(&x, 204, "text/plain", "", 0,
			 "Access-Control-Allow-Methods: GET, HEAD, POST, PUT, DELETE, OPTIONS\r\n"
			 "Access-Control-Allow-Headers: Authorization, Content-Type, If-Match, "
			 "If-None-Match, X-Experience-API-Version, X-Experience-API-Consistent-Through\r\n"
			 "Access-Control-Max-Age: 86400\r\n");
		goto out;
	}
	if (!res) {
		lrs_send_error(&x, 404, "not_found", "no xAPI resource at /xapi/%.64s", path);
		goto out;
	}
	x.resource = res->name;
	if (req->query && parse_params(req->query, strlen(req->query), x.params, err, sizeof(err)) != 0) {
		lrs_send_error(&x, 400, "bad_parameter", "the query string is not valid: %s", err);
		goto out;
	}
	if (req->method == HTTP_POST && lrs_param(&x, "method") && unwrap_alternate(&x) != 0)
		goto out;
	if (res->handler == lrs_about) {
		const char *v = lrs_header(&x, "X-Experience-API-Version");
		if (!v || parse_version(&x, v) != 0)
			x.version_string = "2.0.0";
		lrs_about(&x);
		goto out;
	}
	const char *version = lrs_header(&x, "X-Experience-API-Version");
	if (!version) {
		/* Answer in the version this client spoke last, if it is known. */
		if (lrs_auth_basic(x.srv, lrs_header(&x, "Authorization"), &x.client) == 0 &&
		    lrs_auth_last_version(x.client.id) == LRS_V103)
			x.version_string = "1.0.3";
		lrs_send_error(&x, 400, "missing_version",
			       "the X-Experience-API-Version header is required (1.0.3 or 2.0.0)");
		goto out;
	}
	if (parse_version(&x, version) != 0) {
		lrs_send_error(&x, 400, "unsupported_version",
			       "X-Experience-API-Version %.32s is not supported (use 1.0.3 or 2.0.0)", version);
		goto out;
	}
	if (x.form_headers && x.version == LRS_V200) {
		lrs_send_error(&x, 400, "bad_parameter",
			       "the alternate request syntax was removed in xAPI 2.0");
		goto out;
	}
	if (!(res->methods & x.method)) {
		lrs_send_error(&x, 405, "method_not_allowed", "%s does not accept this method", res->name);
		goto out;
	}
	if (lrs_auth_basic(x.srv, lrs_header(&x, "Authorization"), &x.client) != 0) {
		lrs_send_error(&x, 401, "unauthorized",
			       "HTTP Basic authentication with an LRS client key and secret is required");
		goto out;
	}
	lrs_auth_remember_version(x.client.id, (int)x.version);
	unsigned need = (x.method == HTTP_GET || x.method == HTTP_HEAD) ? res->read_scopes
									: res->write_scopes;
	if (!(x.client.scopes & need)) {
		lrs_send_error(&x, 403, "forbidden", "this client's scopes do not allow this request");
		goto out;
	}
	if (x.client.cmi5_launch && cmi5_lrs_check(&x) != 0)
		goto out; /* a cmi5 token asked for more than its AU session may */
	res->handler(&x);
	if (!req->status) {
		log_event(LOG_ERROR, "lrs_handler_sent_nothing", "resource=%s", res->name);
		lrs_send_error(&x, 500, "internal", "the handler sent no response");
	}
	if (x.client.cmi5_launch)
		cmi5_lrs_after(&x); /* records what the AU said; ends the check's hold */
out:
	json_decref(x.params);
	json_decref(x.form_headers);
	json_decref(x.client.authority);
	free(x.body_owned);
}
