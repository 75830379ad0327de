/* mail_buf.h: a growable text buffer for building emails, templates and
 * pages. Errors are sticky: after a failed allocation every append is a
 * no-op and failed is set, so a builder checks once at the end. */
#ifndef VERN_MAIL_BUF_H
#define VERN_MAIL_BUF_H

#include <stddef.h>

struct mail_buf {
	char *p;      /* NUL-terminated when not NULL */
	size_t len, cap;
	size_t max;   /* 0: no limit; else appending past it fails */
	int failed;
};

void mail_buf_add(struct mail_buf *b, const char *s, size_t n);
void mail_buf_puts(struct mail_buf *b, const char *s);
void mail_buf_printf(struct mail_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s with &, <, >, " and ' escaped for HTML text and attributes. */
void mail_buf_html(struct mail_buf *b, const char *s);
/* Hands the text over (caller frees); NULL when the buffer failed. */
char *mail_buf_take(struct mail_buf *b);
void mail_buf_free(struct mail_buf *b);

#endif
