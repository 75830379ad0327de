/* mail_mime.c: building MIME messages (see mail_mime.h). */
#include "mail_mime.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "mail_buf.h"
#include "utf8.h"

#define BODY_MAX (1u << 20)
#define QP_LINE 76

static int is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int domain_ok(const char *d)
{
	size_t n = strlen(d), label = 0;
	int dots = 0;
	if (n == 0 || n > 253 || d[0] == '.' || d[n - 1] == '.' || d[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return 0;
			dots++;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (++label > 63)
			return 0;
	}
	/* "localhost" is allowed for test setups; otherwise a dotted name. */
	return dots > 0 || strcmp(d, "localhost") == 0;
}

int mail_address_ok(const char *addr)
{
	size_t n = strnlen(addr, MAIL_ADDR_MAX + 1);
	if (n == 0 || n > MAIL_ADDR_MAX)
		return 0;
	const char *at = strrchr(addr, '@');
	if (!at || at == addr || (size_t)(at - addr) > 64)
		return 0;
	for (const char *p = addr; p < at; p++) {
		if (*p == '.') {
			if (p == addr || p + 1 == at || p[1] == '.')
				return 0;
			continue;
		}
		if (!is_atext(*p))
			return 0;
	}
	return domain_ok(at + 1);
}

const char *mail_address_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	return at ? at + 1 : addr;
}

int mail_parse_mailbox(const char *s, char *name, size_t namesize, char *addr, size_t addrsize)
{
	const char *lt = strrchr(s, '<');
	const char *gt = lt ? strchr(lt, '>') : NULL;
	if (lt && (!gt || gt[1] != '\0'))
		return -1;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127)
			return -1;
	if (!lt) {
		if (strlen(s) >= addrsize || !mail_address_ok(s))
			return -1;
		snprintf(addr, addrsize, "%s", s);
		name[0] = '\0';
		return 0;
	}
	size_t alen = (size_t)(gt - lt - 1);
	if (alen == 0 || alen >= addrsize)
		return -1;
	memcpy(addr, lt + 1, alen);
	addr[alen] = '\0';
	if (!mail_address_ok(addr))
		return -1;
	const char *ns = s, *ne = lt;
	while (ns < ne && *ns == ' ')
		ns++;
	while (ne > ns && ne[-1] == ' ')
		ne--;
	if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"') {
		ns++;
		ne--;
	}
	if ((size_t)(ne - ns) >= namesize || !utf8_valid(ns, (size_t)(ne - ns)))
		return -1;
	memcpy(name, ns, (size_t)(ne - ns));
	name[ne - ns] = '\0';
	return 0;
}

static int no_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || *s == 127)
			return 0;
	return 1;
}

static int ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 32 || (unsigned char)*s > 126)
			return 0;
	return 1;
}

/* RFC 2047 B encoded words, split between characters and folded with
 * CRLF SP so no line passes 76 characters. col is where the first word
 * starts; returns the column after the last one. */
static size_t encoded_words(struct mail_buf *b, const char *s, size_t col)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int first = 1;
	while (n > 0) {
		if (!first) {
			mail_buf_puts(b, "\r\n ");
			col = 1;
		}
		/* "=?UTF-8?B?" + base64 + "?=": 12 + 4 per 3 bytes. */
		size_t room = col + 12 + 8 <= 76 ? (76 - col - 12) / 4 * 3 : 3;
		size_t take = 0;
		while (take < n) {
			size_t l = utf8_seq_len(p + take, n - take);
			if (l == 0)
				l = 1;
			if (take + l > room && take > 0)
				break;
			take += l;
		}
		char b64[128];
		sodium_bin2base64(b64, sizeof b64, p, take, sodium_base64_VARIANT_ORIGINAL);
		mail_buf_printf(b, "=?UTF-8?B?%s?=", b64);
		col += 12 + strlen(b64);
		first = 0;
		p += take;
		n -= take;
	}
	return col;
}

static void header_text(struct mail_buf *b, const char *name, const char *value)
{
	mail_buf_printf(b, "%s: ", name);
	if (ascii_printable(value) && !strstr(value, "=?") && strlen(name) + 2 + strlen(value) <= 78)
		mail_buf_puts(b, value);
	else
		encoded_words(b, value, strlen(name) + 2);
	mail_buf_puts(b, "\r\n");
}

/* Name <addr> after "Header: " (col characters). */
static void mailbox(struct mail_buf *b, const char *name, const char *addr, size_t col)
{
	if (!name || !name[0]) {
		mail_buf_puts(b, addr);
		return;
	}
	if (ascii_printable(name) && !strstr(name, "=?")) {
		int plain = 1;
		for (const char *p = name; *p; p++)
			if (!is_atext(*p) && *p != ' ')
				plain = 0;
		if (plain) {
			mail_buf_puts(b, name);
			col += strlen(name);
		} else {
			mail_buf_puts(b, "\"");
			for (const char *p = name; *p; p++) {
				if (*p == '"' || *p == '\\') {
					mail_buf_puts(b, "\\");
					col++;
				}
				mail_buf_add(b, p, 1);
			}
			mail_buf_puts(b, "\"");
			col += strlen(name) + 2;
		}
	} else {
		col = encoded_words(b, name, col);
	}
	if (col + 3 + strlen(addr) > 78)
		mail_buf_puts(b, "\r\n");
	mail_buf_printf(b, " <%s>", addr);
}

