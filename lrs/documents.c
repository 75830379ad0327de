/* documents.c: the xAPI document resources (State, Activity Profile, Agent
 * Profile) and the Activities and Agents resources.
 *
 * Every document lives in one table (documents, 002_lrs.sql) keyed by kind
 * and the parts that identify it; parts a resource does not use are ''.
 * A request is handled in three steps: its parameters are checked and turned
 * into a struct doc_ref (parse_ref), then a read goes to a pooled reader
 * connection, and a write (PUT, POST, DELETE) goes to the writer as one job
 * that reads the current document, evaluates If-Match / If-None-Match and
 * merges inside the writer's transaction, so concurrent writers never lose
 * each other's keys and preconditions are checked against what is written.
 *
 * ETags are the quoted SHA-1 hex of the content (xAPI 1.0.3; 2.0 keeps any
 * strong validator). Concurrency rules differ by version, as the spec and
 * the ADL conformance suite have them:
 *   - a PUT without If-Match or If-None-Match to an existing document is
 *     409, except State in 1.0.3, which may be overwritten freely;
 *   - in 1.0.3 a PUT to an Activity or Agent Profile without either header
 *     is 400 even when the document does not exist yet.
 * POST merges when the stored and the new document are both JSON objects
 * (application/json) and is 400 when either is not; POST to a missing
 * document stores it as PUT would. Any other content type is stored and
 * returned byte for byte with its Content-Type. */
#include "documents.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "agent.h"
#include "db.h"
#include "json_text.h"
#include "mail_buf.h"
#include "server.h"
#include "sha1.h"
#include "validate.h"

enum doc_kind { DOC_STATE = 1, DOC_ACTIVITY_PROFILE = 2, DOC_AGENT_PROFILE = 3 };

#define AGENT_KEY_MAX 8192 /* longer agent identifiers are refused with 400 */
#define CONTENT_TYPE_MAX 256
#define ETAG_SIZE 44 /* '"' + 40 hex + '"' + NUL, rounded */

/* The document (doc_id set) or set of documents a request is about. */
struct doc_ref {
	enum doc_kind kind;
	const char *activity;     /* "" when not part of the key */
	char agent[AGENT_KEY_MAX]; /* lrs_agent_key, "" when not part of the key */
	char registration[40];    /* lowercase UUID, "" when absent */
	int has_registration;
	const char *doc_id;       /* NULL: every document of the context */
	long long since_ms;       /* LLONG_MIN when absent */
};

/* ---- small helpers ---- */

static const char *const day_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

const char *lrs_http_date(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, size, "Thu, 01 Jan 1970 00:00:00 GMT");
		return buf;
	}
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", day_names[tm.tm_wday % 7],
		 tm.tm_mday, month_names[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec);
	return buf;
}

