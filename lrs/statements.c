/* statements.c: storing statements (PUT and POST /xapi/statements).
 *
 * A request is handled in two halves. On the request thread: parse the
 * body (JSON or multipart/mixed with attachments), validate every
 * statement, check the attachments, assign ids, add authority and version,
 * serialise each statement, and work out its index rows. Then one writer
 * job stores the whole batch atomically (a failing statement rolls back the
 * batch): duplicate-id checks (same content is accepted, different content
 * is 409), stored timestamps (patched into the serialised JSON, so the
 * writer never serialises), voiding, index rows (keys.c: interned terms,
 * rows inherited through StatementRefs; index.c writes them in bulk,
 * behind the statements), merged activity definitions (definitions.c) and attachment
 * content. The client is answered after the commit, so a 2xx means
 * durable. */
#include "statements.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attachments.h"
#include "completions.h"
#include "config.h"
#include "db.h"
#include "decimal.h"
#include "definitions.h"
#include "extract.h"
#include "index.h"
#include "index_tail.h"
#include "json_arena.h"
#include "json_parse.h"
#include "json_text.h"
#include "keys.h"
#include "log.h"
#include "multipart.h"
#include "query.h"
#include "host.h"
#include "server.h"
#include "terms.h"
#include "validate.h"

#define VOIDED_VERB "http://adlnet.gov/expapi/verbs/voided"
/* Same length as lrs_format_time() output; patched by the writer. */
#define TIME_PLACEHOLDER "0000-00-00T00:00:00.000Z"
#define TIME_LEN 24

struct prepared {
	char id[37];
	json_t *received;       /* the statement as the client sent it (for comparison) */
	char *json;             /* serialised with placeholders */
	size_t len;
	int timestamp_absent;
	char *object_ref;       /* lowercase target id, or NULL */
	int voiding;
	const char *verb;
	struct lrs_extract ex;
	int existed;            /* set by the writer: same statement already stored */
	int may_count;          /* completions_may_count: an employee's statement */
};

struct batch {
	struct prepared *items;
	size_t n;
	long long client_id;
	const struct lrs_part *parts; /* attachment parts (1..nparts-1) */
	int nparts;
	int has_attachments;
	char error[300];        /* set by the writer on DB_CONFLICT / DB_INVALID */
	struct lrs_key_queue keys; /* writer: index rows written at the end */
	const char *home_page;  /* employees' agents: completions_on_store */
	struct json_arena *arena; /* the request's, or NULL: see prepare() */
	json_t *authority;        /* with arena: its copy of the client's authority,
				   * shared by the batch's statements */
};

/* Written only by the writer thread: stored times never go backwards. */
static long long last_stored_ms;

/* A new statement id: a UUID version 7 (RFC 9562), the time in
 * milliseconds followed by 74 random bits taken from rnd (16 bytes), so ids
 * the LRS makes sort by time and join the statements id index at its end
 * instead of at a random page (a random page costs a page write per
 * statement). */
static void uuid_v7(char *out, const unsigned char *rnd)
{
	unsigned char b[16];
	memcpy(b, rnd, sizeof(b));
	unsigned long long ms = (unsigned long long)lrs_now_ms();
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
}

static void lowercase_copy(char *dst, const char *src, size_t size)
{
	size_t i = 0;
	for (; src[i] && i + 1 < size; i++)
		dst[i] = (char)((src[i] >= 'A' && src[i] <= 'Z') ? src[i] + 32 : src[i]);
	dst[i] = '\0';
}

static void free_batch(struct batch *b)
{
	/* the copies are the arena's (prepare), freed with it */
	int arena_owned = json_arena_holds_all(b->arena);
	if (!arena_owned)
		json_decref(b->authority);
	for (size_t i = 0; i < b->n; i++) {
		if (!arena_owned)
			json_decref(b->items[i].received);
		free(b->items[i].json);
		free(b->items[i].object_ref);
		lrs_extract_free(&b->items[i].ex);
	}
	free(b->items);
}

