/* query.h: reading statements (GET and HEAD /xapi/statements): single
 * statements by statementId / voidedStatementId, filtered queries with
 * consistent `more` paging, the exact / ids / canonical formats and
 * attachments as multipart/mixed. */
#ifndef VERN_LRS_QUERY_H
#define VERN_LRS_QUERY_H

#include <stddef.h>

#include "lrs.h"

void lrs_statements_get(struct lrs_ctx *x);

/* The shape of a filtered query: which parts its SQL has. Filters are
 * statement_keys lookups of terms (verb+activity or activity, agent, verb;
 * the first drives the walk, within the part of the sequence bound to
 * ?28); registration compares the statement's column. Exposed so tests
 * can check every shape's plan. */
struct lrs_query_shape {
	int nfilters;          /* 0..4 */
	int direct_only[4];
	int ascending, cursor, since, until, mine_only, registration;
	/* with mine_only: walk the client's own statements (statements_client)
	 * and check every filter on each, instead of walking the first filter */
	int by_client;
};

/* Writes the SELECT for shape into sql. Returns 0, or -1 if too long. */
int lrs_query_sql(const struct lrs_query_shape *shape, char *sql, size_t size);

#endif
