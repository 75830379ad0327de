/* json_text.c: compact JSON with the shortest exact reals (json_text.h). */
#include "json_text.h"

#include <stdio.h>
#include <stdlib.h>

/* The fewest digits, from 15 (always enough for a decimal the client wrote
 * with 15 or fewer) to 17 (enough for every double), that read back as d. */
static int digits_needed(double d)
{
	char buf[40];
	for (int p = 15; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			return p;
	}
	return 17;
}

static int most_digits(const json_t *v)
{
	int most = 0;
	if (json_is_real(v))
		return digits_needed(json_real_value(v));
	if (json_is_object(v)) {
		const char *k;
		const json_t *m;
		json_object_foreach((json_t *)v, k, m) {
			int d = most_digits(m);
			if (d > most)
				most = d;
		}
	} else if (json_is_array(v)) {
		size_t i;
		const json_t *m;
		json_array_foreach(v, i, m) {
			int d = most_digits(m);
			if (d > most)
				most = d;
		}
	}
	return most;
}

char *lrs_json_dumps(const json_t *v)
{
	int digits = most_digits(v);
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY;
	if (digits)
		flags |= JSON_REAL_PRECISION(digits);
	return json_dumps(v, flags);
}
