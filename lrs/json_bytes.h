/* json_bytes.h: eight string bytes at a time, for the JSON reader and
 * writer: whether any of them is one that JSON text cannot hold as it is
 * (a control character, '"' or '\\'). */
#ifndef VERN_JSON_BYTES_H
#define VERN_JSON_BYTES_H

#include <stdint.h>
#include <string.h>

/* Whether byte c is one that JSON text cannot hold as it is. */
static inline int json_byte_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* Nonzero when one of the 8 bytes at s is below 0x20, '"' or '\\'. Bytes
 * of 0x80 and over (UTF-8) never count. Each term is the classic "has a
 * byte below n" test, exact about whether any byte is, so their union
 * is too. */
static inline uint64_t json_bytes_special(const void *s)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	uint64_t w;
	memcpy(&w, s, 8);
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	return ((w - ones * 0x20) | (quote - ones) | (backslash - ones)) & ~w & highs;
}

/* Nonzero when one of the 8 bytes at s is 0x80 or over. */
static inline uint64_t json_bytes_high(const void *s)
{
	uint64_t w;
	memcpy(&w, s, 8);
	return w & 0x8080808080808080ULL;
}

#endif
