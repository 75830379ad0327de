/* http.c: CivetWeb setup, the request dispatcher and response helpers.
 *
 * CivetWeb runs with no document root (it serves no files of its own, so no
 * CGI, no directory listing, no path mapping), bounded header size and
 * request time, and keep-alive. Every parsed request reaches dispatch():
 * the path is checked, matched against the routing table, the method and
 * body size are enforced, the body is read, the handler runs, and one
 * access-log line is written. Requests with ambiguous framing are refused
 * before routing; what CivetWeb rejects itself (malformed request lines,
 * oversized headers) gets the same JSON error through on_http_error. */
#include "http.h"

#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "routes.h"
#include "server.h"

/* Every response carries X-Content-Type-Options: nosniff, Referrer-Policy:
 * no-referrer and X-Frame-Options: DENY (see frame_option). Pages that need
 * more (CSP for content) add their own through extra_headers. */

static const struct {
	const char *name;
	enum http_method m;
} methods[] = {
	{ "GET", HTTP_GET }, { "HEAD", HTTP_HEAD }, { "POST", HTTP_POST },
	{ "PUT", HTTP_PUT }, { "DELETE", HTTP_DELETE }, { "OPTIONS", HTTP_OPTIONS },
	{ "PATCH", HTTP_PATCH },
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- responses ---- */

/* X-Frame-Options: DENY, unless the response says itself who may frame it
 * (course content served into the player's frame). */
static const char *frame_option(const char *extra_headers)
{
	return extra_headers && strstr(extra_headers, "frame-ancestors") ? ""
									 : "X-Frame-Options: DENY\r\n";
}

void http_send(struct http_request *req, int status, const char *content_type,
	       const void *body, size_t len, const char *extra_headers)
{
	char head[2048], date[40];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\n"
			 "Date: %s\r\n"
			 "Content-Type: %s\r\n"
			 "Content-Length: %zu\r\n"
			 "Cache-Control: no-store\r\n"
			 "X-Content-Type-Options: nosniff\r\n"
			 "%s"
			 "Referrer-Policy: no-referrer\r\n"
			 "%s%s\r\n",
			 status, mg_get_response_code_text(req->conn, status), date,
			 content_type, len, frame_option(extra_headers),
			 req->closes ? "Connection: close\r\n" : "",
			 extra_headers ? extra_headers : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		log_event(LOG_ERROR, "http_header_overflow", "status=%d", status);
		n = snprintf(head, sizeof(head),
			     "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
		len = 0;
		status = 500;
	}
	req->status = status;
	if (req->closes)
		mg_disable_keep_alive(req->conn);
	db_wait_reads(req->srv ? req->srv->db : NULL); /* nothing said is undone by a power cut */
	int send_body = req->method != HTTP_HEAD && len > 0;
	/* One write for small responses: header and body in one segment. */
	if (send_body && (size_t)n + len <= 16384) {
		char buf[16384];
		memcpy(buf, head, (size_t)n);
		memcpy(buf + n, body, len);
		mg_write(req->conn, buf, (size_t)n + len);
		return;
	}
	mg_write(req->conn, head, (size_t)n);
	if (send_body)
		mg_write(req->conn, body, len);
}

void http_send_json(struct http_request *req, int status, const json_t *value)
{
	char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		static const char oom[] = "{\"error\":\"internal\",\"detail\":\"out of memory\"}";
		http_send(req, 500, "application/json; charset=utf-8", oom, sizeof(oom) - 1, NULL);
		return;
	}
	http_send(req, status, "application/json; charset=utf-8", text, strlen(text), NULL);
	free(text);
}

static void send_error_v(struct http_request *req, int status, const char *error,
			 const char *extra_headers, const char *fmt, va_list ap)
{
	char detail[512];
	vsnprintf(detail, sizeof(detail), fmt, ap);
	for (const struct http_error_format *f = http_error_formats; req->path && f->prefix; f++)
		if (strncmp(req->path, f->prefix, strlen(f->prefix)) == 0) {
			f->send(req, status, error, detail, extra_headers);
			return;
		}
	json_t *obj = json_pack("{s:s, s:s}", "error", error, "detail", detail);
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	if (!text) {
		/* detail was not valid UTF-8 (it may echo input): drop it. */
		obj = json_pack("{s:s, s:s}", "error", error, "detail", "");
		text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
		json_decref(obj);
	}
	const char *out = text ? text : "{\"error\":\"internal\"}";
	http_send(req, status, "application/json; charset=utf-8", out, strlen(out),
		  extra_headers);
	free(text);
}