/* ---- the request-thread half ---- */

/* A single context activity is stored (and returned) as an array of one. */
static void context_activities_as_arrays(json_t *st)
{
	json_t *ca = json_object_get(json_object_get(st, "context"), "contextActivities");
	const char *k;
	json_t *v;
	json_object_foreach(ca, k, v) {
		if (json_is_object(v)) {
			json_t *arr = json_array();
			json_array_append(arr, v);
			json_object_set_new(ca, k, arr);
		}
	}
	json_t *object = json_object_get(st, "object");
	const char *t = json_string_value(json_object_get(object, "objectType"));
	if (t && strcmp(t, "SubStatement") == 0)
		context_activities_as_arrays(object);
}

/* True when context_activities_as_arrays would change something below the
 * top level of st. */
static int has_single_context_activity(const json_t *st)
{
	const json_t *ca = json_object_get(json_object_get(st, "context"), "contextActivities");
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)ca, k, v)
		if (json_is_object(v))
			return 1;
	const json_t *object = json_object_get(st, "object");
	const char *t = json_string_value(json_object_get(object, "objectType"));
	return t && strcmp(t, "SubStatement") == 0 && has_single_context_activity(object);
}

/* prepare()'s changes to st itself. */
static int complete(struct lrs_ctx *x, json_t *st, const unsigned char *rnd, struct prepared *p,
		    json_t **arena_authority, char *err, size_t errsize)
{
	/* The statement as received, for comparing with a stored duplicate.
	 * Below only top-level members of st change, so a shallow copy keeps
	 * it, unless a nested context activity is wrapped in an array. */
	p->received = has_single_context_activity(st) ? json_deep_copy(st) : json_copy(st);
	const char *id = json_string_value(json_object_get(st, "id"));
	if (id)
		lowercase_copy(p->id, id, sizeof(p->id));
	else
		uuid_v7(p->id, rnd);
	json_object_set_new(st, "id", json_string(p->id));
	context_activities_as_arrays(st);

	const json_t *verb = json_object_get(st, "verb");
	p->verb = json_string_value(json_object_get(verb, "id"));
	const json_t *object = json_object_get(st, "object");
	const char *otype = json_string_value(json_object_get(object, "objectType"));
	if (otype && strcmp(otype, "StatementRef") == 0) {
		char ref[37];
		lowercase_copy(ref, json_string_value(json_object_get(object, "id")), sizeof(ref));
		p->object_ref = strdup(ref);
	}
	if (p->verb && strcmp(p->verb, VOIDED_VERB) == 0) {
		if (!p->object_ref) {
			snprintf(err, errsize, "object: a voiding statement (verb %s) must have a "
				 "StatementRef object", VOIDED_VERB);
			return -1;
		}
		p->voiding = 1;
	}

	json_object_del(st, "authority");
	json_object_del(st, "stored");
	/* the client's authority is shared: trees from the arena share the
	 * arena's copy of it (made once per request) */
	if (arena_authority && !*arena_authority &&
	    !(*arena_authority = json_deep_copy(x->client.authority))) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	json_object_set(st, "authority", arena_authority ? *arena_authority : x->client.authority);
	if (!json_object_get(st, "version"))
		json_object_set_new(st, "version", json_string(x->version == LRS_V200 ? "2.0.0" : "1.0.0"));
	p->timestamp_absent = json_object_get(st, "timestamp") == NULL;
	if (p->timestamp_absent)
		json_object_set_new(st, "timestamp", json_string(TIME_PLACEHOLDER));
	json_object_set_new(st, "stored", json_string(TIME_PLACEHOLDER));
	return 0;
}

/* Makes statement st ready to store: id (from the 16 random bytes rnd when
 * it has none), authority, version, placeholders, index rows. The values
 * it adds to st, and the copy it keeps, come from arena when there is one
 * (st is then the arena's too, and nothing in it needs freeing one by
 * one). Returns 0, or -1 with err set. */
