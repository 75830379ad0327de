/* api_campaigns.c: the campaign admin API (see api_campaigns.h). Every
 * handler starts with access_require(ACCESS_ADMIN); answers are JSON, and
 * errors are {"error", "detail"} with the detail in Norwegian. */
#include "api_campaigns.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "campaign.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "mail_compose.h"
#include "mail_outbox.h"
#include "mail_template.h"
#include "server.h"
#include "session.h"

static int parse_id(const char *s, long long *id)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v <= 0 || s[0] == '+' || s[0] == '-')
		return -1;
	*id = v;
	return 0;
}

/* Counts per lesson and per email status. */
static json_t *campaign_stats(struct db *db, long long id)
{
	long long now = session_now_ms();
	struct db_conn *c = db_reader_get(db);
	json_t *lessons = json_array(), *emails = json_pack("{s:i, s:i, s:i, s:i}", "queued", 0, "sent", 0,
							    "failed", 0, "cancelled", 0);
	long long recipients = 0;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT r.position, count(*), count(r.started_ms), sum(" CAMPAIGN_SQL_DONE("r", "?2", "cp.skip_completed") "),"
		" sum(r.due_ms <= ?2 AND NOT " CAMPAIGN_SQL_DONE("r", "?2", "cp.skip_completed") ")"
		" FROM campaign_recipients r JOIN campaigns cp ON cp.id = r.campaign_id"
		" WHERE r.campaign_id = ?1 GROUP BY r.position ORDER BY r.position");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, now);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(lessons, json_pack("{s:I, s:I, s:I, s:I, s:I}",
				"position", (json_int_t)sqlite3_column_int64(st, 0),
				"recipients", (json_int_t)sqlite3_column_int64(st, 1),
				"started", (json_int_t)sqlite3_column_int64(st, 2),
				"completed", (json_int_t)sqlite3_column_int64(st, 3),
				"overdue", (json_int_t)sqlite3_column_int64(st, 4)));
		sqlite3_reset(st);
	}
	st = db_stmt(c, "SELECT count(DISTINCT employee_id) FROM campaign_recipients WHERE campaign_id = ?");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			recipients = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	st = db_stmt(c, "SELECT status, count(*) FROM mail_outbox WHERE campaign_id = ? GROUP BY status");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(emails, (const char *)sqlite3_column_text(st, 0),
					    json_integer(sqlite3_column_int64(st, 1)));
		sqlite3_reset(st);
	}
	db_reader_put(db, c);
	return json_pack("{s:I, s:o, s:o}", "employees", (json_int_t)recipients, "lessons", lessons, "emails", emails);
}

static void send_campaign(struct http_request *req, int status, long long id)
{
	json_t *doc = campaign_def_load(req->srv->db, id);
	if (!doc) {
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		return;
	}
	json_object_set_new(doc, "stats", campaign_stats(req->srv->db, id));
	http_send_json(req, status, doc);
	json_decref(doc);
}

static void list_campaigns(struct http_request *req)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *items = json_array();
	sqlite3_stmt *st = db_stmt(c,
		"SELECT cp.id, cp.name, cp.status, cp.created_ms, cp.started_ms,"
		" (SELECT count(*) FROM campaign_lessons l WHERE l.campaign_id = cp.id),"
		" (SELECT count(DISTINCT employee_id) FROM campaign_recipients r WHERE r.campaign_id = cp.id),"
		" (SELECT count(*) FROM mail_outbox o WHERE o.campaign_id = cp.id AND o.status = 'sent')"
		" FROM campaigns cp ORDER BY cp.id DESC LIMIT 500");
	int rc = st ? SQLITE_ROW : SQLITE_ERROR;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *it = json_pack("{s:I, s:s, s:s, s:I, s:I, s:I, s:I}",
			"id", (json_int_t)sqlite3_column_int64(st, 0), "name", (const char *)sqlite3_column_text(st, 1),
			"status", (const char *)sqlite3_column_text(st, 2),
			"created_ms", (json_int_t)sqlite3_column_int64(st, 3),
			"lessons", (json_int_t)sqlite3_column_int64(st, 5),
			"employees", (json_int_t)sqlite3_column_int64(st, 6),
			"emails_sent", (json_int_t)sqlite3_column_int64(st, 7));
		json_object_set_new(it, "started_ms", sqlite3_column_type(st, 4) == SQLITE_NULL ? json_null()
						      : json_integer(sqlite3_column_int64(st, 4)));
		json_array_append_new(items, it);
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(req->srv->db, c);
	if (rc != SQLITE_DONE) {
		json_decref(items);
		http_send_error(req, 500, "storage_failed", "Kunne ikke lese kampanjene.");
		return;
	}
	json_t *out = json_pack("{s:o}", "campaigns", items);
	http_send_json(req, 200, out);
	json_decref(out);
}

