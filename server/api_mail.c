/* api_mail.c: templates, outbox status and test email for admins (see
 * api_mail.h). */
#include "api_mail.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "mail_compose.h"
#include "mail_mime.h"
#include "mail_outbox.h"
#include "mail_template.h"
#include "server.h"
#include "session.h"

static json_t *vars_array(const char *kind)
{
	json_t *a = json_array();
	const char *const *v = mail_template_vars(kind);
	for (; v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

void api_mail_templates(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *items = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT name, kind, description, builtin, subject, updated_ms FROM mail_templates"
				      " ORDER BY builtin DESC, name");
	int rc = st ? SQLITE_ROW : SQLITE_ERROR;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:b, s:s, s:I}",
			"name", (const char *)sqlite3_column_text(st, 0), "kind", (const char *)sqlite3_column_text(st, 1),
			"description", (const char *)sqlite3_column_text(st, 2), "builtin", sqlite3_column_int(st, 3),
			"subject", (const char *)sqlite3_column_text(st, 4),
			"updated_ms", (json_int_t)sqlite3_column_int64(st, 5)));
	if (st)
		sqlite3_reset(st);
	db_reader_put(req->srv->db, c);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		http_send_error(req, 500, "storage_failed", "Kunne ikke lese malene.");
		return;
	}
	json_t *out = json_pack("{s:o}", "templates", items);
	http_send_json(req, 200, out);
	json_decref(out);
}

static json_t *load_template_doc(struct db *db, const char *name)
{
	struct db_conn *c = db_reader_get(db);
	json_t *out = NULL;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT kind, description, builtin, subject, text_body, html_body, default_subject, default_text,"
		" default_html, updated_ms FROM mail_templates WHERE name = ?");
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			const char *kind = (const char *)sqlite3_column_text(st, 0);
			out = json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:I, s:o}", "name", name, "kind", kind,
					"description", (const char *)sqlite3_column_text(st, 1),
					"builtin", sqlite3_column_int(st, 2), "subject", (const char *)sqlite3_column_text(st, 3),
					"text", (const char *)sqlite3_column_text(st, 4),
					"html", (const char *)sqlite3_column_text(st, 5),
					"updated_ms", (json_int_t)sqlite3_column_int64(st, 9), "variables", vars_array(kind));
			if (out && sqlite3_column_int(st, 2))
				json_object_set_new(out, "default", json_pack("{s:s, s:s, s:s}",
					"subject", (const char *)sqlite3_column_text(st, 6),
					"text", (const char *)sqlite3_column_text(st, 7),
					"html", (const char *)sqlite3_column_text(st, 8)));
		}
		sqlite3_reset(st);
	}
	db_reader_put(db, c);
	return out;
}

struct tpl_job {
	const char *name, *kind, *description, *subject, *text, *html;
	long long now;
	int exists, builtin, used;
};

static int put_template(struct db_conn *c, void *arg)
{
	struct tpl_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO mail_templates(name, kind, description, subject, text_body, html_body, updated_ms)"
		" VALUES(?1, ?2, coalesce(?3, ''), ?4, ?5, ?6, ?7) ON CONFLICT(name) DO UPDATE SET"
		" subject = excluded.subject, text_body = excluded.text_body, html_body = excluded.html_body,"
		" description = coalesce(?3, description), updated_ms = excluded.updated_ms");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->kind, -1, SQLITE_STATIC);
	if (j->description)
		sqlite3_bind_text(st, 3, j->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->html, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, j->now);
	return db_exec_stmt(c, st, "mail_template_put");
}

