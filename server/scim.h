/* scim.h: SCIM 2.0 provisioning (RFC 7643, RFC 7644) under /scim/v2/, as
 * Microsoft Entra ID and other identity systems use it to create, update
 * and deactivate employees and groups in Vern.
 *
 *   scim.c         the route: bearer-token check, dispatch, SCIM errors,
 *                  list paging and attribute projection, discovery
 *                  (ServiceProviderConfig, Schemas, ResourceTypes)
 *   scim_users.c   /Users: SCIM users as employees (server/people.h)
 *   scim_groups.c  /Groups: groups, and the Vern roles they give
 *   scim_token.c   bearer tokens and `vern scim-token`
 *   scim_filter.c  the filter and path language
 *   scim_patch.c   PATCH operations and POST/PUT bodies on a document
 *   scim_schema.c  the schemas
 *
 * Every answer is application/scim+json; every error is a SCIM Error
 * message with status and, where RFC 7644 defines one, scimType. */
#ifndef VERN_SCIM_H
#define VERN_SCIM_H

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"
#include "http.h"
#include "scim_filter.h"
#include "scim_schema.h"

#define SCIM_MEDIA_TYPE "application/scim+json"
/* Largest request body a SCIM endpoint reads (a PUT of a big group). */
#define SCIM_MAX_BODY (4L << 20)
/* Page size when the client gives none, and the most one page holds. */
#define SCIM_DEFAULT_COUNT 100
#define SCIM_MAX_COUNT 1000

/* The route entry point (routes.c): /scim/v2/ and everything below. */
void scim_dispatch(struct http_request *req);

/* The error sender http.c uses for /scim/ paths (see http.h). */
void scim_http_error(struct http_request *req, int status, const char *error, const char *detail,
		     const char *extra_headers);

/* {"schemas":[Error], "status":"400", "scimType":..., "detail":...};
 * scim_type may be NULL. */
void scim_send_error(struct http_request *req, int status, const char *scim_type,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sends body as application/scim+json; extra_headers as in http_send. */
void scim_send(struct http_request *req, int status, const json_t *body, const char *extra_headers);

/* The request body as a JSON object, or NULL after answering 400/415. */
json_t *scim_read_body(struct http_request *req);

/* public_url + "/scim/v2", for meta.location. */
void scim_base_url(const struct http_request *req, char *buf, size_t size);

/* ISO 8601 UTC with milliseconds for ms since 1970; buf of 32 bytes. */
const char *scim_time(long long ms, char *buf, size_t size);
long long scim_now_ms(void);

/* attributes / excludedAttributes of the request, bound to a resource
 * type (unknown names are ignored, as most providers do). */
struct scim_projection {
	struct scim_path *paths;
	int n;
	int exclude;    /* excludedAttributes (else attributes; n == 0: all) */
};

/* Reads the projection from the query; answers 400 and returns -1 when
 * both are given or a list is too long. */
int scim_projection_read(struct http_request *req, const struct scim_resource_type *rt,
			 struct scim_projection *p);
void scim_projection_free(struct scim_projection *p);
/* 1 when the attribute (canonical name, core schema) will be returned. */
int scim_projection_wants(const struct scim_projection *p, const char *attr);
/* The resource as the projection shows it (a new reference; res is kept). */
json_t *scim_project(const struct scim_projection *p, json_t *res);

/* A list request: startIndex, count and a bound filter (NULL: all). */
struct scim_list {
	long start;      /* 1-based */
	long count;
	struct scim_filter *filter;
};
/* Reads the list parameters; answers 400 (invalidFilter, invalidValue)
 * and returns -1 when they are bad. */
int scim_list_read(struct http_request *req, const struct scim_resource_type *rt,
		   struct scim_list *l);
void scim_list_free(struct scim_list *l);

/* A ListResponse around resources (taken). */
json_t *scim_list_response(long total, long start, json_t *resources);

/* A random SCIM id (UUID v4 text, 36 characters + NUL). */
void scim_new_id(char out[37]);

/* What a SCIM write job answers: the first member of each resource's
 * job. */
struct scim_answer {
	int status;                 /* HTTP status of a refusal */
	const char *scim_type;
	char detail[400];
	char id_out[37];            /* the id of the resource written */
};

/* In a writer job: records a refusal in a and returns DB_INVALID. */
int scim_refuse(struct scim_answer *a, int status, const char *scim_type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct db_conn;
/* What the shared handlers need to know of a resource type. */
struct scim_kind {
	const char *noun;           /* "user": in messages */
	const char *event;          /* "scim_user": the log event of a change */
	const char *collection;     /* "Users": Location */
	const char *select_by_id;   /* SQL: the row render reads, WHERE the SCIM id = ?1 */
	/* The resource of st's current row; all: every attribute (a filter
	 * is to see it), else those proj shows. */
	json_t *(*render)(struct db_conn *c, sqlite3_stmt *st, const char *base,
			  const struct scim_projection *proj, int all);
	db_write_fn run;            /* the writer job (its arg starts with a scim_answer) */
	const char *const *ops;     /* op names by the job's op number, for the log */
	/* Listing: */
	const struct scim_resource_type *type;
	const char *count_sql;      /* SELECT count(*) of the resources */
	const char *page_sql;       /* the rows in order, LIMIT ?1 OFFSET ?2 */
	const char *all_sql;        /* the rows in order */
	/* Attributes an index answers for `attr eq "value"`, and the SQL of
	 * each (the rows WHERE attr = ?1), NULL-terminated. */
	const char *const *eq_attrs;
	const char *const *eq_sql;
};

/* GET on the collection: a ListResponse of the resources the list
 * parameters ask for. */
void scim_list_stored(struct http_request *req, const struct scim_kind *k,
		      const struct scim_projection *proj);

/* Answers with the stored resource id as the projection shows it (201:
 * with Location), or 404. */
void scim_send_stored(struct http_request *req, const struct scim_kind *k, int status, const char *id,
		      const struct scim_projection *proj);

/* Runs job (op: its op number) on the writer and answers: the refusal
 * it recorded, 409 on a uniqueness conflict, 503 when it could not be
 * stored; else ok_status, empty (204) or with the stored resource. */
void scim_run_job(struct http_request *req, const struct scim_kind *k, void *job, int op,
		  int ok_status, const struct scim_projection *proj);

/* Request handlers; id is NULL for the collection. */
void scim_users(struct http_request *req, const char *id);
void scim_groups(struct http_request *req, const char *id);

/* In a writer job: takes emp out of every group, and the roles those
 * groups gave (a deleted SCIM user). */
int scim_groups_drop_member(struct db_conn *c, long long emp);

#endif
