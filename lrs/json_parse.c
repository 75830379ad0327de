/* json_parse.c: the JSON parser for statement requests (see
 * json_parse.h).
 *
 * A recursive descent over the buffer. Strings without escapes become
 * jansson strings straight from the input (one copy, by jansson); a string
 * with escapes is decoded into a buffer first. UTF-8 is checked as strings
 * are read (utf8.c); outside strings every byte must be ASCII anyway.
 * Reals are read with strtod, in the C numeric locale the process keeps
 * (json_text.c writes them the same way). */
#include "json_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "json_bytes.h"
#include "mail_buf.h"
#include "utf8.h"

/* Objects with up to this many members are checked for a repeated key by
 * comparing with each member; larger ones by a hash lookup. */
#define SCAN_KEYS 8

struct parser {
	const unsigned char *start, *p, *end;
	json_error_t *err;
	int failed;
	int max_depth;
};

/* A string read from the input: s points into it, or into heap (decoded
 * escapes, freed by the reader). */
struct str {
	const char *s;
	size_t len;
	char *heap;
};

static void fail(struct parser *ps, const unsigned char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(struct parser *ps, const unsigned char *at, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = 1;
	json_error_t *e = ps->err;
	if (!e)
		return;
	int line = 1, column = 0;
	for (const unsigned char *q = ps->start; q < at && q < ps->end; q++) {
		if (*q == '\n') {
			line++;
			column = 0;
		} else if ((*q & 0xC0) != 0x80) {
			column++;
		}
	}
	e->line = line;
	e->column = column + 1;
	e->position = (int)(at - ps->start);
	snprintf(e->source, sizeof(e->source), "<buffer>");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
		ps->p++;
}

/* ---- strings ---- */

/* Four hex digits at q (before end) as a number, or -1. */
static long hex4(const unsigned char *q, const unsigned char *end)
{
	if (end - q < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(q[i]);
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static void put_code_point(struct mail_buf *b, unsigned long cp)
{
	unsigned char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (unsigned char)(0xC0 | (cp >> 6));
		u[1] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (unsigned char)(0xE0 | (cp >> 12));
		u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (unsigned char)(0xF0 | (cp >> 18));
		u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	mail_buf_add(b, (const char *)u, n);
}

/* The \u escape at q (pointing at the 'u'), with its low surrogate when it
 * is a high one, into b; returns the byte after it, or NULL. */
static const unsigned char *unicode_escape(struct parser *ps, const unsigned char *q,
					   struct mail_buf *b)
{
	long cp = hex4(q + 1, ps->end);
	if (cp < 0) {
		fail(ps, q, "invalid escape");
		return NULL;
	}
	q += 5;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		long low = ps->end - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2, ps->end) : -1;
		if (low < 0xDC00 || low > 0xDFFF) {
			fail(ps, q, "invalid Unicode '\\u%04lX'", cp);
			return NULL;
		}
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
		q += 6;
	} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
		fail(ps, q, "invalid Unicode '\\u%04lX'", cp);
		return NULL;
	} else if (cp == 0) {
		fail(ps, q, "\\u0000 is not allowed without JSON_ALLOW_NUL");
		return NULL;
	}
	put_code_point(b, (unsigned long)cp);
	return q;
}

/* The rest of a string from q (after its first escape), decoded into b
 * (whose failure, out of memory, the caller checks). */
static const unsigned char *decode_rest(struct parser *ps, const unsigned char *q,
					struct mail_buf *b)
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	for (;;) {
		if (q >= ps->end) {
			fail(ps, q, "premature end of input");
			return NULL;
		}
		unsigned char c = *q;
		const unsigned char *from = q;
		if (c == '"')
			return q + 1;
		if (c == '\\') {
			if (q + 1 >= ps->end) {
				fail(ps, q, "premature end of input");
				return NULL;
			}
			if (q[1] == 'u') {
				if (!(q = unicode_escape(ps, q + 1, b)))
					return NULL;
				continue;
			}
			const char *k = q[1] ? strchr(plain, q[1]) : NULL;
			if (!k) {
				fail(ps, q, "invalid escape");
				return NULL;
			}
			mail_buf_add(b, &meant[k - plain], 1);
			q += 2;
			continue;
		}
		if (c < 0x20) {
			fail(ps, q, "control character 0x%x in string", c);
			return NULL;
		}
		size_t n = c < 0x80 ? 1 : utf8_seq_len(q, (size_t)(ps->end - q));
		if (n == 0) {
			fail(ps, q, "invalid UTF-8");
			return NULL;
		}
		q += n;
		mail_buf_add(b, (const char *)from, n);
	}
}

