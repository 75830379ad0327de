/* mail_template.c: template checks, loading and rendering (see
 * mail_template.h). */
#include "mail_template.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "mail_buf.h"
#include "utf8.h"

#define VAR_MAX 32

static const char *const lesson_vars[] = { "navn", "fornavn", "kommune", "kurs", "minutter", "lenke",
					   "frist", "lenke_gyldig_til", "kampanje", NULL };
static const char *const links_vars[] = { "navn", "fornavn", "kommune", "oversikt", "lenke_gyldig_til",
					  NULL };
static const char *const digest_vars[] = { "navn", "fornavn", "kommune", "kampanje", "antall", "oversikt",
					   "lederside", "uke", NULL };
static const char *const test_vars[] = { "navn", "fornavn", "kommune", NULL };

static const struct {
	const char *kind;
	const char *const *vars;
	const char *required; /* in both bodies */
} kinds[] = {
	{ "lesson", lesson_vars, "lenke" },
	{ "links", links_vars, "oversikt" },
	{ "digest", digest_vars, "oversikt" },
	{ "test", test_vars, NULL },
};

static int kind_index(const char *kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return (int)i;
	return -1;
}

int mail_template_kind_ok(const char *kind)
{
	return kind_index(kind) >= 0;
}

const char *const *mail_template_vars(const char *kind)
{
	int k = kind_index(kind);
	return k < 0 ? NULL : kinds[k].vars;
}

int mail_template_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > MAIL_TEMPLATE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return 0;
	return 1;
}

/* Walks the placeholders of s. For each one calls fn(name, len, arg) and
 * stops on a non-zero return. Returns 0, the callback's value, or -1 for
 * a malformed placeholder ("{{" without "}}" or a bad name). */
