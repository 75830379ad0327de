/* scim.c: the /scim/v2/ route (see scim.h): bearer-token check, dispatch
 * to Users and Groups, SCIM error messages, the list and projection
 * parameters shared by both, and the discovery endpoints. */
#include "scim.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "scim_token.h"
#include "server.h"

/* ---- answers ---- */

void scim_send(struct http_request *req, int status, const json_t *body, const char *extra_headers)
{
	char *text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		static const char oom[] = "{\"schemas\":[\"" SCIM_MSG_ERROR "\"],\"status\":\"500\","
					  "\"detail\":\"out of memory\"}";
		http_send(req, 500, SCIM_MEDIA_TYPE, oom, sizeof(oom) - 1, NULL);
		return;
	}
	http_send(req, status, SCIM_MEDIA_TYPE, text, strlen(text), extra_headers);
	free(text);
}

static void send_error_text(struct http_request *req, int status, const char *scim_type,
			    const char *detail, const char *extra_headers)
{
	char code[8];
	snprintf(code, sizeof(code), "%d", status);
	json_t *e = json_pack("{s:[s], s:s}", "schemas", SCIM_MSG_ERROR, "status", code);
	if (scim_type)
		json_object_set_new(e, "scimType", json_string(scim_type));
	json_t *d = json_string(detail); /* NULL when detail is not UTF-8: then none */
	if (d)
		json_object_set_new(e, "detail", d);
	scim_send(req, status, e, extra_headers);
	json_decref(e);
}

void scim_send_error(struct http_request *req, int status, const char *scim_type, const char *fmt, ...)
{
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	send_error_text(req, status, scim_type, detail, NULL);
}

void scim_http_error(struct http_request *req, int status, const char *error, const char *detail,
		     const char *extra_headers)
{
	(void)error;
	send_error_text(req, status, NULL, detail, extra_headers);
}

json_t *scim_read_body(struct http_request *req)
{
	const char *ct = http_header(req, "Content-Type");
	if (ct) {
		size_t n = strcspn(ct, "; \t");
		if (!((n == 21 && strncasecmp(ct, "application/scim+json", n) == 0) ||
		      (n == 16 && strncasecmp(ct, "application/json", n) == 0))) {
			scim_send_error(req, 415, NULL, "send the request as application/scim+json");
			return NULL;
		}
	}
	if (!req->body || req->body_len == 0) {
		scim_send_error(req, 400, "invalidSyntax", "the request needs a JSON body");
		return NULL;
	}
	if (!http_json_depth_ok(req->body, req->body_len, HTTP_JSON_MAX_DEPTH)) {
		scim_send_error(req, 400, "invalidSyntax", "the JSON nests deeper than %d levels",
				HTTP_JSON_MAX_DEPTH);
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		scim_send_error(req, 400, "invalidSyntax", "invalid JSON at line %d column %d: %s",
				jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		scim_send_error(req, 400, "invalidSyntax", "the body must be a JSON object");
		return NULL;
	}
	return v;
}

void scim_base_url(const struct http_request *req, char *buf, size_t size)
{
	snprintf(buf, size, "%s/scim/v2", req->srv->cfg.public_url);
}

long long scim_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *scim_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[24];
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03dZ", base, (int)(ms % 1000));
	return buf;
}