static void create_campaign(struct http_request *req, const struct principal *p)
{
	json_t *body = http_body_json(req);
	if (!body)
		return;
	json_t *def;
	char err[512];
	int rc = campaign_def_check(req->srv->db, body, NULL, &def, err, sizeof err);
	json_decref(body);
	if (rc != 0) {
		http_send_error(req, 400, "invalid", "%s", err);
		return;
	}
	long long id;
	rc = campaign_def_create(req->srv->db, def, &id);
	json_decref(def);
	if (rc != 0) {
		http_send_error(req, 503, "storage_failed", "Kampanjen ble ikke lagret.");
		return;
	}
	log_event(LOG_INFO, "campaign_created", "campaign=%lld user=%lld", id, p->user_id);
	send_campaign(req, 201, id);
}

/* ---- preview ---- */

static json_t *render_sample(struct http_request *req, const char *template_name, const char *course,
			     const char *campaign_name, long long due_days)
{
	struct server *srv = req->srv;
	struct mail_keyring ring = { .n = 0, .signing = -1 };
	char town[256] = "kommunen";
	char title[256] = "", minutes[16] = "10";
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'municipality_name'");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		snprintf(town, sizeof town, "%s", (const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	st = db_stmt(c, "SELECT title, coalesce(minutes, 10) FROM courses WHERE id = ?");
	if (st) {
		sqlite3_bind_text(st, 1, course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(title, sizeof title, "%s", (const char *)sqlite3_column_text(st, 0));
			snprintf(minutes, sizeof minutes, "%lld", sqlite3_column_int64(st, 1));
		}
		sqlite3_reset(st);
	}
	struct mail_template t;
	int rc = mail_template_load(c, template_name, &t);
	db_reader_put(srv->db, c);
	if (rc != DB_OK)
		return NULL;
	/* A sample person and a link that opens nothing. */
	long long now = session_now_ms();
	char link[700];
	snprintf(link, sizeof link, "%s/e/eksempel", srv->cfg.public_url);
	json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s}", "navn", "Kari Nordmann", "kurs", title,
				 "minutter", minutes, "kampanje", campaign_name, "due",
				 (json_int_t)(now + due_days * 86400000LL), "exp",
				 (json_int_t)(now / 1000 + srv->cfg.mail_link_days * 86400), "lenke", link);
	struct outbox_row r = { .employee_id = 1 };
	snprintf(r.to_name, sizeof r.to_name, "Kari Nordmann");
	struct compose_ctx x = { srv->db, &ring, srv->cfg.public_url, town, srv->cfg.mail_contact_line, "", "", 1 };
	struct mail_rendered out;
	json_t *res = NULL;
	if (vars && mail_compose_vars(&x, &r, vars) == 0 && mail_template_render(&t, vars, x.contact, &out) == 0) {
		res = json_pack("{s:s, s:s, s:s, s:s}", "template", template_name, "subject", out.subject, "text",
				out.text, "html", out.html);
		mail_rendered_free(&out);
	}
	json_decref(vars);
	mail_template_free(&t);
	return res;
}

