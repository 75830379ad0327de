/* statements.h: the Statement resource: storing (PUT/POST) here, reading
 * in query.c. lrs_statements() sends each method to the right side. */
#ifndef VERN_LRS_STATEMENTS_H
#define VERN_LRS_STATEMENTS_H

#include "lrs.h"

void lrs_statements(struct lrs_ctx *x);

struct lrs_part;

/* Why lrs_statements_text found no statements: the answer to give. */
struct lrs_text_error {
	int status;               /* 400, or 503 when out of memory */
	const char *code;         /* bad_json, bad_multipart, bad_content_type */
	char detail[200];
};

/* The JSON text of the statements a PUT or POST sends: the body, or the
 * first part of a multipart/mixed body (then *parts, to be freed, holds
 * the *nparts parts; else NULL and 0). Returns the text with its length in
 * *len, or NULL with e set when there are none to read (wrong content
 * type, bad multipart, empty). The text is not parsed: its reader limits
 * the nesting (HTTP_JSON_MAX_DEPTH). */
const char *lrs_statements_text(struct lrs_ctx *x, struct lrs_part **parts, int *nparts,
				size_t *len, struct lrs_text_error *e);

#endif
