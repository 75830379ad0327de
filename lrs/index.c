/* index.c: writing statement_keys and statement_registrations rows in bulk,
 * behind the statements (see index.h).
 *
 * A pass reads the lists of the statements after the mark (the newest
 * pages of statements, in seq order), sorts their rows by index key and
 * writes them with multi-row inserts, so rows for one learner, verb or
 * activity land on their page together. */
#include "index.h"

#include <stdlib.h>
#include <string.h>

#include "keys.h"

/* Statements read per pass, so memory stays bounded after a long pause in
 * indexing (a database from before the mark existed). */
#define PASS_STATEMENTS 65536
/* A batch this small on a quiet writer is indexed as it is stored. */
#define SMALL_BATCH 64

static const char mark_key[] = "lrs_indexed_through";

int lrs_index_state(struct db_conn *c, long long *through, long long *last)
{
	int rc = db_meta_get_int(c, mark_key, through);
	if (rc != DB_OK || !last)
		return rc;
	*last = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(max(seq), 0) FROM statements");
	if (!st)
		return DB_ERROR;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*last = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DB_OK : db_step_error(c, rc, "index_max_seq");
}

int lrs_index_registration(struct db_conn *c, const char *registration, long long seq)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO statement_registrations(registration, seq) "
				      "VALUES(?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, registration, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	return db_exec_stmt(c, st, "statement_registration_insert");
}

struct reg_row {
	char *registration;
	long long seq;
};

static int by_registration(const void *a, const void *b)
{
	const struct reg_row *x = a, *y = b;
	int d = strcmp(x->registration, y->registration);
	return d ? d : (x->seq > y->seq) - (x->seq < y->seq);
}

struct pass {
	struct lrs_key_queue keys;
	struct reg_row *regs;
	size_t nregs;
	long long last;
	size_t statements;
};

static void pass_free(struct pass *p)
{
	lrs_key_queue_free(&p->keys);
	for (size_t i = 0; i < p->nregs; i++)
		free(p->regs[i].registration);
	free(p->regs);
}

/* Reads the lists of up to PASS_STATEMENTS statements after seq from. */
static int pass_read(struct db_conn *c, long long from, struct pass *p)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, index_keys, registration FROM statements "
				      "WHERE seq > ? ORDER BY seq LIMIT ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int(st, 2, PASS_STATEMENTS);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(st, 0);
		if (lrs_keys_queue_list(&p->keys, (const char *)sqlite3_column_text(st, 1), seq) != DB_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		const char *reg = (const char *)sqlite3_column_text(st, 2);
		if (reg) {
			if (p->nregs == cap) {
				cap = cap ? cap * 2 : 1024;
				struct reg_row *r = realloc(p->regs, cap * sizeof(*r));
				if (!r) {
					rc = SQLITE_NOMEM;
					break;
				}
				p->regs = r;
			}
			if (!(p->regs[p->nregs].registration = strdup(reg))) {
				rc = SQLITE_NOMEM;
				break;
			}
			p->regs[p->nregs++].seq = seq;
		}
		p->last = seq;
		p->statements++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "index_read");
}

static int pass_write(struct db_conn *c, struct pass *p)
{
	int rc = lrs_keys_flush(c, &p->keys);
	if (p->nregs > 1)
		qsort(p->regs, p->nregs, sizeof(*p->regs), by_registration);
	for (size_t i = 0; rc == DB_OK && i < p->nregs; i++)
		rc = lrs_index_registration(c, p->regs[i].registration, p->regs[i].seq);
	return rc;
}

/* Indexes every statement after seq from; the mark ends at the last one
 * (or stays, when it is higher). */
static int catch_up_from(struct db_conn *c, long long from, long long through)
{
	int rc = DB_OK;
	for (;;) {
		struct pass p;
		memset(&p, 0, sizeof(p));
		rc = pass_read(c, from, &p);
		if (rc == DB_OK && p.statements > 0)
			rc = pass_write(c, &p);
		if (rc == DB_OK && p.last > through) {
			rc = db_meta_set_int(c, mark_key, p.last);
			through = p.last;
		}
		size_t read = p.statements;
		from = p.last;
		pass_free(&p);
		if (rc != DB_OK || read < PASS_STATEMENTS)
			return rc;
	}
}

int lrs_index_catch_up(struct db_conn *c)
{
	long long through;
	int rc = lrs_index_state(c, &through, NULL);
	return rc == DB_OK ? catch_up_from(c, through, through) : rc;
}

int lrs_index_after_store(struct db_conn *c, long long through, long long before, size_t n)
{
	/* The newest statement was deleted after it was indexed, and its seq
	 * given to a new one: index from there. */
	if (before < through)
		return catch_up_from(c, before, through);
	/* the mark now (a voiding statement in the batch catches up) */
	long long mark, last;
	int rc = lrs_index_state(c, &mark, &last);
	if (rc != DB_OK || last <= mark)
		return rc;
	if (last - mark >= LRS_INDEX_BULK ||
	    (through >= before && n <= SMALL_BATCH && !db_jobs_waiting(c)))
		return catch_up_from(c, mark, mark);
	db_want_idle_job(c); /* the rest when writes pause */
	return DB_OK;
}

int lrs_index_idle(struct db_conn *c, void *arg)
{
	(void)arg;
	return lrs_index_catch_up(c);
}

int lrs_index_ensure(struct db *db, long long *max_out)
{
	struct db_conn *c = db_reader_get(db);
	long long last = 0, through = 0;
	int rc = lrs_index_state(c, &through, &last);
	db_reader_put(db, c);
	if (rc == DB_OK && through < last)
		rc = db_write(db, lrs_index_idle, NULL);
	if (max_out)
		*max_out = last;
	return rc;
}