static void preview(struct http_request *req, const json_t *def)
{
	const char *aud = NULL;
	char *aud_text = json_dumps(json_object_get(def, "audience"), JSON_COMPACT);
	aud = aud_text;
	json_t *lessons = json_array();
	long long audience = 0;
	long long now = session_now_ms();
	int skip = json_is_true(json_object_get(def, "skip_completed"));
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = aud ? db_stmt(c, "SELECT count(*) FROM employees e WHERE" CAMPAIGN_SQL_AUDIENCE("?1")) : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, aud, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			audience = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(def, "lessons"), i, l) {
		const char *course = json_string_value(json_object_get(l, "course"));
		long long at = json_integer_value(json_object_get(l, "send_at_ms"));
		long long n = 0;
		st = aud ? db_stmt(c,
			"SELECT count(*) FROM employees e WHERE" CAMPAIGN_SQL_AUDIENCE("?1")
			" AND NOT (?3 AND EXISTS (SELECT 1 FROM completions cp WHERE cp.employee_id = e.id"
			" AND cp.course_id = ?2 AND (cp.expires_ms IS NULL OR cp.expires_ms > ?4)))") : NULL;
		if (st) {
			sqlite3_bind_text(st, 1, aud, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
			sqlite3_bind_int(st, 3, skip);
			sqlite3_bind_int64(st, 4, now);
			if (sqlite3_step(st) == SQLITE_ROW)
				n = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
		}
		char when[32];
		campaign_format_time(at, when, sizeof when);
		json_array_append_new(lessons, json_pack("{s:s, s:o, s:I}", "course", course, "send_at",
							 at ? json_string(when) : json_null(), "recipients", (json_int_t)n));
	}
	db_reader_put(req->srv->db, c);
	free(aud_text);

	const char *first = json_string_value(json_object_get(json_array_get(json_object_get(def, "lessons"), 0), "course"));
	const char *name = json_string_value(json_object_get(def, "name"));
	long long due_days = json_integer_value(json_object_get(def, "due_days"));
	json_t *lesson_mail = first ? render_sample(req, json_string_value(json_object_get(def, "template")), first,
						     name, due_days) : NULL;
	json_t *reminder_mail = first ? render_sample(req, json_string_value(json_object_get(def, "reminder_template")),
						       first, name, due_days) : NULL;
	json_t *out = json_pack("{s:I, s:o, s:o, s:o}", "audience", (json_int_t)audience, "lessons", lessons,
				"email", lesson_mail ? lesson_mail : json_null(), "reminder",
				reminder_mail ? reminder_mail : json_null());
	http_send_json(req, 200, out);
	json_decref(out);
}

static void preview_unsaved(struct http_request *req)
{
	json_t *body = http_body_json(req);
	if (!body)
		return;
	json_t *def;
	char err[512];
	int rc = campaign_def_check(req->srv->db, body, NULL, &def, err, sizeof err);
	json_decref(body);
	if (rc != 0) {
		http_send_error(req, 400, "invalid", "%s", err);
		return;
	}
	preview(req, def);
	json_decref(def);
}

/* ---- state changes ---- */

struct state_job {
	long long id, now;
	const char *action;
	char from[16];
	int changed;
};

