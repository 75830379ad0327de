/* terms.h: index terms. Every value a statement query can filter on (a
 * verb id, an activity id, an agent key, a registration, a verb+activity
 * pair; see extract.h for the kinds) is stored once in lrs_terms and
 * referred to by its integer id, so the rows of statement_keys (term, seq,
 * direct) are a few bytes each (011_lrs_terms.sql). */
#ifndef VERN_LRS_TERMS_H
#define VERN_LRS_TERMS_H

#include "db.h"

struct lrs_extract;

/* Writer only (inside a db_write job): the id of (kind, value), created if
 * new. Remembers ids in a cache kept beside the writer connection, dropped
 * whenever db_conn_epoch() moves (a rollback may have removed new terms).
 * Returns 0 with *id set, or a DB_E* code. */
int lrs_term_id(struct db_conn *c, int kind, const char *value, long long *id);

/* Request threads, before handing a statement to the writer: looks up
 * the ids of ex's rows (not registrations) among the terms the writer
 * has given out, setting each row's term (0 when not found) and
 * ex->terms_epoch. The writer may use those ids only while
 * lrs_terms_prefound() says so; otherwise it looks them up itself. */
void lrs_terms_prefind(struct db *db, struct lrs_extract *ex);

/* Writer only: whether the ids lrs_terms_prefind() set in ex are still
 * good: nothing that could undo a term (a rollback, another process's
 * commit, a sweep) happened since. */
int lrs_terms_prefound(struct db_conn *c, const struct lrs_extract *ex);

/* Any connection: the id of (kind, value). Returns 0 with *id set,
 * DB_NOTFOUND when no statement ever had that value, or DB_ERROR. */
int lrs_term_find(struct db_conn *c, int kind, const char *value, long long *id);

/* Writer only: deletes the agent terms (a person's mbox, account, openid)
 * with ids in (after, after + span] that no index row refers to any more,
 * because the person's statements were pseudonymised or deleted: an
 * erased person's identifiers must not stay behind in the index. The index
 * must be caught up (lrs_index_catch_up) in the same job, so every stored
 * statement's rows are there. Sets *deleted, and *last to the highest id
 * looked at (0 when none is left). Returns 0 or a DB_E* code. */
int lrs_terms_sweep_agents(struct db_conn *c, long long after, long long span, long long *deleted,
			   long long *last);

#endif
