/* query.h: reading statements (GET and HEAD /xapi/statements): single
 * statements by statementId / voidedStatementId, filtered queries with
 * consistent `more` paging, the exact / ids / canonical formats and
 * attachments as multipart/mixed. */
#ifndef VERN_LRS_QUERY_H
#define VERN_LRS_QUERY_H

#include "lrs.h"

void lrs_statements_get(struct lrs_ctx *x);

#endif
