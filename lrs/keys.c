/* keys.c: writing statement_keys rows and the statements' lists of them
 * (see keys.h).
 *
 * The common statement (no StatementRef, targeted by nobody) costs one
 * probe of the small object_ref index, plus its share of a few multi-row
 * inserts at the end of the batch: rows sorted by (term, seq) land on the
 * index pages in order. Chains of StatementRefs are followed REF_DEPTH
 * steps at most (they cannot loop forever when statements target each
 * other). */
#include "keys.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decimal.h"
#include "index.h"
#include "terms.h"

#define REF_DEPTH 8
#define ROWS_PER_INSERT 32

static int keyset_find(const struct lrs_keyset *s, long long term)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].term == term)
			return (int)i;
	return -1;
}

/* Adds a term, or marks it direct when it is there already. */
static int keyset_add(struct lrs_keyset *s, long long term, int direct)
{
	int at = keyset_find(s, term);
	if (at >= 0) {
		s->k[at].direct |= direct;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct lrs_key *k = realloc(s->k, cap * sizeof(*k));
		if (!k)
			return -1;
		s->k = k;
		s->cap = cap;
	}
	s->k[s->n++] = (struct lrs_key){ term, direct };
	return 0;
}

void lrs_keyset_free(struct lrs_keyset *k)
{
	free(k->k);
	memset(k, 0, sizeof(*k));
}

/* Adds the keys of a statements.index_keys list. */
static int keyset_add_list(struct lrs_keyset *s, const char *text)
{
	const char *p = text;
	while (p && *p) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (v >= 0 && keyset_add(s, v >> 1, (int)(v & 1)) != 0)
			return -1;
		p = end;
	}
	return 0;
}

char *lrs_keys_text(const struct lrs_keyset *k)
{
	size_t size = k->n * 21 + 1, o = 0;
	char *out = malloc(size);
	if (!out)
		return NULL;
	out[0] = '\0';
	for (size_t i = 0; i < k->n; i++) {
		/* term ids are positive: digits by hand, no printf per key */
		unsigned long long v = (unsigned long long)(k->k[i].term * 2 + k->k[i].direct);
		char digits[21], *d = decimal_before(digits + sizeof(digits), v);
		if (i)
			out[o++] = ' ';
		size_t n = (size_t)(digits + sizeof(digits) - d);
		memcpy(out + o, d, n);
		o += n;
	}
	out[o] = '\0';
	return out;
}

/* The own rows of ex as terms (registrations are a column instead). */
static int add_own(struct db_conn *c, struct lrs_keyset *s, const struct lrs_extract *ex)
{
	int prefound = lrs_terms_prefound(c, ex);
	for (size_t i = 0; i < ex->nrows; i++) {
		if (ex->rows[i].kind == LRS_IX_REGISTRATION)
			continue;
		long long term = prefound ? ex->rows[i].term : 0;
		int rc = term > 0 ? DB_OK : lrs_term_id(c, ex->rows[i].kind, ex->rows[i].value, &term);
		if (rc != DB_OK)
			return rc;
		if (keyset_add(s, term, ex->rows[i].direct) != 0)
			return DB_ERROR;
	}
	return DB_OK;
}

/* Adds the rows of the stored statement id (its list holds what it
 * inherited itself). A target not stored yet hands its rows over when it
 * comes (lrs_keys_share). */
static int add_target(struct db_conn *c, struct lrs_keyset *s, const char *id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT index_keys FROM statements WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return DB_OK;
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "statement_target");
	rc = keyset_add_list(s, (const char *)sqlite3_column_text(st, 0)) == 0 ? DB_OK : DB_ERROR;
	sqlite3_reset(st);
	return rc;
}

int lrs_keys_of(struct db_conn *c, const struct lrs_extract *ex, const char *object_ref,
		struct lrs_keyset *out)
{
	memset(out, 0, sizeof(*out));
	int rc = add_own(c, out, ex);
	if (rc == DB_OK && object_ref)
		rc = add_target(c, out, object_ref);
	return rc;
}

static int queue_reserve(struct lrs_key_queue *q, size_t more)
{
	if (q->n + more > q->cap) {
		size_t cap = q->cap ? q->cap : 256;
		while (cap < q->n + more)
			cap *= 2;
		struct lrs_key_row *r = realloc(q->r, cap * sizeof(*r));
		if (!r)
			return DB_ERROR;
		q->r = r;
		q->cap = cap;
	}
	return DB_OK;
}