static int prepare(struct lrs_ctx *x, json_t *st, const unsigned char *rnd, struct prepared *p,
		   struct json_arena *arena, json_t **arena_authority, char *err, size_t errsize)
{
	if (arena)
		json_arena_begin(arena);
	int rc = complete(x, st, rnd, p, arena ? arena_authority : NULL, err, errsize);
	if (arena)
		json_arena_end(arena);
	if (rc != 0)
		return -1;
	/* outside the arena: the text and the rows are freed with free() */
	p->json = lrs_json_dumps(st);
	if (!p->json || !p->received || lrs_extract(st, &p->ex) != 0) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	lrs_terms_prefind(x->srv->db, &p->ex);
	p->may_count = completions_may_count(x->srv->cfg.public_url, st);
	p->len = strlen(p->json);
	return 0;
}

/* Patches the stored (and, when the client gave none, timestamp) value into
 * the serialised statement: they are its last properties. */
static int patch_times(struct prepared *p, const char *when)
{
	size_t stored_at = p->len - 2 - TIME_LEN;
	if (p->len < 64 || memcmp(p->json + stored_at, TIME_PLACEHOLDER, TIME_LEN) != 0)
		return -1;
	memcpy(p->json + stored_at, when, TIME_LEN);
	if (p->timestamp_absent) {
		size_t ts_at = stored_at - 12 - TIME_LEN;
		if (memcmp(p->json + ts_at, TIME_PLACEHOLDER, TIME_LEN) != 0)
			return -1;
		memcpy(p->json + ts_at, when, TIME_LEN);
	}
	return 0;
}

/* ---- the writer half ---- */

/* Equal statements per the xAPI "Statement Comparison Requirements"
 * (lrs_statements_match in attachments.c). */
static int same_statement(const json_t *received, const char *stored_json)
{
	json_t *old = json_loads(stored_json, 0, NULL);
	int same = old && lrs_statements_match(received, old);
	json_decref(old);
	return same;
}

/* Attachment content that came as parts (also for attachments that give a
 * fileUrl as well), and the link from the statement to each hash. */
static int store_attachments(struct db_conn *c, struct batch *b, const json_t *atts, long long seq)
{
	size_t ai;
	const json_t *a;
	int rc;
	json_array_foreach(atts, ai, a) {
		const char *sha2 = json_string_value(json_object_get(a, "sha2"));
		if (!sha2)
			continue;
		char lower[129];
		lowercase_copy(lower, sha2, sizeof(lower));
		int k = b->nparts > 1 ? lrs_attachments_find_part(b->parts, b->nparts, sha2) : -1;
		if (k < 1)
			continue;
		sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO attachments(sha2, content_type, content) "
					      "VALUES(?, ?, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, lower, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(a, "contentType")), -1,
				  SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, b->parts[k].body, (int)b->parts[k].len, SQLITE_STATIC);
		if ((rc = db_exec_stmt(c, st, "attachment_insert")) != DB_OK)
			return rc;
		st = db_stmt(c, "INSERT OR IGNORE INTO statement_attachments(seq, sha2) VALUES(?, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, lower, -1, SQLITE_STATIC);
		if ((rc = db_exec_stmt(c, st, "statement_attachment_insert")) != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* The statement already stored under p's id: the same one (accepted, not
 * stored again) or a different one (409). */
static int check_existing(struct db_conn *c, struct batch *b, struct prepared *p)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT full FROM statements WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "statement_lookup");
	if (!same_statement(p->received, (const char *)sqlite3_column_text(st, 0))) {
		snprintf(b->error, sizeof(b->error),
			 "a different statement with id %s is already stored", p->id);
		return DB_CONFLICT;
	}
	p->existed = 1;
	return DB_OK;
}