static int each_placeholder(const char *s, int (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = s;
	while ((p = strstr(p, "{{")) != NULL) {
		const char *name = p + 2;
		while (*name == ' ')
			name++;
		size_t len = 0;
		while ((name[len] >= 'a' && name[len] <= 'z') || name[len] == '_')
			len++;
		const char *end = name + len;
		while (*end == ' ')
			end++;
		if (len == 0 || len > VAR_MAX || strncmp(end, "}}", 2) != 0)
			return -1;
		int rc = fn(name, len, arg);
		if (rc)
			return rc;
		p = end + 2;
	}
	return 0;
}

struct check_ctx {
	const char *const *vars;
	const char *required;
	int found_required;
	char bad[VAR_MAX + 1];
};

static int check_var(const char *name, size_t len, void *arg)
{
	struct check_ctx *x = arg;
	for (const char *const *v = x->vars; *v; v++)
		if (strlen(*v) == len && strncmp(*v, name, len) == 0) {
			if (x->required && strcmp(*v, x->required) == 0)
				x->found_required = 1;
			return 0;
		}
	memcpy(x->bad, name, len);
	x->bad[len] = '\0';
	return 1;
}

static int check_part(const char *what, const char *s, size_t max, const struct check_ctx *base, int need,
		      char *err, size_t errsize)
{
	size_t n = strlen(s);
	if (n > max) {
		snprintf(err, errsize, "%s er for lang (høyst %zu byte).", what, max);
		return -1;
	}
	if (!utf8_valid(s, n)) {
		snprintf(err, errsize, "%s er ikke gyldig UTF-8.", what);
		return -1;
	}
	struct check_ctx x = *base;
	int rc = each_placeholder(s, check_var, &x);
	if (rc < 0) {
		snprintf(err, errsize, "%s har en feil i en {{variabel}}: den må være {{navn}} med små bokstaver.", what);
		return -1;
	}
	if (rc > 0) {
		snprintf(err, errsize, "%s bruker den ukjente variabelen {{%s}}.", what, x.bad);
		return -1;
	}
	if (need && x.required && !x.found_required) {
		snprintf(err, errsize, "%s må inneholde {{%s}}.", what, x.required);
		return -1;
	}
	return 0;
}

int mail_template_check(const char *kind, const char *subject, const char *text, const char *html,
			char *err, size_t errsize)
{
	int k = kind_index(kind);
	if (k < 0) {
		snprintf(err, errsize, "Ukjent maltype «%s».", kind);
		return -1;
	}
	struct check_ctx base = { kinds[k].vars, kinds[k].required, 0, "" };
	if (!subject[0] || !text[0] || !html[0]) {
		snprintf(err, errsize, "Emne, tekst og HTML må fylles ut.");
		return -1;
	}
	if (strpbrk(subject, "\r\n")) {
		snprintf(err, errsize, "Emnet må være på én linje.");
		return -1;
	}
	for (const char *p = subject; *p; p++)
		if ((unsigned char)*p < 32) {
			snprintf(err, errsize, "Emnet har et kontrolltegn.");
			return -1;
		}
	if (check_part("Emnet", subject, 200, &base, 0, err, errsize) != 0 ||
	    check_part("Teksten", text, MAIL_TEMPLATE_BODY_MAX, &base, 1, err, errsize) != 0 ||
	    check_part("HTML-teksten", html, MAIL_TEMPLATE_BODY_MAX, &base, 1, err, errsize) != 0)
		return -1;
	return 0;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return strdup(s ? (const char *)s : "");
}

int mail_template_load(struct db_conn *c, const char *name, struct mail_template *t)
{
	memset(t, 0, sizeof *t);
	sqlite3_stmt *st = db_stmt(c, "SELECT kind, subject, text_body, html_body FROM mail_templates WHERE name = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? DB_NOTFOUND : DB_ERROR;
	}
	snprintf(t->name, sizeof t->name, "%s", name);
	snprintf(t->kind, sizeof t->kind, "%s", (const char *)sqlite3_column_text(st, 0));
	t->subject = dup_col(st, 1);
	t->text = dup_col(st, 2);
	t->html = dup_col(st, 3);
	sqlite3_reset(st);
	if (!t->subject || !t->text || !t->html) {
		mail_template_free(t);
		return DB_ERROR;
	}
	return DB_OK;
}

void mail_template_free(struct mail_template *t)
{
	free(t->subject);
	free(t->text);
	free(t->html);
	t->subject = t->text = t->html = NULL;
}

struct fill_ctx {
	struct mail_buf *b;
	const json_t *vars;
	int html;
};

static void fill_one(struct fill_ctx *x, const char *name, size_t len)
{
	char key[VAR_MAX + 8];
	if (x->html) {
		snprintf(key, sizeof key, "%.*s_html", (int)len, name);
		const char *raw = json_string_value(json_object_get(x->vars, key));
		if (raw) {
			mail_buf_puts(x->b, raw);
			return;
		}
	}
	snprintf(key, sizeof key, "%.*s", (int)len, name);
	const char *v = json_string_value(json_object_get(x->vars, key));
	if (!v)
		return;
	if (x->html)
		mail_buf_html(x->b, v);
	else
		mail_buf_puts(x->b, v);
}

char *mail_template_fill(const char *tpl, const json_t *vars, int html)
{
	struct mail_buf b = { .max = 4u << 20 };
	struct fill_ctx x = { &b, vars, html };
	const char *p = tpl;
	const char *open;
	while ((open = strstr(p, "{{")) != NULL) {
		const char *name = open + 2;
		while (*name == ' ')
			name++;
		size_t len = 0;
		while ((name[len] >= 'a' && name[len] <= 'z') || name[len] == '_')
			len++;
		const char *end = name + len;
		while (*end == ' ')
			end++;
		if (len == 0 || len > VAR_MAX || strncmp(end, "}}", 2) != 0) {
			/* Not a placeholder: keep the braces as text. */
			mail_buf_add(&b, p, (size_t)(open + 2 - p));
			p = open + 2;
			continue;
		}
		mail_buf_add(&b, p, (size_t)(open - p));
		fill_one(&x, name, len);
		p = end + 2;
	}
	mail_buf_puts(&b, p);
	return mail_buf_take(&b);
}

static const char layout_head[] =
	"<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
static const char layout_body[] =
	"</title>\n</head>\n<body style=\"margin:0;padding:0;background:#f3f4f6;\">\n"
	"<div style=\"max-width:600px;margin:0 auto;padding:24px;background:#ffffff;"
	"font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1a1a1a;\">\n";
static const char layout_foot[] =
	"\n<hr style=\"border:none;border-top:1px solid #d1d5db;margin:24px 0 12px;\">\n"
	"<p style=\"font-size:14px;color:#4b5563;margin:0;\">";
static const char layout_end[] = "</p>\n</div>\n</body>\n</html>\n";

int mail_template_render(const struct mail_template *t, const json_t *vars, const char *contact,
			 struct mail_rendered *out)
{
	memset(out, 0, sizeof *out);
	char *subject = mail_template_fill(t->subject, vars, 0);
	char *text = mail_template_fill(t->text, vars, 0);
	char *html = mail_template_fill(t->html, vars, 1);
	struct mail_buf tb = { 0 }, hb = { 0 };
	if (subject) {
		/* A value must never break the subject onto a second line. */
		for (char *p = subject; *p; p++)
			if (*p == '\r' || *p == '\n' || *p == '\t')
				*p = ' ';
	}
	if (text) {
		mail_buf_puts(&tb, text);
		if (contact && contact[0])
			mail_buf_printf(&tb, "\n\n-- \n%s\n", contact);
	}
	if (html) {
		mail_buf_puts(&hb, layout_head);
		mail_buf_html(&hb, subject ? subject : "");
		mail_buf_puts(&hb, layout_body);
		mail_buf_puts(&hb, html);
		mail_buf_puts(&hb, layout_foot);
		mail_buf_html(&hb, contact ? contact : "");
		mail_buf_puts(&hb, layout_end);
	}
	free(text);
	free(html);
	out->subject = subject;
	out->text = text ? mail_buf_take(&tb) : NULL;
	out->html = html ? mail_buf_take(&hb) : NULL;
	if (!out->subject || !out->text || !out->html) {
		mail_buf_free(&tb);
		mail_buf_free(&hb);
		mail_rendered_free(out);
		return -1;
	}
	return 0;
}

void mail_rendered_free(struct mail_rendered *r)
{
	free(r->subject);
	free(r->text);
	free(r->html);
	r->subject = r->text = r->html = NULL;
}

void mail_format_date(long long ms, char *buf, size_t size)
{
	static const char *const months[] = { "januar", "februar", "mars", "april", "mai", "juni", "juli",
					      "august", "september", "oktober", "november", "desember" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	snprintf(buf, size, "%d. %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
}

void mail_first_name(const char *name, char *buf, size_t size)
{
	while (*name == ' ')
		name++;
	size_t n = strcspn(name, " ");
	if (n >= size)
		n = size - 1;
	memcpy(buf, name, n);
	buf[n] = '\0';
	/* Keep whole UTF-8 characters when cut. */
	while (n > 0 && !utf8_valid(buf, n))
		buf[--n] = '\0';
}