int lrs_keys_queue(struct lrs_key_queue *q, const struct lrs_keyset *k, long long seq)
{
	if (queue_reserve(q, k->n) != DB_OK)
		return DB_ERROR;
	for (size_t i = 0; i < k->n; i++, q->n++)
		q->r[q->n] = (struct lrs_key_row){ k->k[i].term, seq, k->k[i].direct, q->n };
	return DB_OK;
}

int lrs_keys_queue_registration(struct lrs_key_queue *q, const char *registration, long long seq)
{
	if (queue_reserve(q, 1) != DB_OK)
		return DB_ERROR;
	q->r[q->n] = (struct lrs_key_row){ lrs_registration_key(registration), seq, 0, q->n };
	q->n++;
	return DB_OK;
}

int lrs_keys_queue_rows(struct lrs_key_queue *q, const struct lrs_key_row *rows, size_t n)
{
	if (queue_reserve(q, n) != DB_OK)
		return DB_ERROR;
	for (size_t i = 0; i < n; i++, q->n++) {
		q->r[q->n] = rows[i];
		q->r[q->n].order = q->n;
	}
	return DB_OK;
}

int lrs_keys_queue_list(struct lrs_key_queue *q, const char *list, long long seq)
{
	for (const char *p = list; p && *p;) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			break;
		if (v >= 0) {
			if (queue_reserve(q, 1) != DB_OK)
				return DB_ERROR;
			q->r[q->n] = (struct lrs_key_row){ v >> 1, seq, (int)(v & 1), q->n };
			q->n++;
		}
		p = end;
	}
	return DB_OK;
}

void lrs_key_queue_free(struct lrs_key_queue *q)
{
	free(q->r);
	memset(q, 0, sizeof(*q));
}

/* ---- sharing rows with statements that target this one ---- */

struct referrer {
	long long seq;
	char id[40];
	int voiding;
	char *keys;
};

/* The statements stored earlier whose object targets id (usually none). */
static int find_referrers(struct db_conn *c, const char *id, struct referrer **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, id, voiding, index_keys FROM statements "
				      "WHERE object_ref = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 4;
			struct referrer *r = realloc(*out, cap * sizeof(*r));
			if (!r) {
				rc = SQLITE_NOMEM;
				break;
			}
			*out = r;
		}
		struct referrer *r = &(*out)[*n];
		r->seq = sqlite3_column_int64(st, 0);
		snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(st, 1));
		r->voiding = sqlite3_column_int(st, 2);
		const char *keys = (const char *)sqlite3_column_text(st, 3);
		r->keys = strdup(keys ? keys : "");
		if (!r->keys) {
			rc = SQLITE_NOMEM;
			break;
		}
		(*n)++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "statement_referrers");
}

/* Gives referrer r the rows of k it lacks: queued, and added to its list. */
static int give(struct db_conn *c, struct lrs_key_queue *q, const struct lrs_keyset *k,
		const struct referrer *r)
{
	struct lrs_keyset have = { 0 }, added = { 0 };
	int rc = keyset_add_list(&have, r->keys) == 0 ? DB_OK : DB_ERROR;
	for (size_t i = 0; rc == DB_OK && i < k->n; i++)
		if (keyset_find(&have, k->k[i].term) < 0 &&
		    (keyset_add(&have, k->k[i].term, k->k[i].direct) != 0 ||
		     keyset_add(&added, k->k[i].term, k->k[i].direct) != 0))
			rc = DB_ERROR;
	if (rc == DB_OK && added.n > 0) {
		rc = lrs_keys_queue(q, &added, r->seq);
		char *text = rc == DB_OK ? lrs_keys_text(&have) : NULL;
		sqlite3_stmt *st = text ? db_stmt(c, "UPDATE statements SET index_keys = ? WHERE seq = ?") : NULL;
		if (!st) {
			rc = DB_ERROR;
		} else {
			sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, 2, r->seq);
			rc = db_exec_stmt(c, st, "statement_keys_list");
		}
		free(text);
	}
	lrs_keyset_free(&have);
	lrs_keyset_free(&added);
	return rc;
}

