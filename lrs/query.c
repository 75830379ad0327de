/* query.c: GET /xapi/statements (see query.h).
 *
 * Filters are answered from statement_keys (part, term, seq; see keys.h):
 * the most selective filter drives the walk in seq order, one part of the
 * sequence after the other, and the others are checked by primary-key
 * lookups (a registration by the statement's column; alone, it drives the
 * walk through statement_registrations), so no query scans statement
 * JSON. The index is written in bulk behind the
 * statements (index.c): a filtered query first has the writer catch up. Paging is
 * stateless: the `more` token carries the filters, the last seq returned
 * and the highest seq at the time of the first page, so statements stored
 * while a client pages never shift or join the result. */
#include "query.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "db.h"
#include "documents.h"
#include "extract.h"
#include "index.h"
#include "json_text.h"
#include "keys.h"
#include "log.h"
#include "multipart.h"
#include "server.h"
#include "terms.h"
#include "validate.h"

#define QUERY_MAX_LIMIT 500

enum format { FORMAT_EXACT, FORMAT_IDS, FORMAT_CANONICAL };

struct query {
	const char *verb, *activity, *registration;
	char agent[1024];
	int has_agent;
	int related_activities, related_agents, ascending, attachments;
	long long since_ms, until_ms; /* -1 when absent */
	long limit;
	enum format format;
	long long cursor, max_seq;    /* paging: 0 when absent */
};

/* ---- parameters ---- */

static int parse_bool(struct lrs_ctx *x, const char *name, int *out)
{
	const char *v = lrs_param(x, name);
	*out = 0;
	if (!v)
		return 0;
	if (strcmp(v, "true") == 0)
		*out = 1;
	else if (strcmp(v, "false") != 0) {
		lrs_send_error(x, 400, "bad_parameter", "%s must be true or false", name);
		return -1;
	}
	return 0;
}

static int parse_format(struct lrs_ctx *x, enum format *out)
{
	const char *f = lrs_param(x, "format");
	*out = FORMAT_EXACT;
	if (!f || strcmp(f, "exact") == 0)
		return 0;
	if (strcmp(f, "ids") == 0)
		*out = FORMAT_IDS;
	else if (strcmp(f, "canonical") == 0)
		*out = FORMAT_CANONICAL;
	else {
		lrs_send_error(x, 400, "bad_parameter", "format must be exact, ids or canonical");
		return -1;
	}
	return 0;
}

static int check_known(struct lrs_ctx *x, const char *const *known)
{
	const char *key;
	json_t *v;
	json_object_foreach(x->params, key, v) {
		int ok = 0;
		for (const char *const *k = known; *k; k++)
			if (strcmp(*k, key) == 0)
				ok = 1;
		if (!ok) {
			lrs_send_error(x, 400, "bad_parameter",
				       "parameter %.64s is not allowed in this request", key);
			return -1;
		}
	}
	return 0;
}

static int parse_time_param(struct lrs_ctx *x, const char *name, long long *out)
{
	const char *v = lrs_param(x, name);
	*out = -1;
	if (!v)
		return 0;
	if (lrs_parse_timestamp(v, out) != 0) {
		lrs_send_error(x, 400, "bad_parameter", "%s must be an ISO 8601 timestamp", name);
		return -1;
	}
	return 0;
}

