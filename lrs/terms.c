/* terms.c: interning index values as integer ids (see terms.h). */
#include "terms.h"

#include <stdlib.h>

#include "cache.h"
#include "extract.h"

/* 2^18 slots: every verb, activity and learner of a large municipality's
 * recent traffic, at a few tens of megabytes at most. */
#define TERM_CACHE_BITS 18

static const char cache_key[] = "lrs_terms";

struct term_cache {
	struct lrs_cache *map;
	unsigned long epoch;
};

static void term_cache_free(void *p)
{
	struct term_cache *t = p;
	if (t)
		lrs_cache_free(t->map);
	free(t);
}

/* The writer's cache, valid for the connection's current epoch, or NULL
 * (out of memory: callers go to the database). */
static struct lrs_cache *writer_cache(struct db_conn *c)
{
	struct term_cache *t = db_conn_state(c, cache_key);
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (t)
			t->map = lrs_cache_new(TERM_CACHE_BITS);
		if (!t || !t->map || db_conn_set_state(c, cache_key, t, term_cache_free) != 0) {
			term_cache_free(t);
			return NULL;
		}
		t->epoch = db_conn_epoch(c);
	}
	if (t->epoch != db_conn_epoch(c)) {
		lrs_cache_clear(t->map);
		t->epoch = db_conn_epoch(c);
	}
	return t->map;
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
	struct lrs_cache *map = writer_cache(c);
	const struct lrs_cache_entry *e = map ? lrs_cache_get(map, kind, value) : NULL;
	if (e) {
		*id = e->id;
		return DB_OK;
	}
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
	if (map)
		(void)lrs_cache_put(map, kind, value, *id, NULL);
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
	st = db_stmt(c, "DELETE FROM lrs_terms WHERE id > ?1 AND id <= ?2 AND kind = ?3 AND NOT EXISTS "
			"(SELECT 1 FROM statement_keys k WHERE k.term = lrs_terms.id)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, after);
	sqlite3_bind_int64(st, 2, *last);
	sqlite3_bind_int(st, 3, LRS_IX_AGENT);
	if ((rc = db_exec_stmt(c, st, "term_sweep")) != DB_OK)
		return rc;
	*deleted = sqlite3_changes(db_handle(c));
	/* the writer's cache may hold a deleted id: start it afresh */
	struct lrs_cache *map = *deleted ? writer_cache(c) : NULL;
	if (map)
		lrs_cache_clear(map);
	return DB_OK;
}
