/* hex.h: the value of a hexadecimal digit, for the decoders that read
 * percent-escapes, \u escapes and UUIDs. */
#ifndef VERN_HEX_H
#define VERN_HEX_H

/* 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for anything else. */
static inline int hex_digit(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

#endif
