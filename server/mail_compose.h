/* mail_compose.h: turning an outbox row into the message that is sent.
 *
 * Template rows are rendered now, from the template as it stands and the
 * row's vars; their lesson links are signed now from the row's employee,
 * course, campaign and the expiry stored in vars (so the outbox never holds
 * a usable token). Rows with their own subject and bodies are wrapped in
 * the same layout. */
#ifndef VERN_MAIL_COMPOSE_H
#define VERN_MAIL_COMPOSE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "mail_outbox.h"
#include "mail_template.h"
#include "mail_token.h"

struct db;

struct compose_ctx {
	struct db *db;
	const struct mail_keyring *ring;
	const char *public_url;     /* no trailing slash */
	const char *municipality;   /* "Demo kommune" */
	const char *contact;        /* mail_contact_line */
	const char *from_name, *from_addr;
	int sample;                 /* previews: links open nothing (PUBLIC_URL/e/eksempel) */
};

/* The lesson link for l: PUBLIC_URL/e/TOKEN into buf. Returns 0 or -1. */
int mail_link_url(const struct compose_ctx *x, const struct mail_link *l, char *buf, size_t size);

/* Adds the variables every email has (kommune, fornavn from navn, the
 * links and their expiry for lesson-like rows) to vars. Returns 0 or -1. */
int mail_compose_vars(const struct compose_ctx *x, const struct outbox_row *r, json_t *vars);

/* Renders r: subject, text and the full HTML. Returns 0 or -1 with err. */
int mail_compose_render(const struct compose_ctx *x, const struct outbox_row *r,
			struct mail_rendered *out, char *err, size_t errsize);

/* The whole MIME message for r (malloc'ed). Returns 0 or -1 with err. */
int mail_compose(const struct compose_ctx *x, const struct outbox_row *r, time_t now, char **msg,
		 size_t *len, char *err, size_t errsize);

#endif
