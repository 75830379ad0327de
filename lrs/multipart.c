/* multipart.c: reading and writing multipart/mixed bodies (RFC 2046 5.1)
 * for statements with attachments.
 *
 * Reading: the boundary comes from the Content-Type parameter (quoted or
 * not). The first delimiter is "--boundary" at the start of a line; what
 * precedes it is the preamble. The line ending that follows it (CRLF, or a
 * bare LF) is the one every later line must use. Each part is header lines,
 * a blank line, then the content up to the next "<eol>--boundary"; the
 * closing delimiter "<eol>--boundary--" ends the body and anything after it
 * is the epilogue. Transport padding (spaces, tabs) after a delimiter is
 * allowed. Part content is never copied.
 *
 * Writing (lrs_multipart_build): the response format of GET statements
 * with attachments=true. */
#include "multipart.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_BOUNDARY 70 /* RFC 2046 */

/* Header flags, to refuse a header sent twice. */
enum { SEEN_TYPE = 1, SEEN_CTE = 2, SEEN_HASH = 4, SEEN_LENGTH = 8 };

static int fail(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
	if (err && size > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* RFC 2046 bchars. */
static int is_bchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* RFC 7230 tchar, for header names. */
static int is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ws(const char *p)
{
	while (is_ws(*p))
		p++;
	return p;
}

/* Reads the boundary parameter of the Content-Type value ct into out
 * (MAX_BOUNDARY + 1 bytes). Returns its length or -1 with err set. */
static int get_boundary(const char *ct, char *out, char *err, size_t errsize)
{
	if (!ct)
		return fail(err, errsize, "the request has no Content-Type header");
	const char *p = skip_ws(ct);
	const char *type = p;
	while (*p && *p != ';' && !is_ws(*p))
		p++;
	if (p - type != 15 || strncasecmp(type, "multipart/mixed", 15) != 0)
		return fail(err, errsize, "the Content-Type is not multipart/mixed");
	p = skip_ws(p);
	int found = -1;
	while (*p) {
		if (*p != ';')
			return fail(err, errsize, "the Content-Type parameters are malformed");
		p = skip_ws(p + 1);
		if (!*p)
			break;
		const char *name = p;
		while (*p && *p != '=' && *p != ';' && !is_ws(*p))
			p++;
		size_t name_len = (size_t)(p - name);
		p = skip_ws(p);
		if (*p != '=')
			return fail(err, errsize, "a Content-Type parameter has no value");
		p = skip_ws(p + 1);
		char value[MAX_BOUNDARY + 1];
		size_t len = 0;
		int too_long = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (len < MAX_BOUNDARY)
					value[len++] = *p;
				else
					too_long = 1;
			}
			if (*p != '"')
				return fail(err, errsize, "a quoted Content-Type parameter is not closed");
			p++;
		} else {
			for (; *p && *p != ';' && !is_ws(*p); p++) {
				if (len < MAX_BOUNDARY)
					value[len++] = *p;
				else
					too_long = 1;
			}
		}
		p = skip_ws(p);
		if (name_len != 8 || strncasecmp(name, "boundary", 8) != 0)
			continue;
		if (found >= 0)
			return fail(err, errsize, "the Content-Type has the boundary parameter twice");
		if (too_long)
			return fail(err, errsize, "the multipart boundary is longer than %d characters",
				    MAX_BOUNDARY);
		if (len == 0)
			return fail(err, errsize, "the multipart boundary is empty");
		for (size_t i = 0; i < len; i++)
			if (!is_bchar((unsigned char)value[i]))
				return fail(err, errsize, "the multipart boundary has a character "
					    "RFC 2046 does not allow");
		if (value[len - 1] == ' ')
			return fail(err, errsize, "the multipart boundary ends with a space");
		memcpy(out, value, len);
		out[len] = '\0';
		found = (int)len;
	}
	if (found < 0)
		return fail(err, errsize, "the Content-Type has no boundary parameter");
	return found;
}

/* Finds needle at the start of a line (at hay or right after a '\n'). */
static const char *find_at_line_start(const char *hay, size_t hay_len, const char *needle,
				      size_t needle_len)
{
	const char *p = hay;
	const char *end = hay + hay_len;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), needle, needle_len);
		if (!hit)
			return NULL;
		if (hit == hay || hit[-1] == '\n')
			return hit;
		p = hit + 1;
	}
	return NULL;
}