/* Reads the string at ps->p (its opening quote). Returns 0, or -1 (failed;
 * nothing to free). */
static int read_string(struct parser *ps, struct str *s)
{
	const unsigned char *begin = ps->p + 1, *q = begin;
	for (;;) {
		/* plain ASCII is passed over 8 bytes at a time, then byte by
		 * byte up to the end of the word that held something else */
		while (ps->end - q >= 8 && !json_bytes_special(q) && !json_bytes_high(q))
			q += 8;
		const unsigned char *word_end = ps->end - q > 8 ? q + 8 : ps->end;
		while (q < word_end && *q < 0x80 && !json_byte_special(*q))
			q++;
		if (q >= ps->end) {
			fail(ps, q, "premature end of input");
			return -1;
		}
		if (q == word_end)
			continue;
		unsigned char c = *q;
		if (c == '"') {
			*s = (struct str){ (const char *)begin, (size_t)(q - begin), NULL };
			ps->p = q + 1;
			return 0;
		}
		if (c == '\\')
			break;
		if (c < 0x20) {
			fail(ps, q, "control character 0x%x in string", c);
			return -1;
		}
		size_t n = utf8_seq_len(q, (size_t)(ps->end - q));
		if (n == 0) {
			fail(ps, q, "invalid UTF-8");
			return -1;
		}
		q += n;
	}
	struct mail_buf b = { 0 };
	mail_buf_add(&b, (const char *)begin, (size_t)(q - begin));
	const unsigned char *after = decode_rest(ps, q, &b);
	if (after && b.failed)
		fail(ps, q, "out of memory");
	if (!after || b.failed) {
		mail_buf_free(&b);
		return -1;
	}
	*s = (struct str){ b.p ? b.p : "", b.len, b.p };
	ps->p = after;
	return 0;
}

/* ---- numbers and literals ---- */

static json_t *parse_number(struct parser *ps)
{
	const unsigned char *begin = ps->p, *q = begin, *end = ps->end;
	int real = 0;
	if (*q == '-')
		q++;
	if (q >= end || !is_digit(*q))
		goto invalid;
	if (*q == '0') {
		q++;
		if (q < end && is_digit(*q))
			goto invalid;
	} else {
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && *q == '.') {
		real = 1;
		if (++q >= end || !is_digit(*q))
			goto invalid;
		while (q < end && is_digit(*q))
			q++;
	}
	if (q < end && (*q == 'e' || *q == 'E')) {
		real = 1;
		q++;
		if (q < end && (*q == '+' || *q == '-'))
			q++;
		if (q >= end || !is_digit(*q))
			goto invalid;
		while (q < end && is_digit(*q))
			q++;
	}
	size_t n = (size_t)(q - begin);
	char small[64];
	char *text = n < sizeof(small) ? small : malloc(n + 1);
	if (!text) {
		fail(ps, begin, "out of memory");
		return NULL;
	}
	memcpy(text, begin, n);
	text[n] = '\0';
	json_t *v = NULL;
	errno = 0;
	if (!real) {
		long long i = strtoll(text, NULL, 10);
		if (errno == ERANGE)
			fail(ps, begin, i < 0 ? "too big negative integer" : "too big integer");
		else
			v = json_integer(i);
	} else {
		double d = strtod(text, NULL);
		if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE)
			fail(ps, begin, "real number overflow");
		else
			v = json_real(d);
	}
	if (text != small)
		free(text);
	if (!v && !ps->failed)
		fail(ps, begin, "out of memory");
	ps->p = q;
	return v;
invalid:
	fail(ps, q, "invalid number");
	return NULL;
}

static json_t *parse_literal(struct parser *ps)
{
	static const struct {
		const char *text;
		size_t len;
	} words[] = { { "true", 4 }, { "false", 5 }, { "null", 4 } };
	for (int i = 0; i < 3; i++)
		if ((size_t)(ps->end - ps->p) >= words[i].len &&
		    memcmp(ps->p, words[i].text, words[i].len) == 0) {
			ps->p += words[i].len;
			return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
		}
	fail(ps, ps->p, "invalid token");
	return NULL;
}

/* ---- objects and arrays ---- */

static json_t *parse_value(struct parser *ps, int depth);

/* Whether obj, with n members, has key already. */
static int has_key(json_t *obj, size_t n, const struct str *key)
{
	if (n > SCAN_KEYS)
		return json_object_getn(obj, key->s, key->len) != NULL;
	for (void *it = json_object_iter(obj); it; it = json_object_iter_next(obj, it))
		if (json_object_iter_key_len(it) == key->len &&
		    memcmp(json_object_iter_key(it), key->s, key->len) == 0)
			return 1;
	return 0;
}