void http_send_error(struct http_request *req, int status, const char *error,
		     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_error_v(req, status, error, NULL, fmt, ap);
	va_end(ap);
}

static void send_error_headers(struct http_request *req, int status, const char *error,
			       const char *extra_headers, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void send_error_headers(struct http_request *req, int status, const char *error,
			       const char *extra_headers, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	send_error_v(req, status, error, extra_headers, fmt, ap);
	va_end(ap);
}

/* An error after which the connection closes: what follows on it (an
 * unread body, a request we cannot frame) must not be read as a request. */
static void send_error_closing(struct http_request *req, int status, const char *error,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void send_error_closing(struct http_request *req, int status, const char *error,
			       const char *fmt, ...)
{
	req->closes = 1;
	va_list ap;
	va_start(ap, fmt);
	send_error_v(req, status, error, NULL, fmt, ap);
	va_end(ap);
}

/* ---- request helpers ---- */

const char *http_header(struct http_request *req, const char *name)
{
	return mg_get_header(req->conn, name);
}

int http_query_param(struct http_request *req, const char *name, char *buf,
		     size_t size)
{
	if (!req->query)
		return -1;
	int n = mg_get_var(req->query, strlen(req->query), name, buf, size);
	if (n == -1)
		return -1;
	if (n < 0)
		return -2;
	return n;
}

int http_json_depth_ok(const char *buf, size_t len, int max_depth)
{
	int depth = 0, in_string = 0;
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return 0;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return 1;
}

json_t *http_body_json(struct http_request *req)
{
	if (!req->body || req->body_len == 0) {
		http_send_error(req, 400, "bad_request", "the request needs a JSON body");
		return NULL;
	}
	if (!http_json_depth_ok(req->body, req->body_len, HTTP_JSON_MAX_DEPTH)) {
		http_send_error(req, 400, "bad_json", "the JSON nests deeper than %d levels",
				HTTP_JSON_MAX_DEPTH);
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		http_send_error(req, 400, "bad_json", "invalid JSON at line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(v) && !json_is_array(v)) {
		json_decref(v);
		http_send_error(req, 400, "bad_json", "expected a JSON object or array");
		return NULL;
	}
	return v;
}

/* ---- routing ---- */

int http_route_match(const char *pattern, const char *path, const char **params,
		     int *nparams, char *buf, size_t bufsize)
{
	size_t used = 0;
	*nparams = 0;
	const char *p = pattern, *s = path;
	while (*p) {
		if (p[0] == '*' && p[1] == '*') {
			if (*nparams >= HTTP_MAX_PARAMS)
				return 0;
			size_t len = strlen(s);
			if (used + len + 1 > bufsize)
				return 0;
			memcpy(buf + used, s, len + 1);
			params[(*nparams)++] = buf + used;
			return 1;
		}
		if (*p == '*') {
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			if (len == 0 || *nparams >= HTTP_MAX_PARAMS || used + len + 1 > bufsize)
				return 0;
			memcpy(buf + used, s, len);
			buf[used + len] = '\0';
			params[(*nparams)++] = buf + used;
			used += len + 1;
			s += len;
			p++;
			continue;
		}
		if (*p != *s)
			return 0;
		p++;
		s++;
	}
	return *s == '\0';
}

static int path_is_clean(const char *path)
{
	if (path[0] != '/')
		return 0;
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\\')
			return 0;
		if (c == '/' && p[1] == '.' &&
		    (p[2] == '/' || p[2] == '\0' || (p[2] == '.' && (p[3] == '/' || p[3] == '\0'))))
			return 0;
		if (c == '/' && p[1] == '/')
			return 0;
	}
	return 1;
}

static void allow_header(unsigned mask, char *buf, size_t size)
{
	size_t o = (size_t)snprintf(buf, size, "Allow: ");
	int first = 1;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		unsigned m = methods[i].m;
		if (!(mask & m) && !(m == HTTP_HEAD && (mask & HTTP_GET)))
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s", first ? "" : ", ", methods[i].name);
		first = 0;
		if (o >= size)
			break;
	}
	if (o + 3 < size)
		snprintf(buf + o, size - o, "\r\n");
}

/* Reads the whole body, refusing more than limit bytes. Returns 0, or an
 * HTTP status (413, 400) with nothing kept. */
static int read_body(struct http_request *req, long long content_length, long limit)
{
	if (content_length > limit)
		return 413;
	size_t cap = content_length >= 0 ? (size_t)content_length : 65536;
	if (cap > (size_t)limit)
		cap = (size_t)limit;
	char *buf = malloc(cap + 1);
	if (!buf)
		return 503;
	size_t len = 0;
	for (;;) {
		if (len == cap) {
			if (content_length >= 0)
				break;
			if (cap >= (size_t)limit) {
				/* chunked body: one more byte means too large */
				char probe;
				if (mg_read(req->conn, &probe, 1) > 0) {
					free(buf);
					return 413;
				}
				break;
			}
			size_t ncap = cap * 2 > (size_t)limit ? (size_t)limit : cap * 2;
			char *nb = realloc(buf, ncap + 1);
			if (!nb) {
				free(buf);
				return 503;
			}
			buf = nb;
			cap = ncap;
		}
		int r = mg_read(req->conn, buf + len, cap - len);
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	if (content_length >= 0 && (long long)len != content_length) {
		free(buf);
		return 400;
	}
	buf[len] = '\0';
	req->body = buf;
	req->body_len = len;
	return 0;
}

static int is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* CivetWeb 1.15 stops parsing headers at a line that starts with a space
 * (obs-fold) and silently drops the rest, Content-Length included. It
 * terminates each value in place with NULs where "\r\n" was, so after the
 * last parsed value the header block must go on with the blank line that
 * ends it; anything else means lines were dropped. */
static int headers_were_dropped(const struct mg_request_info *ri)
{
	if (ri->num_headers == 0 || !ri->http_headers[ri->num_headers - 1].value)
		return 0;
	const char *p = ri->http_headers[ri->num_headers - 1].value;
	p += strlen(p);
	for (int i = 0; i < 64 && *p == '\0'; i++)
		p++;
	return *p != '\r' && *p != '\n';
}

/* Refuses requests whose framing is ambiguous, so that a body can never be
 * read as a second request (request smuggling, RFC 9112 section 6.3):
 * more headers than CivetWeb keeps (a Content-Length may have been
 * dropped), header names that are not tokens (obs-fold, spaces), repeated
 * Content-Length, Content-Length with Transfer-Encoding, a transfer coding
 * other than chunked, HTTP/1.1 without Host. Sends the error and returns
 * 0 when refused. */
static int framing_is_sound(struct http_request *req, const struct mg_request_info *ri)
{
	if (ri->num_headers >= MG_MAX_HEADERS) {
		send_error_closing(req, 431, "too_many_headers",
				   "a request may carry at most %d headers", MG_MAX_HEADERS - 1);
		return 0;
	}
	if (headers_were_dropped(ri)) {
		send_error_closing(req, 400, "bad_header",
				   "folded header lines (obs-fold) are not accepted");
		return 0;
	}
	int content_lengths = 0, transfer_encodings = 0, hosts = 0;
	const char *te = NULL;
	for (int i = 0; i < ri->num_headers; i++) {
		const char *name = ri->http_headers[i].name;
		if (!name || !*name) {
			send_error_closing(req, 400, "bad_header", "a header line has no name");
			return 0;
		}
		for (const char *c = name; *c; c++)
			if (!is_tchar((unsigned char)*c)) {
				send_error_closing(req, 400, "bad_header",
						   "a header name contains a character that is not allowed");
				return 0;
			}
		if (strcasecmp(name, "Content-Length") == 0)
			content_lengths++;
		else if (strcasecmp(name, "Transfer-Encoding") == 0) {
			transfer_encodings++;
			te = ri->http_headers[i].value;
		} else if (strcasecmp(name, "Host") == 0)
			hosts++;
	}
	if (content_lengths > 1 || (content_lengths && transfer_encodings) || transfer_encodings > 1) {
		send_error_closing(req, 400, "ambiguous_length",
				   "the request must have one Content-Length or Transfer-Encoding: chunked, not both");
		return 0;
	}
	if (te && strcasecmp(te, "chunked") != 0) {
		send_error_closing(req, 400, "unsupported_transfer_encoding",
				   "only Transfer-Encoding: chunked is supported");
		return 0;
	}
	if (hosts > 1 || (hosts == 0 && ri->http_version && strcmp(ri->http_version, "1.1") == 0)) {
		send_error_closing(req, 400, "bad_host",
				   "an HTTP/1.1 request needs exactly one Host header");
		return 0;
	}
	return 1;
}

static int dispatch(struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct server *srv = ri->user_data;
	struct http_request req;
	memset(&req, 0, sizeof(req));
	req.srv = srv;
	req.conn = conn;
	req.method_name = ri->request_method;
	req.path = "";
	req.query = ri->query_string;
	double t0 = srv->cfg.access_log ? now_ms() : 0;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(ri->request_method, methods[i].name) == 0)
			req.method = methods[i].m;

	const struct http_route *route = NULL;
	unsigned path_methods = 0;
	if (!framing_is_sound(&req, ri))
		goto done;
	/* Until the body is read, every answer closes the connection. */
	int has_body = ri->content_length > 0 ||
		       (ri->content_length < 0 && mg_get_header(conn, "Transfer-Encoding"));
	req.closes = has_body;
	if (!req.method) {
		send_error_closing(&req, 405, "method_not_allowed",
				   "method %.32s is not supported", ri->request_method);
		goto done;
	}
	if (!ri->local_uri_raw) {
		send_error_closing(&req, 400, "bad_path", "the request has no path");
		goto done;
	}
	/* CivetWeb runs with decode_url=no: the path is decoded here, so that
	 * an encoded NUL cannot cut it short and the raw form can be checked. */
	size_t raw_len = strlen(ri->local_uri_raw);
	int decoded = mg_url_decode(ri->local_uri_raw, (int)raw_len, req.path_buf,
				    (int)sizeof(req.path_buf), 0);
	if (decoded < 0 || raw_len >= sizeof(req.path_buf)) {
		send_error_closing(&req, 414, "path_too_long",
				   "the request path is longer than %zu bytes", sizeof(req.path_buf) - 1);
		goto done;
	}
	req.path = req.path_buf;
	if ((size_t)decoded != strlen(req.path_buf) || !path_is_clean(ri->local_uri_raw) ||
	    !path_is_clean(req.path)) {
		send_error_closing(&req, 400, "bad_path",
				   "the request path is not a clean absolute path");
		goto done;
	}
	for (const struct http_route *r = routes; r->pattern; r++) {
		if (!http_route_match(r->pattern, req.path, req.params, &req.nparams,
				      req.param_buf, sizeof(req.param_buf)))
			continue;
		path_methods |= r->methods;
		unsigned want = req.method == HTTP_HEAD ? HTTP_GET | HTTP_HEAD : req.method;
		if (r->methods & want) {
			route = r;
			break;
		}
	}
	if (!route) {
		if (path_methods) {
			char allow[128];
			allow_header(path_methods, allow, sizeof(allow));
			send_error_headers(&req, 405, "method_not_allowed", allow,
					   "%s is not allowed here", ri->request_method);
		} else {
			http_send_error(&req, 404, "not_found", "no such resource");
		}
		goto done;
	}
	req.route = route;
	int (*guard)(struct http_request *) = NULL;
	for (const struct http_body_guard *g = http_body_guards; g->handler && !guard; g++)
		if (g->handler == route->handler)
			guard = g->check;
	if (guard && guard(&req) != 0) {
		if (!req.status)
			http_send_error(&req, 500, "internal", "the request was refused without an answer");
		goto done;
	}
	long limit = route->max_body == HTTP_BODY_UPLOAD ? srv->cfg.max_upload_bytes
		     : route->max_body < 0 ? srv->cfg.max_body_bytes : route->max_body;
	if (has_body) {
		if (limit == 0) {
			http_send_error(&req, 413, "body_not_allowed", "this endpoint takes no request body");
			goto done;
		}
		int st = read_body(&req, ri->content_length, limit);
		if (st == 413) {
			http_send_error(&req, 413, "body_too_large",
					"the request body is larger than %ld bytes", limit);
			goto done;
		} else if (st) {
			http_send_error(&req, st, st == 400 ? "incomplete_body" : "unavailable",
					"the request body could not be read");
			goto done;
		}
		req.closes = 0;
	}
	route->handler(&req);
	if (!req.status) {
		log_event(LOG_ERROR, "handler_sent_nothing", "path=%s", route->pattern);
		http_send_error(&req, 500, "internal", "the handler sent no response");
	}
done:
	mg_set_user_connection_data(conn, NULL);
	if (srv->cfg.access_log) {
		char method[40], path[160];
		log_access("method=%s path=%s status=%d ms=%.2f",
			  log_quote(method, sizeof(method), ri->request_method),
			  route ? route->pattern
				: log_quote(path, sizeof(path), ri->local_uri_raw ? ri->local_uri_raw : "-"),
			  req.status, now_ms() - t0);
	}
	free(req.body);
	return req.status ? req.status : 1;
}

/* Connection marker: CivetWeb already answered this connection's last
 * request with an error (see on_connection_close). */
static const char answered_by_error = 1;

/* Errors CivetWeb detects itself (unparsable request line, oversized
 * headers, bad Content-Length, unsupported version) get the same JSON error
 * body as ours, and the connection is closed. */
static int on_http_error(struct mg_connection *conn, int status, const char *errmsg)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct http_request req;
	memset(&req, 0, sizeof(req));
	req.srv = ri ? ri->user_data : NULL;
	req.conn = conn;
	req.method = HTTP_GET;
	const char *code = status == 413 ? "too_large" : status == 431 ? "headers_too_large"
			 : status == 505 ? "http_version_not_supported"
			 : status >= 500 ? "internal" : "bad_request";
	char detail[256];
	snprintf(detail, sizeof(detail), "%s", errmsg && *errmsg ? errmsg : "the request could not be parsed");
	detail[strcspn(detail, "\r\n")] = '\0';
	send_error_closing(&req, status, code,
				   "%s", detail);
	mg_set_user_connection_data(conn, (void *)&answered_by_error);
	if (req.srv && req.srv->cfg.access_log)
		log_access("method=- path=- status=%d ms=0", status);
	return 0;
}

