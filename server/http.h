/* http.h: the HTTP layer on CivetWeb: request object, routing, responses.
 *
 * CivetWeb parses requests; every request then goes through one dispatcher
 * that applies the routing table (routes.c), enforces the route's method and
 * body limit, reads the body, calls the handler and writes the access log.
 * Handlers answer through the http_send_* helpers, which add the security
 * headers every response carries. */
#ifndef VERN_HTTP_H
#define VERN_HTTP_H

#include <stddef.h>
#include <jansson.h>

struct server;
struct mg_connection;

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_DELETE = 1 << 4,
	HTTP_OPTIONS = 1 << 5,
	HTTP_PATCH = 1 << 6,
};

#define HTTP_MAX_PARAMS 4

struct http_request {
	struct server *srv;
	struct mg_connection *conn;
	enum http_method method;
	const char *method_name;
	const char *path;        /* decoded path, no query */
	char path_buf[4096];
	const char *query;       /* raw query string or NULL */
	const char *params[HTTP_MAX_PARAMS]; /* '*' segments of the route */
	char param_buf[1024];
	int nparams;
	char *body;              /* NUL-terminated; NULL when none */
	size_t body_len;
	int status;              /* set by the http_send_* helpers */
	int closes;              /* the connection closes after the answer (a
				  * body left unread, framing not trusted):
				  * the answer says Connection: close, so the
				  * client sends no next request on it */
	const void *route;
};

typedef void (*http_handler)(struct http_request *req);

/* A route: methods is a mask of enum http_method. pattern is a path where
 * '*' matches one segment (captured into params) and a trailing '**'
 * matches the rest. max_body 0 means the route takes no body; -1 means the
 * configured max_body_bytes. HEAD is served by the GET handler when the
 * route allows GET (the helpers drop the body). HTTP_BODY_UPLOAD means the
 * configured max_upload_bytes (course packages). */
#define HTTP_BODY_UPLOAD (-2L)
struct http_route {
	unsigned methods;
	const char *pattern;
	http_handler handler;
	long max_body;
};

/* Checks that run before a route's body is read (authorization for routes
 * that take large bodies, so nobody unauthorized gets a buffer of
 * max_upload_bytes), listed in routes.c's http_body_guards[] by handler
 * (ended by a NULL handler). check returns 0 to go on, or non-zero once it
 * has answered; the body is then never read and the connection closes. */
struct http_body_guard {
	http_handler handler;
	int (*check)(struct http_request *req);
};
extern const struct http_body_guard http_body_guards[];

/* Paths whose clients expect another error body (SCIM under /scim/)
 * name a sender for their prefix in routes.c's http_error_formats[]
 * (ended by a NULL prefix). Every error answered on such a path, also by
 * the dispatcher itself (body too large, method not allowed), goes through
 * it; detail is the formatted sentence. */
struct http_error_format {
	const char *prefix;
	void (*send)(struct http_request *req, int status, const char *error, const char *detail,
		     const char *extra_headers);
};
extern const struct http_error_format http_error_formats[];

/* Starts CivetWeb on cfg->listen with the safe options; fills srv->port and
 * srv->base_url. Returns 0 or -1 with err set. */
int http_start(struct server *srv, char *err, size_t errsize);

/* Stops accepting, lets in-flight requests finish, joins the threads. */
void http_stop(struct server *srv);

/* Responses. extra_headers, when not NULL, is one or more complete
 * "Name: value\r\n" lines. The body is not sent for HEAD. */
void http_send(struct http_request *req, int status, const char *content_type,
	       const void *body, size_t len, const char *extra_headers);
/* Sends a JSON value (does not take ownership). */
void http_send_json(struct http_request *req, int status, const json_t *value);
/* {"error": error, "detail": detail}: error is a short code such as
 * "not_found"; detail a sentence. */
void http_send_error(struct http_request *req, int status, const char *error,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Request header value or NULL. */
const char *http_header(struct http_request *req, const char *name);

/* Copies query parameter name, URL-decoded, into buf. Returns its length,
 * -1 if absent, -2 if it does not fit. */
int http_query_param(struct http_request *req, const char *name, char *buf,
		     size_t size);

/* Parses the body as a JSON object or array; on failure sends 400 and
 * returns NULL. */
json_t *http_body_json(struct http_request *req);

/* Deepest nesting of arrays/objects accepted in JSON from clients. The
 * parser (jansson) recurses per level, and a request thread's stack is not
 * big enough for the 10,000-deep documents attackers send. */
#define HTTP_JSON_MAX_DEPTH 64

/* 1 when the JSON text nests arrays/objects at most max_depth deep (a
 * cheap scan before parsing; strings are skipped). */
int http_json_depth_ok(const char *buf, size_t len, int max_depth);

/* Exposed for unit tests: matches path against pattern, filling params. */
int http_route_match(const char *pattern, const char *path, const char **params,
		     int *nparams, char *buf, size_t bufsize);

#endif
