/* fuzz_statement.c: libFuzzer target for the statement path that needs no
 * server: the depth guard, JSON parsing (lrs/json_parse.c, as requests are
 * parsed), validation for xAPI 1.0.3 and 2.0 (lrs/validate.c), the index
 * extraction (lrs/extract.c) and statement comparison
 * (lrs_statements_match).
 *
 * Input: a JSON text, a statement or an array of statements, as a client
 * would POST it. Every valid statement must compare equal to itself and
 * extract without error. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attachments.h"
#include "extract.h"
#include "http.h"
#include "json_parse.h"
#include "validate.h"

static void one(const json_t *s, enum lrs_version v)
{
	struct lrs_verror e;
	if (lrs_validate_statement(s, v, "", &e) != 0) {
		if (!e.rule[0])
			abort(); /* a rejection must say which rule */
		return;
	}
	if (!lrs_statements_match(s, s))
		abort();
	struct lrs_extract x;
	memset(&x, 0, sizeof(x));
	if (lrs_extract(s, &x) != 0)
		abort();
	lrs_extract_free(&x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!http_json_depth_ok((const char *)data, size, HTTP_JSON_MAX_DEPTH))
		return 0;
	json_t *doc = lrs_json_parse((const char *)data, size, NULL);
	if (!doc)
		return 0;
	for (int v = LRS_V103; v <= LRS_V200; v++) {
		if (json_is_array(doc)) {
			size_t i;
			json_t *s;
			json_array_foreach(doc, i, s)
				one(s, (enum lrs_version)v);
		} else {
			one(doc, (enum lrs_version)v);
		}
	}
	json_decref(doc);
	return 0;
}