/* Inserts p with its list of index rows, unless its id is taken: then
 * it is a duplicate (p->existed) or a conflict. */
static int insert_statement(struct db_conn *c, struct batch *b, struct prepared *p,
			    long long stored_ms, const char *key_list)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO statements(id, stored_ms, verb, "
				      "object_ref, voiding, client_id, has_attachments, full, "
				      "registration, index_keys) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	const char *registration = lrs_extract_registration(&p->ex);
	sqlite3_bind_text(st, 1, p->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, stored_ms);
	sqlite3_bind_text(st, 3, p->verb, -1, SQLITE_STATIC);
	if (p->object_ref)
		sqlite3_bind_text(st, 4, p->object_ref, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p->voiding);
	sqlite3_bind_int64(st, 6, b->client_id);
	sqlite3_bind_int(st, 7, json_array_size(json_object_get(p->received, "attachments")) > 0);
	sqlite3_bind_text(st, 8, p->json, (int)p->len, SQLITE_STATIC);
	if (registration)
		sqlite3_bind_text(st, 9, registration, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, key_list, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "statement_insert");
	if (rc == DB_OK && sqlite3_changes(db_handle(c)) == 0)
		rc = check_existing(c, b, p);
	return rc;
}

/* A voiding statement may not target another voiding statement. */
static int check_voiding_target(struct db_conn *c, struct batch *b, const struct prepared *p)
{
	if (!p->voiding)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c, "SELECT voiding FROM statements WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, p->object_ref, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0)) {
		snprintf(b->error, sizeof(b->error),
			 "object.id: statement %s is a voiding statement and cannot be voided",
			 p->object_ref);
		return DB_INVALID;
	}
	return DB_OK;
}

static int store_one(struct db_conn *c, struct batch *b, struct prepared *p, const char *when,
		     long long stored_ms)
{
	if (patch_times(p, when) != 0) {
		snprintf(b->error, sizeof(b->error), "internal error preparing the statement");
		return DB_INVALID;
	}
	struct lrs_keyset keys;
	int rc = lrs_keys_of(c, &p->ex, p->object_ref, &keys);
	char *key_list = rc == DB_OK ? lrs_keys_text(&keys) : NULL;
	if (rc == DB_OK && !key_list)
		rc = DB_ERROR;
	if (rc == DB_OK)
		rc = insert_statement(c, b, p, stored_ms, key_list);
	free(key_list);
	if (rc != DB_OK || p->existed) {
		lrs_keyset_free(&keys);
		return rc;
	}
	long long seq = sqlite3_last_insert_rowid(db_handle(c));
	rc = check_voiding_target(c, b, p);
	/* Its own rows are written in bulk (index.c), from its list; rows it
	 * gives to statements stored before it are written with the batch. */
	int targeted_by_voiding = 0;
	if (rc == DB_OK)
		rc = lrs_keys_share(c, &b->keys, &keys, p->id, &targeted_by_voiding);
	if (rc == DB_OK)
		lrs_index_tail_note(c, seq, &keys, lrs_extract_registration(&p->ex));
	lrs_keyset_free(&keys);
	if (rc != DB_OK)
		return rc;
	sqlite3_stmt *st;
	if (targeted_by_voiding && !p->voiding) {
		/* A voiding statement for this one came first. */
		st = db_stmt(c, "UPDATE statements SET voided = 1 WHERE seq = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, seq);
		if ((rc = db_exec_stmt(c, st, "statement_voided_early")) != DB_OK)
			return rc;
	}

	if (p->voiding) {
		/* completions_on_store reads the index of earlier statements */
		if ((rc = lrs_index_catch_up(c)) != DB_OK)
			return rc;
		st = db_stmt(c, "UPDATE statements SET voided = 1 WHERE id = ? AND voiding = 0");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, p->object_ref, -1, SQLITE_STATIC);
		if ((rc = db_exec_stmt(c, st, "statement_void")) != DB_OK)
			return rc;
	}
	if ((p->voiding || p->may_count) &&
	    (rc = completions_on_store(c, b->home_page, p->received, p->id,
				       p->voiding ? p->object_ref : NULL, stored_ms)) != DB_OK)
		return rc;

	for (size_t i = 0; i < p->ex.nacts; i++)
		if ((rc = lrs_definition_merge(c, p->ex.acts[i].id, p->ex.acts[i].definition)) != DB_OK)
			return rc;

	const json_t *sub = json_object_get(p->received, "object");
	const json_t *lists[2] = { json_object_get(p->received, "attachments"),
				   json_object_get(sub, "attachments") };
	for (int l = 0; l < 2; l++)
		if ((rc = store_attachments(c, b, lists[l], seq)) != DB_OK)
			return rc;
	return DB_OK;
}