static int reset_or_delete(struct db_conn *c, void *arg)
{
	struct tpl_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT builtin FROM mail_templates WHERE name = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_NOTFOUND;
	}
	j->builtin = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (j->builtin) {
		st = db_stmt(c, "UPDATE mail_templates SET subject = default_subject, text_body = default_text,"
				" html_body = default_html, updated_ms = ?2 WHERE name = ?1");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, j->now);
		return db_exec_stmt(c, st, "mail_template_reset");
	}
	st = db_stmt(c, "SELECT 1 FROM campaigns WHERE template = ?1 OR reminder_template = ?1 LIMIT 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
	j->used = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (j->used)
		return DB_CONFLICT;
	st = db_stmt(c, "DELETE FROM mail_templates WHERE name = ? AND builtin = 0");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->name, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "mail_template_delete");
}

static const char *body_string(json_t *body, const char *key, const char *fallback, int *bad)
{
	json_t *v = json_object_get(body, key);
	if (!v)
		return fallback;
	if (!json_is_string(v)) {
		*bad = 1;
		return fallback;
	}
	return json_string_value(v);
}

static void put(struct http_request *req, const char *name)
{
	if (!mail_template_name_ok(name)) {
		http_send_error(req, 400, "invalid", "Malnavnet må være 1–64 tegn av a–z, 0–9 og bindestrek.");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body)
		return;
	json_t *have = load_template_doc(req->srv->db, name);
	int bad = !json_is_object(body);
	const char *kind = have ? json_string_value(json_object_get(have, "kind")) : body_string(body, "kind", NULL, &bad);
	const char *subject = body_string(body, "subject", have ? json_string_value(json_object_get(have, "subject")) : NULL, &bad);
	const char *text = body_string(body, "text", have ? json_string_value(json_object_get(have, "text")) : NULL, &bad);
	const char *html = body_string(body, "html", have ? json_string_value(json_object_get(have, "html")) : NULL, &bad);
	const char *description = body_string(body, "description", NULL, &bad);
	char err[512];
	if (bad || !kind || !subject || !text || !html) {
		http_send_error(req, 400, "invalid",
				"Send {\"subject\", \"text\", \"html\"} som tekst%s.", have ? "" : " og «kind» for en ny mal");
	} else if (have && json_object_get(body, "kind") && strcmp(json_string_value(json_object_get(body, "kind")) ?
							 json_string_value(json_object_get(body, "kind")) : "", kind) != 0) {
		http_send_error(req, 400, "invalid", "Maltypen kan ikke endres.");
	} else if (description && (strlen(description) > 300 || strpbrk(description, "\r\n"))) {
		http_send_error(req, 400, "invalid", "Beskrivelsen må være én linje på høyst 300 tegn.");
	} else if (mail_template_check(kind, subject, text, html, err, sizeof err) != 0) {
		http_send_error(req, 400, "invalid", "%s", err);
	} else {
		struct tpl_job j = { name, kind, description, subject, text, html, session_now_ms(), 0, 0, 0 };
		if (db_write(req->srv->db, put_template, &j) != DB_OK) {
			http_send_error(req, 503, "storage_failed", "Malen ble ikke lagret.");
		} else {
			json_t *doc = load_template_doc(req->srv->db, name);
			http_send_json(req, have ? 200 : 201, doc);
			json_decref(doc);
		}
	}
	json_decref(have);
	json_decref(body);
}

void api_mail_template(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	const char *name = req->params[0];
	if (req->method == HTTP_PUT) {
		put(req, name);
		return;
	}
	if (req->method == HTTP_DELETE) {
		struct tpl_job j = { .name = name, .now = session_now_ms() };
		int rc = db_write(req->srv->db, reset_or_delete, &j);
		if (rc == DB_NOTFOUND)
			http_send_error(req, 404, "not_found", "Fant ikke malen.");
		else if (rc == DB_CONFLICT)
			http_send_error(req, 409, "in_use", "Malen brukes av en kampanje og kan ikke slettes.");
		else if (rc != DB_OK)
			http_send_error(req, 503, "storage_failed", "Endringen ble ikke lagret.");
		else if (j.builtin) {
			json_t *doc = load_template_doc(req->srv->db, name);
			http_send_json(req, 200, doc);
			json_decref(doc);
		} else
			http_send(req, 204, "application/json", "", 0, NULL);
		return;
	}
	json_t *doc = mail_template_name_ok(name) ? load_template_doc(req->srv->db, name) : NULL;
	if (!doc) {
		http_send_error(req, 404, "not_found", "Fant ikke malen.");
		return;
	}
	http_send_json(req, 200, doc);
	json_decref(doc);
}