void scim_new_id(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* ---- attributes / excludedAttributes ---- */

#define MAX_PROJECTED 64

int scim_projection_read(struct http_request *req, const struct scim_resource_type *rt,
			 struct scim_projection *p)
{
	memset(p, 0, sizeof(*p));
	char buf[4096];
	int na = http_query_param(req, "attributes", buf, sizeof(buf));
	char ex[4096];
	int ne = http_query_param(req, "excludedAttributes", ex, sizeof(ex));
	if (na == -2 || ne == -2) {
		scim_send_error(req, 400, "invalidValue", "attributes lists are limited to %zu bytes",
				sizeof(buf) - 1);
		return -1;
	}
	if (na >= 0 && ne >= 0) {
		scim_send_error(req, 400, "invalidValue",
				"give attributes or excludedAttributes, not both");
		return -1;
	}
	const char *list = na >= 0 ? buf : ne >= 0 ? ex : NULL;
	if (!list)
		return 0;
	p->exclude = ne >= 0;
	p->paths = calloc(MAX_PROJECTED, sizeof(*p->paths));
	if (!p->paths) {
		scim_send_error(req, 503, NULL, "out of memory");
		return -1;
	}
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s", list);
	char *save = NULL;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (p->n == MAX_PROJECTED) {
			scim_projection_free(p);
			scim_send_error(req, 400, "invalidValue", "at most %d attributes may be listed",
					MAX_PROJECTED);
			return -1;
		}
		char err[200];
		struct scim_path *path = &p->paths[p->n];
		if (scim_path_parse(tok, path, err, sizeof(err)) != 0)
			continue;
		if (path->filter || scim_path_bind(path, rt, NULL, err, sizeof(err)) != 0) {
			scim_path_clear(path);
			continue; /* an unknown attribute is not an error */
		}
		p->n++;
	}
	/* Everything listed was unknown: return the defaults. */
	if (p->n == 0 && !p->exclude)
		p->exclude = 1;
	return 0;
}

void scim_projection_free(struct scim_projection *p)
{
	for (int i = 0; i < p->n; i++)
		scim_path_clear(&p->paths[i]);
	free(p->paths);
	memset(p, 0, sizeof(*p));
}

static int always_returned(const struct scim_path *path)
{
	return path->a->returned == SCIM_RET_ALWAYS && !path->s;
}

int scim_projection_wants(const struct scim_projection *p, const char *attr)
{
	for (int i = 0; i < p->n; i++) {
		const struct scim_path *path = &p->paths[i];
		if (!path->in_extension && strcmp(path->a->name, attr) == 0)
			return p->exclude ? path->s != NULL : 1;
	}
	return p->exclude || p->n == 0;
}

static json_t *holder(json_t *res, const struct scim_path *path, int create)
{
	if (!path->in_extension)
		return res;
	json_t *ext = json_object_get(res, path->schema->id);
	if (!ext && create) {
		ext = json_object();
		json_object_set_new(res, path->schema->id, ext);
	}
	return ext;
}

json_t *scim_project(const struct scim_projection *p, json_t *res)
{
	if (p->n == 0)
		return json_incref(res);
	if (p->exclude) {
		json_t *out = json_deep_copy(res);
		for (int i = 0; i < p->n; i++) {
			const struct scim_path *path = &p->paths[i];
			json_t *h = holder(out, path, 0);
			json_t *v = h ? json_object_get(h, path->a->name) : NULL;
			if (!v || always_returned(path))
				continue;
			if (!path->s) {
				json_object_del(h, path->a->name);
			} else if (json_is_array(v)) {
				size_t k;
				json_t *e;
				json_array_foreach(v, k, e)
					json_object_del(e, path->s->name);
			} else {
				json_object_del(v, path->s->name);
			}
		}
		return out;
	}
	json_t *out = json_object();
	json_object_set(out, "schemas", json_object_get(res, "schemas"));
	json_object_set(out, "id", json_object_get(res, "id"));
	for (int i = 0; i < p->n; i++) {
		const struct scim_path *path = &p->paths[i];
		json_t *h = holder(res, path, 0);
		json_t *v = h ? json_object_get(h, path->a->name) : NULL;
		if (!v)
			continue;
		json_t *to = holder(out, path, 1);
		if (!path->s) {
			json_object_set(to, path->a->name, v);
			continue;
		}
		if (json_is_array(v)) {
			json_t *arr = json_object_get(to, path->a->name);
			if (!json_is_array(arr)) {
				arr = json_array();
				for (size_t k = 0; k < json_array_size(v); k++)
					json_array_append_new(arr, json_object());
				json_object_set_new(to, path->a->name, arr);
			}
			size_t k;
			json_t *e;
			json_array_foreach(v, k, e) {
				json_t *sv = json_object_get(e, path->s->name);
				json_t *into = json_array_get(arr, k);
				if (sv && json_is_object(into))
					json_object_set(into, path->s->name, sv);
			}
			continue;
		}
		json_t *sv = json_object_get(v, path->s->name);
		if (!sv)
			continue;
		json_t *obj = json_object_get(to, path->a->name);
		if (!json_is_object(obj)) {
			obj = json_object();
			json_object_set_new(to, path->a->name, obj);
		}
		json_object_set(obj, path->s->name, sv);
	}
	return out;
}