/* Quoted-printable (RFC 2045 6.7) with CRLF hard breaks. Also encodes a
 * '.' or an "F" of "From " at the start of a line, so no relay's dot or
 * mbox handling can change the text. */
static void quoted_printable(struct mail_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if (c == '\n' || (c == '\r' && p[1] == '\n')) {
			if (c == '\r')
				p++;
			mail_buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		int end_of_line = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
		for (;;) {
			int enc = c == '=' || c > 126 || (c < 32 && c != '\t') ||
				  ((c == ' ' || c == '\t') && end_of_line) ||
				  (col == 0 && (c == '.' || (c == 'F' && strncmp((const char *)p, "From ", 5) == 0)));
			size_t w = enc ? 3 : 1;
			/* Room for a soft break '=' unless this is the line's last char. */
			size_t limit = end_of_line ? QP_LINE : QP_LINE - 1;
			if (col + w > limit) {
				mail_buf_puts(b, "=\r\n");
				col = 0;
				continue;
			}
			if (enc) {
				char e[3] = { '=', hex[c >> 4], hex[c & 15] };
				mail_buf_add(b, e, 3);
			} else {
				mail_buf_add(b, (const char *)&c, 1);
			}
			col += w;
			break;
		}
	}
}

static void part(struct mail_buf *b, const char *type, const char *body)
{
	mail_buf_printf(b, "Content-Type: %s; charset=utf-8\r\n"
			   "Content-Transfer-Encoding: quoted-printable\r\n\r\n", type);
	quoted_printable(b, body);
	mail_buf_puts(b, "\r\n");
}

static int message_id_ok(const char *id)
{
	const char *at = strchr(id, '@');
	if (!at || at == id || strchr(at + 1, '@') || strlen(id) > 200)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-_@", *p)))
			return 0;
	return 1;
}

int mime_build(const struct mime_message *m, char **out, size_t *outlen, char *err, size_t errsize)
{
	*out = NULL;
	const char *html = m->html && m->html[0] ? m->html : NULL;
	if (!mail_address_ok(m->from_addr) || !mail_address_ok(m->to_addr)) {
		snprintf(err, errsize, "bad sender or recipient address");
		return -1;
	}
	const char *names[] = { m->from_name ? m->from_name : "", m->to_name ? m->to_name : "", m->subject };
	for (int i = 0; i < 3; i++)
		if (!no_ctl(names[i]) || !utf8_valid(names[i], strlen(names[i])) ||
		    strlen(names[i]) > (i == 2 ? MAIL_SUBJECT_MAX : MAIL_NAME_MAX)) {
			snprintf(err, errsize, "%s is too long, not UTF-8 or holds control characters",
				 i == 2 ? "the subject" : "a display name");
			return -1;
		}
	if (!m->text || strlen(m->text) > BODY_MAX || (html && strlen(html) > BODY_MAX) ||
	    !utf8_valid(m->text, strlen(m->text)) || (html && !utf8_valid(html, strlen(html)))) {
		snprintf(err, errsize, "a body is missing, too long or not UTF-8");
		return -1;
	}
	if (!message_id_ok(m->message_id)) {
		snprintf(err, errsize, "bad Message-ID");
		return -1;
	}

	struct mail_buf b = { 0 };
	char date[64];
	struct tm tm;
	localtime_r(&m->date, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm);
	mail_buf_printf(&b, "Date: %s\r\nFrom: ", date);
	mailbox(&b, m->from_name, m->from_addr, 6);
	mail_buf_puts(&b, "\r\nTo: ");
	mailbox(&b, m->to_name, m->to_addr, 4);
	mail_buf_puts(&b, "\r\n");
	header_text(&b, "Subject", m->subject);
	mail_buf_printf(&b, "Message-ID: <%s>\r\n"
			    "MIME-Version: 1.0\r\n"
			    "Content-Language: nb\r\n"
			    "Auto-Submitted: auto-generated\r\n"
			    "X-Auto-Response-Suppress: All\r\n", m->message_id);
	if (!html) {
		part(&b, "text/plain", m->text);
	} else {
		unsigned char h[12];
		char boundary[48], hexs[25];
		crypto_generichash(h, sizeof h, (const unsigned char *)m->message_id, strlen(m->message_id),
				   NULL, 0);
		sodium_bin2hex(hexs, sizeof hexs, h, sizeof h);
		snprintf(boundary, sizeof boundary, "=_vern_%s", hexs);
		mail_buf_printf(&b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", boundary);
		mail_buf_printf(&b, "--%s\r\n", boundary);
		part(&b, "text/plain", m->text);
		mail_buf_printf(&b, "--%s\r\n", boundary);
		part(&b, "text/html", html);
		mail_buf_printf(&b, "--%s--\r\n", boundary);
	}
	size_t len = b.len;
	*out = mail_buf_take(&b);
	if (!*out) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	*outlen = len;
	return 0;
}