static void etag_of(const void *data, size_t len, char etag[ETAG_SIZE])
{
	char hex[41];
	lrs_sha1_hex(data, len, hex);
	snprintf(etag, ETAG_SIZE, "\"%s\"", hex);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

int lrs_etag_list_matches(const char *header, const char *etag)
{
	if (!header || !etag)
		return 0;
	size_t elen = strlen(etag);
	/* The stored tag without its quotes, for clients that drop them. */
	const char *bare = etag;
	size_t blen = elen;
	if (blen >= 2 && bare[0] == '"' && bare[blen - 1] == '"') {
		bare++;
		blen -= 2;
	}
	const char *p = header;
	while (*p) {
		while (is_space(*p) || *p == ',')
			p++;
		const char *start = p;
		while (*p && *p != ',')
			p++;
		const char *end = p;
		while (end > start && is_space(end[-1]))
			end--;
		if (end - start >= 2 && start[0] == 'W' && start[1] == '/')
			start += 2;
		size_t len = (size_t)(end - start);
		if (len == 0)
			continue;
		if (len == 1 && start[0] == '*')
			return 1;
		if (len == elen && memcmp(start, etag, len) == 0)
			return 1;
		if (len == blen && strncasecmp(start, bare, len) == 0)
			return 1;
	}
	return 0;
}

static int is_wildcard(const char *header)
{
	while (is_space(*header))
		header++;
	if (*header != '*')
		return 0;
	header++;
	while (is_space(*header))
		header++;
	return *header == '\0';
}

/* A conditional header, or NULL when absent or blank. */
static const char *cond_header(const struct lrs_ctx *x, const char *name)
{
	const char *v = lrs_header(x, name);
	if (!v)
		return NULL;
	for (const char *p = v; *p; p++)
		if (!is_space(*p))
			return v;
	return NULL;
}

static int media_type_is_json(const char *ct)
{
	static const char json[] = "application/json";
	while (is_space(*ct))
		ct++;
	if (strncasecmp(ct, json, sizeof(json) - 1) != 0)
		return 0;
	char next = ct[sizeof(json) - 1];
	return next == '\0' || next == ';' || is_space(next);
}

/* The Content-Type the document is stored with: the request's, trimmed, or
 * application/octet-stream when there is none. With the alternate syntax
 * only the form's Content-Type counts (the request's own is the form's).
 * Returns 0, or -1 after answering 400. */
static int doc_content_type(struct lrs_ctx *x, char *out, size_t size)
{
	const char *ct = NULL;
	if (x->form_headers) {
		const char *key;
		json_t *v;
		json_object_foreach(x->form_headers, key, v)
			if (strcasecmp(key, "Content-Type") == 0)
				ct = json_string_value(v);
	} else {
		ct = lrs_header(x, "Content-Type");
	}
	while (ct && is_space(*ct))
		ct++;
	size_t len = ct ? strlen(ct) : 0;
	while (len > 0 && is_space(ct[len - 1]))
		len--;
	if (len == 0) {
		snprintf(out, size, "application/octet-stream");
		return 0;
	}
	if (len >= size || len >= CONTENT_TYPE_MAX) {
		lrs_send_error(x, 400, "bad_content_type", "the Content-Type is longer than %d bytes",
			       CONTENT_TYPE_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)ct[i];
		if (c < 0x20 || c == 0x7f) {
			lrs_send_error(x, 400, "bad_content_type",
				       "the Content-Type contains control characters");
			return -1;
		}
	}
	memcpy(out, ct, len);
	out[len] = '\0';
	return 0;
}

/* Answers a body; for HEAD (also HEAD through the alternate syntax) without
 * it. */
static void send_body(struct lrs_ctx *x, int status, const char *content_type, const void *body,
		      size_t len, const char *headers)
{
	if (x->method == HTTP_HEAD && x->req->method != HTTP_HEAD)
		len = 0;
	lrs_send(x, status, content_type, len ? body : "", len, headers);
}

/* ---- parameters ---- */

/* 400 for any parameter not in allowed (NULL-terminated). */
static int check_params(struct lrs_ctx *x, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(x->params, key, v) {
		int known = 0;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(key, *a) == 0)
				known = 1;
		if (!known) {
			lrs_send_error(x, 400, "bad_parameter",
				       "unknown parameter %.64s for /xapi/%s", key, x->resource);
			return -1;
		}
	}
	return 0;
}

/* The agent parameter: JSON text of an Agent (or identified Group). Returns
 * the parsed object (caller frees) with its key in key, or NULL after
 * answering 400. */
static json_t *parse_agent_param(struct lrs_ctx *x, char *key, size_t size)
{
	const char *text = lrs_param(x, "agent");
	if (!text) {
		lrs_send_error(x, 400, "missing_parameter", "the agent parameter is required");
		return NULL;
	}
	json_error_t jerr;
	json_t *agent = http_json_depth_ok(text, strlen(text), HTTP_JSON_MAX_DEPTH)
			? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (!json_is_object(agent)) {
		json_decref(agent);
		lrs_send_error(x, 400, "bad_parameter",
			       "the agent parameter must be an Agent as a JSON object");
		return NULL;
	}
	struct lrs_verror e;
	memset(&e, 0, sizeof(e));
	if (lrs_validate_agent_param(agent, x->version, &e) != 0) {
		json_decref(agent);
		lrs_send_error(x, 400, "bad_parameter", "the agent parameter is not valid: %s%s%s",
			       e.path, e.path[0] ? ": " : "", e.rule);
		return NULL;
	}
	if (lrs_agent_key(agent, key, size) != 0) {
		json_decref(agent);
		lrs_send_error(x, 400, "bad_parameter",
			       "the agent parameter must have exactly one identifier "
			       "(mbox, mbox_sha1sum, openid or account)");
		return NULL;
	}
	return agent;
}

/* The activityId parameter, or NULL after answering 400. */
static const char *parse_activity_param(struct lrs_ctx *x)
{
	const char *id = lrs_param(x, "activityId");
	if (!id) {
		lrs_send_error(x, 400, "missing_parameter", "the activityId parameter is required");
		return NULL;
	}
	if (!lrs_is_iri(id)) {
		lrs_send_error(x, 400, "bad_parameter", "activityId must be an IRI");
		return NULL;
	}
	return id;
}

static const char *const state_params[] = { "activityId", "agent", "registration", "stateId",
					    "since", NULL };
static const char *const activity_profile_params[] = { "activityId", "profileId", "since", NULL };
static const char *const agent_profile_params[] = { "agent", "profileId", "since", NULL };

/* Checks the request's parameters for a document resource and fills ref.
 * Returns 0, or -1 after answering 400. */
