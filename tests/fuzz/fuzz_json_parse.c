/* fuzz_json_parse.c: libFuzzer target for the statement requests' JSON
 * parser (lrs/json_parse.c), against jansson: every input must be refused
 * by both or parsed by both into equal values (the same integers and
 * reals, the same strings, members and order of arrays). A difference
 * aborts, but for one: jansson skips a NUL byte that follows a number or a
 * literal ("[84\0]" is [84] to it); we refuse NUL bytes outside strings,
 * as RFC 8259 does. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_parse.h"

/* json_equal, and also: integer and real are never equal here (jansson's
 * json_equal says so too, but keep the rule visible). */
static int same(const json_t *a, const json_t *b)
{
	if (json_typeof(a) != json_typeof(b))
		return 0;
	return json_equal(a, b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t je, me;
	json_t *theirs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
	json_t *ours = lrs_json_parse((const char *)data, size, &me);
	if (theirs && !ours && memchr(data, 0, size)) {
		json_decref(theirs);
		return 0; /* jansson's NUL quirk, above */
	}
	if (!theirs != !ours)
		abort();
	if (theirs && !same(theirs, ours))
		abort();
	if (!ours && !me.text[0])
		abort(); /* a refusal must say why */
	json_decref(theirs);
	json_decref(ours);
	return 0;
}
