/* keys.c: writing statement_keys rows (see keys.h).
 *
 * The common statement (no StatementRef, targeted by nobody) costs one
 * insert per row plus one probe of the small object_ref index. Rows a
 * statement inherits from its target are worked out again from the
 * target's stored JSON (lrs_extract), so no index on seq is needed; chains
 * of StatementRefs are followed up to REF_DEPTH steps (they cannot loop
 * forever, even when statements target each other). */
#include "keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "terms.h"

#define REF_DEPTH 8

struct key {
	long long term;
	int kind;
	int direct;
};

struct keyset {
	struct key *k;
	size_t n, cap;
};

/* Adds a term, or marks it direct when it is there already. */
static int keyset_add(struct keyset *s, long long term, int kind, int direct)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->k[i].term == term) {
			s->k[i].direct |= direct;
			return 0;
		}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct key *k = realloc(s->k, cap * sizeof(*k));
		if (!k)
			return -1;
		s->k = k;
		s->cap = cap;
	}
	s->k[s->n++] = (struct key){ term, kind, direct };
	return 0;
}

/* Interns the rows of ex into s; only_shared leaves out registrations
 * (which a referring statement does not inherit). */
static int add_rows(struct db_conn *c, struct keyset *s, const struct lrs_extract *ex, int only_shared)
{
	for (size_t i = 0; i < ex->nrows; i++) {
		if (only_shared && ex->rows[i].kind == LRS_IX_REGISTRATION)
			continue;
		long long term;
		int rc = lrs_term_id(c, ex->rows[i].kind, ex->rows[i].value, &term);
		if (rc != DB_OK)
			return rc;
		if (keyset_add(s, term, ex->rows[i].kind, ex->rows[i].direct) != 0)
			return DB_ERROR;
	}
	return DB_OK;
}

/* Adds the shared rows of the stored statement id, and of what it targets. */
static int add_target_rows(struct db_conn *c, struct keyset *s, const char *id, int depth)
{
	if (depth >= REF_DEPTH)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c, "SELECT full, object_ref FROM statements WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return DB_OK; /* not stored (yet): it hands its rows over when it comes */
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "statement_target");
	json_t *target = json_loadb((const char *)sqlite3_column_text(st, 0),
				   (size_t)sqlite3_column_bytes(st, 0), 0, NULL);
	char next[40] = "";
	if (sqlite3_column_type(st, 1) == SQLITE_TEXT && sqlite3_column_bytes(st, 1) < (int)sizeof(next))
		memcpy(next, sqlite3_column_text(st, 1), (size_t)sqlite3_column_bytes(st, 1) + 1);
	sqlite3_reset(st);
	struct lrs_extract ex;
	if (!target || lrs_extract(target, &ex) != 0) {
		json_decref(target);
		return DB_ERROR;
	}
	json_decref(target);
	rc = add_rows(c, s, &ex, 1);
	lrs_extract_free(&ex);
	if (rc == DB_OK && next[0])
		rc = add_target_rows(c, s, next, depth + 1);
	return rc;
}

static int insert_rows(struct db_conn *c, const struct keyset *s, long long seq, int only_shared)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO statement_keys(term, seq, direct) "
				      "VALUES(?, ?, ?)");
	if (!st)
		return DB_ERROR;
	for (size_t i = 0; i < s->n; i++) {
		if (only_shared && s->k[i].kind == LRS_IX_REGISTRATION)
			continue;
		sqlite3_bind_int64(st, 1, s->k[i].term);
		sqlite3_bind_int64(st, 2, seq);
		sqlite3_bind_int(st, 3, s->k[i].direct);
		int rc = db_exec_stmt(c, st, "statement_keys_insert");
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

struct referrer {
	long long seq;
	char id[40];
	int voiding;
};

/* The statements stored earlier whose object targets id (usually none). */
static int find_referrers(struct db_conn *c, const char *id, struct referrer **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, id, voiding FROM statements WHERE object_ref = ?");
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
				sqlite3_reset(st);
				return DB_ERROR;
			}
			*out = r;
		}
		struct referrer *r = &(*out)[(*n)++];
		r->seq = sqlite3_column_int64(st, 0);
		snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(st, 1));
		r->voiding = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "statement_referrers");
}

/* Gives the shared rows in s to the statements that target id, and to the
 * ones targeting those. */
static int share_with_referrers(struct db_conn *c, const struct keyset *s, const char *id,
				int depth, int *targeted_by_voiding)
{
	if (depth >= REF_DEPTH)
		return DB_OK;
	struct referrer *refs;
	size_t n;
	int rc = find_referrers(c, id, &refs, &n);
	for (size_t i = 0; rc == DB_OK && i < n; i++) {
		if (depth == 0 && refs[i].voiding)
			*targeted_by_voiding = 1;
		rc = insert_rows(c, s, refs[i].seq, 1);
		if (rc == DB_OK)
			rc = share_with_referrers(c, s, refs[i].id, depth + 1, NULL);
	}
	free(refs);
	return rc;
}

int lrs_keys_store(struct db_conn *c, long long seq, const char *id, const char *object_ref,
		   const struct lrs_extract *ex, int *targeted_by_voiding)
{
	struct keyset s = { 0 };
	*targeted_by_voiding = 0;
	int rc = add_rows(c, &s, ex, 0);
	if (rc == DB_OK && object_ref)
		rc = add_target_rows(c, &s, object_ref, 0);
	if (rc == DB_OK)
		rc = insert_rows(c, &s, seq, 0);
	if (rc == DB_OK)
		rc = share_with_referrers(c, &s, id, 0, targeted_by_voiding);
	free(s.k);
	return rc;
}