static const char *skip_padding(const char *p, const char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

static int at_eol(const char *p, const char *end, const char *eol, size_t eol_len)
{
	return (size_t)(end - p) >= eol_len && memcmp(p, eol, eol_len) == 0;
}

/* Copies a Content-Type value: media type lowercased and trimmed, then the
 * parameters as sent. */
static void copy_content_type(struct lrs_part *part, const char *v, size_t len)
{
	char *out = part->content_type_buf;
	size_t type_len = 0;
	while (type_len < len && v[type_len] != ';')
		type_len++;
	size_t trimmed = type_len;
	while (trimmed > 0 && is_ws(v[trimmed - 1]))
		trimmed--;
	size_t o = 0;
	for (size_t i = 0; i < trimmed; i++)
		out[o++] = lower(v[i]);
	for (size_t i = type_len; i < len; i++)
		out[o++] = v[i];
	out[o] = '\0';
}

/* Reads one header line (without its line ending) into part. n is the
 * 1-based part number, for messages. */
static int parse_header(struct lrs_part *part, const char *line, size_t len, unsigned *seen,
			long long *content_length, int n, char *err, size_t errsize)
{
	if (is_ws(line[0]))
		return fail(err, errsize, "part %d: folded (continued) header lines are not accepted",
			    n);
	const char *colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return fail(err, errsize, "part %d: a header line has no name and colon", n);
	size_t name_len = (size_t)(colon - line);
	for (size_t i = 0; i < name_len; i++)
		if (!is_tchar((unsigned char)line[i]))
			return fail(err, errsize, "part %d: a header name has characters that are "
				    "not allowed", n);
	const char *v = colon + 1;
	const char *vend = line + len;
	for (const char *c = v; c < vend; c++) {
		unsigned char u = (unsigned char)*c;
		if ((u < 0x20 && u != '\t') || u == 0x7f)
			return fail(err, errsize, "part %d: header %.*s holds control characters", n,
				    (int)(name_len > 64 ? 64 : name_len), line);
	}
	while (v < vend && is_ws(*v))
		v++;
	while (vend > v && is_ws(vend[-1]))
		vend--;
	size_t vlen = (size_t)(vend - v);

	unsigned flag = 0;
	if (name_len == 12 && strncasecmp(line, "Content-Type", 12) == 0)
		flag = SEEN_TYPE;
	else if (name_len == 25 && strncasecmp(line, "Content-Transfer-Encoding", 25) == 0)
		flag = SEEN_CTE;
	else if (name_len == 21 && strncasecmp(line, "X-Experience-API-Hash", 21) == 0)
		flag = SEEN_HASH;
	else if (name_len == 14 && strncasecmp(line, "Content-Length", 14) == 0)
		flag = SEEN_LENGTH;
	else
		return 0; /* other headers (Content-Disposition, ...) are ignored */
	if (*seen & flag)
		return fail(err, errsize, "part %d: header %.*s appears twice", n, (int)name_len, line);
	*seen |= flag;
	if (vlen == 0)
		return fail(err, errsize, "part %d: header %.*s is empty", n, (int)name_len, line);

	switch (flag) {
	case SEEN_TYPE:
		if (vlen >= sizeof(part->content_type_buf))
			return fail(err, errsize, "part %d: its Content-Type is too long", n);
		copy_content_type(part, v, vlen);
		break;
	case SEEN_CTE:
		if (vlen >= sizeof(part->transfer_encoding))
			return fail(err, errsize, "part %d: its Content-Transfer-Encoding is too long", n);
		for (size_t i = 0; i < vlen; i++)
			part->transfer_encoding[i] = lower(v[i]);
		part->transfer_encoding[vlen] = '\0';
		break;
	case SEEN_HASH:
		if (vlen >= sizeof(part->sha2))
			return fail(err, errsize, "part %d: its X-Experience-API-Hash is longer than a "
				    "SHA-512 hash", n);
		memcpy(part->sha2, v, vlen);
		part->sha2[vlen] = '\0';
		break;
	case SEEN_LENGTH: {
		long long value = 0;
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9' || i >= 18)
				return fail(err, errsize, "part %d: its Content-Length is not a number", n);
			value = value * 10 + (v[i] - '0');
		}
		*content_length = value;
		break;
	}
	}
	return 0;
}

int lrs_multipart_parse(const char *content_type, const char *body, size_t len,
			struct lrs_part *parts, int max, char *err, size_t errsize)
{
	char boundary[MAX_BOUNDARY + 1];
	int blen = get_boundary(content_type, boundary, err, errsize);
	if (blen < 0)
		return -1;
	if (!body)
		body = "";
	const char *end = body + len;

