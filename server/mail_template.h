/* mail_template.h: the email templates admins edit (table mail_templates)
 * and their rendering.
 *
 * A template has a subject, a plain-text body and an HTML body fragment
 * with {{variable}} placeholders. Which variables a template may use
 * depends on its kind (lesson, links, digest, test); every kind has navn,
 * fornavn and kommune. In HTML, values are escaped, except that Vern may
 * supply a ready-made, escaped "<name>_html" value (the lists in digests).
 * Rendering wraps the bodies in Vern's layout, which always ends with the
 * configured contact line (no unsubscribe link: the training is
 * mandatory). */
#ifndef VERN_MAIL_TEMPLATE_H
#define VERN_MAIL_TEMPLATE_H

#include <jansson.h>
#include <stddef.h>

struct db_conn;

#define MAIL_TEMPLATE_NAME_MAX 64
#define MAIL_TEMPLATE_BODY_MAX (64 * 1024)

struct mail_template {
	char name[MAIL_TEMPLATE_NAME_MAX + 1];
	char kind[16];
	char *subject, *text, *html; /* owned */
};

struct mail_rendered {
	char *subject, *text, *html; /* owned; html is a complete document */
};

/* 1 if kind is a template kind; the names of its variables (NULL-ended). */
int mail_template_kind_ok(const char *kind);
const char *const *mail_template_vars(const char *kind);

/* 1 if name is a template name: 1-64 of [a-z0-9-]. */
int mail_template_name_ok(const char *name);

/* Checks a template before it is stored: UTF-8, lengths, a one-line
 * subject, well-formed placeholders naming only the kind's variables, and
 * the variables the kind needs ({{lenke}} in lesson bodies, {{oversikt}}
 * in links and digest bodies). Returns 0 or -1 with err (Norwegian). */
int mail_template_check(const char *kind, const char *subject, const char *text, const char *html,
			char *err, size_t errsize);

/* Loads template name into t. Returns 0, DB_NOTFOUND or DB_ERROR. */
int mail_template_load(struct db_conn *c, const char *name, struct mail_template *t);
void mail_template_free(struct mail_template *t);

/* Fills {{name}} placeholders from vars (an object of strings; a missing
 * one renders empty). html: escape values and prefer "<name>_html".
 * Returns a malloc'ed string or NULL. */
char *mail_template_fill(const char *tpl, const json_t *vars, int html);

/* Renders t with vars into subject, text and a full HTML document in the
 * layout, with contact as the footer line. Returns 0 or -1. */
int mail_template_render(const struct mail_template *t, const json_t *vars, const char *contact,
			 struct mail_rendered *out);
void mail_rendered_free(struct mail_rendered *r);

/* "19. oktober 2026" for ms since the epoch (local time). */
void mail_format_date(long long ms, char *buf, size_t size);

/* The first word of a full name ("Kari" from "Kari Nordmann"). */
void mail_first_name(const char *name, char *buf, size_t size);

#endif
