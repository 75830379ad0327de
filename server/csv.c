/* csv.c: the CSV reader (see csv.h). */
#include "csv.h"

#include <stdio.h>
#include <string.h>

#include "utf8.h"

void csv_init(struct csv *r, const char *text, size_t len)
{
	memset(r, 0, sizeof(*r));
	r->p = text;
	r->end = text + len;
	r->line = r->at_line = 1;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
	/* The separator is whichever of ';' and ',' the header line has more of. */
	int commas = 0, semis = 0;
	for (const char *q = r->p; q < r->end && *q != '\n'; q++) {
		commas += *q == ',';
		semis += *q == ';';
	}
	r->sep = semis > commas ? ';' : ',';
}

static int fail(struct csv *r, const char *msg)
{
	snprintf(r->err, sizeof(r->err), "%s", msg);
	return -1;
}

int csv_next(struct csv *r)
{
	/* skip blank lines */
	while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) {
		if (*r->p == '\n')
			r->at_line++;
		r->p++;
	}
	if (r->p >= r->end)
		return 0;
	r->nfields = 0;
	size_t o = 0;
	int start_line = r->at_line;
	r->line = start_line;
	for (;;) {
		if (r->nfields == CSV_MAX_FIELDS)
			return fail(r, "too many fields");
		char *field = r->buf + o;
		size_t flen = 0;
		if (r->p < r->end && *r->p == '"') {
			r->p++;
			for (;;) {
				if (r->p >= r->end)
					return fail(r, "a quoted field is not closed");
				char ch = *r->p++;
				if (ch == '"') {
					if (r->p < r->end && *r->p == '"')
						r->p++;
					else
						break;
				}
				if (ch == '\n')
					r->at_line++;
				if (flen >= CSV_MAX_FIELD || o + flen + 1 >= sizeof(r->buf))
					return fail(r, "a field is too long");
				field[flen++] = ch;
			}
			if (r->p < r->end && *r->p != r->sep && *r->p != '\n' && *r->p != '\r')
				return fail(r, "text after a closing quote");
		} else {
			while (r->p < r->end && *r->p != r->sep && *r->p != '\n' && *r->p != '\r') {
				if (*r->p == '"')
					return fail(r, "a quote inside an unquoted field");
				if (flen >= CSV_MAX_FIELD || o + flen + 1 >= sizeof(r->buf))
					return fail(r, "a field is too long");
				field[flen++] = *r->p++;
			}
		}
		field[flen] = '\0';
		if (memchr(field, '\0', flen) || !utf8_valid(field, flen))
			return fail(r, "a field is not valid UTF-8 text");
		/* trim surrounding spaces */
		char *s = field;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t n = strlen(s);
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			s[--n] = '\0';
		r->fields[r->nfields++] = s;
		o += flen + 1;
		if (r->p < r->end && *r->p == r->sep) {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == '\r')
			r->p++;
		if (r->p < r->end && *r->p == '\n') {
			r->p++;
			r->at_line++;
		}
		break;
	}
	return 1;
}