/* CivetWeb 1.15 takes an absolute-form request for another host or port
 * (GET http://elsewhere/ HTTP/1.1) as a proxy request it does not handle:
 * it calls no handler and closes the connection silently. Answer it with a
 * 400 here, just before the socket closes. */
static void on_connection_close(const struct mg_connection *cconn)
{
	struct mg_connection *conn = (struct mg_connection *)cconn;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (!ri || ri->local_uri || !ri->request_uri ||
	    strncasecmp(ri->request_uri, "http", 4) != 0 ||
	    mg_get_user_connection_data(conn) == &answered_by_error)
		return;
	struct http_request req;
	memset(&req, 0, sizeof(req));
	req.srv = ri->user_data;
	req.conn = conn;
	req.method = HTTP_GET;
	send_error_closing(&req, 400, "not_this_server",
				   "this server does not forward requests to other hosts");
}

/* CivetWeb's own messages (malformed requests, socket errors). */
static int on_log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	char quoted[512];
	log_event(LOG_WARN, "http_server", "message=%s",
		  log_quote(quoted, sizeof(quoted), message));
	return 1;
}

int http_start(struct server *srv, char *err, size_t errsize)
{
	const struct config *cfg = &srv->cfg;
	char threads[16], header_bytes[16], timeout[16];
	snprintf(threads, sizeof(threads), "%ld", cfg->threads);
	snprintf(header_bytes, sizeof(header_bytes), "%ld", cfg->max_header_bytes);
	snprintf(timeout, sizeof(timeout), "%ld", cfg->request_timeout_ms);
	const char *options[] = {
		"listening_ports", cfg->listen,
		"num_threads", threads,
		"max_request_size", header_bytes,
		"request_timeout_ms", timeout,
		"enable_keep_alive", cfg->keep_alive ? "yes" : "no",
		"keep_alive_timeout_ms", "15000",
		"enable_directory_listing", "no",
		"tcp_nodelay", "1",
		"decode_url", "no",
		/* absolute-form requests to our own port are ours, whatever the
		 * host name (RFC 9112 section 3.2.2) */
		"enable_auth_domain_check", "no",
		NULL,
	};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.begin_request = dispatch;
	cb.log_message = on_log_message;
	cb.http_error = on_http_error;
	cb.connection_close = on_connection_close;
	mg_init_library(0);
	struct mg_init_data init = { .callbacks = &cb, .user_data = srv, .configuration_options = options };
	struct mg_error_data edata;
	char ebuf[256] = "";
	memset(&edata, 0, sizeof(edata));
	edata.text = ebuf;
	edata.text_buffer_size = sizeof(ebuf);
	srv->mg = mg_start2(&init, &edata);
	if (!srv->mg) {
		snprintf(err, errsize, "cannot listen on %s: %s", cfg->listen,
			 ebuf[0] ? ebuf : "unknown error");
		mg_exit_library();
		return -1;
	}
	struct mg_server_port ports[4];
	int n = mg_get_server_ports(srv->mg, 4, ports);
	srv->port = n > 0 ? ports[0].port : 0;
	char host[CONFIG_STR_MAX - 32];
	snprintf(host, sizeof(host), "%.*s", (int)sizeof(host) - 1, cfg->listen);
	char *colon = strrchr(host, ':');
	if (colon)
		*colon = '\0';
	if (strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	snprintf(srv->base_url, sizeof(srv->base_url), "http://%s:%d", host, srv->port);
	return 0;
}

void http_stop(struct server *srv)
{
	if (srv->mg) {
		mg_stop(srv->mg);
		srv->mg = NULL;
		mg_exit_library();
	}
}
