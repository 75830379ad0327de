/* utf8.h: UTF-8 validation shared by the parsers of untrusted text (CSV
 * fields, zip entry names): strict RFC 3629, no overlong forms, no
 * surrogates, nothing beyond U+10FFFF. */
#ifndef VERN_UTF8_H
#define VERN_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at s, which has avail bytes;
 * 0 when it is malformed or cut short. */
size_t utf8_seq_len(const unsigned char *s, size_t avail);

/* 1 when the n bytes at s are valid UTF-8. */
int utf8_valid(const char *s, size_t n);

#endif
