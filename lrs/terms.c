/* terms.c: interning index values as integer ids (see terms.h). */
#include "terms.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "cache.h"
#include "extract.h"
#include "keys.h"

/* 2^18 slots in all: every verb, activity and learner of a large
 * municipality's recent traffic, at a few tens of megabytes at most. The
 * slots are spread over SHARDS caches, each with its own lock, so request
 * threads looking up terms seldom wait for each other or the writer. */
#define TERM_CACHE_BITS 18
#define SHARD_BITS 4
#define SHARDS (1 << SHARD_BITS)

static const char share_key[] = "lrs_terms";

/* The term ids the writer has given out or read, shared with request
 * threads (see lrs_terms_prefind in terms.h). An id in it may belong to
 * a transaction not yet committed: the epoch moves whenever such an id
 * may have been undone (a rollback, another process's commit, a sweep),
 * and the writer trusts a prefound id only from its own epoch. */
struct term_share {
	pthread_mutex_t lock[SHARDS];
	struct lrs_cache *map[SHARDS];
	unsigned long epoch;       /* atomic; moves after every clear */
	unsigned long conn_epoch;  /* writer: db_conn_epoch() at the last check */
};

static void share_free(void *p)
{
	struct term_share *t = p;
	if (!t)
		return;
	for (int i = 0; i < SHARDS; i++) {
		lrs_cache_free(t->map[i]);
		pthread_mutex_destroy(&t->lock[i]);
	}
	free(t);
}

static void *share_new(void)
{
	struct term_share *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_init(&t->lock[i], NULL);
		if (!(t->map[i] = lrs_cache_new(TERM_CACHE_BITS - SHARD_BITS))) {
			share_free(t);
			return NULL;
		}
	}
	return t;
}

static int shard_of(uint64_t hash)
{
	return (int)(hash >> (64 - SHARD_BITS));
}

/* Empties every shard, then moves the epoch: a request thread that read
 * the epoch before the clear may hold an id from before it, and its
 * epoch no longer matches. */
static void share_clear(struct term_share *t)
{
	for (int i = 0; i < SHARDS; i++) {
		pthread_mutex_lock(&t->lock[i]);
		lrs_cache_clear(t->map[i]);
		pthread_mutex_unlock(&t->lock[i]);
	}
	__atomic_add_fetch(&t->epoch, 1, __ATOMIC_SEQ_CST);
}

/* The writer's view of the shared terms, cleared first when the writer
 * connection's epoch moved; NULL (callers go to the database) when out of
 * memory or on a connection of no open database. */
static struct term_share *writer_share(struct db_conn *c)
{
	struct db *db = db_conn_db(c);
	struct term_share *t = db ? db_shared(db, share_key, share_new, share_free) : NULL;
	if (t && t->conn_epoch != db_conn_epoch(c)) {
		share_clear(t);
		t->conn_epoch = db_conn_epoch(c);
	}
	return t;
}

static int share_get(struct term_share *t, uint64_t h, int kind, const char *value, long long *id)
{
	int s = shard_of(h);
	pthread_mutex_lock(&t->lock[s]);
	const struct lrs_cache_entry *e = lrs_cache_get_hashed(t->map[s], h, kind, value);
	if (e)
		*id = e->id;
	pthread_mutex_unlock(&t->lock[s]);
	return e != NULL;
}

