/* index.h: writing the query index of stored statements in bulk.
 *
 * Storing a statement writes its row of statements, with the list of its
 * index rows (index_keys) and its registration. Its statement_keys and
 * statement_registrations rows, scattered over the index pages of every
 * learner, verb and activity, are written later, many statements at once,
 * sorted, so one page write serves many statements. meta
 * 'lrs_indexed_through' is the highest seq whose rows are all written; a
 * statement stored after it is indexed from its list when the writer
 * catches up:
 *   - when a query or another reader of the index needs it
 *     (lrs_index_ensure, lrs_index_catch_up),
 *   - when writes pause (the writer's idle job, lrs_index_idle),
 *   - when LRS_INDEX_BULK statements are waiting: the batch that stores
 *     the last of them and the batches after it read their lists, a
 *     quarter each, and sort the rows; each batch after that writes the
 *     next part (the rows of twice as many statements as it stored), in
 *     key order, until the pass is written and the mark moves (so no
 *     batch waits for a whole pass),
 *   - at once when a small batch is stored on a quiet writer (nothing
 *     else queued, nothing waiting), so light traffic is indexed as it is
 *     stored.
 * Everything is in the same transactions as the statements, so a crash
 * loses nothing: statements after the mark are indexed at the next
 * catch-up. */
#ifndef VERN_LRS_INDEX_H
#define VERN_LRS_INDEX_H

#include "db.h"

struct server;

/* Statements that wait, at most, before a pass starts writing their rows.
 * Learners and verb+activity pairs are many, so a pass gives most of their
 * index pages only a row or two: a pass four times as long writes each
 * page once for four times as many rows (measured at batch ingest: 3,860
 * bytes written per statement instead of 5,800, and 49,000 statements/s
 * instead of 41,000). A filtered query under such load waits for the
 * catch-up either way (p50 126-155 ms in both). Reading the lists of a
 * whole pass takes about 100 ms, so it is read a quarter per batch. */
#define LRS_INDEX_BULK 65536

/* The mark (the highest seq whose rows are written; 0 when none) and,
 * when last is not NULL, the highest seq stored. Returns 0 or a DB_E*
 * code. */
int lrs_index_state(struct db_conn *c, long long *through, long long *last);

/* Writer: writes the rows of every statement stored after the mark and
 * moves the mark to the last one. Returns 0 or a DB_E* code. */
int lrs_index_catch_up(struct db_conn *c);

/* Writer, after a batch of n statements was stored above seq before (the
 * highest seq before the batch) by a store that found the mark at through:
 * catches up when the rule above says so. */
int lrs_index_after_store(struct db_conn *c, long long through, long long before, size_t n);

/* Writer: the statement_registrations row of a statement. */
int lrs_index_registration(struct db_conn *c, const char *registration, long long seq);

/* A writer job that catches up: the writer's idle job (db_set_idle_job),
 * and what lrs_index_ensure queues. */
int lrs_index_idle(struct db_conn *c, void *arg);

/* Reader side, before a query: makes sure every statement stored before
 * now is indexed (waits for the writer to catch up if not). Sets
 * *max_seq, when not NULL, to the highest seq at that moment. Returns 0
 * or a DB_E* code. */
int lrs_index_ensure(struct db *db, long long *max_seq);

#endif
