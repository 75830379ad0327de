/* index_tail.h: the index rows of the newest statements, kept in the
 * writer's memory as it stores them, so that a bulk pass (index.c) takes
 * them from there instead of reading the statements' lists back (about a
 * tenth of the writer's time under batch load: the rows' pages have left
 * its cache by the time a pass reads them).
 *
 * The tail holds the rows of every statement in (from, last], in seq
 * order, all stored in the current epoch of the writer connection
 * (db_conn_epoch: no rollback since). It starts when the index has caught
 * up with the statements (lrs_index_tail_sync at the mark); a statement
 * stored out of order, a rollback, or a tail grown past TAIL_STATEMENTS
 * empties it, and passes read the lists from the statements again until
 * the next start. Rows given later to a statement in the tail (keys.h,
 * lrs_keys_share) are written with the batch that gives them, so the
 * tail never needs them. */
#ifndef VERN_LRS_INDEX_TAIL_H
#define VERN_LRS_INDEX_TAIL_H

#include "db.h"
#include "keys.h"

/* Writer, before storing a batch, with the mark and the highest seq
 * stored: keeps the tail when it ends at last, else starts an empty one
 * when everything stored is indexed (mark == last), else empties it. */
void lrs_index_tail_sync(struct db_conn *c, long long mark, long long last);

/* Writer: the statement just stored at seq has rows k and registration
 * (NULL if none). */
void lrs_index_tail_note(struct db_conn *c, long long seq, const struct lrs_keyset *k,
			 const char *registration);

/* Writer: moves the rows of up to max statements after seq *last from the
 * tail to keys and regs (registration rows: term = its key), when the
 * tail holds the statement after *last; advances *last and adds to
 * *statements the number taken. Returns 0, or DB_ERROR when out of memory
 * (the queues may then hold part of the rows; the tail is emptied). */
int lrs_index_tail_take(struct db_conn *c, long long *last, size_t *statements, size_t max,
			struct lrs_key_queue *keys, struct lrs_key_queue *regs);

#endif