static int change_state(struct db_conn *c, void *arg)
{
	struct state_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT status FROM campaigns WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_NOTFOUND;
	}
	snprintf(j->from, sizeof j->from, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	const char *to;
	const char *outbox_sql = NULL;
	if (strcmp(j->action, "start") == 0) {
		if (strcmp(j->from, "draft") != 0 && strcmp(j->from, "paused") != 0)
			return strcmp(j->from, "active") == 0 ? DB_OK : DB_CONFLICT;
		to = "active";
		outbox_sql = "UPDATE mail_outbox SET status = 'queued', next_attempt_ms = ?2"
			     " WHERE campaign_id = ?1 AND status = 'cancelled'";
	} else if (strcmp(j->action, "pause") == 0) {
		if (strcmp(j->from, "active") != 0)
			return strcmp(j->from, "paused") == 0 ? DB_OK : DB_CONFLICT;
		to = "paused";
		outbox_sql = "UPDATE mail_outbox SET status = 'cancelled' WHERE campaign_id = ?1"
			     " AND status = 'queued' AND ?2 = ?2";
	} else {
		if (strcmp(j->from, "finished") == 0)
			return DB_OK;
		to = "finished";
		outbox_sql = "UPDATE mail_outbox SET status = 'cancelled' WHERE campaign_id = ?1"
			     " AND status = 'queued' AND ?2 = ?2";
	}
	st = db_stmt(c,
		"UPDATE campaigns SET status = ?2, updated_ms = ?3, started_ms = CASE WHEN ?2 = 'active'"
		" THEN coalesce(started_ms, ?3) ELSE started_ms END, finished_ms = CASE WHEN ?2 = 'finished'"
		" THEN ?3 ELSE finished_ms END WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_text(st, 2, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, j->now);
	int rc = db_exec_stmt(c, st, "campaign_state");
	if (rc != DB_OK)
		return rc;
	j->changed = 1;
	/* Unsent email waits while paused and is dropped when finished. */
	st = db_stmt(c, outbox_sql);
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int64(st, 2, j->now);
	return db_exec_stmt(c, st, "campaign_state_outbox");
}

static void campaign_state(struct http_request *req, const struct principal *p, long long id, const char *action)
{
	struct state_job j = { .id = id, .now = session_now_ms(), .action = action };
	int rc = db_write(req->srv->db, change_state, &j);
	if (rc == DB_NOTFOUND) {
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		return;
	}
	if (rc == DB_CONFLICT) {
		http_send_error(req, 409, "wrong_state", "Kampanjen er «%s» og kan ikke %s.", j.from,
				strcmp(action, "start") == 0 ? "startes" : "settes på pause");
		return;
	}
	if (rc != DB_OK) {
		http_send_error(req, 503, "storage_failed", "Endringen ble ikke lagret.");
		return;
	}
	if (j.changed) {
		log_event(LOG_INFO, "campaign_state", "campaign=%lld action=%s from=%s user=%lld", id, action, j.from,
			  p->user_id);
		if (strcmp(action, "start") == 0) {
			mail_schedule_now(req->srv);
			mail_wake(req->srv);
		}
	}
	send_campaign(req, 200, id);
}

static int delete_draft(struct db_conn *c, void *arg)
{
	long long id = *(long long *)arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT status FROM campaigns WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_NOTFOUND;
	}
	int draft = strcmp((const char *)sqlite3_column_text(st, 0), "draft") == 0;
	sqlite3_reset(st);
	if (!draft)
		return DB_CONFLICT;
	st = db_stmt(c, "DELETE FROM campaigns WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	return db_exec_stmt(c, st, "campaign_delete");
}

/* ---- handlers ---- */

void api_campaigns(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (req->method == HTTP_POST)
		create_campaign(req, &p);
	else
		list_campaigns(req);
}

void api_campaign(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (strcmp(req->params[0], "preview") == 0) {
		if (req->method != HTTP_POST) {
			http_send_error(req, 405, "method_not_allowed", "Bruk POST for forhåndsvisning.");
			return;
		}
		preview_unsaved(req);
		return;
	}
	long long id;
	if (parse_id(req->params[0], &id) != 0) {
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		return;
	}
	if (req->method == HTTP_GET || req->method == HTTP_HEAD) {
		send_campaign(req, 200, id);
		return;
	}
	if (req->method == HTTP_DELETE) {
		int rc = db_write(req->srv->db, delete_draft, &id);
		if (rc == DB_NOTFOUND)
			http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		else if (rc == DB_CONFLICT)
			http_send_error(req, 409, "wrong_state", "Bare utkast kan slettes. Avslutt kampanjen i stedet.");
		else if (rc != DB_OK)
			http_send_error(req, 503, "storage_failed", "Kampanjen ble ikke slettet.");
		else {
			log_event(LOG_INFO, "campaign_deleted", "campaign=%lld user=%lld", id, p.user_id);
			http_send(req, 204, "application/json", "", 0, NULL);
		}
		return;
	}
	if (req->method != HTTP_PUT) {
		http_send_error(req, 405, "method_not_allowed", "Metoden støttes ikke her.");
		return;
	}
	json_t *base = campaign_def_load(req->srv->db, id);
	if (!base) {
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body) {
		json_decref(base);
		return;
	}
	json_t *def;
	char err[512];
	int rc = campaign_def_check(req->srv->db, body, base, &def, err, sizeof err);
	json_decref(body);
	json_decref(base);
	if (rc != 0) {
		http_send_error(req, 400, "invalid", "%s", err);
		return;
	}
	rc = campaign_def_update(req->srv->db, id, def, err, sizeof err);
	json_decref(def);
	if (rc == DB_NOTFOUND)
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
	else if (rc == DB_CONFLICT)
		http_send_error(req, 409, "conflict", "%s", err);
	else if (rc != DB_OK)
		http_send_error(req, 503, "storage_failed", "Endringen ble ikke lagret.");
	else
		send_campaign(req, 200, id);
}

void api_campaign_action(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	long long id;
	if (parse_id(req->params[0], &id) != 0) {
		http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
		return;
	}
	const char *action = req->params[1];
	if (strcmp(action, "preview") == 0) {
		json_t *def = campaign_def_load(req->srv->db, id);
		if (!def) {
			http_send_error(req, 404, "not_found", "Fant ikke kampanjen.");
			return;
		}
		preview(req, def);
		json_decref(def);
		return;
	}
	if (strcmp(action, "start") == 0 || strcmp(action, "pause") == 0 || strcmp(action, "finish") == 0) {
		campaign_state(req, &p, id, action);
		return;
	}
	http_send_error(req, 404, "not_found", "Ukjent handling «%.40s».", action);
}