	/* delim = eol "--" boundary; the first delimiter has no eol before it. */
	char delim[2 + 2 + MAX_BOUNDARY];
	const char *first = NULL;
	{
		char dash[2 + MAX_BOUNDARY];
		dash[0] = dash[1] = '-';
		memcpy(dash + 2, boundary, (size_t)blen);
		first = find_at_line_start(body, len, dash, (size_t)blen + 2);
	}
	if (!first)
		return fail(err, errsize, "the body does not contain the boundary from the "
			    "Content-Type at the start of a line");
	const char *p = first + 2 + blen;
	if (end - p >= 2 && p[0] == '-' && p[1] == '-')
		return fail(err, errsize, "the body has no parts");
	p = skip_padding(p, end);
	const char *eol;
	size_t eol_len;
	if (at_eol(p, end, "\r\n", 2)) {
		eol = "\r\n";
		eol_len = 2;
	} else if (at_eol(p, end, "\n", 1)) {
		eol = "\n";
		eol_len = 1;
	} else {
		return fail(err, errsize, "the first boundary line has other characters after the "
			    "boundary");
	}
	p += eol_len;
	memcpy(delim, eol, eol_len);
	delim[eol_len] = delim[eol_len + 1] = '-';
	memcpy(delim + eol_len + 2, boundary, (size_t)blen);
	size_t delim_len = eol_len + 2 + (size_t)blen;

	int n = 0;
	for (;;) {
		if (n >= max)
			return fail(err, errsize, "the body has more than %d parts", max);
		struct lrs_part *part = &parts[n];
		memset(part, 0, sizeof(*part));
		part->content_type = part->content_type_buf;
		unsigned seen = 0;
		long long content_length = -1;
		int nheaders = 0;

		/* Header lines up to the blank line. */
		for (;;) {
			size_t room = (size_t)(end - p);
			size_t scan = room < LRS_MULTIPART_MAX_HEADER_LINE + eol_len
				? room : LRS_MULTIPART_MAX_HEADER_LINE + eol_len;
			const char *nl = memchr(p, '\n', scan);
			if (!nl) {
				if (scan < room)
					return fail(err, errsize, "part %d: a header line is longer than %d "
						    "bytes", n + 1, LRS_MULTIPART_MAX_HEADER_LINE);
				return fail(err, errsize, "part %d: its headers are not followed by a "
					    "blank line", n + 1);
			}
			const char *line_end = nl;
			if (eol_len == 2) {
				if (nl == p || nl[-1] != '\r')
					return fail(err, errsize, "part %d: a header line ends with a bare "
						    "LF, the body uses CRLF", n + 1);
				line_end = nl - 1;
			}
			size_t line_len = (size_t)(line_end - p);
			if (line_len == 0) {
				p = nl + 1;
				break;
			}
			if (++nheaders > LRS_MULTIPART_MAX_HEADERS)
				return fail(err, errsize, "part %d has more than %d header lines", n + 1,
					    LRS_MULTIPART_MAX_HEADERS);
			if (parse_header(part, p, line_len, &seen, &content_length, n + 1, err,
					 errsize) != 0)
				return -1;
			p = nl + 1;
		}

		/* The content runs to the next delimiter. The blank line's own
		 * line ending may be the delimiter's: then the part is empty. */
		const char *search = p - eol_len;
		const char *d = memmem(search, (size_t)(end - search), delim, delim_len);
		if (!d)
			return fail(err, errsize, "the body ends without the closing boundary "
				    "(--boundary--)");
		part->body = p;
		part->len = d > p ? (size_t)(d - p) : 0;
		if (content_length >= 0 && (unsigned long long)content_length != part->len)
			return fail(err, errsize, "part %d: its Content-Length (%lld) differs from "
				    "its size (%zu bytes)", n + 1, content_length, part->len);
		n++;

		const char *q = d + delim_len;
		if (end - q >= 2 && q[0] == '-' && q[1] == '-') {
			q = skip_padding(q + 2, end);
			if (q < end && !at_eol(q, end, eol, eol_len))
				return fail(err, errsize, "the closing boundary has other characters "
					    "after it");
			return n; /* the rest is the epilogue */
		}
		q = skip_padding(q, end);
		if (!at_eol(q, end, eol, eol_len)) {
			if (q == end)
				return fail(err, errsize, "the body ends without the closing boundary "
					    "(--boundary--)");
			return fail(err, errsize, "part %d contains the boundary string", n);
		}
		p = q + eol_len;
	}
}

