/* statements.h: the Statement resource: storing (PUT/POST) here, reading
 * in query.c. lrs_statements() sends each method to the right side. */
#ifndef VERN_LRS_STATEMENTS_H
#define VERN_LRS_STATEMENTS_H

#include "lrs.h"

void lrs_statements(struct lrs_ctx *x);

#endif