/* Sample values for every variable, so a preview shows each one filled. */
static json_t *sample_vars(struct server *srv)
{
	long long now = session_now_ms();
	char link[700], lead[700];
	snprintf(link, sizeof link, "%s/e/eksempel", srv->cfg.public_url);
	snprintf(lead, sizeof lead, "%s/leder", srv->cfg.public_url);
	json_t *staff = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "navn", "Ola Nordmann", "kurs",
				  "Svindel og phishing på e-post", "frist", "19. oktober 2026", "navn", "Per Hansen",
				  "kurs", "Taushetsplikt og deling av opplysninger", "frist", "26. oktober 2026");
	json_t *lessons = json_pack("[{s:s, s:s, s:i}]", "course", "eksempel", "title", "Svindel og phishing på e-post",
				    "campaign", 0);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:o}", "navn", "Kari Nordmann", "kurs",
			 "Svindel og phishing på e-post", "minutter", "10", "kampanje", "Sikkerhetsmåneden", "due",
			 (json_int_t)(now + 14 * 86400000LL), "exp",
			 (json_int_t)(now / 1000 + srv->cfg.mail_link_days * 86400), "lenke", link, "uke", "2026-W42",
			 "staff", staff, "lessons_sample", lessons);
}

void api_mail_template_preview(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (strcmp(req->params[1], "preview") != 0) {
		http_send_error(req, 404, "not_found", "Ukjent handling.");
		return;
	}
	json_t *have = mail_template_name_ok(req->params[0]) ? load_template_doc(req->srv->db, req->params[0]) : NULL;
	if (!have) {
		http_send_error(req, 404, "not_found", "Fant ikke malen.");
		return;
	}
	json_t *body = req->body && req->body_len ? http_body_json(req) : json_object();
	if (!body) {
		json_decref(have);
		return;
	}
	int bad = !json_is_object(body);
	const char *kind = json_string_value(json_object_get(have, "kind"));
	struct mail_template t = { .subject = (char *)body_string(body, "subject", json_string_value(json_object_get(have, "subject")), &bad),
				   .text = (char *)body_string(body, "text", json_string_value(json_object_get(have, "text")), &bad),
				   .html = (char *)body_string(body, "html", json_string_value(json_object_get(have, "html")), &bad) };
	char err[512];
	if (bad) {
		http_send_error(req, 400, "invalid", "Send {\"subject\", \"text\", \"html\"} som tekst.");
	} else if (mail_template_check(kind, t.subject, t.text, t.html, err, sizeof err) != 0) {
		http_send_error(req, 400, "invalid", "%s", err);
	} else {
		char town[256] = "kommunen";
		struct db_conn *c = db_reader_get(req->srv->db);
		sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'municipality_name'");
		if (st && sqlite3_step(st) == SQLITE_ROW)
			snprintf(town, sizeof town, "%s", (const char *)sqlite3_column_text(st, 0));
		if (st)
			sqlite3_reset(st);
		db_reader_put(req->srv->db, c);
		struct mail_keyring ring;
		mail_keyring_get(req->srv, &ring);
		struct compose_ctx x = { req->srv->db, &ring, req->srv->cfg.public_url, town,
					 req->srv->cfg.mail_contact_line, "", "", 1 };
		json_t *vars = sample_vars(req->srv);
		struct outbox_row r = { .employee_id = 1 };
		snprintf(r.to_name, sizeof r.to_name, "Kari Nordmann");
		if (strcmp(kind, "digest") != 0)
			json_object_del(vars, "staff");
		if (strcmp(kind, "links") == 0)
			json_object_set(vars, "lessons", json_object_get(vars, "lessons_sample"));
		struct mail_rendered out;
		if (vars && mail_compose_vars(&x, &r, vars) == 0 && mail_template_render(&t, vars, x.contact, &out) == 0) {
			json_t *res = json_pack("{s:s, s:s, s:s}", "subject", out.subject, "text", out.text, "html", out.html);
			http_send_json(req, 200, res);
			json_decref(res);
			mail_rendered_free(&out);
		} else {
			http_send_error(req, 500, "render_failed", "Malen kunne ikke vises.");
		}
		sodium_memzero(&ring, sizeof ring);
		json_decref(vars);
	}
	json_decref(body);
	json_decref(have);
}