static int parse_query(struct lrs_ctx *x, struct query *q)
{
	static const char *const known[] = { "agent", "verb", "activity", "registration",
		"related_activities", "related_agents", "since", "until", "limit", "format",
		"attachments", "ascending", NULL };
	if (check_known(x, known) != 0)
		return -1;
	q->verb = lrs_param(x, "verb");
	q->activity = lrs_param(x, "activity");
	q->registration = lrs_param(x, "registration");
	if (q->verb && !lrs_is_iri(q->verb)) {
		lrs_send_error(x, 400, "bad_parameter", "verb must be an IRI");
		return -1;
	}
	if (q->activity && !lrs_is_iri(q->activity)) {
		lrs_send_error(x, 400, "bad_parameter", "activity must be an IRI");
		return -1;
	}
	if (q->registration && !lrs_is_uuid(q->registration)) {
		lrs_send_error(x, 400, "bad_parameter", "registration must be a UUID");
		return -1;
	}
	const char *agent = lrs_param(x, "agent");
	if (agent) {
		json_error_t jerr;
		json_t *a = http_json_depth_ok(agent, strlen(agent), HTTP_JSON_MAX_DEPTH)
				    ? json_loads(agent, JSON_REJECT_DUPLICATES, &jerr) : NULL;
		struct lrs_verror ve;
		if (!a || !json_is_object(a)) {
			json_decref(a);
			lrs_send_error(x, 400, "bad_parameter", "agent must be a JSON Agent or Group object");
			return -1;
		}
		if (lrs_validate_agent_param(a, x->version, &ve) != 0 ||
		    lrs_agent_key(a, q->agent, sizeof(q->agent)) != 0) {
			json_decref(a);
			lrs_send_error(x, 400, "bad_parameter", "agent: %s", ve.rule[0] ? ve.rule :
				       "needs exactly one inverse functional identifier");
			return -1;
		}
		json_decref(a);
		q->has_agent = 1;
	}
	if (parse_bool(x, "related_activities", &q->related_activities) != 0 ||
	    parse_bool(x, "related_agents", &q->related_agents) != 0 ||
	    parse_bool(x, "ascending", &q->ascending) != 0 ||
	    parse_bool(x, "attachments", &q->attachments) != 0 ||
	    parse_format(x, &q->format) != 0 ||
	    parse_time_param(x, "since", &q->since_ms) != 0 ||
	    parse_time_param(x, "until", &q->until_ms) != 0)
		return -1;
	q->limit = QUERY_MAX_LIMIT;
	const char *limit = lrs_param(x, "limit");
	if (limit) {
		char *end;
		long long n = strtoll(limit, &end, 10);
		if (!*limit || *end || n < 0) {
			lrs_send_error(x, 400, "bad_parameter", "limit must be a whole number >= 0");
			return -1;
		}
		if (n > 0 && n < QUERY_MAX_LIMIT)
			q->limit = (long)n;
	}
	return 0;
}

/* ---- the more token: base64url of {"p": params, "c": cursor, "m": max} ---- */