/* ---- list parameters ---- */

static int read_long(struct http_request *req, const char *name, long dflt, long *out)
{
	char buf[32];
	int n = http_query_param(req, name, buf, sizeof(buf));
	*out = dflt;
	if (n == -1)
		return 0;
	char *end;
	long v = n >= 0 ? strtol(buf, &end, 10) : 0;
	if (n < 0 || n == 0 || *end) {
		scim_send_error(req, 400, "invalidValue", "%s must be an integer", name);
		return -1;
	}
	*out = v;
	return 0;
}

int scim_list_read(struct http_request *req, const struct scim_resource_type *rt,
		   struct scim_list *l)
{
	memset(l, 0, sizeof(*l));
	if (read_long(req, "startIndex", 1, &l->start) != 0 ||
	    read_long(req, "count", SCIM_DEFAULT_COUNT, &l->count) != 0)
		return -1;
	/* RFC 7644 3.4.2.4: below 1 is 1; a negative count is 0. */
	if (l->start < 1)
		l->start = 1;
	if (l->count < 0)
		l->count = 0;
	if (l->count > SCIM_MAX_COUNT)
		l->count = SCIM_MAX_COUNT;
	/* sortBy is ignored: ServiceProviderConfig says sorting is not
	 * offered, and results come in the order they were provisioned. */
	char text[SCIM_FILTER_MAX_LEN + 1];
	int n = http_query_param(req, "filter", text, sizeof(text));
	if (n == -2) {
		scim_send_error(req, 400, "invalidFilter", "the filter is longer than %d characters",
				SCIM_FILTER_MAX_LEN);
		return -1;
	}
	if (n < 0)
		return 0;
	char err[300];
	if (strlen(text) != (size_t)n) {
		scim_send_error(req, 400, "invalidFilter", "the filter contains a NUL character");
		return -1;
	}
	l->filter = scim_filter_parse(text, err, sizeof(err));
	if (!l->filter || scim_filter_bind(l->filter, rt, NULL, err, sizeof(err)) != 0) {
		scim_send_error(req, 400, "invalidFilter", "%s", err);
		scim_list_free(l);
		return -1;
	}
	return 0;
}

void scim_list_free(struct scim_list *l)
{
	scim_filter_free(l->filter);
	l->filter = NULL;
}

json_t *scim_list_response(long total, long start, json_t *resources)
{
	return json_pack("{s:[s], s:I, s:I, s:I, s:o}", "schemas", SCIM_MSG_LIST, "totalResults",
			 (json_int_t)total, "startIndex", (json_int_t)start, "itemsPerPage",
			 (json_int_t)json_array_size(resources), "Resources", resources);
}

/* ---- discovery ---- */

static void service_provider_config(struct http_request *req, const char *base)
{
	json_t *c = json_pack(
		"{s:[s], s:{s:b}, s:{s:b, s:i, s:i}, s:{s:b, s:i}, s:{s:b}, s:{s:b}, s:{s:b},"
		" s:[{s:s, s:s, s:s, s:b}], s:{s:s, s:s+}}",
		"schemas", SCIM_SCHEMA_SPC,
		"patch", "supported", 1,
		"bulk", "supported", 0, "maxOperations", 0, "maxPayloadSize", 0,
		"filter", "supported", 1, "maxResults", SCIM_MAX_COUNT,
		"changePassword", "supported", 0,
		"sort", "supported", 0,
		"etag", "supported", 0,
		"authenticationSchemes", "type", "oauthbearertoken", "name", "OAuth Bearer Token",
		"description", "A long-lived bearer token made with `vern scim-token add --name NAME`.",
		"primary", 1,
		"meta", "resourceType", "ServiceProviderConfig", "location", base, "/ServiceProviderConfig");
	scim_send(req, 200, c, NULL);
	json_decref(c);
}

/* Answers a discovery request with all (taken): the one resource asked for
 * by id (404 when all is empty), or a ListResponse of them. */