static int parse_ref(struct lrs_ctx *x, enum doc_kind kind, struct doc_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->kind = kind;
	ref->activity = "";
	ref->since_ms = LLONG_MIN;
	const char *id_name = kind == DOC_STATE ? "stateId" : "profileId";
	const char *const *allowed = kind == DOC_STATE ? state_params
				   : kind == DOC_ACTIVITY_PROFILE ? activity_profile_params
				   : agent_profile_params;
	if (check_params(x, allowed) != 0)
		return -1;
	if (kind != DOC_AGENT_PROFILE && !(ref->activity = parse_activity_param(x)))
		return -1;
	if (kind != DOC_ACTIVITY_PROFILE) {
		json_t *agent = parse_agent_param(x, ref->agent, sizeof(ref->agent));
		if (!agent)
			return -1;
		json_decref(agent);
	}
	const char *reg = lrs_param(x, "registration");
	if (reg) {
		if (strlen(reg) != 36 || !lrs_is_uuid(reg)) {
			lrs_send_error(x, 400, "bad_parameter", "registration must be a UUID");
			return -1;
		}
		for (int i = 0; i < 36; i++)
			ref->registration[i] = (char)((reg[i] >= 'A' && reg[i] <= 'Z') ? reg[i] + 32
										    : reg[i]);
		ref->registration[36] = '\0';
		ref->has_registration = 1;
	}
	ref->doc_id = lrs_param(x, id_name);
	if (ref->doc_id && ref->doc_id[0] == '\0') {
		lrs_send_error(x, 400, "bad_parameter", "%s must not be empty", id_name);
		return -1;
	}
	int id_required = x->method == HTTP_PUT || x->method == HTTP_POST ||
			  (x->method == HTTP_DELETE && kind != DOC_STATE);
	if (!ref->doc_id && id_required) {
		lrs_send_error(x, 400, "missing_parameter", "the %s parameter is required", id_name);
		return -1;
	}
	const char *since = lrs_param(x, "since");
	if (since) {
		long long ms;
		if (lrs_parse_timestamp(since, &ms) != 0) {
			lrs_send_error(x, 400, "bad_parameter", "since must be an ISO 8601 timestamp");
			return -1;
		}
		ref->since_ms = ms;
	}
	return 0;
}

static void bind_key(sqlite3_stmt *st, const struct doc_ref *ref)
{
	sqlite3_bind_int(st, 1, ref->kind);
	sqlite3_bind_text(st, 2, ref->activity, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ref->agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ref->registration, -1, SQLITE_STATIC);
	if (ref->doc_id)
		sqlite3_bind_text(st, 5, ref->doc_id, -1, SQLITE_STATIC);
}

/* ---- JSON Document Merge ---- */

/* One top-level property of a JSON object text: raw spans of the key (with
 * its quotes) and of the value, and the key decoded for comparisons. */
struct member {
	size_t key_at, key_end, val_at, val_end;
	const char *name; /* points into the text, or into decoded */
	size_t name_len;
	json_t *decoded;  /* the key when it had escapes */
};

struct members {
	struct member *m;
	size_t n, cap;
	json_t *index; /* name -> member number */
};

static void members_free(struct members *ms)
{
	for (size_t i = 0; i < ms->n; i++)
		json_decref(ms->m[i].decoded);
	free(ms->m);
	json_decref(ms->index);
	memset(ms, 0, sizeof(*ms));
}

static size_t skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

static size_t skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