static char *more_token(struct lrs_ctx *x, long long cursor, long long max_seq)
{
	json_t *t = json_pack("{s:O, s:I, s:I}", "p", x->params, "c", (json_int_t)cursor, "m",
			      (json_int_t)max_seq);
	char *text = t ? json_dumps(t, JSON_COMPACT) : NULL;
	json_decref(t);
	if (!text)
		return NULL;
	size_t len = strlen(text);
	size_t blen = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *b = malloc(blen);
	if (b)
		sodium_bin2base64(b, blen, (const unsigned char *)text, len,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	free(text);
	return b;
}

/* Replaces x->params with the ones in the token and fills the paging
 * fields. Returns 0, or -1 after answering 400. */
static int open_more(struct lrs_ctx *x, const char *token, struct query *q)
{
	size_t len = strlen(token);
	unsigned char *bin = malloc(len + 1);
	size_t blen = 0;
	json_t *t = NULL;
	if (bin && sodium_base642bin(bin, len, token, len, NULL, &blen, NULL,
				     sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0)
		t = http_json_depth_ok((const char *)bin, blen, HTTP_JSON_MAX_DEPTH)
			    ? json_loadb((const char *)bin, blen, 0, NULL) : NULL;
	free(bin);
	json_t *p = json_object_get(t, "p");
	json_t *c = json_object_get(t, "c"), *m = json_object_get(t, "m");
	if (!json_is_object(p) || !json_is_integer(c) || !json_is_integer(m) ||
	    json_object_get(p, "more")) {
		json_decref(t);
		lrs_send_error(x, 400, "bad_parameter", "more is not a link this LRS gave out");
		return -1;
	}
	json_decref(x->params);
	x->params = json_incref(p);
	q->cursor = json_integer_value(c);
	q->max_seq = json_integer_value(m);
	json_decref(t);
	return 0;
}

/* ---- formats ---- */

static json_t *ids_agent(const json_t *agent)
{
	json_t *out = json_object();
	static const char *const keep[] = { "objectType", "mbox", "mbox_sha1sum", "openid", "account" };
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		json_t *v = json_object_get(agent, keep[i]);
		if (v)
			json_object_set(out, keep[i], v);
	}
	const json_t *members = json_object_get(agent, "member");
	int identified = json_object_size(out) > (json_object_get(out, "objectType") ? 1u : 0u);
	if (json_is_array(members) && !identified) {
		json_t *list = json_array();
		size_t i;
		const json_t *m;
		json_array_foreach(members, i, m)
			json_array_append_new(list, ids_agent(m));
		json_object_set_new(out, "member", list);
	}
	return out;
}

static void ids_activity_into(json_t *parent, const char *key)
{
	json_t *a = json_object_get(parent, key);
	if (!json_is_object(a))
		return;
	json_t *out = json_object();
	json_object_set(out, "id", json_object_get(a, "id"));
	json_object_set_new(parent, key, out);
}

static void ids_agent_into(json_t *parent, const char *key)
{
	json_t *a = json_object_get(parent, key);
	if (json_is_object(a))
		json_object_set_new(parent, key, ids_agent(a));
}

static void ids_statement(json_t *s);

static void ids_object(json_t *s)
{
	json_t *o = json_object_get(s, "object");
	const char *t = json_string_value(json_object_get(o, "objectType"));
	if (!t || strcmp(t, "Activity") == 0)
		ids_activity_into(s, "object");
	else if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0)
		ids_agent_into(s, "object");
	else if (strcmp(t, "SubStatement") == 0)
		ids_statement(o);
}

static void ids_statement(json_t *s)
{
	ids_agent_into(s, "actor");
	ids_agent_into(s, "authority");
	json_t *verb = json_object_get(s, "verb");
	if (json_is_object(verb))
		json_object_del(verb, "display");
	ids_object(s);
	json_t *ctx = json_object_get(s, "context");
	if (json_is_object(ctx)) {
		ids_agent_into(ctx, "instructor");
		ids_agent_into(ctx, "team");
		json_t *ca = json_object_get(ctx, "contextActivities");
		const char *k;
		json_t *list;
		json_object_foreach(ca, k, list) {
			size_t i;
			json_t *a;
			json_array_foreach(list, i, a) {
				json_t *id = json_incref(json_object_get(a, "id"));
				json_object_clear(a);
				json_object_set_new(a, "id", id ? id : json_null());
			}
		}
	}
}

/* Reduces a language map to one entry, chosen by Accept-Language. */
static void canonical_map(json_t *map, const char *accept)
{
	if (!json_is_object(map) || json_object_size(map) <= 1)
		return;
	const char *chosen = NULL;
	const char *p = accept;
	while (p && *p && !chosen) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",;");
		const char *key;
		json_t *v;
		json_object_foreach(map, key, v)
			if (!chosen && strlen(key) == len && strncasecmp(key, p, len) == 0)
				chosen = key;
		p += len;
		if (*p == ';')
			p += strcspn(p, ",");
	}
	void *iter = json_object_iter(map);
	if (!chosen)
		chosen = json_object_iter_key(iter);
	json_t *v = json_incref(json_object_get(map, chosen));
	char key[128];
	snprintf(key, sizeof(key), "%s", chosen);
	json_object_clear(map);
	json_object_set_new(map, key, v);
}

static void canonical_activity(json_t *a, const char *accept)
{
	json_t *def = json_object_get(a, "definition");
	if (!json_is_object(def))
		return;
	canonical_map(json_object_get(def, "name"), accept);
	canonical_map(json_object_get(def, "description"), accept);
	static const char *const lists[] = { "choices", "scale", "source", "target", "steps" };
	for (size_t l = 0; l < 5; l++) {
		size_t i;
		json_t *c;
		json_array_foreach(json_object_get(def, lists[l]), i, c)
			canonical_map(json_object_get(c, "description"), accept);
	}
}

