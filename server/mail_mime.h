/* mail_mime.h: turning a rendered email into an RFC 5322 / MIME message.
 *
 * The message is multipart/alternative (plain text first, then HTML) or
 * text/plain alone, UTF-8 in quoted-printable with CRLF lines of at most 76
 * characters; non-ASCII subjects and display names become RFC 2047 encoded
 * words. Headers: Date, From, To, Subject, Message-ID, MIME-Version,
 * Content-Language: nb, Auto-Submitted: auto-generated (RFC 3834, so
 * vacation responders stay quiet) and X-Auto-Response-Suppress. There is
 * deliberately no List-Unsubscribe: the training is mandatory; the footer
 * carries a contact line instead. Addresses and headers are checked so no
 * input can inject a header. */
#ifndef VERN_MAIL_MIME_H
#define VERN_MAIL_MIME_H

#include <stddef.h>
#include <time.h>

#define MAIL_ADDR_MAX 254
#define MAIL_NAME_MAX 200
#define MAIL_SUBJECT_MAX 300 /* bytes of UTF-8 */

struct mime_message {
	const char *from_name, *from_addr; /* from_name may be "" */
	const char *to_name, *to_addr;     /* to_name may be "" */
	const char *subject;
	const char *text;                  /* required */
	const char *html;                  /* NULL or "": text only */
	const char *message_id;            /* without <>, "local@domain" */
	time_t date;
};

/* 1 if addr is a plain addr-spec we will send to: local@domain with
 * printable ASCII, no spaces, quotes, angle brackets or control bytes, a
 * dotted domain of letters, digits and hyphens; at most 254 bytes. */
int mail_address_ok(const char *addr);

/* Splits "Name <addr>" or "addr" into its parts. Returns 0, or -1 when the
 * address is not mail_address_ok or the name holds control bytes. */
int mail_parse_mailbox(const char *s, char *name, size_t namesize, char *addr, size_t addrsize);

/* Builds the message (malloc'ed, caller frees, NUL-terminated, CRLF lines).
 * Returns 0, or -1 with err set (bad address, header with CR/LF, not UTF-8,
 * too long, out of memory). */
int mime_build(const struct mime_message *m, char **out, size_t *outlen, char *err, size_t errsize);

/* The domain part of an address ("kommune.no" from "vern@kommune.no"). */
const char *mail_address_domain(const char *addr);

#endif
