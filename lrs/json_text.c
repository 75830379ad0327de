/* json_text.c: compact JSON text with the shortest exact reals (see
 * json_text.h).
 *
 * Written here rather than with json_dumps() for two reasons: jansson
 * writes every real with one precision (17 digits by default, so 0.97
 * becomes 0.96999999999999997), and its callback-per-piece output is a
 * large share of the cost of storing a statement. The text is the same as
 * json_dumps(v, JSON_COMPACT) otherwise: members in their order, strings
 * escaped as jansson escapes them, UTF-8 kept as it is. */
#include "json_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_bytes.h"

struct out {
	char *p;
	size_t len, cap;
	int failed;
};

/* The first buffer: a stored statement's text mostly fits. */
#define FIRST_CAP 1024

static int grow(struct out *o, size_t more)
{
	if (o->failed)
		return -1;
	size_t cap = o->cap ? o->cap : FIRST_CAP;
	while (cap < o->len + more + 1)
		cap *= 2;
	char *p = realloc(o->p, cap);
	if (!p) {
		o->failed = 1;
		return -1;
	}
	o->p = p;
	o->cap = cap;
	return 0;
}

/* Room for more bytes and the final '\0'. Once an allocation has failed,
 * grow() refuses every request; what still fits is written but never
 * returned (lrs_json_dumps checks failed). */
static inline int reserve(struct out *o, size_t more)
{
	if (o->len + more + 1 <= o->cap)
		return 0;
	return grow(o, more);
}

static void put(struct out *o, const char *s, size_t n)
{
	if (reserve(o, n) == 0) {
		memcpy(o->p + o->len, s, n);
		o->len += n;
	}
}

static void put_char(struct out *o, char c)
{
	if (reserve(o, 1) == 0)
		o->p[o->len++] = c;
}

/* The index of the first byte from i on that JSON text must escape, or
 * n. */
static size_t next_to_escape(const char *s, size_t i, size_t n)
{
	while (i + 8 <= n && !json_bytes_special(s + i))
		i += 8;
	while (i < n && !json_byte_special((unsigned char)s[i]))
		i++;
	return i;
}

static void put_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	put_char(o, '"');
	size_t run = 0; /* bytes that need no escape, copied in one go */
	for (size_t i = next_to_escape(s, 0, n); i < n; i = next_to_escape(s, run, n)) {
		unsigned char c = (unsigned char)s[i];
		put(o, s + run, i - run);
		run = i + 1;
		char esc[6] = { '\\', 0 };
		size_t len = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			len = 6;
		}
		put(o, esc, len);
	}
	put(o, s + run, n - run);
	put_char(o, '"');
}

/* The fewest significant digits (15, 16 or 17; 17 is enough for every
 * double) that read back as exactly d, written like jansson writes reals
 * (a ".0" added when the text would read back as an integer). */
static void put_real(struct out *o, double d)
{
	char buf[40];
	for (int digits = 15; digits <= 17; digits++) {
		snprintf(buf, sizeof(buf), "%.*g", digits, d);
		if (digits == 17 || strtod(buf, NULL) == d)
			break;
	}
	/* "1e-07" as jansson writes it: "1e-7" (no '+', no leading zeros) */
	char *e = strchr(buf, 'e');
	if (e) {
		char *digits = e + 1 + (e[1] == '-' || e[1] == '+');
		char *from = digits;
		while (*from == '0' && from[1])
			from++;
		char *to = e[1] == '-' ? e + 2 : e + 1;
		memmove(to, from, strlen(from) + 1);
	}
	size_t n = strlen(buf);
	put(o, buf, n);
	if (!strpbrk(buf, ".eni")) /* no fraction, exponent, inf or nan */
		put(o, ".0", 2);
}

static void put_value(struct out *o, const json_t *v)
{
	char buf[32];
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		put_char(o, '{');
		int first = 1;
		const char *key;
		size_t key_len;
		json_t *m;
		json_object_keylen_foreach((json_t *)v, key, key_len, m) {
			if (!first)
				put_char(o, ',');
			first = 0;
			put_string(o, key, key_len);
			put_char(o, ':');
			put_value(o, m);
		}
		put_char(o, '}');
		break;
	}
	case JSON_ARRAY: {
		put_char(o, '[');
		size_t i;
		json_t *m;
		json_array_foreach(v, i, m) {
			if (i)
				put_char(o, ',');
			put_value(o, m);
		}
		put_char(o, ']');
		break;
	}
	case JSON_STRING:
		put_string(o, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		int n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(o, buf, (size_t)n);
		break;
	}
	case JSON_REAL:
		put_real(o, json_real_value(v));
		break;
	case JSON_TRUE:
		put(o, "true", 4);
		break;
	case JSON_FALSE:
		put(o, "false", 5);
		break;
	case JSON_NULL:
		put(o, "null", 4);
		break;
	}
}

char *lrs_json_dumps(const json_t *v)
{
	struct out o = { 0 };
	if (!v)
		return NULL;
	put_value(&o, v);
	if (o.failed || reserve(&o, 0) != 0) {
		free(o.p);
		return NULL;
	}
	o.p[o.len] = '\0';
	return o.p;
}