static void canonical_statement(json_t *s, const char *accept)
{
	canonical_map(json_object_get(json_object_get(s, "verb"), "display"), accept);
	json_t *o = json_object_get(s, "object");
	const char *t = json_string_value(json_object_get(o, "objectType"));
	if (!t || strcmp(t, "Activity") == 0)
		canonical_activity(o, accept);
	else if (strcmp(t, "SubStatement") == 0)
		canonical_statement(o, accept);
	json_t *ca = json_object_get(json_object_get(s, "context"), "contextActivities");
	const char *k;
	json_t *list;
	json_object_foreach(ca, k, list) {
		size_t i;
		json_t *a;
		json_array_foreach(list, i, a)
			canonical_activity(a, accept);
	}
	size_t i;
	json_t *att;
	json_array_foreach(json_object_get(s, "attachments"), i, att) {
		canonical_map(json_object_get(att, "display"), accept);
		canonical_map(json_object_get(att, "description"), accept);
	}
}

/* A growing response body. */
struct text {
	char *p;
	size_t len, cap;
	int failed;
};

static void text_add(struct text *t, const char *s, size_t len)
{
	if (t->failed)
		return;
	if (t->len + len + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + len + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, len);
	t->len += len;
	t->p[t->len] = '\0';
}

/* Appends a stored statement in the requested format. The exact format is
 * the stored text itself (compact JSON, as lrs_json_dumps wrote it), so the
 * common query parses no JSON at all. */
static int add_statement(struct lrs_ctx *x, struct text *t, const char *stored, size_t len,
			 enum format f)
{
	if (f == FORMAT_EXACT) {
		text_add(t, stored, len);
		return t->failed ? -1 : 0;
	}
	json_t *s = json_loadb(stored, len, 0, NULL);
	if (!s)
		return -1;
	if (f == FORMAT_IDS)
		ids_statement(s);
	else
		canonical_statement(s, lrs_header(x, "Accept-Language"));
	char *out = lrs_json_dumps(s);
	json_decref(s);
	if (!out)
		return -1;
	text_add(t, out, strlen(out));
	free(out);
	return t->failed ? -1 : 0;
}

/* ---- responses ---- */

static void time_headers(char *buf, size_t size, long long consistent_ms, long long modified_ms)
{
	char iso[32], http[64];
	lrs_format_time(consistent_ms, iso, sizeof(iso));
	lrs_http_date(modified_ms, http, sizeof(http));
	snprintf(buf, size, "X-Experience-API-Consistent-Through: %s\r\nLast-Modified: %s\r\n", iso, http);
}

/* Sends body (a JSON text) alone, or as the first part of multipart/mixed
 * with the attachments of the statements in seqs. Gives the reader c back
 * before anything is sent: a slow client holds no connection and no
 * snapshot of the database (which would keep checkpoints from finishing). */