static int share(struct db_conn *c, struct lrs_key_queue *q, const struct lrs_keyset *k,
		 const char *id, int depth, int *targeted_by_voiding)
{
	if (depth >= REF_DEPTH)
		return DB_OK;
	struct referrer *refs;
	size_t n;
	int rc = find_referrers(c, id, &refs, &n);
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		if (depth == 0 && refs[i].voiding)
			*targeted_by_voiding = 1;
		rc = give(c, q, k, &refs[i]);
		if (rc == DB_OK)
			rc = share(c, q, k, refs[i].id, depth + 1, targeted_by_voiding);
	}
	for (size_t i = 0; i < n; i++)
		free(refs[i].keys);
	free(refs);
	return rc;
}

int lrs_keys_share(struct db_conn *c, struct lrs_key_queue *q, const struct lrs_keyset *k,
		   const char *id, int *targeted_by_voiding)
{
	*targeted_by_voiding = 0;
	return share(c, q, k, id, 0, targeted_by_voiding);
}

/* ---- writing the queue ---- */

/* Multi-row inserts of 1..ROWS_PER_INSERT rows: [0] statement_keys (part,
 * term, seq, direct), [1] statement_registrations (part, reg, seq). */
static char insert_sql[2][ROWS_PER_INSERT + 1][ROWS_PER_INSERT * 10 + 96];
static pthread_once_t insert_sql_once = PTHREAD_ONCE_INIT;

static void make_insert_sql(void)
{
	static const char *const head[2] = {
		"INSERT OR IGNORE INTO statement_keys(part, term, seq, direct) VALUES",
		"INSERT OR IGNORE INTO statement_registrations(part, reg, seq) VALUES" };
	static const char *const row[2] = { "(?,?,?,?)", "(?,?,?)" };
	for (int t = 0; t < 2; t++)
		for (int n = 1; n <= ROWS_PER_INSERT; n++) {
			size_t o = (size_t)snprintf(insert_sql[t][n], sizeof(insert_sql[t][n]), "%s", head[t]);
			for (int i = 0; i < n; i++)
				o += (size_t)snprintf(insert_sql[t][n] + o, sizeof(insert_sql[t][n]) - o, "%s%s",
						      i ? "," : "", row[t]);
		}
}

static int by_part_term_seq(const void *a, const void *b)
{
	const struct lrs_key_row *x = a, *y = b;
	if (LRS_PART_OF(x->seq) != LRS_PART_OF(y->seq))
		return LRS_PART_OF(x->seq) < LRS_PART_OF(y->seq) ? -1 : 1;
	if (x->term != y->term)
		return x->term < y->term ? -1 : 1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->order < y->order ? -1 : (x->order > y->order);
}

/* Radix digits of 11 bits: a count table of 2048 stays in the L1 cache. */
#define DIGIT_BITS 11
#define DIGITS (1 << DIGIT_BITS)

/* The fields rows are sorted by, least significant first. */
enum row_field { FIELD_SEQ, FIELD_TERM, FIELD_PART, FIELDS };

/* A field as an unsigned number in the same order as the signed one (the
 * order SQLite keeps; registration keys may be negative). */
static unsigned long long row_field(const struct lrs_key_row *r, int field)
{
	long long v = field == FIELD_SEQ ? r->seq : field == FIELD_TERM ? r->term : LRS_PART_OF(r->seq);
	return (unsigned long long)v ^ (1ULL << 63);
}

/* One stable counting pass of rows from into to, by the digit at shift of
 * a field less its minimum; count has DIGITS places. */