static int store_batch(struct db_conn *c, void *arg)
{
	struct batch *b = arg;
	long long now = lrs_now_ms();
	if (now < last_stored_ms)
		now = last_stored_ms;
	char when[32];
	lrs_format_time(now, when, sizeof(when));
	long long through, before;
	int rc = lrs_index_state(c, &through, &before);
	if (rc == DB_OK)
		lrs_index_tail_sync(c, through, before);
	for (size_t i = 0; i < b->n && rc == DB_OK; i++)
		rc = store_one(c, b, &b->items[i], when, now);
	if (rc == DB_OK)
		rc = lrs_keys_flush(c, &b->keys);
	lrs_key_queue_free(&b->keys);
	if (rc == DB_OK)
		rc = lrs_index_after_store(c, through, before, b->n);
	if (rc == DB_OK)
		last_stored_ms = now;
	return rc;
}

/* ---- request handling ---- */

static int by_id(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An id that two statements of b share, or NULL (sorted, so a batch of
 * thousands is checked quickly). */
static const char *duplicate_id(const struct batch *b)
{
	if (b->n < 2)
		return NULL;
	const char **ids = malloc(b->n * sizeof(*ids));
	if (!ids)
		return NULL;
	for (size_t i = 0; i < b->n; i++)
		ids[i] = b->items[i].id;
	qsort(ids, b->n, sizeof(*ids), by_id);
	const char *dup = NULL;
	for (size_t i = 1; i < b->n && !dup; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			dup = ids[i];
	free(ids);
	return dup;
}

/* Validates, prepares and stores the statements in arr (owned by the
 * caller). Returns the HTTP status sent on failure, or 0 with b stored. */
static int store(struct lrs_ctx *x, json_t *arr, int single, const struct lrs_part *parts,
		 int nparts, struct batch *b)
{
	size_t n = json_array_size(arr);
	if ((long)n > x->srv->cfg.lrs_max_batch) {
		lrs_send_error(x, 413, "batch_too_large", "a request may hold at most %ld statements",
			       x->srv->cfg.lrs_max_batch);
		return 413;
	}
	struct lrs_verror ve;
	for (size_t i = 0; i < n; i++) {
		/* "[i]" for a batch, without printf: once per statement */
		char path[32], *prefix = path + sizeof(path);
		*--prefix = '\0';
		if (!single) {
			*--prefix = ']';
			prefix = decimal_before(prefix, i);
			*--prefix = '[';
		}
		if (lrs_validate_statement(json_array_get(arr, i), x->version, prefix, &ve) != 0) {
			lrs_send_error(x, 400, "invalid_statement", "%s: %s", ve.path, ve.rule);
			return 400;
		}
	}
	int check = parts ? lrs_attachments_check(arr, parts, nparts, x->version, &ve)
			  : lrs_attachments_check_json_only(arr, &ve);
	if (check != 0) {
		lrs_send_error(x, 400, "invalid_attachment", "%s: %s", ve.path, ve.rule);
		return 400;
	}
	b->items = calloc(n ? n : 1, sizeof(*b->items));
	if (!b->items) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return 503;
	}
	b->client_id = x->client.id;
	b->home_page = x->srv->cfg.public_url;
	b->parts = parts;
	b->nparts = nparts;
	/* Random bits for every id we may make: a stream from one seed, since
	 * each read of the system's random source is a system call. */
	unsigned char *rnd = malloc(16 * (n ? n : 1));
	if (!rnd) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return 503;
	}
	unsigned char seed[randombytes_SEEDBYTES];
	randombytes_buf(seed, sizeof(seed));
	randombytes_buf_deterministic(rnd, 16 * (n ? n : 1), seed);
	sodium_memzero(seed, sizeof(seed));
	char err[300];
	for (size_t i = 0; i < n; i++) {
		b->n = i + 1;
		if (prepare(x, json_array_get(arr, i), rnd + 16 * i, &b->items[i], b->arena,
			    &b->authority, err, sizeof(err)) != 0) {
			free(rnd);
			lrs_send_error(x, 400, "invalid_statement", "%s", err);
			return 400;
		}
	}
	free(rnd);
	const char *dup = duplicate_id(b);
	if (dup) {
		lrs_send_error(x, 400, "duplicate_id",
			       "statement id %s appears more than once in the request", dup);
		return 400;
	}
	int rc = db_write(x->srv->db, store_batch, b);
	if (rc == DB_CONFLICT) {
		lrs_send_error(x, 409, "conflict", "%s", b->error);
		return 409;
	}
	if (rc == DB_INVALID) {
		lrs_send_error(x, 400, "invalid_statement", "%s", b->error);
		return 400;
	}
	if (rc != DB_OK) {
		lrs_send_error(x, 503, "storage_failed", "the statements were not stored; try again");
		return 503;
	}
	for (size_t i = 0; i < b->n; i++)
		if (!b->items[i].existed)
			plugin_host_on_statement(x->srv->plugins, b->items[i].verb, b->items[i].json,
						 b->items[i].len);
	return 0;
}