static void send_result(struct lrs_ctx *x, struct db_conn *c, const char *json, int attachments,
			const long long *seqs, size_t nseqs, const char *headers)
{
	if (!attachments) {
		db_reader_put(x->srv->db, c);
		lrs_send(x, 200, "application/json", json, strlen(json), headers);
		return;
	}
	struct lrs_out_part *parts = NULL;
	size_t nparts = 0, cap = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT a.sha2, a.content_type, a.content FROM statement_attachments sa "
				      "JOIN attachments a ON a.sha2 = sa.sha2 WHERE sa.seq = ?");
	/* Rows stay valid until the statement is stepped again: copy them. */
	for (size_t i = 0; st && i < nseqs; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, seqs[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *sha2 = (const char *)sqlite3_column_text(st, 0);
			int dup = 0;
			for (size_t k = 0; k < nparts; k++)
				if (strcmp(parts[k].sha2, sha2) == 0)
					dup = 1;
			if (dup)
				continue;
			if (nparts == cap) {
				cap = cap ? cap * 2 : 8;
				struct lrs_out_part *np = realloc(parts, cap * sizeof(*np));
				if (!np)
					break;
				parts = np;
			}
			size_t len = (size_t)sqlite3_column_bytes(st, 2);
			char *data = malloc(len + 1);
			if (!data)
				break;
			memcpy(data, sqlite3_column_blob(st, 2) ? sqlite3_column_blob(st, 2) : "", len);
			parts[nparts++] = (struct lrs_out_part){ strdup((const char *)sqlite3_column_text(st, 1)),
								 strdup(sha2), data, len };
		}
	}
	db_reader_put(x->srv->db, c);
	char boundary[64];
	size_t len = 0;
	char *body = lrs_multipart_build(json, strlen(json), parts, (int)nparts, boundary, &len);
	if (!body) {
		lrs_send_error(x, 500, "internal", "the attachments could not be assembled");
	} else {
		char ct[128];
		snprintf(ct, sizeof(ct), "multipart/mixed; boundary=%s", boundary);
		lrs_send(x, 200, ct, body, len, headers);
	}
	free(body);
	for (size_t i = 0; i < nparts; i++) {
		free((void *)parts[i].content_type);
		free((void *)parts[i].sha2);
		free((void *)parts[i].data);
	}
	free(parts);
}

/* ---- single statements ---- */

static void get_single(struct lrs_ctx *x, const char *id, int voided)
{
	static const char *const known[] = { "statementId", "voidedStatementId", "format",
		"attachments", NULL };
	struct query q;
	memset(&q, 0, sizeof(q));
	if (check_known(x, known) != 0 || parse_format(x, &q.format) != 0 ||
	    parse_bool(x, "attachments", &q.attachments) != 0)
		return;
	if (lrs_param(x, "statementId") && lrs_param(x, "voidedStatementId")) {
		lrs_send_error(x, 400, "bad_parameter", "give statementId or voidedStatementId, not both");
		return;
	}
	if (!lrs_is_uuid(id)) {
		lrs_send_error(x, 400, "bad_parameter", "%s must be a UUID",
			       voided ? "voidedStatementId" : "statementId");
		return;
	}
	char lower[37];
	size_t i = 0;
	for (; id[i] && i < 36; i++)
		lower[i] = (char)((id[i] >= 'A' && id[i] <= 'Z') ? id[i] + 32 : id[i]);
	lower[i] = '\0';
	long long consistent = lrs_now_ms();
	struct db_conn *c = db_reader_get(x->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, full, voided, client_id, stored_ms FROM statements WHERE id = ?");
	if (!st) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 503, "storage_failed", "the statement could not be read");
		return;
	}
	sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
	int mine_only = !(x->client.scopes & (LRS_SCOPE_ALL | LRS_SCOPE_ALL_READ | LRS_SCOPE_STATEMENTS_READ));
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 2) != voided ||
	    (mine_only && sqlite3_column_int64(st, 3) != x->client.id)) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 404, "not_found", "no %sstatement with id %s", voided ? "voided " : "", lower);
		return;
	}
	long long seq = sqlite3_column_int64(st, 0);
	long long stored = sqlite3_column_int64(st, 4);
	struct text text = { 0 };
	int failed = add_statement(x, &text, (const char *)sqlite3_column_text(st, 1),
				   (size_t)sqlite3_column_bytes(st, 1), q.format) != 0;
	char headers[256];
	time_headers(headers, sizeof(headers), consistent, stored);
	if (failed || text.failed || !text.p) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 500, "internal", "the statement could not be formatted");
	} else {
		send_result(x, c, text.p, q.attachments, &seq, 1, headers);
	}
	free(text.p);
}

/* ---- queries ---- */