static void radix_pass(const struct lrs_key_row *from, struct lrs_key_row *to, size_t n, int field,
		       unsigned long long min, int shift, size_t *count)
{
	memset(count, 0, DIGITS * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		count[((row_field(&from[i], field) - min) >> shift) & (DIGITS - 1)]++;
	size_t at = 0;
	for (size_t d = 0; d < DIGITS; d++) {
		size_t k = count[d];
		count[d] = at;
		at += k;
	}
	for (size_t i = 0; i < n; i++)
		to[count[((row_field(&from[i], field) - min) >> shift) & (DIGITS - 1)]++] = from[i];
}

/* Sorts q's rows by (part, term, seq, order) with stable radix passes over
 * the bits the seqs, the terms and the parts span (a pass of a hundred
 * thousand rows
 * takes a few passes instead of a comparison sort's seventeen levels).
 * Returns 0, or -1 when out of memory or the rows are not in arrival
 * order (radix passes keep the order they find). */
static int radix_sort(struct lrs_key_queue *q)
{
	for (size_t i = 1; i < q->n; i++)
		if (q->r[i].order <= q->r[i - 1].order)
			return -1;
	/* on the heap, as the count table: the threads that sort may have
	 * small stacks (and thread-local storage comes out of every
	 * thread's stack) */
	struct lrs_key_row *tmp = malloc(q->n * sizeof(*tmp));
	size_t *count = malloc(DIGITS * sizeof(*count));
	if (!tmp || !count) {
		free(tmp);
		free(count);
		return -1;
	}
	struct lrs_key_row *a = q->r, *b = tmp;
	for (int field = 0; field < FIELDS; field++) {
		unsigned long long min = row_field(&a[0], field), max = min;
		for (size_t i = 1; i < q->n; i++) {
			unsigned long long v = row_field(&a[i], field);
			min = v < min ? v : min;
			max = v > max ? v : max;
		}
		for (int shift = 0; shift < 64 && ((max - min) >> shift) != 0; shift += DIGIT_BITS) {
			radix_pass(a, b, q->n, field, min, shift, count);
			struct lrs_key_row *t = a;
			a = b;
			b = t;
		}
	}
	if (a != q->r)
		memcpy(q->r, a, q->n * sizeof(*a));
	free(tmp);
	free(count);
	return 0;
}

void lrs_keys_sort(struct lrs_key_queue *q)
{
	if (q->n == 0)
		return;
	if (q->n < 64 || radix_sort(q) != 0)
		qsort(q->r, q->n, sizeof(q->r[0]), by_part_term_seq);
	size_t kept = 0;
	for (size_t i = 0; i < q->n; i++)
		if (kept == 0 || q->r[i].term != q->r[kept - 1].term || q->r[i].seq != q->r[kept - 1].seq)
			q->r[kept++] = q->r[i];
	q->n = kept;
}

/* Inserts rows [from, to) of q into statement_keys (registrations 0) or
 * statement_registrations (1, term being the registration's key). */
static int write_rows(struct db_conn *c, const struct lrs_key_queue *q, size_t from, size_t to,
		      int registrations)
{
	pthread_once(&insert_sql_once, make_insert_sql);
	if (to > q->n)
		to = q->n;
	int per_row = registrations ? 3 : 4, rc = DB_OK;
	for (size_t at = from; at < to && rc == DB_OK;) {
		size_t n = to - at < ROWS_PER_INSERT ? to - at : ROWS_PER_INSERT;
		sqlite3_stmt *st = db_stmt(c, insert_sql[registrations][n]);
		if (!st)
			return DB_ERROR;
		for (size_t i = 0; i < n; i++) {
			int col = (int)(per_row * i);
			sqlite3_bind_int64(st, col + 1, LRS_PART_OF(q->r[at + i].seq));
			sqlite3_bind_int64(st, col + 2, q->r[at + i].term);
			sqlite3_bind_int64(st, col + 3, q->r[at + i].seq);
			if (!registrations)
				sqlite3_bind_int(st, col + 4, q->r[at + i].direct);
		}
		rc = db_exec_stmt(c, st, registrations ? "statement_registrations_insert"
						       : "statement_keys_insert");
		at += n;
	}
	return rc;
}

int lrs_keys_write(struct db_conn *c, const struct lrs_key_queue *q, size_t from, size_t to)
{
	return write_rows(c, q, from, to, 0);
}

int lrs_keys_write_registrations(struct db_conn *c, const struct lrs_key_queue *q, size_t from,
				 size_t to)
{
	return write_rows(c, q, from, to, 1);
}

int lrs_keys_flush(struct db_conn *c, struct lrs_key_queue *q)
{
	lrs_keys_sort(q);
	int rc = lrs_keys_write(c, q, 0, q->n);
	q->n = 0;
	return rc;
}

/* ---- changing stored statements ---- */

static int delete_rows(struct db_conn *c, long long seq, const char *list)
{
	struct lrs_keyset old = { 0 };
	int rc = keyset_add_list(&old, list) == 0 ? DB_OK : DB_ERROR;
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM statement_keys WHERE part = ? AND term = ? AND seq = ?");
	if (!st)
		rc = DB_ERROR;
	for (size_t i = 0; rc == DB_OK && i < old.n; i++) {
		sqlite3_bind_int64(st, 1, LRS_PART_OF(seq));
		sqlite3_bind_int64(st, 2, old.k[i].term);
		sqlite3_bind_int64(st, 3, seq);
		rc = db_exec_stmt(c, st, "statement_keys_delete");
	}
	lrs_keyset_free(&old);
	if (rc != DB_OK || !(st = db_stmt(c, "SELECT registration FROM statements WHERE seq = ?")))
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, seq);
	int step = sqlite3_step(st);
	long long reg = 0;
	int has_reg = step == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT;
	if (has_reg)
		reg = lrs_registration_key((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return db_step_error(c, step, "statement_registration_read");
	if (!has_reg)
		return DB_OK;
	if (!(st = db_stmt(c, "DELETE FROM statement_registrations WHERE part = ? AND reg = ? AND seq = ?")))
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, LRS_PART_OF(seq));
	sqlite3_bind_int64(st, 2, reg);
	sqlite3_bind_int64(st, 3, seq);
	return db_exec_stmt(c, st, "statement_registration_delete");
}

/* The index_keys and object_ref of the statement at seq (malloc'd). */
static int read_lists(struct db_conn *c, long long seq, char **keys, char **object_ref)
{
	*keys = *object_ref = NULL;
	sqlite3_stmt *st = db_stmt(c, "SELECT index_keys, object_ref FROM statements WHERE seq = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, seq);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return DB_NOTFOUND;
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "statement_keys_read");
	const char *k = (const char *)sqlite3_column_text(st, 0);
	const char *r = (const char *)sqlite3_column_text(st, 1);
	*keys = strdup(k ? k : "");
	*object_ref = r ? strdup(r) : NULL;
	sqlite3_reset(st);
	return *keys && (!r || *object_ref) ? DB_OK : DB_ERROR;
}

int lrs_keys_forget(struct db_conn *c, long long seq)
{
	char *keys = NULL, *object_ref = NULL;
	int rc = lrs_index_catch_up(c);
	if (rc == DB_OK)
		rc = read_lists(c, seq, &keys, &object_ref);
	if (rc == DB_OK)
		rc = delete_rows(c, seq, keys);
	free(keys);
	free(object_ref);
	return rc == DB_NOTFOUND ? DB_OK : rc;
}

int lrs_keys_reindex(struct db_conn *c, long long seq, const json_t *statement)
{
	char *keys = NULL, *object_ref = NULL;
	int rc = lrs_index_catch_up(c);
	if (rc == DB_OK)
		rc = read_lists(c, seq, &keys, &object_ref);
	if (rc != DB_OK) {
		free(keys);
		free(object_ref);
		return rc == DB_NOTFOUND ? DB_OK : rc;
	}
	struct lrs_extract ex;
	struct lrs_keyset k = { 0 };
	char *text = NULL;
	if (lrs_extract(statement, &ex) != 0) {
		free(keys);
		free(object_ref);
		return DB_ERROR;
	}
	rc = delete_rows(c, seq, keys);
	if (rc == DB_OK)
		rc = lrs_keys_of(c, &ex, object_ref, &k);
	struct lrs_key_queue q = { 0 };
	if (rc == DB_OK)
		rc = lrs_keys_queue(&q, &k, seq);
	if (rc == DB_OK)
		rc = lrs_keys_flush(c, &q);
	if (rc == DB_OK && !(text = lrs_keys_text(&k)))
		rc = DB_ERROR;
	sqlite3_stmt *st = rc == DB_OK ? db_stmt(c, "UPDATE statements SET index_keys = ?, "
						    "registration = ? WHERE seq = ?") : NULL;
	if (rc == DB_OK && !st)
		rc = DB_ERROR;
	if (rc == DB_OK) {
		const char *reg = lrs_extract_registration(&ex);
		sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
		if (reg)
			sqlite3_bind_text(st, 2, reg, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, seq);
		rc = db_exec_stmt(c, st, "statement_keys_list");
		if (rc == DB_OK && reg)
			rc = lrs_index_registration(c, reg, seq);
	}
	free(text);
	lrs_key_queue_free(&q);
	lrs_keyset_free(&k);
	lrs_extract_free(&ex);
	free(keys);
	free(object_ref);
	return rc;
}