int lrs_part_is_json(const struct lrs_part *part)
{
	const char *ct = part->content_type ? part->content_type : "";
	size_t n = strcspn(ct, ";");
	return n == 16 && strncmp(ct, "application/json", 16) == 0;
}

/* ---- writing ---- */

static int is_hex_hash(const char *s)
{
	if (!s)
		return 0;
	size_t n = strlen(s);
	if (n == 0 || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return 0;
	}
	return 1;
}

/* A content type safe to put in a header line. */
static const char *safe_type(const char *ct)
{
	if (!ct || !*ct || strlen(ct) > 255)
		return "application/octet-stream";
	for (const unsigned char *c = (const unsigned char *)ct; *c; c++)
		if (*c < 0x20 || *c >= 0x7f)
			return "application/octet-stream";
	return ct;
}

static int boundary_used(const char *b, size_t blen, const char *json, size_t json_len,
			 const struct lrs_out_part *parts, int nparts)
{
	if (memmem(json, json_len, b, blen))
		return 1;
	for (int i = 0; i < nparts; i++)
		if (parts[i].len && memmem(parts[i].data, parts[i].len, b, blen))
			return 1;
	return 0;
}

struct buf {
	char *p;
	size_t len;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (len) {
		memcpy(b->p + b->len, data, len);
		b->len += len;
	}
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* size += add, refusing overflow. */
static int grow(size_t *size, size_t add)
{
	if (add > SIZE_MAX - *size)
		return -1;
	*size += add;
	return 0;
}

char *lrs_multipart_build(const char *json, size_t json_len,
			  const struct lrs_out_part *parts, int nparts,
			  char *boundary, size_t *len)
{
	static const char json_head[] = "\r\nContent-Type: application/json\r\n\r\n";
	static const char part_type[] = "\r\nContent-Type: ";
	static const char part_cte[] = "\r\nContent-Transfer-Encoding: binary\r\nX-Experience-API-Hash: ";
	if (!json)
		json = "";
	if (nparts < 0 || (nparts > 0 && !parts))
		return NULL;
	for (int i = 0; i < nparts; i++)
		if (!is_hex_hash(parts[i].sha2) || (parts[i].len && !parts[i].data))
			return NULL;
	if (sodium_init() < 0)
		return NULL;

	/* "vern" + 32 hex digits: 128 random bits, checked against the content. */
	int tries = 0;
	do {
		if (++tries > 8)
			return NULL;
		unsigned char r[16];
		randombytes_buf(r, sizeof(r));
		memcpy(boundary, "vern", 4);
		sodium_bin2hex(boundary + 4, 33, r, sizeof(r));
	} while (boundary_used(boundary, 36, json, json_len, parts, nparts));
	size_t blen = 36;

	size_t size = 0;
	int bad = grow(&size, 2 + blen) || grow(&size, sizeof(json_head) - 1) ||
		  grow(&size, json_len);
	for (int i = 0; i < nparts && !bad; i++)
		bad = grow(&size, 4 + blen) || grow(&size, sizeof(part_type) - 1) ||
		      grow(&size, strlen(safe_type(parts[i].content_type))) ||
		      grow(&size, sizeof(part_cte) - 1) || grow(&size, strlen(parts[i].sha2)) ||
		      grow(&size, 4) || grow(&size, parts[i].len);
	if (bad || grow(&size, 4 + blen + 4) || grow(&size, 1))
		return NULL;

	struct buf b = { malloc(size), 0 };
	if (!b.p)
		return NULL;
	puts_(&b, "--");
	put(&b, boundary, blen);
	puts_(&b, json_head);
	put(&b, json, json_len);
	for (int i = 0; i < nparts; i++) {
		puts_(&b, "\r\n--");
		put(&b, boundary, blen);
		puts_(&b, part_type);
		puts_(&b, safe_type(parts[i].content_type));
		puts_(&b, part_cte);
		puts_(&b, parts[i].sha2);
		puts_(&b, "\r\n\r\n");
		put(&b, parts[i].data, parts[i].len);
	}
	puts_(&b, "\r\n--");
	put(&b, boundary, blen);
	puts_(&b, "--\r\n");
	b.p[b.len] = '\0';
	*len = b.len;
	return b.p;
}