int lrs_query_sql(const struct lrs_query_shape *q, char *sql, size_t size)
{
	size_t o = 0;
	const char *cmp = q->ascending ? ">" : "<";
	/* With a filter, order and bound by the index row's seq (equal to the
	 * statement's) so SQLite walks the index in order and never sorts. */
	int by_client = q->by_client && q->mine_only;
	int by_registration = !by_client && q->nfilters == 0 && q->registration;
	const char *seq = by_client ? "s.seq" : q->nfilters > 0 ? "d.seq" : by_registration ? "r.seq" : "s.seq";
	int first_exists = by_client ? 0 : 1;
#define ADD(...) o += (size_t)snprintf(sql + o, o < size ? size - o : 0, __VA_ARGS__)
	/* Index rows are read one part (?28) at a time: every row of one
	 * statement is in its part. Walking a client's own statements, each
	 * statement's part comes from its seq. */
	char part[32];
	snprintf(part, sizeof(part), by_client ? "(s.seq >> %d)" : "?28", LRS_PART_SHIFT);
	if (by_client) {
		ADD("SELECT s.seq, s.full, s.stored_ms FROM statements s WHERE s.client_id = ?24");
	} else if (q->nfilters > 0) {
		ADD("SELECT s.seq, s.full, s.stored_ms FROM statement_keys d "
		    "JOIN statements s ON s.seq = d.seq WHERE d.part = ?28 AND d.term = ?1%s",
		    q->direct_only[0] ? " AND d.direct = 1" : "");
	} else if (by_registration) {
		/* rows by the registration's key; the column tells keys apart */
		ADD("SELECT s.seq, s.full, s.stored_ms FROM statement_registrations r "
		    "JOIN statements s ON s.seq = r.seq WHERE r.part = ?28 AND r.reg = ?27 "
		    "AND s.registration = ?26");
	} else {
		ADD("SELECT s.seq, s.full, s.stored_ms FROM statements s WHERE 1");
	}
	for (int i = first_exists; i < q->nfilters && i < 4; i++) {
		ADD(" AND EXISTS(SELECT 1 FROM statement_keys i%d WHERE i%d.part = %s AND i%d.term = ?%d "
		    "AND i%d.seq = s.seq", i, i, part, i, i + 1, i);
		if (q->direct_only[i])
			ADD(" AND i%d.direct = 1", i);
		ADD(")");
	}
	if (q->registration && !by_registration)
		ADD(" AND s.registration = ?26");
	ADD(" AND s.voided = 0 AND %s <= ?20", seq);
	if (q->cursor)
		ADD(" AND %s %s ?21", seq, cmp);
	if (q->since)
		ADD(" AND s.stored_ms > ?22");
	if (q->until)
		ADD(" AND s.stored_ms <= ?23");
	if (q->mine_only && !by_client)
		ADD(" AND s.client_id = ?24");
	ADD(" ORDER BY %s %s LIMIT ?25", seq, q->ascending ? "ASC" : "DESC");
#undef ADD
	return o < size ? 0 : -1;
}

/* A client limited to its own statements that has stored fewer than this
 * many is answered by walking them (statements_client) rather than a
 * filter's matches, which may be everybody's (a course's 164,000
 * statements took 17 s cold for a client with none of them). */
#define FEW_OWN_STATEMENTS 1000

/* Whether the client's statements span fewer than FEW_OWN_STATEMENTS
 * seqs (none at all included): two seeks of statements_client. Counting
 * them instead cost 1 ms per query for a client with many. A client with
 * a few statements spread over a long time keeps the filter's walk. */
static int client_has_few(struct db_conn *c, long long client_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT (SELECT max(seq) FROM statements WHERE client_id = ?1) - "
				      "(SELECT min(seq) FROM statements WHERE client_id = ?1)");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, client_id);
	int few = sqlite3_step(st) == SQLITE_ROW && (sqlite3_column_type(st, 0) == SQLITE_NULL ||
						     sqlite3_column_int64(st, 0) < FEW_OWN_STATEMENTS);
	sqlite3_reset(st);
	return few;
}

/* The filters of q as index terms, the most selective first (the first one
 * drives the walk; the registration is a column, checked on the row).
 * Returns the number of terms, or -1 when one of them names a value no
 * statement has (nothing can match), or -2 on error. */