const char *lrs_statements_text(struct lrs_ctx *x, struct lrs_part **partsp, int *nparts,
				size_t *lenp, struct lrs_text_error *e)
{
	char ct[128];
	lrs_content_type(x, ct, sizeof(ct));
	const char *body = x->body ? x->body : "";
	size_t len = x->body_len;
	*partsp = NULL;
	*nparts = 0;
	e->status = 400;
	e->code = "bad_json";
	if (strcmp(ct, "multipart/mixed") == 0) {
		struct lrs_part *parts = *partsp = calloc(LRS_MULTIPART_MAX_PARTS, sizeof(*parts));
		if (!parts) {
			*e = (struct lrs_text_error){ 503, "unavailable", "out of memory" };
			return NULL;
		}
		e->code = "bad_multipart";
		int n = lrs_multipart_parse(lrs_header(x, "Content-Type"), body, len, parts,
					    LRS_MULTIPART_MAX_PARTS, e->detail, sizeof(e->detail));
		if (n < 1)
			return NULL;
		if (!lrs_part_is_json(&parts[0])) {
			snprintf(e->detail, sizeof(e->detail),
				 "the first part must be the statements as application/json");
			return NULL;
		}
		*nparts = n;
		body = parts[0].body;
		len = parts[0].len;
		e->code = "bad_json";
	} else if (strcmp(ct, "application/json") != 0) {
		e->code = "bad_content_type";
		snprintf(e->detail, sizeof(e->detail),
			 "statements must be sent as application/json or multipart/mixed");
		return NULL;
	}
	if (len == 0) {
		snprintf(e->detail, sizeof(e->detail), "the request has no statements");
		return NULL;
	}
	*lenp = len;
	return body;
}

/* Parses the request content into statements (JSON or multipart), its
 * values made in arena (released by the caller when the request is done).
 * On success returns the parsed JSON value and sets parts/nparts (0 for
 * plain JSON); on failure answers and returns NULL. */