void api_mail_status(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	struct mail_counts n;
	if (mail_counts_get(req->srv->db, session_now_ms(), &n) != 0) {
		http_send_error(req, 500, "storage_failed", "Kunne ikke lese utboksen.");
		return;
	}
	json_t *failures = json_array();
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT id, kind, employee_id, campaign_id, attempts, coalesce(last_error, ''), created_ms, status"
		" FROM mail_outbox WHERE last_error IS NOT NULL AND status IN ('failed', 'queued')"
		" ORDER BY id DESC LIMIT 50");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *f = json_pack("{s:I, s:s, s:I, s:s, s:I, s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
				      "kind", (const char *)sqlite3_column_text(st, 1),
				      "attempts", (json_int_t)sqlite3_column_int64(st, 4),
				      "error", (const char *)sqlite3_column_text(st, 5),
				      "created_ms", (json_int_t)sqlite3_column_int64(st, 6),
				      "status", (const char *)sqlite3_column_text(st, 7));
		json_object_set_new(f, "employee_id", sqlite3_column_type(st, 2) == SQLITE_NULL ? json_null()
						     : json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(f, "campaign_id", sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
						     : json_integer(sqlite3_column_int64(st, 3)));
		json_array_append_new(failures, f);
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(req->srv->db, c);
	json_t *out = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:o}", "sending", req->srv->cfg.smtp_host[0] != 0,
				"queued", (json_int_t)n.queued, "due", (json_int_t)n.due, "sent", (json_int_t)n.sent,
				"failed", (json_int_t)n.failed, "cancelled", (json_int_t)n.cancelled,
				"recent_problems", failures);
	http_send_json(req, 200, out);
	json_decref(out);
}

struct test_job {
	struct outbox_new n;
};

static int queue_test(struct db_conn *c, void *arg)
{
	struct test_job *j = arg;
	return outbox_insert(c, &j->n, NULL);
}

void api_mail_test(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *body = http_body_json(req);
	if (!body)
		return;
	const char *to = json_string_value(json_object_get(body, "to"));
	if (!to || !mail_address_ok(to)) {
		json_decref(body);
		http_send_error(req, 400, "invalid", "Send {\"to\": \"adresse@eksempel.no\"}.");
		return;
	}
	char name[MAIL_NAME_MAX + 1], addr[MAIL_ADDR_MAX + 1];
	if (mail_parse_mailbox(req->srv->cfg.mail_from, name, sizeof name, addr, sizeof addr) != 0)
		snprintf(addr, sizeof addr, "vern@localhost");
	struct test_job j = { { .kind = "test", .to_addr = to, .template = "test", .vars = "{}",
				.now_ms = session_now_ms(), .domain = mail_address_domain(addr) } };
	int rc = db_write(req->srv->db, queue_test, &j);
	json_decref(body);
	if (rc != DB_OK) {
		http_send_error(req, 503, "storage_failed", "E-posten ble ikke lagt i utboksen.");
		return;
	}
	log_event(LOG_INFO, "mail_queued", "kind=test user=%lld", p.user_id);
	mail_wake(req->srv);
	json_t *out = json_pack("{s:b, s:b}", "queued", 1, "sending", req->srv->cfg.smtp_host[0] != 0);
	http_send_json(req, 202, out);
	json_decref(out);
}