static int query_terms(struct db_conn *c, const struct query *q, long long *terms, int *direct)
{
	struct { int kind; const char *value; int direct; } f[3];
	int nf = 0;
	/* verb and activity (not related): one range of exactly the matches */
	char pair_buf[8192];
	const char *pair = NULL;
	if (q->verb && q->activity && !q->related_activities &&
	    lrs_verb_activity_key(q->verb, q->activity, pair_buf, sizeof(pair_buf)) == 0) {
		pair = pair_buf;
		f[nf].kind = LRS_IX_VERB_ACTIVITY, f[nf].value = pair, f[nf++].direct = 1;
	}
	if (q->activity && !pair)
		f[nf].kind = LRS_IX_ACTIVITY, f[nf].value = q->activity, f[nf++].direct = !q->related_activities;
	if (q->has_agent)
		f[nf].kind = LRS_IX_AGENT, f[nf].value = q->agent, f[nf++].direct = !q->related_agents;
	if (q->verb && !pair)
		f[nf].kind = LRS_IX_VERB, f[nf].value = q->verb, f[nf++].direct = 1;
	for (int i = 0; i < nf; i++) {
		int rc = lrs_term_find(c, f[i].kind, f[i].value, &terms[i]);
		if (rc == DB_NOTFOUND)
			return -1;
		if (rc != DB_OK)
			return -2;
		direct[i] = f[i].direct;
	}
	return nf;
}

