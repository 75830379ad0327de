/* mail_compose.c: outbox row -> rendered email -> MIME (see
 * mail_compose.h). */
#include "mail_compose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "mail_buf.h"
#include "mail_mime.h"

int mail_link_url(const struct compose_ctx *x, const struct mail_link *l, char *buf, size_t size)
{
	char token[MAIL_TOKEN_MAX];
	if (x->sample)
		snprintf(token, sizeof token, "eksempel");
	else if (mail_token_sign(x->ring, l, token, sizeof token) != 0)
		return -1;
	int n = snprintf(buf, size, "%s/e/%s", x->public_url, token);
	return n > 0 && (size_t)n < size ? 0 : -1;
}

static void set_str(json_t *vars, const char *key, const char *value)
{
	json_object_set_new(vars, key, json_string(value));
}

/* "links" rows: one line (text) or list item (HTML) per open lesson. */
static int links_list(const struct compose_ctx *x, const struct outbox_row *r, json_t *vars,
		      long long exp)
{
	json_t *lessons = json_object_get(vars, "lessons");
	struct mail_buf t = { 0 }, h = { 0 };
	mail_buf_puts(&h, "<ul>\n");
	size_t i;
	json_t *it;
	json_array_foreach(lessons, i, it) {
		const char *course = json_string_value(json_object_get(it, "course"));
		const char *title = json_string_value(json_object_get(it, "title"));
		json_int_t campaign = json_integer_value(json_object_get(it, "campaign"));
		if (!course || !title)
			continue;
		struct mail_link l = { .employee_id = r->employee_id, .campaign_id = campaign, .expires = exp };
		snprintf(l.course_id, sizeof l.course_id, "%s", course);
		char url[800];
		if (mail_link_url(x, &l, url, sizeof url) != 0)
			continue;
		mail_buf_printf(&t, "%s- %s:\n  %s", i ? "\n\n" : "", title, url);
		mail_buf_puts(&h, "<li><a href=\"");
		mail_buf_html(&h, url);
		mail_buf_puts(&h, "\">");
		mail_buf_html(&h, title);
		mail_buf_puts(&h, "</a></li>\n");
	}
	mail_buf_puts(&h, "</ul>");
	char *ts = mail_buf_take(&t), *hs = mail_buf_take(&h);
	int rc = ts && hs ? 0 : -1;
	if (!rc) {
		set_str(vars, "oversikt", ts);
		set_str(vars, "oversikt_html", hs);
	}
	free(ts);
	free(hs);
	return rc;
}

/* "digest" rows: the overdue staff as an indented list and a table. */
static int digest_list(json_t *vars)
{
	json_t *staff = json_object_get(vars, "staff");
	struct mail_buf t = { 0 }, h = { 0 };
	mail_buf_puts(&h, "<table style=\"border-collapse:collapse;width:100%;\">\n<thead><tr>"
			  "<th scope=\"col\" style=\"text-align:left;border-bottom:1px solid #d1d5db;padding:4px;\">Navn</th>"
			  "<th scope=\"col\" style=\"text-align:left;border-bottom:1px solid #d1d5db;padding:4px;\">Leksjon</th>"
			  "<th scope=\"col\" style=\"text-align:left;border-bottom:1px solid #d1d5db;padding:4px;\">Frist</th>"
			  "</tr></thead>\n<tbody>\n");
	size_t i;
	json_t *it;
	json_array_foreach(staff, i, it) {
		const char *name = json_string_value(json_object_get(it, "navn"));
		const char *course = json_string_value(json_object_get(it, "kurs"));
		const char *due = json_string_value(json_object_get(it, "frist"));
		if (!name || !course || !due)
			continue;
		mail_buf_printf(&t, "%s- %s: %s (frist %s)", i ? "\n" : "", name, course, due);
		const char *cells[] = { name, course, due };
		mail_buf_puts(&h, "<tr>");
		for (int c = 0; c < 3; c++) {
			mail_buf_puts(&h, "<td style=\"border-bottom:1px solid #e5e7eb;padding:4px;\">");
			mail_buf_html(&h, cells[c]);
			mail_buf_puts(&h, "</td>");
		}
		mail_buf_puts(&h, "</tr>\n");
	}
	mail_buf_puts(&h, "</tbody>\n</table>");
	char *ts = mail_buf_take(&t), *hs = mail_buf_take(&h);
	int rc = ts && hs ? 0 : -1;
	if (!rc) {
		set_str(vars, "oversikt", ts);
		set_str(vars, "oversikt_html", hs);
		char n[32];
		snprintf(n, sizeof n, "%zu", json_array_size(staff));
		set_str(vars, "antall", n);
	}
	free(ts);
	free(hs);
	return rc;
}