static size_t skip_value(const char *s, size_t i, size_t n)
{
	if (i >= n)
		return n;
	if (s[i] == '"')
		return skip_string(s, i, n);
	if (s[i] == '{' || s[i] == '[') {
		size_t depth = 0;
		while (i < n) {
			char c = s[i];
			if (c == '"') {
				i = skip_string(s, i, n);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return n;
	}
	while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
	       s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
		i++;
	return i;
}

/* Validates text as a JSON object without repeated property names and lists
 * its properties. Returns 0, -1 when it is not such an object, -3 out of
 * memory. The structural scan relies on jansson having validated the text. */
static int members_scan(const char *s, size_t n, struct members *ms)
{
	memset(ms, 0, sizeof(*ms));
	json_error_t jerr;
	if (!http_json_depth_ok(s, n, HTTP_JSON_MAX_DEPTH))
		return -1;
	json_t *whole = json_loadb(s, n, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL |
				   JSON_ALLOW_NUL, &jerr);
	int is_obj = json_is_object(whole);
	json_decref(whole);
	if (!is_obj)
		return -1;
	ms->index = json_object();
	if (!ms->index)
		return -3;
	size_t i = skip_ws(s, 0, n);
	if (i >= n || s[i] != '{')
		goto bad;
	i = skip_ws(s, i + 1, n);
	if (i < n && s[i] == '}')
		return 0;
	while (i < n) {
		struct member mb;
		memset(&mb, 0, sizeof(mb));
		if (s[i] != '"')
			goto bad;
		mb.key_at = i;
		mb.key_end = skip_string(s, i, n);
		i = skip_ws(s, mb.key_end, n);
		if (i >= n || s[i] != ':')
			goto bad;
		mb.val_at = skip_ws(s, i + 1, n);
		mb.val_end = skip_value(s, mb.val_at, n);
		if (mb.val_end <= mb.val_at)
			goto bad;
		if (memchr(s + mb.key_at + 1, '\\', mb.key_end - mb.key_at - 2)) {
			mb.decoded = json_loadb(s + mb.key_at, mb.key_end - mb.key_at,
						JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
			if (!json_is_string(mb.decoded)) {
				json_decref(mb.decoded);
				goto bad;
			}
			mb.name = json_string_value(mb.decoded);
			mb.name_len = json_string_length(mb.decoded);
		} else {
			mb.name = s + mb.key_at + 1;
			mb.name_len = mb.key_end - mb.key_at - 2;
		}
		if (ms->n == ms->cap) {
			size_t cap = ms->cap ? ms->cap * 2 : 16;
			struct member *m = realloc(ms->m, cap * sizeof(*m));
			if (!m) {
				json_decref(mb.decoded);
				return -3;
			}
			ms->m = m;
			ms->cap = cap;
		}
		ms->m[ms->n] = mb;
		ms->n++;
		if (json_object_setn_new(ms->index, mb.name, mb.name_len,
					 json_integer((json_int_t)(ms->n - 1))) != 0)
			goto bad;
		i = skip_ws(s, mb.val_end, n);
		if (i < n && s[i] == ',') {
			i = skip_ws(s, i + 1, n);
			continue;
		}
		if (i < n && s[i] == '}')
			return 0;
		goto bad;
	}
bad:
	return -1;
}

static void add_member(struct mail_buf *b, int *first, const char *ktext, const struct member *k,
		       const char *vtext, const struct member *v)
{
	if (!*first)
		mail_buf_add(b, ",", 1);
	*first = 0;
	mail_buf_add(b, ktext + k->key_at, k->key_end - k->key_at);
	mail_buf_add(b, ":", 1);
	mail_buf_add(b, vtext + v->val_at, v->val_end - v->val_at);
}

/* The merged text of two scanned objects. Returns 0 or -3. */
static int members_merge(const char *stored, const struct members *sm, const char *update,
			 const struct members *um, char **out, size_t *out_len)
{
	char *used = calloc(um->n + 1, 1);
	if (!used)
		return -3;
	struct mail_buf b = { 0 };
	int first = 1;
	mail_buf_add(&b, "{", 1);
	for (size_t i = 0; i < sm->n; i++) {
		const struct member *s = &sm->m[i];
		json_t *hit = json_object_getn(um->index, s->name, s->name_len);
		if (hit) {
			size_t k = (size_t)json_integer_value(hit);
			used[k] = 1;
			add_member(&b, &first, stored, s, update, &um->m[k]);
		} else {
			add_member(&b, &first, stored, s, stored, s);
		}
	}
	for (size_t k = 0; k < um->n; k++)
		if (!used[k])
			add_member(&b, &first, update, &um->m[k], update, &um->m[k]);
	mail_buf_add(&b, "}", 1);
	free(used);
	*out_len = b.len;
	*out = mail_buf_take(&b);
	return *out ? 0 : -3;
}

int lrs_document_merge(const char *stored, size_t stored_len, const char *update,
		       size_t update_len, char **out, size_t *out_len)
{
	struct members sm, um;
	*out = NULL;
	*out_len = 0;
	int rc = members_scan(stored, stored_len, &sm);
	if (rc != 0) {
		members_free(&sm);
		return rc;
	}
	rc = members_scan(update, update_len, &um);
	if (rc != 0) {
		members_free(&sm);
		members_free(&um);
		return rc == -1 ? -2 : rc;
	}
	rc = members_merge(stored, &sm, update, &um, out, out_len);
	members_free(&sm);
	members_free(&um);
	return rc;
}

/* ---- preconditions ---- */

/* The outcome of a write that did not happen. */
struct refusal {
	int status;
	const char *error;
	char detail[200];
};

static int refuse(struct refusal *r, int status, const char *error, const char *detail)
{
	r->status = status;
	r->error = error;
	snprintf(r->detail, sizeof(r->detail), "%s", detail);
	return DB_INVALID;
}

/* If-Match / If-None-Match against the document as it is now (exists, with
 * etag). Returns 0 when the request may go on, DB_INVALID with r filled. */
static int check_conditions(const char *if_match, const char *if_none_match, int exists,
			    const char *etag, struct refusal *r)
{
	if (if_match && (!exists || !lrs_etag_list_matches(if_match, etag)))
		return refuse(r, 412, "precondition_failed",
			      exists ? "If-Match does not name the document's current ETag"
				     : "If-Match was given but the document does not exist");
	if (if_none_match && exists && (is_wildcard(if_none_match) ||
					lrs_etag_list_matches(if_none_match, etag)))
		return refuse(r, 412, "precondition_failed",
			      is_wildcard(if_none_match)
				      ? "If-None-Match: * was given but the document exists"
				      : "If-None-Match names the document's current ETag");
	return 0;
}

/* ---- writes ---- */

struct write_job {
	const struct doc_ref *ref;
	enum lrs_version version;
	int post;
	const char *if_match, *if_none_match;
	const char *body;
	size_t len;
	const char *content_type;
	int is_json;
	const struct members *update; /* POST of a JSON object: its properties */
	size_t max_len;                /* largest merged document */
	char etag[ETAG_SIZE];          /* of body */
	/* results */
	struct refusal refused;
	char etag_out[ETAG_SIZE];
};

/* Decides what a PUT or POST writes, given the document as stored now.
 * st is the SELECT positioned on it (exists) or done. Returns 0 with
 * *content, *len and *content_type set (*merged is the merge result to
 * free), or DB_INVALID with j->refused filled, or DB_ERROR. */
static int write_decide(struct write_job *j, sqlite3_stmt *st, int exists, const char *etag,
			const char **content, size_t *len, const char **content_type,
			char **merged)
{
	const struct doc_ref *ref = j->ref;
	int rc = check_conditions(j->if_match, j->if_none_match, exists, etag, &j->refused);
	if (rc != 0)
		return rc;
	if (!j->post && !j->if_match && !j->if_none_match) {
		if (exists && !(ref->kind == DOC_STATE && j->version == LRS_V103))
			return refuse(&j->refused, 409, "conflict",
				      "the document exists: send If-Match with its ETag to replace "
				      "it, or POST to merge into it");
		if (!exists && ref->kind != DOC_STATE && j->version == LRS_V103)
			return refuse(&j->refused, 400, "missing_precondition",
				      "a PUT to a profile needs If-Match (to replace) or "
				      "If-None-Match: * (to create)");
	}
	*content = j->body;
	*len = j->len;
	*content_type = j->content_type;
	snprintf(j->etag_out, sizeof(j->etag_out), "%s", j->etag);
	if (!j->post || !exists)
		return 0;
	const char *stored_ct = (const char *)sqlite3_column_text(st, 0);
	if (!j->is_json || !stored_ct || !media_type_is_json(stored_ct))
		return refuse(&j->refused, 400, "cannot_merge",
			      "POST merges only when the stored and the new document are both "
			      "application/json objects");
	const char *stored = sqlite3_column_blob(st, 1);
	size_t stored_len = (size_t)sqlite3_column_bytes(st, 1);
	struct members sm;
	rc = members_scan(stored ? stored : "", stored_len, &sm);
	if (rc == 0)
		rc = members_merge(stored, &sm, j->body, j->update, merged, len);
	members_free(&sm);
	if (rc == -1)
		return refuse(&j->refused, 400, "cannot_merge",
			      "the stored document is not a JSON object, so POST cannot merge "
			      "into it");
	if (rc != 0)
		return DB_ERROR;
	if (*len > j->max_len)
		return refuse(&j->refused, 413, "too_large",
			      "the merged document would be larger than max_body_bytes");
	*content = *merged;
	*content_type = "application/json";
	etag_of(*merged, *len, j->etag_out);
	return 0;
}

static int write_job_run(struct db_conn *c, void *arg)
{
	struct write_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT content_type, content, etag FROM documents "
				      "WHERE kind = ?1 AND activity = ?2 AND agent = ?3 "
				      "AND registration = ?4 AND doc_id = ?5");
	if (!st)
		return DB_ERROR;
	bind_key(st, j->ref);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_step_error(c, rc, "document_read");
	int exists = rc == SQLITE_ROW;
	char etag[ETAG_SIZE] = "";
	if (exists)
		snprintf(etag, sizeof(etag), "%s", (const char *)sqlite3_column_text(st, 2));
	const char *content = NULL, *content_type = NULL;
	size_t len = 0;
	char *merged = NULL;
	rc = write_decide(j, st, exists, etag, &content, &len, &content_type, &merged);
	sqlite3_reset(st); /* the stored content is no longer needed */
	if (rc != 0) {
		free(merged);
		return rc;
	}
	st = db_stmt(c, "INSERT INTO documents(kind, activity, agent, registration, doc_id, "
			"content_type, content, etag, updated_ms) "
			"VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
			"ON CONFLICT(kind, activity, agent, registration, doc_id) DO UPDATE SET "
			"content_type = excluded.content_type, content = excluded.content, "
			"etag = excluded.etag, updated_ms = excluded.updated_ms");
	if (!st) {
		free(merged);
		return DB_ERROR;
	}
	bind_key(st, j->ref);
	sqlite3_bind_text(st, 6, content_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, content ? content : "", (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, j->etag_out, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, lrs_now_ms());
	rc = db_exec_stmt(c, st, "document_write");
	free(merged);
	return rc;
}

static void send_write_result(struct lrs_ctx *x, int rc, const struct refusal *r,
			      const char *etag)
{
	if (r->status) {
		lrs_send_error(x, r->status, r->error, "%s", r->detail);
	} else if (rc == DB_OK) {
		char headers[96];
		if (etag && etag[0])
			snprintf(headers, sizeof(headers), "ETag: %s\r\n", etag);
		else
			headers[0] = '\0';
		lrs_send_empty(x, 204, headers[0] ? headers : NULL);
	} else if (rc == DB_STOPPED) {
		lrs_send_error(x, 503, "unavailable", "the server is shutting down");
	} else {
		lrs_send_error(x, 500, "internal", "the document could not be stored");
	}
}

static void doc_write(struct lrs_ctx *x, const struct doc_ref *ref)
{
	struct write_job j;
	struct members um;
	char content_type[CONTENT_TYPE_MAX];
	memset(&j, 0, sizeof(j));
	memset(&um, 0, sizeof(um));
	if (doc_content_type(x, content_type, sizeof(content_type)) != 0)
		return;
	if (x->body_len > INT_MAX) {
		lrs_send_error(x, 413, "too_large", "the document is too large");
		return;
	}
	j.ref = ref;
	j.version = x->version;
	j.post = x->method == HTTP_POST;
	j.if_match = cond_header(x, "If-Match");
	j.if_none_match = cond_header(x, "If-None-Match");
	j.body = x->body ? x->body : "";
	j.len = x->body ? x->body_len : 0;
	j.content_type = content_type;
	j.is_json = media_type_is_json(content_type);
	j.max_len = x->srv->cfg.max_body_bytes > 0 ? (size_t)x->srv->cfg.max_body_bytes : INT_MAX;
	if (j.max_len > INT_MAX)
		j.max_len = INT_MAX;
	if (j.post && j.is_json) {
		int rc = members_scan(j.body, j.len, &um);
		if (rc != 0) {
			members_free(&um);
			if (rc == -1)
				lrs_send_error(x, 400, "bad_document",
					       "a POSTed application/json document must be a JSON "
					       "object (with no repeated property names)");
			else
				lrs_send_error(x, 503, "unavailable", "out of memory");
			return;
		}
		j.update = &um;
	}
	etag_of(j.body, j.len, j.etag);
	int rc = db_write(x->srv->db, write_job_run, &j);
	send_write_result(x, rc, &j.refused, j.etag_out);
	members_free(&um);
}

struct delete_job {
	const struct doc_ref *ref;
	const char *if_match, *if_none_match;
	struct refusal refused;
};

static int delete_job_run(struct db_conn *c, void *arg)
{
	struct delete_job *j = arg;
	const struct doc_ref *ref = j->ref;
	sqlite3_stmt *st;
	int rc;
	if (!ref->doc_id) {
		st = db_stmt(c, "DELETE FROM documents WHERE kind = ?1 AND activity = ?2 "
				"AND agent = ?3 AND (?4 IS NULL OR registration = ?4)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int(st, 1, ref->kind);
		sqlite3_bind_text(st, 2, ref->activity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ref->agent, -1, SQLITE_STATIC);
		if (ref->has_registration)
			sqlite3_bind_text(st, 4, ref->registration, -1, SQLITE_STATIC);
		return db_exec_stmt(c, st, "documents_delete_all");
	}
	if (j->if_match || j->if_none_match) {
		st = db_stmt(c, "SELECT etag FROM documents WHERE kind = ?1 AND activity = ?2 "
				"AND agent = ?3 AND registration = ?4 AND doc_id = ?5");
		if (!st)
			return DB_ERROR;
		bind_key(st, ref);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return db_step_error(c, rc, "document_read");
		char etag[ETAG_SIZE] = "";
		if (rc == SQLITE_ROW)
			snprintf(etag, sizeof(etag), "%s", (const char *)sqlite3_column_text(st, 0));
		rc = check_conditions(j->if_match, j->if_none_match, rc == SQLITE_ROW, etag,
				      &j->refused);
		sqlite3_reset(st);
		if (rc != 0)
			return rc;
	}
	st = db_stmt(c, "DELETE FROM documents WHERE kind = ?1 AND activity = ?2 AND agent = ?3 "
			"AND registration = ?4 AND doc_id = ?5");
	if (!st)
		return DB_ERROR;
	bind_key(st, ref);
	return db_exec_stmt(c, st, "document_delete");
}

static void doc_delete(struct lrs_ctx *x, const struct doc_ref *ref)
{
	struct delete_job j;
	memset(&j, 0, sizeof(j));
	j.ref = ref;
	if (ref->doc_id) {
		j.if_match = cond_header(x, "If-Match");
		j.if_none_match = cond_header(x, "If-None-Match");
	}
	int rc = db_write(x->srv->db, delete_job_run, &j);
	send_write_result(x, rc, &j.refused, NULL);
}

/* ---- reads ---- */

static void doc_get(struct lrs_ctx *x, const struct doc_ref *ref)
{
	struct db_conn *c = db_reader_get(x->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT content_type, content, etag, updated_ms "
				      "FROM documents WHERE kind = ?1 AND activity = ?2 "
				      "AND agent = ?3 AND registration = ?4 AND doc_id = ?5");
	if (!st) {
		db_reader_put(x->srv->db, c);
		lrs_send_error(x, 500, "internal", "the document could not be read");
		return;
	}
	bind_key(st, ref);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if (rc != SQLITE_DONE)
			db_step_error(c, rc, "document_get");
		db_reader_put(x->srv->db, c);
		if (rc == SQLITE_DONE)
			lrs_send_error(x, 404, "not_found", "no such document");
		else
			lrs_send_error(x, 500, "internal", "the document could not be read");
		return;
	}
	/* Copy out and give the connection back before writing to the network. */
	char content_type[CONTENT_TYPE_MAX], etag[ETAG_SIZE];
	snprintf(content_type, sizeof(content_type), "%s",
		 (const char *)sqlite3_column_text(st, 0));
	snprintf(etag, sizeof(etag), "%s", (const char *)sqlite3_column_text(st, 2));
	long long updated = sqlite3_column_int64(st, 3);
	size_t len = (size_t)sqlite3_column_bytes(st, 1);
	const void *blob = sqlite3_column_blob(st, 1);
	char *content = malloc(len + 1);
	if (content && len)
		memcpy(content, blob, len);
	db_reader_put(x->srv->db, c);
	if (!content) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	char date[40], headers[160];
	snprintf(headers, sizeof(headers), "ETag: %s\r\nLast-Modified: %s\r\n", etag,
		 lrs_http_date(updated, date, sizeof(date)));
	send_body(x, 200, content_type, content, len, headers);
	free(content);
}

/* GET without a document id: the ids of the matching documents. */
static void doc_list(struct lrs_ctx *x, const struct doc_ref *ref)
{
	json_t *ids = json_array();
	if (!ids) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	struct db_conn *c = db_reader_get(x->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT doc_id, MAX(updated_ms) FROM documents "
				      "WHERE kind = ?1 AND activity = ?2 AND agent = ?3 "
				      "AND (?4 IS NULL OR registration = ?4) AND updated_ms > ?5 "
				      "GROUP BY doc_id");
	int rc = SQLITE_ERROR;
	long long latest = 0;
	if (st) {
		sqlite3_bind_int(st, 1, ref->kind);
		sqlite3_bind_text(st, 2, ref->activity, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, ref->agent, -1, SQLITE_STATIC);
		if (ref->has_registration)
			sqlite3_bind_text(st, 4, ref->registration, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, ref->since_ms);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *id = (const char *)sqlite3_column_text(st, 0);
			long long updated = sqlite3_column_int64(st, 1);
			if (updated > latest)
				latest = updated;
			if (json_array_append_new(ids, json_string(id ? id : "")) != 0) {
				rc = SQLITE_NOMEM;
				break;
			}
		}
		if (rc != SQLITE_DONE)
			db_step_error(c, rc, "documents_list");
	}
	db_reader_put(x->srv->db, c);
	if (rc != SQLITE_DONE) {
		json_decref(ids);
		lrs_send_error(x, 500, "internal", "the documents could not be listed");
		return;
	}
	char *text = json_dumps(ids, JSON_COMPACT);
	json_decref(ids);
	if (!text) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	char date[40], headers[80] = "";
	if (latest > 0)
		snprintf(headers, sizeof(headers), "Last-Modified: %s\r\n",
			 lrs_http_date(latest, date, sizeof(date)));
	send_body(x, 200, "application/json", text, strlen(text), headers[0] ? headers : NULL);
	free(text);
}

static void doc_handle(struct lrs_ctx *x, enum doc_kind kind)
{
	struct doc_ref ref;
	if (parse_ref(x, kind, &ref) != 0)
		return;
	switch (x->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		if (ref.doc_id)
			doc_get(x, &ref);
		else
			doc_list(x, &ref);
		break;
	case HTTP_PUT:
	case HTTP_POST:
		doc_write(x, &ref);
		break;
	case HTTP_DELETE:
		doc_delete(x, &ref);
		break;
	default:
		lrs_send_error(x, 405, "method_not_allowed", "%s does not accept this method",
			       x->resource);
	}
}

void lrs_state(struct lrs_ctx *x)
{
	doc_handle(x, DOC_STATE);
}

void lrs_activity_profile(struct lrs_ctx *x)
{
	doc_handle(x, DOC_ACTIVITY_PROFILE);
}

void lrs_agent_profile(struct lrs_ctx *x)
{
	doc_handle(x, DOC_AGENT_PROFILE);
}

/* ---- Activities and Agents ---- */

static int read_only(struct lrs_ctx *x)
{
	if (x->method == HTTP_GET || x->method == HTTP_HEAD)
		return 0;
	lrs_send_error(x, 405, "method_not_allowed", "/xapi/%s only answers GET", x->resource);
	return -1;
}

/* The Activity with its canonical definition; an Activity with only its id
 * when the LRS has none (xAPI 2.0 asks for that; 1.0.3 allows it). */
void lrs_activities(struct lrs_ctx *x)
{
	static const char *const allowed[] = { "activityId", NULL };
	if (read_only(x) != 0 || check_params(x, allowed) != 0)
		return;
	const char *id = parse_activity_param(x);
	if (!id)
		return;
	json_t *definition = NULL;
	struct db_conn *c = db_reader_get(x->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT definition FROM activities WHERE id = ?1");
	int rc = SQLITE_ERROR;
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
			definition = json_loadb((const char *)sqlite3_column_text(st, 0),
						(size_t)sqlite3_column_bytes(st, 0), 0, NULL);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			db_step_error(c, rc, "activity_get");
	}
	db_reader_put(x->srv->db, c);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(definition);
		lrs_send_error(x, 500, "internal", "the activity could not be read");
		return;
	}
	json_t *activity = json_pack("{s:s, s:s}", "objectType", "Activity", "id", id);
	if (!activity) {
		json_decref(definition);
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	if (json_is_object(definition) && json_object_size(definition) > 0)
		json_object_set(activity, "definition", definition);
	json_decref(definition);
	char *text = lrs_json_dumps(activity);
	json_decref(activity);
	if (!text) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	send_body(x, 200, "application/json", text, strlen(text), NULL);
	free(text);
}

/* The Person object for the agent parameter: each property of the Agent as
 * an array. The LRS keeps no identity links between agents, so the Person
 * holds what the request says about that one agent. */
void lrs_agents(struct lrs_ctx *x)
{
	static const char *const allowed[] = { "agent", NULL };
	static const char *const ifis[] = { "name", "mbox", "mbox_sha1sum", "openid", "account" };
	if (read_only(x) != 0 || check_params(x, allowed) != 0)
		return;
	char key[AGENT_KEY_MAX];
	json_t *agent = parse_agent_param(x, key, sizeof(key));
	if (!agent)
		return;
	json_t *person = json_pack("{s:s}", "objectType", "Person");
	int failed = !person;
	for (size_t i = 0; !failed && i < sizeof(ifis) / sizeof(ifis[0]); i++) {
		json_t *v = json_object_get(agent, ifis[i]);
		if (!v)
			continue;
		failed = json_object_set_new(person, ifis[i], json_pack("[O]", v)) != 0;
	}
	json_decref(agent);
	char *text = failed ? NULL : json_dumps(person, JSON_COMPACT);
	json_decref(person);
	if (!text) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	send_body(x, 200, "application/json", text, strlen(text), NULL);
	free(text);
}

/* ---- documents Vern writes itself ---- */

int lrs_state_put_internal(struct db_conn *c, const char *activity, const json_t *agent,
			   const char *registration, const char *state_id,
			   const char *content_type, const char *body, size_t len)
{
	struct doc_ref ref;
	memset(&ref, 0, sizeof(ref));
	ref.kind = DOC_STATE;
	ref.activity = activity;
	ref.doc_id = state_id;
	if (lrs_agent_key(agent, ref.agent, sizeof(ref.agent)) != 0 || len > INT_MAX)
		return DB_INVALID;
	if (registration) {
		if (strlen(registration) != 36)
			return DB_INVALID;
		for (int i = 0; i < 36; i++)
			ref.registration[i] = (char)((registration[i] >= 'A' && registration[i] <= 'Z')
						     ? registration[i] + 32 : registration[i]);
		ref.has_registration = 1;
	}
	char etag[ETAG_SIZE];
	etag_of(body, len, etag);
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO documents(kind, activity, agent, registration, doc_id, "
				      "content_type, content, etag, updated_ms) "
				      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
				      "ON CONFLICT(kind, activity, agent, registration, doc_id) DO UPDATE SET "
				      "content_type = excluded.content_type, content = excluded.content, "
				      "etag = excluded.etag, updated_ms = excluded.updated_ms");
	if (!st)
		return DB_ERROR;
	bind_key(st, &ref);
	sqlite3_bind_text(st, 6, content_type, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 7, body, (int)len, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, etag, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, lrs_now_ms());
	return db_exec_stmt(c, st, "document_write_internal");
}