static void run_query(struct lrs_ctx *x, struct query *q)
{
	int mine_only = !(x->client.scopes & (LRS_SCOPE_ALL | LRS_SCOPE_ALL_READ | LRS_SCOPE_STATEMENTS_READ));
	long long consistent = lrs_now_ms(), last = 0;
	/* filters read the index: it must hold what was stored until now */
	if ((q->verb || q->activity || q->has_agent || q->registration) &&
	    lrs_index_ensure(x->srv->db, &last) != DB_OK) {
		lrs_send_error(x, 503, "storage_failed", "the statements could not be read");
		return;
	}
	struct db_conn *c = db_reader_get(x->srv->db);
	long long terms[3];
	int direct[3];
	int nf = query_terms(c, q, terms, direct);
	if (nf == -2) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 503, "storage_failed", "the statements could not be read");
		return;
	}
	if (!q->max_seq && last) {
		q->max_seq = last;
	} else if (!q->max_seq) {
		sqlite3_stmt *m = db_stmt(c, "SELECT coalesce(max(seq), 0) FROM statements");
		q->max_seq = m && sqlite3_step(m) == SQLITE_ROW ? sqlite3_column_int64(m, 0) : 0;
	}
	sqlite3_stmt *st = NULL;
	int by_parts = 0;
	if (nf >= 0) {
		int filtered = nf > 0 || q->registration;
		struct lrs_query_shape shape = { .nfilters = nf, .ascending = q->ascending,
						 .cursor = q->cursor != 0, .since = q->since_ms >= 0,
						 .until = q->until_ms >= 0, .mine_only = mine_only,
						 .registration = q->registration != NULL,
						 .by_client = filtered && mine_only &&
							      client_has_few(c, x->client.id) };
		for (int i = 0; i < nf; i++)
			shape.direct_only[i] = direct[i];
		char sql[2048];
		st = lrs_query_sql(&shape, sql, sizeof(sql)) == 0 ? db_stmt(c, sql) : NULL;
		if (!st) {
			db_reader_put(x->srv->db, c);
			lrs_send_error(x, 500, "internal", "the query could not be prepared");
			return;
		}
		for (int i = 0; i < nf; i++)
			sqlite3_bind_int64(st, i + 1, terms[i]);
		sqlite3_bind_int64(st, 20, q->max_seq);
		sqlite3_bind_int64(st, 21, q->cursor);
		sqlite3_bind_int64(st, 22, q->since_ms);
		sqlite3_bind_int64(st, 23, q->until_ms);
		sqlite3_bind_int64(st, 24, x->client.id);
		sqlite3_bind_int64(st, 25, q->limit + 1);
		if (q->registration) {
			sqlite3_bind_text(st, 26, q->registration, -1, SQLITE_STATIC);
			if (shape.nfilters == 0) /* ?27 is in the SQL only then */
				sqlite3_bind_int64(st, 27, lrs_registration_key(q->registration));
		}
		by_parts = filtered && !shape.by_client;
	}
	/* The parts the walk visits, in its order: those of the seqs between
	 * the cursor (exclusive) and max_seq. */
	long long part_first = 0, part_last = 0, part_step = 1;
	if (by_parts) {
		long long lo = q->ascending && q->cursor ? q->cursor + 1 : 0;
		long long hi = !q->ascending && q->cursor ? q->cursor - 1 : q->max_seq;
		part_first = LRS_PART_OF(q->ascending ? lo : hi);
		part_last = LRS_PART_OF(q->ascending ? hi : lo);
		part_step = q->ascending ? 1 : -1;
		if (hi < lo)
			st = NULL;
	}

	struct text body = { 0 };
	text_add(&body, "{\"statements\":[", 15);
	long long *seqs = malloc(sizeof(long long) * (size_t)(q->limit + 1));
	size_t n = 0;
	long long last_seq = 0, modified = 0;
	int more = 0, failed = !seqs;
	for (long long part = part_first; st && !more && !failed; part += part_step) {
		if (by_parts) {
			sqlite3_reset(st);
			sqlite3_bind_int64(st, 28, part);
			sqlite3_bind_int64(st, 25, q->limit + 1 - (long long)n);
		}
		while (!failed && sqlite3_step(st) == SQLITE_ROW) {
			if ((long)n == q->limit) {
				more = 1;
				break;
			}
			last_seq = sqlite3_column_int64(st, 0);
			long long stored = sqlite3_column_int64(st, 2);
			if (stored > modified)
				modified = stored;
			seqs[n] = last_seq;
			if (n++ > 0)
				text_add(&body, ",", 1);
			failed = add_statement(x, &body, (const char *)sqlite3_column_text(st, 1),
					       (size_t)sqlite3_column_bytes(st, 1), q->format) != 0;
		}
		if (!by_parts || part == part_last)
			break;
	}
	char *token = more ? more_token(x, last_seq, q->max_seq) : NULL;
	text_add(&body, "],\"more\":\"", 10);
	if (token) {
		/* base64url: nothing in it needs escaping in JSON */
		text_add(&body, "/xapi/statements?more=", 22);
		text_add(&body, token, strlen(token));
		free(token);
	}
	text_add(&body, "\"}", 2);
	char headers[256];
	time_headers(headers, sizeof(headers), consistent, modified ? modified : consistent);
	if (failed || body.failed || (more && !token)) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 503, "unavailable", "the statements could not be assembled");
	} else {
		send_result(x, c, body.p, q->attachments, seqs, n, headers);
	}
	free(body.p);
	free(seqs);
}

void lrs_statements_get(struct lrs_ctx *x)
{
	const char *sid = lrs_param(x, "statementId");
	const char *vid = lrs_param(x, "voidedStatementId");
	if (sid || vid) {
		get_single(x, sid ? sid : vid, sid ? 0 : 1);
		return;
	}
	struct query q;
	memset(&q, 0, sizeof(q));
	const char *more = lrs_param(x, "more");
	if (more) {
		if (json_object_size(x->params) != 1) {
			lrs_send_error(x, 400, "bad_parameter", "more takes no other parameters");
			return;
		}
		char token[4096];
		snprintf(token, sizeof(token), "%s", more);
		if (open_more(x, token, &q) != 0)
			return;
	}
	long long cursor = q.cursor, max_seq = q.max_seq;
	if (parse_query(x, &q) != 0)
		return;
	q.cursor = cursor;
	q.max_seq = max_seq;
	run_query(x, &q);
}