static void send_discovery(struct http_request *req, json_t *all, const char *id, const char *what)
{
	if (id) {
		if (json_array_size(all) == 0)
			scim_send_error(req, 404, NULL, "no %s %.128s", what, id);
		else
			scim_send(req, 200, json_array_get(all, 0), NULL);
		json_decref(all);
		return;
	}
	json_t *list = scim_list_response((long)json_array_size(all), 1, all);
	scim_send(req, 200, list, NULL);
	json_decref(list);
}

static void schemas(struct http_request *req, const char *base, const char *id)
{
	json_t *all = json_array();
	for (const struct scim_schema *const *s = scim_all_schemas; *s; s++) {
		if (id && strcasecmp(id, (*s)->id) != 0)
			continue;
		json_array_append_new(all, scim_schema_json(*s, base));
	}
	send_discovery(req, all, id, "schema");
}

static void resource_types(struct http_request *req, const char *base, const char *id)
{
	const struct scim_resource_type *types[] = { &scim_user_type, &scim_group_type };
	json_t *all = json_array();
	for (size_t i = 0; i < 2; i++)
		if (!id || strcasecmp(id, types[i]->id) == 0)
			json_array_append_new(all, scim_resource_type_json(types[i], base));
	send_discovery(req, all, id, "resource type");
}

/* ---- dispatch ---- */

void scim_dispatch(struct http_request *req)
{
	if (scim_token_check(req->srv, http_header(req, "Authorization")) != 0) {
		send_error_text(req, 401, NULL, "a valid bearer token is required (vern scim-token add)",
				"WWW-Authenticate: Bearer realm=\"Vern SCIM\"\r\n");
		return;
	}
	const char *rest = req->nparams > 0 ? req->params[0] : "";
	char resource[64];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	const char *id = slash ? slash + 1 : NULL;
	if (n >= sizeof(resource) || (id && (!*id || strchr(id, '/')))) {
		scim_send_error(req, 404, NULL, "no such SCIM resource");
		return;
	}
	memcpy(resource, rest, n);
	resource[n] = '\0';
	int get = req->method == HTTP_GET || req->method == HTTP_HEAD;
	char base[CONFIG_STR_MAX + 16];
	scim_base_url(req, base, sizeof(base));

	if (strcasecmp(resource, "Users") == 0) {
		scim_users(req, id);
	} else if (strcasecmp(resource, "Groups") == 0) {
		scim_groups(req, id);
	} else if (strcasecmp(resource, "ServiceProviderConfig") == 0 ||
		   strcasecmp(resource, "ServiceProviderConfigs") == 0) {
		if (!get)
			scim_send_error(req, 405, NULL, "ServiceProviderConfig is read-only");
		else if (id)
			scim_send_error(req, 404, NULL, "no such SCIM resource");
		else
			service_provider_config(req, base);
	} else if (strcasecmp(resource, "Schemas") == 0) {
		if (!get)
			scim_send_error(req, 405, NULL, "Schemas are read-only");
		else
			schemas(req, base, id);
	} else if (strcasecmp(resource, "ResourceTypes") == 0) {
		if (!get)
			scim_send_error(req, 405, NULL, "ResourceTypes are read-only");
		else
			resource_types(req, base, id);
	} else if (strcasecmp(resource, "Me") == 0 || strcasecmp(resource, "Bulk") == 0 ||
		   strcasecmp(resource, ".search") == 0) {
		scim_send_error(req, 501, NULL, "/%s is not supported by Vern", resource);
	} else {
		scim_send_error(req, 404, NULL, "no such SCIM resource");
	}
}

/* ---- the shared write and read of one resource ---- */

int scim_refuse(struct scim_answer *a, int status, const char *scim_type, const char *fmt, ...)
{
	a->status = status;
	a->scim_type = scim_type;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->detail, sizeof(a->detail), fmt, ap);
	va_end(ap);
	return DB_INVALID;
}

