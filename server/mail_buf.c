/* mail_buf.c: the growable text buffer (see mail_buf.h). */
#include "mail_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(struct mail_buf *b, size_t extra)
{
	if (b->failed)
		return -1;
	if (extra > ((size_t)-1) / 4 - b->len || (b->max && b->len + extra > b->max)) {
		b->failed = 1;
		return -1;
	}
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void mail_buf_add(struct mail_buf *b, const char *s, size_t n)
{
	if (grow(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void mail_buf_puts(struct mail_buf *b, const char *s)
{
	mail_buf_add(b, s, strlen(s));
}

void mail_buf_printf(struct mail_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void mail_buf_html(struct mail_buf *b, const char *s)
{
	const char *start = s;
	for (; *s; s++) {
		const char *rep = NULL;
		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: continue;
		}
		mail_buf_add(b, start, (size_t)(s - start));
		mail_buf_puts(b, rep);
		start = s + 1;
	}
	mail_buf_add(b, start, (size_t)(s - start));
}

char *mail_buf_take(struct mail_buf *b)
{
	if (b->failed || !b->p) {
		int failed = b->failed;
		mail_buf_free(b);
		return failed ? NULL : calloc(1, 1);
	}
	char *p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void mail_buf_free(struct mail_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}
