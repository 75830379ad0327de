/* json_text.h: the JSON text the LRS stores and sends. */
#ifndef VERN_LRS_JSON_TEXT_H
#define VERN_LRS_JSON_TEXT_H

#include <jansson.h>

/* Compact JSON text of v (malloc'd; NULL when out of memory), with every
 * number that has a fraction written in the fewest significant digits
 * (15, 16 or 17) that read back as exactly the same double: 0.97 stays
 * "0.97" rather than jansson's default "0.96999999999999997". The precision
 * is chosen once for the whole value, so a value holding one number that
 * needs 17 digits writes all its numbers with 17 (still exact). */
char *lrs_json_dumps(const json_t *v);

#endif
