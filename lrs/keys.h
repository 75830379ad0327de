/* keys.h: the query index rows of stored statements (statement_keys in
 * 011_lrs_terms.sql): a statement's own rows, and the rows it shares
 * through StatementRefs (xAPI: a statement that targets another matches
 * the filters its target matches, recursively).
 *
 * Each statement row also lists its index rows (statements.index_keys:
 * "K K K", K = term id * 2 + direct), so the rows of a statement can be
 * found without an index on seq: to inherit them, to change them, or to
 * delete them, and so that they can be written later, in bulk
 * (lrs/index.c). Registrations are not terms: they are a column of
 * statements, indexed by statement_registrations.
 *
 * Both index tables lead with the statement's part (LRS_PART_OF(seq)), so
 * new rows land among the rows of recent statements only: the pages a
 * bulk pass writes do not grow with the database (016_lrs_index_parts.sql),
 * and a query walks the parts in order (lrs/query.c). */
#ifndef VERN_LRS_KEYS_H
#define VERN_LRS_KEYS_H

#include <jansson.h>
#include <stddef.h>

#include "db.h"
#include "extract.h"

/* 262,144 statements per part; the migration computes parts in SQL with
 * the same shift. */
#define LRS_PART_SHIFT 18
#define LRS_PART_OF(seq) ((long long)(seq) >> LRS_PART_SHIFT)

/* One statement's rows, as term ids. */
struct lrs_key {
	long long term;
	int direct;
};

struct lrs_keyset {
	struct lrs_key *k;
	size_t n, cap;
};

/* Rows waiting to be written: the writer gathers a batch's rows and writes
 * them sorted, several per statement, at the end of the batch. */
struct lrs_key_row {
	long long term, seq;
	int direct;
	size_t order; /* arrival, so the first of two equal rows wins */
};

struct lrs_key_queue {
	struct lrs_key_row *r;
	size_t n, cap;
};

/* Writer only. The rows of a statement about to be stored: its own (from
 * ex; registrations left out) and those of the statement it targets
 * (object_ref, NULL if its object is no StatementRef; that statement's
 * list already holds what it inherited in turn). Returns 0 or a DB_E*
 * code; free out with lrs_keyset_free either way. */
int lrs_keys_of(struct db_conn *c, const struct lrs_extract *ex, const char *object_ref,
		struct lrs_keyset *out);

/* The list of k for statements.index_keys (malloc'd), or NULL when out of
 * memory. */
char *lrs_keys_text(const struct lrs_keyset *k);

/* Queues the rows of k for the statement stored at seq. Returns 0 or
 * DB_ERROR (out of memory). */
int lrs_keys_queue(struct lrs_key_queue *q, const struct lrs_keyset *k, long long seq);

/* Queues the statement_registrations row of the statement stored at seq
 * with registration (its key as term). Returns 0 or DB_ERROR (out of
 * memory). */
int lrs_keys_queue_registration(struct lrs_key_queue *q, const char *registration, long long seq);

/* Queues n rows taken from another queue, as new arrivals. Returns 0 or
 * DB_ERROR (out of memory). */
int lrs_keys_queue_rows(struct lrs_key_queue *q, const struct lrs_key_row *rows, size_t n);

/* Queues the rows of a statements.index_keys list for the statement at
 * seq. Returns 0 or DB_ERROR (out of memory). */
int lrs_keys_queue_list(struct lrs_key_queue *q, const char *list, long long seq);

/* Writer only, after storing the statement with id and rows k: gives its
 * rows to the statements stored earlier that target it (and to those that
 * target them), queuing their rows and updating their lists. Sets
 * *targeted_by_voiding when a voiding statement stored earlier targets
 * it. Returns 0 or a DB_E* code. */
int lrs_keys_share(struct db_conn *c, struct lrs_key_queue *q, const struct lrs_keyset *k,
		   const char *id, int *targeted_by_voiding);

/* Writes the queued rows (sorted, several per SQL statement) and empties
 * the queue. Returns 0 or a DB_E* code. */
int lrs_keys_flush(struct db_conn *c, struct lrs_key_queue *q);

/* The two halves of lrs_keys_flush, for writing a long queue in parts:
 * sorts the rows by (part, term, seq) and drops repeated ones; then writes rows
 * [from, to) of the sorted queue (which stays as it is). */
void lrs_keys_sort(struct lrs_key_queue *q);
int lrs_keys_write(struct db_conn *c, const struct lrs_key_queue *q, size_t from, size_t to);

/* lrs_keys_write for statement_registrations rows: each row's term is a
 * registration's key (lrs_registration_key), its direct is not used. */
int lrs_keys_write_registrations(struct db_conn *c, const struct lrs_key_queue *q, size_t from,
				 size_t to);

void lrs_keyset_free(struct lrs_keyset *k);
void lrs_key_queue_free(struct lrs_key_queue *q);

/* For code outside the LRS that changes stored statements (retention), in
 * a db_write job:
 * lrs_keys_forget deletes the index rows of the statement at seq (before
 * the statement itself is deleted); lrs_keys_reindex replaces them (and
 * the registration column) with those of statement, the statement's new
 * content. Both return 0 or a DB_E* code. */
int lrs_keys_forget(struct db_conn *c, long long seq);
int lrs_keys_reindex(struct db_conn *c, long long seq, const json_t *statement);

#endif