void scim_send_stored(struct http_request *req, const struct scim_kind *k, int status, const char *id,
		      const struct scim_projection *proj)
{
	char base[CONFIG_STR_MAX + 16];
	scim_base_url(req, base, sizeof(base));
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c, k->select_by_id);
	json_t *res = NULL;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			res = k->render(c, st, base, proj, 0);
	}
	db_reader_put(req->srv->db, c);
	if (!res) {
		scim_send_error(req, 404, NULL, "no %s %.64s", k->noun, id);
		return;
	}
	json_t *out = scim_project(proj, res);
	char loc[CONFIG_STR_MAX + 128];
	snprintf(loc, sizeof(loc), "Location: %s/%s/%s\r\n", base, k->collection, id);
	scim_send(req, status, out, status == 201 ? loc : NULL);
	json_decref(out);
	json_decref(res);
}

void scim_run_job(struct http_request *req, const struct scim_kind *k, void *job, int op,
		  int ok_status, const struct scim_projection *proj)
{
	struct scim_answer *a = job;
	int rc = db_write(req->srv->db, k->run, job);
	if (rc == DB_INVALID) {
		scim_send_error(req, a->status ? a->status : 400, a->scim_type, "%s", a->detail);
		return;
	}
	if (rc == DB_CONFLICT) {
		scim_send_error(req, 409, "uniqueness", "the %s conflicts with an existing one", k->noun);
		return;
	}
	if (rc != DB_OK) {
		scim_send_error(req, 503, NULL, "the change could not be stored; try again");
		return;
	}
	log_event(LOG_INFO, k->event, "op=%s id=%s", k->ops[op], a->id_out);
	if (ok_status == 204)
		http_send(req, 204, SCIM_MEDIA_TYPE, "", 0, NULL);
	else
		scim_send_stored(req, k, ok_status, a->id_out, proj);
}

/* The first `attr eq "value"` on the top-level "and" chain that an index
 * answers, and its SQL in *sql. */
static const struct scim_filter *indexed_eq(const struct scim_kind *k, const struct scim_filter *f,
					    const char **sql)
{
	if (f->op == SCIM_F_AND) {
		const struct scim_filter *l = indexed_eq(k, f->left, sql);
		return l ? l : indexed_eq(k, f->right, sql);
	}
	if (f->op != SCIM_F_EQ || f->path.s || f->path.in_extension || !json_is_string(f->value))
		return NULL;
	for (int i = 0; k->eq_attrs[i]; i++)
		if (strcmp(f->path.a->name, k->eq_attrs[i]) == 0) {
			*sql = k->eq_sql[i];
			return f;
		}
	return NULL;
}

void scim_list_stored(struct http_request *req, const struct scim_kind *k,
		      const struct scim_projection *proj)
{
	struct scim_list l;
	if (scim_list_read(req, k->type, &l) != 0)
		return;
	char base[CONFIG_STR_MAX + 16];
	scim_base_url(req, base, sizeof(base));
	json_t *page = json_array();
	long total = 0;
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st;
	const char *eq_sql = NULL;
	const struct scim_filter *eq = l.filter ? indexed_eq(k, l.filter, &eq_sql) : NULL;
	if (!l.filter) {
		st = db_stmt(c, k->count_sql);
		total = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		st = db_stmt(c, k->page_sql);
		if (st) {
			sqlite3_bind_int64(st, 1, l.count);
			sqlite3_bind_int64(st, 2, l.start - 1);
		}
	} else if (eq) {
		st = db_stmt(c, eq_sql);
		if (st)
			sqlite3_bind_text(st, 1, json_string_value(eq->value), -1, SQLITE_STATIC);
	} else {
		st = db_stmt(c, k->all_sql);
	}
	/* Without a filter the page is the rows; with one, the matches from
	 * startIndex on, all of them counted. */
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *res = k->render(c, st, base, proj, l.filter != NULL);
		if (!res || (l.filter && !scim_filter_match(l.filter, res))) {
			json_decref(res);
			continue;
		}
		if (l.filter)
			total++;
		if (!l.filter || (total >= l.start && (long)json_array_size(page) < l.count))
			json_array_append_new(page, scim_project(proj, res));
		json_decref(res);
	}
	db_reader_put(req->srv->db, c);
	json_t *list = scim_list_response(total, l.start, page);
	scim_send(req, 200, list, NULL);
	json_decref(list);
	scim_list_free(&l);
}
