/* lrs.h: the xAPI Learning Record Store: shared request context and helpers.
 *
 * Every request under /xapi/ reaches lrs_dispatch() (lrs.c), which
 * negotiates the xAPI version (X-Experience-API-Version: 1.0.x or 2.0.x),
 * unwraps the 1.0.3 alternate request syntax (POST ?method=PUT with a form
 * body), answers CORS preflight, authenticates the LRS client (auth.c) and
 * checks its scope, then calls the resource handler:
 *
 *   statements          statements.c (store) and query.c (read)
 *   activities/state    documents.c
 *   activities/profile  documents.c
 *   agents/profile      documents.c
 *   activities          documents.c (lrs_activities)
 *   agents              documents.c (lrs_agents)
 *   about               lrs.c
 *
 * Handlers read parameters and headers only through lrs_param() and
 * lrs_header() (so the alternate syntax works everywhere) and answer only
 * through lrs_send*() (which add the version and CORS headers). */
#ifndef VERN_LRS_H
#define VERN_LRS_H

#include <jansson.h>
#include <stddef.h>

#include "http.h"

enum lrs_version { LRS_V103 = 1, LRS_V200 = 2 };

/* OAuth-style scopes from the xAPI spec, as a bit mask. */
enum lrs_scope {
	LRS_SCOPE_STATEMENTS_WRITE = 1 << 0,
	LRS_SCOPE_STATEMENTS_READ = 1 << 1,
	LRS_SCOPE_STATEMENTS_READ_MINE = 1 << 2,
	LRS_SCOPE_STATE = 1 << 3,
	LRS_SCOPE_PROFILE = 1 << 4,
	LRS_SCOPE_ALL_READ = 1 << 5,
	LRS_SCOPE_ALL = 1 << 6,
	LRS_SCOPE_DEFINE = 1 << 7,
};

/* The authenticated LRS client. authority is the Agent put into the
 * authority property of statements it stores (owned by the context). */
struct lrs_client {
	long long id;
	unsigned scopes;
	char name[128];
	json_t *authority;
	long long cmi5_launch; /* a cmi5 auth token (courses/cmi5.c): the launch it is
				* limited to; 0 for ordinary clients */
};

struct lrs_ctx {
	struct http_request *req;
	struct server *srv;
	enum lrs_version version;
	const char *version_string;  /* "1.0.3" or "2.0.0": sent back */
	enum http_method method;     /* after the alternate syntax */
	const char *resource;        /* "statements", "activities/state", ... */
	struct lrs_client client;
	json_t *params;              /* object: name -> string (query or form) */
	json_t *form_headers;        /* alternate syntax: header overrides */
	const char *body;            /* request content (form "content" for alt) */
	size_t body_len;
	char *body_owned;            /* set when body was decoded from a form */
	char *error_out;             /* internal use (req NULL): errors land here */
	size_t error_size;
};

/* A query (or alternate-syntax form) parameter, URL-decoded; NULL if absent. */
const char *lrs_param(const struct lrs_ctx *x, const char *name);

/* A request header (alternate-syntax form values win); NULL if absent. */
const char *lrs_header(const struct lrs_ctx *x, const char *name);

/* The media type of the request without parameters, lowercased into buf
 * ("application/json"); "" when there is no Content-Type. */
const char *lrs_content_type(const struct lrs_ctx *x, char *buf, size_t size);

/* Responses. They add X-Experience-API-Version and the CORS headers;
 * extra_headers, when not NULL, are complete "Name: value\r\n" lines. */
void lrs_send(struct lrs_ctx *x, int status, const char *content_type,
	      const void *body, size_t len, const char *extra_headers);
void lrs_send_json(struct lrs_ctx *x, int status, const json_t *value,
		   const char *extra_headers);
void lrs_send_empty(struct lrs_ctx *x, int status, const char *extra_headers);
/* {"error": error, "detail": "..."} */
void lrs_send_error(struct lrs_ctx *x, int status, const char *error,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Stores statements made by Vern itself (course player, demo, plugins)
 * with the same validation, atomicity and durability as POST /xapi/statements.
 * statements is an object or an array (not modified). The authority is Vern
 * (account "vern" on public_url). On success returns 0 and, if ids is not
 * NULL, sets *ids to a new array of the stored ids; otherwise returns the
 * HTTP status an xAPI client would have got (400, 409, 413, 503) with err
 * set. */
int lrs_store_internal(struct server *srv, const json_t *statements, json_t **ids, char *err,
		       size_t errsize);

/* The route entry point (routes.c): /xapi/ and everything below it. */
void lrs_dispatch(struct http_request *req);

/* ISO 8601 UTC timestamp with milliseconds for ms since the epoch:
 * "2026-11-23T10:00:00.123Z". buf needs 32 bytes. */
const char *lrs_format_time(long long ms, char *buf, size_t size);
/* Current time in ms since the epoch. */
long long lrs_now_ms(void);

#endif
