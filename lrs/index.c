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

#include "index_tail.h"
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
	return db_step_int(c, db_stmt(c, "SELECT max(seq) FROM statements"), last, "index_max_seq");
}

int lrs_index_registration(struct db_conn *c, const char *registration, long long seq)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO statement_registrations(part, reg, seq) "
				      "VALUES(?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, LRS_PART_OF(seq));
	sqlite3_bind_int64(st, 2, lrs_registration_key(registration));
	sqlite3_bind_int64(st, 3, seq);
	return db_exec_stmt(c, st, "statement_registration_insert");
}

/* A pass: the statement_keys rows and the registration rows (term = the
 * registration's key) of the statements after the mark, up to last. */
struct pass {
	struct lrs_key_queue keys, regs;
	long long last;
	size_t statements;
};

static void pass_free(struct pass *p)
{
	lrs_key_queue_free(&p->keys);
	lrs_key_queue_free(&p->regs);
}

/* Adds the lists of up to limit statements after seq from to p. */
static int pass_read(struct db_conn *c, long long from, struct pass *p, size_t limit)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, index_keys, registration FROM statements "
				      "WHERE seq > ? ORDER BY seq LIMIT ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(st, 0);
		const char *reg = (const char *)sqlite3_column_text(st, 2);
		if (lrs_keys_queue_list(&p->keys, (const char *)sqlite3_column_text(st, 1), seq) != DB_OK ||
		    (reg && lrs_keys_queue_registration(&p->regs, reg, seq) != DB_OK)) {
			rc = SQLITE_NOMEM;
			break;
		}
		p->last = seq;
		p->statements++;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "index_read");
}

/* Sorts the rows of p by index key: the order they are written in. */
static void pass_sort(struct pass *p)
{
	lrs_keys_sort(&p->keys);
	lrs_keys_sort(&p->regs);
}

/* Writes the statement_keys rows [keys_from, keys_to) and the registration
 * rows [regs_from, regs_to) of a sorted pass. */
static int pass_write(struct db_conn *c, const struct pass *p, size_t keys_from, size_t keys_to,
		      size_t regs_from, size_t regs_to)
{
	int rc = lrs_keys_write(c, &p->keys, keys_from, keys_to);
	return rc == DB_OK ? lrs_keys_write_registrations(c, &p->regs, regs_from, regs_to) : rc;
}

/* ---- a pass written in parts ----
 *
 * A bulk pass is sorted once and then written a part at a time, each part
 * in the transaction of a later batch, in key order: the pages of one key
 * range are written by one part, as if the pass were written at once, and
 * no batch waits for the whole pass. It is read in parts too (reading the
 * lists of 65,536 statements takes about 100 ms), by the batches before.
 * The mark moves when the last part is
 * written. The pass lives in the writer's memory only: a rollback (which
 * may have taken back a part) drops it, and the next catch-up writes
 * everything after the mark again (rows already there are kept). */

/* Parts per pass: a pass is written while about half as many statements
 * again arrive, so the next pass starts with a full backlog. */
#define PART_SHARE 2

/* Statements a batch reads into a pass being read. */
#define READ_PART (LRS_INDEX_BULK / 4)

struct pending {
	int active;
	int reading;             /* the pass is still being read */
	struct pass p;
	size_t keys_at, regs_at; /* written so far */
	unsigned long epoch;     /* db_conn_epoch when last read or written */
};

static const char pending_key[] = "lrs_index_pending";

static void pending_drop(struct pending *pd)
{
	if (pd && pd->active) {
		pass_free(&pd->p);
		memset(pd, 0, sizeof(*pd));
	}
}

static void pending_free(void *v)
{
	pending_drop(v);
	free(v);
}

/* The writer's pending pass (created inactive), or NULL when out of
 * memory. A pass from before a rollback is dropped. */
static struct pending *pending_of(struct db_conn *c)
{
	struct pending *pd = db_conn_state_new(c, pending_key, sizeof(*pd), pending_free);
	if (pd && pd->active && pd->epoch != db_conn_epoch(c))
		pending_drop(pd);
	return pd;
}

/* Writes the next part of the pending pass (all of it when share is 0):
 * the rows of about share statements. The last part moves the mark. */
