/* decimal.h: writing a number's decimal digits without printf, for the
 * paths and key lists written once per statement or per member. */
#ifndef VERN_DECIMAL_H
#define VERN_DECIMAL_H

/* Writes the digits of v so that they end just before end (at most 20
 * bytes before it); returns where they start. */
static inline char *decimal_before(char *end, unsigned long long v)
{
	do
		*--end = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	return end;
}

#endif