/* Steps into the container whose opening bracket is at ps->p, after the
 * depth check: container (NULL when out of memory), or NULL with the
 * failure recorded (container then released). */
static json_t *enter(struct parser *ps, int depth, json_t *container)
{
	if (depth > ps->max_depth) {
		fail(ps, ps->p, LRS_JSON_TOO_DEEP);
		json_decref(container);
		return NULL;
	}
	ps->p++;
	if (!container)
		fail(ps, ps->p, "out of memory");
	return container;
}

/* Consumes close when it comes next (after white space): 1, else 0. */
static int closes(struct parser *ps, char close)
{
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return 1;
	}
	return 0;
}

/* After a member of a container ending in close: 1 when a ',' (consumed)
 * announces another, 0 when close (consumed) ends it, -1 (failure
 * recorded) for anything else. */
static int next_member(struct parser *ps, char close)
{
	if (closes(ps, ','))
		return 1;
	if (closes(ps, close))
		return 0;
	fail(ps, ps->p, close == '}' ? "',' or '}' expected" : "',' or ']' expected");
	return -1;
}

static json_t *parse_object(struct parser *ps, int depth)
{
	json_t *obj = enter(ps, depth, json_object());
	if (!obj || closes(ps, '}'))
		return obj;
	for (size_t n = 0;; n++) {
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != '"') {
			fail(ps, ps->p, "string or '}' expected");
			break;
		}
		const unsigned char *key_at = ps->p;
		struct str key;
		if (read_string(ps, &key) != 0)
			break;
		json_t *v = NULL;
		if (has_key(obj, n, &key)) {
			fail(ps, key_at, "duplicate object key");
		} else {
			skip_ws(ps);
			if (ps->p >= ps->end || *ps->p != ':')
				fail(ps, ps->p, "':' expected");
			else if ((ps->p++, v = parse_value(ps, depth)) &&
				 json_object_setn_new_nocheck(obj, key.s, key.len, v) != 0) {
				fail(ps, ps->p, "out of memory");
				v = NULL;
			}
		}
		free(key.heap);
		int more = v ? next_member(ps, '}') : -1;
		if (more == 0)
			return obj;
		if (more < 0)
			break;
	}
	json_decref(obj);
	return NULL;
}

static json_t *parse_array(struct parser *ps, int depth)
{
	json_t *arr = enter(ps, depth, json_array());
	if (!arr || closes(ps, ']'))
		return arr;
	for (;;) {
		json_t *v = parse_value(ps, depth);
		if (!v)
			break;
		if (json_array_append_new(arr, v) != 0) {
			fail(ps, ps->p, "out of memory");
			break;
		}
		int more = next_member(ps, ']');
		if (more == 0)
			return arr;
		if (more < 0)
			break;
	}
	json_decref(arr);
	return NULL;
}

static json_t *parse_value(struct parser *ps, int depth)
{
	skip_ws(ps);
	if (ps->p >= ps->end) {
		fail(ps, ps->p, "premature end of input");
		return NULL;
	}
	unsigned char c = *ps->p;
	if (c == '{')
		return parse_object(ps, depth + 1);
	if (c == '[')
		return parse_array(ps, depth + 1);
	if (c == '"') {
		struct str s;
		if (read_string(ps, &s) != 0)
			return NULL;
		json_t *v = json_stringn_nocheck(s.s, s.len);
		free(s.heap);
		if (!v)
			fail(ps, ps->p, "out of memory");
		return v;
	}
	if (c == '-' || is_digit(c))
		return parse_number(ps);
	return parse_literal(ps);
}

json_t *lrs_json_parse(const char *text, size_t len, json_error_t *err)
{
	return lrs_json_parse_depth(text, len, LRS_JSON_MAX_DEPTH, err);
}

json_t *lrs_json_parse_depth(const char *text, size_t len, int max_depth, json_error_t *err)
{
	if (max_depth > LRS_JSON_MAX_DEPTH)
		max_depth = LRS_JSON_MAX_DEPTH;
	struct parser ps = { (const unsigned char *)text, (const unsigned char *)text,
			     (const unsigned char *)text + len, err, 0, max_depth };
	skip_ws(&ps);
	if (ps.p >= ps.end || (*ps.p != '{' && *ps.p != '[')) {
		fail(&ps, ps.p, "'[' or '{' expected");
		return NULL;
	}
	json_t *v = parse_value(&ps, 0);
	if (!v)
		return NULL;
	skip_ws(&ps);
	if (ps.p != ps.end) {
		fail(&ps, ps.p, "end of file expected");
		json_decref(v);
		return NULL;
	}
	return v;
}
