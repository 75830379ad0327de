/* keys.h: the query index rows of stored statements (statement_keys in
 * 011_lrs_terms.sql): a statement's own rows, and the rows it shares
 * through StatementRefs (xAPI: a statement that targets another matches
 * the filters its target matches, recursively). */
#ifndef VERN_LRS_KEYS_H
#define VERN_LRS_KEYS_H

#include "db.h"
#include "extract.h"

/* Writer only, inside the job that inserted the statement. Writes the
 * index rows of the statement stored at seq with id, whose own rows are ex
 * and whose object targets object_ref (NULL if it is no StatementRef): its
 * own rows, the rows of the statement it targets (if stored; and of that
 * one's target, and so on), and hands its rows to statements stored
 * earlier that target it (and to those that target them). Sets
 * *targeted_by_voiding when a voiding statement stored earlier targets it.
 * Returns 0 or a DB_E* code. */
int lrs_keys_store(struct db_conn *c, long long seq, const char *id, const char *object_ref,
		   const struct lrs_extract *ex, int *targeted_by_voiding);

#endif