void lrs_terms_prefind(struct db *db, struct lrs_extract *ex)
{
	ex->terms_epoch = 0;
	struct term_share *t = db_shared(db, share_key, share_new, share_free);
	if (!t)
		return;
	unsigned long epoch = __atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST);
	/* hashes first, with their table lines on the way, then the lookups */
	uint64_t hashes[32];
	size_t n = ex->nrows < 32 ? ex->nrows : 32;
	for (size_t i = 0; i < n; i++) {
		const struct lrs_index_row *r = &ex->rows[i];
		if (r->kind == LRS_IX_REGISTRATION)
			continue;
		hashes[i] = lrs_cache_hash(r->kind, r->value);
		lrs_cache_prefetch(t->map[shard_of(hashes[i])], hashes[i]);
	}
	for (size_t i = 0; i < ex->nrows; i++) {
		struct lrs_index_row *r = &ex->rows[i];
		r->term = 0;
		if (r->kind != LRS_IX_REGISTRATION)
			(void)share_get(t, i < n ? hashes[i] : lrs_cache_hash(r->kind, r->value),
					r->kind, r->value, &r->term);
	}
	ex->terms_epoch = epoch + 1;
}

int lrs_terms_prefound(struct db_conn *c, const struct lrs_extract *ex)
{
	struct term_share *t = ex->terms_epoch ? writer_share(c) : NULL;
	return t && ex->terms_epoch == __atomic_load_n(&t->epoch, __ATOMIC_SEQ_CST) + 1;
}

int lrs_term_find(struct db_conn *c, int kind, const char *value, long long *id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM lrs_terms WHERE kind = ? AND value = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return DB_OK;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_NOTFOUND : db_step_error(c, rc, "term_find");
}

int lrs_term_id(struct db_conn *c, int kind, const char *value, long long *id)
{
	struct term_share *t = writer_share(c);
	uint64_t h = lrs_cache_hash(kind, value);
	if (t && share_get(t, h, kind, value, id))
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO lrs_terms(kind, value) VALUES(?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int(st, 1, kind);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "term_insert");
	if (rc != DB_OK)
		return rc;
	if (sqlite3_changes(db_handle(c)) == 1)
		*id = sqlite3_last_insert_rowid(db_handle(c));
	else if ((rc = lrs_term_find(c, kind, value, id)) != DB_OK)
		return rc == DB_NOTFOUND ? DB_ERROR : rc;
	if (t) {
		int s = shard_of(h);
		pthread_mutex_lock(&t->lock[s]);
		(void)lrs_cache_put_hashed(t->map[s], h, kind, value, *id, NULL);
		pthread_mutex_unlock(&t->lock[s]);
	}
	return DB_OK;
}

int lrs_terms_sweep_agents(struct db_conn *c, long long after, long long span, long long *deleted,
			   long long *last)
{
	*deleted = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT max(id) FROM (SELECT id FROM lrs_terms WHERE id > ?1 "
				      "ORDER BY id LIMIT ?2)");
	if (st) {
		sqlite3_bind_int64(st, 1, after);
		sqlite3_bind_int64(st, 2, span);
	}
	int rc = db_step_int(c, st, last, "term_sweep_range");
	if (rc != DB_OK || *last == 0)
		return rc;
	/* a term's rows are looked for part by part (keys.h) */
	long long max_seq = 0;
	if ((rc = db_step_int(c, db_stmt(c, "SELECT coalesce(max(seq), 0) FROM statements"), &max_seq,
			      "term_sweep_parts")) != DB_OK)
		return rc;
	st = db_stmt(c, "DELETE FROM lrs_terms WHERE id > ?1 AND id <= ?2 AND kind = ?3 AND NOT EXISTS "
			"(WITH RECURSIVE parts(p) AS (SELECT 0 UNION ALL SELECT p + 1 FROM parts WHERE p < ?4) "
			"SELECT 1 FROM parts JOIN statement_keys k ON k.part = parts.p AND k.term = lrs_terms.id)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, *last);
	sqlite3_bind_int(st, 3, LRS_IX_AGENT);
	sqlite3_bind_int64(st, 4, LRS_PART_OF(max_seq));
	if ((rc = db_exec_stmt(c, st, "term_sweep")) != DB_OK)
		return rc;
	*deleted = sqlite3_changes(db_handle(c));
	/* the shared terms may hold a deleted id: start afresh */
	struct term_share *t = *deleted ? writer_share(c) : NULL;
	if (t)
		share_clear(t);
	return DB_OK;
}