int mail_compose_vars(const struct compose_ctx *x, const struct outbox_row *r, json_t *vars)
{
	set_str(vars, "kommune", x->municipality);
	const char *name = json_string_value(json_object_get(vars, "navn"));
	if (!name) {
		set_str(vars, "navn", r->to_name);
		name = r->to_name;
	}
	char first[128];
	mail_first_name(name, first, sizeof first);
	set_str(vars, "fornavn", first);
	if (!json_object_get(vars, "kampanje"))
		set_str(vars, "kampanje", "den obligatoriske opplæringen");

	json_int_t due = json_integer_value(json_object_get(vars, "due"));
	if (due > 0) {
		char date[64];
		mail_format_date((long long)due, date, sizeof date);
		set_str(vars, "frist", date);
	}
	json_int_t exp = json_integer_value(json_object_get(vars, "exp"));
	if (exp > 0) {
		char date[64];
		mail_format_date((long long)exp * 1000, date, sizeof date);
		set_str(vars, "lenke_gyldig_til", date);
	}
	if (json_object_get(vars, "lessons"))
		return links_list(x, r, vars, exp);
	if (json_object_get(vars, "staff")) {
		char url[800];
		snprintf(url, sizeof url, "%s/leder", x->public_url);
		set_str(vars, "lederside", url);
		return digest_list(vars);
	}
	if (exp > 0 && r->course_id[0]) {
		struct mail_link l = { .employee_id = r->employee_id, .campaign_id = r->campaign_id,
				       .expires = exp };
		snprintf(l.course_id, sizeof l.course_id, "%s", r->course_id);
		char url[800];
		if (mail_link_url(x, &l, url, sizeof url) != 0)
			return -1;
		set_str(vars, "lenke", url);
	}
	return 0;
}

int mail_compose_render(const struct compose_ctx *x, const struct outbox_row *r,
			struct mail_rendered *out, char *err, size_t errsize)
{
	memset(out, 0, sizeof *out);
	if (!r->template[0]) {
		/* Own subject and bodies (mail_enqueue): the layout only. */
		struct mail_template t = { .subject = "{{emne}}", .text = "{{tekst}}", .html = "{{html}}" };
		json_t *vars = json_pack("{s:s, s:s, s:s}", "emne", r->subject ? r->subject : "",
					 "tekst", r->text ? r->text : "", "html_html", r->html ? r->html : "");
		if (!r->html || !r->html[0]) {
			/* Text only: HTML is the text, escaped, in a <pre>-like paragraph. */
			struct mail_buf h = { 0 };
			mail_buf_puts(&h, "<div style=\"white-space:pre-wrap;\">");
			mail_buf_html(&h, r->text ? r->text : "");
			mail_buf_puts(&h, "</div>");
			char *hs = mail_buf_take(&h);
			if (vars && hs)
				json_object_set_new(vars, "html_html", json_string(hs));
			free(hs);
		}
		int rc = vars ? mail_template_render(&t, vars, x->contact, out) : -1;
		json_decref(vars);
		if (rc != 0)
			snprintf(err, errsize, "the email could not be rendered");
		return rc;
	}
	struct db_conn *c = db_reader_get(x->db);
	struct mail_template t;
	int rc = mail_template_load(c, r->template, &t);
	db_reader_put(x->db, c);
	if (rc != DB_OK) {
		snprintf(err, errsize, "template %s %s", r->template, rc == DB_NOTFOUND ? "does not exist" : "could not be read");
		return -1;
	}
	json_error_t jerr;
	json_t *vars = r->vars ? json_loads(r->vars, 0, &jerr) : json_object();
	if (!json_is_object(vars) || mail_compose_vars(x, r, vars) != 0 ||
	    mail_template_render(&t, vars, x->contact, out) != 0) {
		snprintf(err, errsize, "the email could not be rendered from template %s", r->template);
		rc = -1;
	} else {
		rc = 0;
	}
	json_decref(vars);
	mail_template_free(&t);
	return rc;
}

int mail_compose(const struct compose_ctx *x, const struct outbox_row *r, time_t now, char **msg,
		 size_t *len, char *err, size_t errsize)
{
	struct mail_rendered out;
	if (mail_compose_render(x, r, &out, err, errsize) != 0)
		return -1;
	struct mime_message m = {
		.from_name = x->from_name, .from_addr = x->from_addr,
		.to_name = r->to_name, .to_addr = r->to_addr,
		.subject = out.subject, .text = out.text, .html = out.html,
		.message_id = r->message_id, .date = now,
	};
	int rc = mime_build(&m, msg, len, err, errsize);
	mail_rendered_free(&out);
	return rc;
}
