/* json_text.h: the JSON text the LRS stores and sends. */
#ifndef VERN_LRS_JSON_TEXT_H
#define VERN_LRS_JSON_TEXT_H

#include <jansson.h>

/* Compact JSON text of v (malloc'd; NULL when out of memory), as
 * json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) writes it, except that each
 * real is written in the fewest significant digits (15, 16 or 17) that
 * read back as exactly the same double: 0.97 stays "0.97" rather than
 * jansson's "0.96999999999999997". Assumes the C locale's decimal point
 * (Vern never changes LC_NUMERIC). */
char *lrs_json_dumps(const json_t *v);

#endif