static json_t *read_content(struct lrs_ctx *x, struct json_arena *arena, struct lrs_part **partsp,
			    int *nparts)
{
	struct lrs_text_error e;
	size_t len = 0;
	const char *body = lrs_statements_text(x, partsp, nparts, &len, &e);
	if (!body) {
		lrs_send_error(x, e.status, e.code, "%s", e.detail);
		return NULL;
	}
	json_error_t jerr;
	json_arena_begin(arena);
	json_t *v = lrs_json_parse_depth(body, len, HTTP_JSON_MAX_DEPTH, &jerr);
	json_arena_end(arena);
	if (!v && strcmp(jerr.text, LRS_JSON_TOO_DEEP) == 0) {
		lrs_send_error(x, 400, "bad_json", "the JSON nests deeper than %d levels",
			       HTTP_JSON_MAX_DEPTH);
		return NULL;
	}
	if (!v) {
		lrs_send_error(x, 400, "bad_json", "invalid JSON at line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
		return NULL;
	}
	return v;
}

/* Answers a POST with the ids of its statements, ["id",...]: lowercase
 * UUIDs, nothing in them to escape, so no JSON values are built for it. */
static void send_ids(struct lrs_ctx *x, const struct batch *b)
{
	size_t size = 2 + b->n * (sizeof(b->items[0].id) + 3), o = 0;
	char *text = malloc(size);
	if (!text) {
		lrs_send_error(x, 503, "unavailable", "out of memory");
		return;
	}
	text[o++] = '[';
	for (size_t i = 0; i < b->n; i++) {
		size_t len = strnlen(b->items[i].id, sizeof(b->items[i].id));
		if (i)
			text[o++] = ',';
		text[o++] = '"';
		memcpy(text + o, b->items[i].id, len);
		o += len;
		text[o++] = '"';
	}
	text[o++] = ']';
	lrs_send(x, 200, "application/json", text, o, NULL);
	free(text);
}

/* Gives back v, a value of the request's JSON: nothing to do when every
 * value of it came from the arena (released whole), else one by one. */
static void free_request_json(struct json_arena *arena, json_t *v)
{
	if (!json_arena_holds_all(arena))
		json_decref(v);
}

static int only_params(struct lrs_ctx *x, const char *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(x->params, key, v) {
		if (!allowed || strcmp(key, allowed) != 0) {
			lrs_send_error(x, 400, "bad_parameter", "parameter %.64s is not allowed here", key);
			return 0;
		}
	}
	return 1;
}

static void put_statement(struct lrs_ctx *x)
{
	if (!only_params(x, "statementId"))
		return;
	const char *sid = lrs_param(x, "statementId");
	if (!sid) {
		lrs_send_error(x, 400, "bad_parameter", "PUT needs the statementId parameter");
		return;
	}
	if (!lrs_is_uuid(sid)) {
		lrs_send_error(x, 400, "bad_parameter", "statementId must be a UUID");
		return;
	}
	struct lrs_part *parts = NULL;
	int nparts = 0;
	struct json_arena arena = { 0 };
	json_t *v = read_content(x, &arena, &parts, &nparts);
	if (!v)
		goto out;
	if (!json_is_object(v)) {
		lrs_send_error(x, 400, "bad_json", "PUT takes one statement (a JSON object)");
		goto out;
	}
	const char *id = json_string_value(json_object_get(v, "id"));
	if (id && strcasecmp(id, sid) != 0) {
		lrs_send_error(x, 400, "id_mismatch", "the statement id differs from statementId");
		goto out;
	}
	json_arena_begin(&arena); /* v is the arena's: so are the values added */
	if (!id) {
		char lower[37];
		lowercase_copy(lower, sid, sizeof(lower));
		json_object_set_new(v, "id", json_string(lower));
	}
	json_t *arr = json_array();
	json_array_append(arr, v);
	json_arena_end(&arena);
	struct batch b;
	memset(&b, 0, sizeof(b));
	b.arena = &arena;
	if (store(x, arr, 1, nparts ? parts : NULL, nparts, &b) == 0)
		lrs_send_empty(x, 204, NULL);
	free_batch(&b);
	free_request_json(&arena, arr);
out:
	free_request_json(&arena, v);
	json_arena_release(&arena);
	free(parts);
}

static void post_statements(struct lrs_ctx *x)
{
	if (json_object_size(x->params) > 0) {
		/* The alternate syntax can carry statementId: then it is a PUT. */
		if (lrs_param(x, "statementId") && json_object_size(x->params) == 1) {
			put_statement(x);
			return;
		}
		only_params(x, NULL);
		return;
	}
	struct lrs_part *parts = NULL;
	int nparts = 0;
	struct json_arena arena = { 0 };
	json_t *v = read_content(x, &arena, &parts, &nparts);
	if (!v)
		goto out;
	int single = json_is_object(v);
	json_arena_begin(&arena); /* v is the arena's: so is the array */
	json_t *arr = single ? json_array() : json_incref(v);
	if (single)
		json_array_append(arr, v);
	json_arena_end(&arena);
	if (!json_is_array(arr)) {
		lrs_send_error(x, 400, "bad_json", "POST takes a statement or an array of statements");
		free_request_json(&arena, arr);
		goto out;
	}
	struct batch b;
	memset(&b, 0, sizeof(b));
	b.arena = &arena;
	if (store(x, arr, single, nparts ? parts : NULL, nparts, &b) == 0)
		send_ids(x, &b);
	free_batch(&b);
	free_request_json(&arena, arr);
out:
	free_request_json(&arena, v);
	json_arena_release(&arena);
	free(parts);
}

int lrs_store_internal(struct server *srv, const json_t *statements, json_t **ids, char *err,
		       size_t errsize)
{
	if (ids)
		*ids = NULL;
	snprintf(err, errsize, "not stored");
	struct lrs_ctx x;
	memset(&x, 0, sizeof(x));
	x.srv = srv;
	x.version = LRS_V200;
	x.version_string = "2.0.0";
	x.method = HTTP_POST;
	x.resource = "statements";
	x.error_out = err;
	x.error_size = errsize;
	x.client.authority = json_pack("{s:s, s:s, s:{s:s, s:s}}", "objectType", "Agent", "name",
				       "Vern", "account", "homePage", srv->cfg.public_url, "name",
				       "vern");
	int single = json_is_object(statements);
	json_t *arr = single ? json_array() : json_deep_copy(statements);
	if (single)
		json_array_append_new(arr, json_deep_copy(statements));
	if (!x.client.authority || !json_is_array(arr)) {
		snprintf(err, errsize, "bad_json: statements must be an object or an array");
		json_decref(arr);
		json_decref(x.client.authority);
		return 400;
	}
	struct batch b;
	memset(&b, 0, sizeof(b));
	int status = store(&x, arr, single, NULL, 0, &b);
	if (status == 0 && ids) {
		*ids = json_array();
		for (size_t i = 0; i < b.n; i++)
			json_array_append_new(*ids, json_string(b.items[i].id));
	}
	if (status == 0)
		err[0] = 0;
	free_batch(&b);
	json_decref(arr);
	json_decref(x.client.authority);
	return status;
}

void lrs_statements(struct lrs_ctx *x)
{
	switch (x->method) {
	case HTTP_GET:
	case HTTP_HEAD:
		lrs_statements_get(x);
		break;
	case HTTP_PUT:
		put_statement(x);
		break;
	case HTTP_POST:
		post_statements(x);
		break;
	default:
		lrs_send_error(x, 405, "method_not_allowed", "statements accept GET, HEAD, PUT and POST");
	}
}
