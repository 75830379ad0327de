/* json_parse.h: the JSON parser for statement requests.
 *
 * Builds the same jansson values as json_loadb(text, len,
 * JSON_REJECT_DUPLICATES, err) and refuses the same texts (checked against
 * jansson by the fuzz target fuzz_json_parse), at about half the cost:
 * jansson reads its input a character at a time through a stream, checks
 * UTF-8 in a second pass and hashes each key twice; a batch of statements
 * spent half its request-thread time there. Values come from jansson's
 * allocator, so the request's arena (json_arena.h) applies.
 *
 * The rules: RFC 8259; an object or an array at the top, then nothing but
 * whitespace; strings valid UTF-8 with no control characters, escapes
 * with paired surrogates, no \u0000; no key twice in one object; numbers
 * without a fraction or an exponent are integers (refused beyond 64 bits),
 * others reals (refused when they overflow); nesting at most
 * LRS_JSON_MAX_DEPTH (or the caller's lower limit). On failure err has the
 * line, column, byte position and a text naming the fault
 * (LRS_JSON_TOO_DEEP when the nesting limit was passed). */
#ifndef VERN_LRS_JSON_PARSE_H
#define VERN_LRS_JSON_PARSE_H

#include <jansson.h>
#include <stddef.h>

/* jansson's own limit (JSON_PARSER_MAX_DEPTH) */
#define LRS_JSON_MAX_DEPTH 2048

#define LRS_JSON_TOO_DEEP "maximum parsing depth reached"

json_t *lrs_json_parse(const char *text, size_t len, json_error_t *err);

/* lrs_json_parse with nesting limited to max_depth levels (at most
 * LRS_JSON_MAX_DEPTH): request bodies are refused at the HTTP layer's
 * limit without a separate pass over the text. */
json_t *lrs_json_parse_depth(const char *text, size_t len, int max_depth, json_error_t *err);

#endif