static int pending_write(struct db_conn *c, struct pending *pd, size_t share)
{
	struct pass *p = &pd->p;
	size_t keys_to = p->keys.n, regs_to = p->regs.n;
	if (share > 0 && share < p->statements) {
		keys_to = pd->keys_at + (p->keys.n * share + p->statements - 1) / p->statements;
		regs_to = pd->regs_at + (p->regs.n * share + p->statements - 1) / p->statements;
		if (keys_to > p->keys.n)
			keys_to = p->keys.n;
		if (regs_to > p->regs.n)
			regs_to = p->regs.n;
	}
	int rc = pass_write(c, p, pd->keys_at, keys_to, pd->regs_at, regs_to);
	if (rc != DB_OK) {
		pending_drop(pd);
		return rc;
	}
	pd->keys_at = keys_to;
	pd->regs_at = regs_to;
	pd->epoch = db_conn_epoch(c);
	if (pd->keys_at < p->keys.n || pd->regs_at < p->regs.n)
		return DB_OK;
	rc = db_meta_set_int(c, mark_key, p->last);
	pending_drop(pd);
	return rc;
}

/* Reads the next part of a pass being read (all that is left of it when
 * all is set), then sorts it once it is whole. The rows the writer kept
 * (index_tail.h) come first, at no cost; the rest is read from the
 * statements' lists. */
static int pending_read(struct db_conn *c, struct pending *pd, int all)
{
	int rc = lrs_index_tail_take(c, &pd->p.last, &pd->p.statements,
				     PASS_STATEMENTS - pd->p.statements, &pd->p.keys, &pd->p.regs);
	size_t room = PASS_STATEMENTS - pd->p.statements;
	size_t want = all || room < READ_PART ? room : READ_PART;
	size_t had = pd->p.statements;
	if (rc == DB_OK && want)
		rc = pass_read(c, pd->p.last, &pd->p, want);
	if (rc != DB_OK) {
		pending_drop(pd);
		return rc;
	}
	pd->epoch = db_conn_epoch(c);
	if (want && pd->p.statements - had == want && pd->p.statements < LRS_INDEX_BULK && !all)
		return DB_OK; /* more to read, in the next batch */
	pass_sort(&pd->p);
	pd->reading = 0;
	return DB_OK;
}

/* Writes what is left of a pending pass (reading the rest of it first),
 * so the mark is where the pass ends. */
static int pending_finish(struct db_conn *c)
{
	struct pending *pd = pending_of(c);
	if (!pd)
		return DB_ERROR;
	if (!pd->active)
		return DB_OK;
	int rc = pd->reading ? pending_read(c, pd, 1) : DB_OK;
	return rc == DB_OK && pd->active ? pending_write(c, pd, 0) : rc;
}

/* Indexes every statement after seq from; the mark ends at the last one
 * (or stays, when it is higher). */
static int catch_up_from(struct db_conn *c, long long from, long long through)
{
	int rc = DB_OK;
	for (;;) {
		struct pass p;
		memset(&p, 0, sizeof(p));
		rc = pass_read(c, from, &p, PASS_STATEMENTS);
		if (rc == DB_OK && p.statements > 0) {
			pass_sort(&p);
			rc = pass_write(c, &p, 0, p.keys.n, 0, p.regs.n);
		}
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
	int rc = pending_finish(c);
	if (rc == DB_OK)
		rc = lrs_index_state(c, &through, NULL);
	return rc == DB_OK ? catch_up_from(c, through, through) : rc;
}

/* Starts a pending pass at the mark: reads its first part. */
static int pending_start(struct db_conn *c, struct pending *pd, long long mark)
{
	memset(pd, 0, sizeof(*pd));
	pd->p.last = mark;
	pd->active = pd->reading = 1;
	int rc = pending_read(c, pd, 0);
	if (rc == DB_OK && pd->p.statements == 0)
		pending_drop(pd);
	return rc;
}

int lrs_index_after_store(struct db_conn *c, long long through, long long before, size_t n)
{
	struct pending *pd = pending_of(c);
	if (!pd)
		return DB_ERROR;
	/* The newest statement was deleted after it was indexed (or read
	 * into the pending pass), and its seq given to a new one: index from
	 * there. */
	if (before < through || (pd->active && before < pd->p.last)) {
		pending_drop(pd);
		return catch_up_from(c, before < through ? before : through, through);
	}
	size_t share = PART_SHARE * n;
	if (pd->active) {
		int rc = pd->reading ? pending_read(c, pd, 0) : pending_write(c, pd, share);
		if (rc == DB_OK && pd->active)
			db_want_idle_job(c); /* the rest when writes pause */
		return rc;
	}
	/* the mark now (a voiding statement in the batch catches up) */
	long long mark, last;
	int rc = lrs_index_state(c, &mark, &last);
	if (rc != DB_OK || last <= mark)
		return rc;
	if (through >= before && n <= SMALL_BATCH && !db_jobs_waiting(c))
		return catch_up_from(c, mark, mark);
	if (last - mark >= LRS_INDEX_BULK) {
		rc = pending_start(c, pd, mark);
		if (rc != DB_OK || !pd->active)
			return rc;
	}
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
