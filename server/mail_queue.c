/* mail_queue.c: queueing single emails from C (see mail.h): a lesson with
 * a fresh link, the "new links" email, and any email with its own text.
 * Each has an _in variant that runs on a write connection inside a caller's
 * db_write job (so a plugin's email commits with its other writes); the
 * plain functions wrap it in a job of their own and wake the workers. A
 * lesson email identical to one queued in the last REPEAT_MS is not queued
 * again. */
#include "mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign.h"
#include "db.h"
#include "log.h"
#include "mail_mime.h"
#include "mail_outbox.h"
#include "mail_template.h"
#include "mail_token.h"
#include "server.h"
#include "session.h"
#include "utf8.h"

#define REPEAT_MS (10 * 60 * 1000LL)
#define DAY_MS 86400000LL
#define DEFAULT_DUE_DAYS 14
#define GENERIC_BODY_MAX (256 * 1024)

static void domain_of_from(const struct config *cfg, char *buf, size_t size)
{
	char name[MAIL_NAME_MAX + 1], addr[MAIL_ADDR_MAX + 1];
	if (mail_parse_mailbox(cfg->mail_from, name, sizeof name, addr, sizeof addr) == 0)
		snprintf(buf, size, "%s", mail_address_domain(addr));
	else
		snprintf(buf, size, "localhost");
}

struct queue_job {
	struct outbox_new n;
	const char *repeat_template; /* skip when this template went to the employee lately */
	int queued;
};

static int queue_one(struct db_conn *c, void *arg)
{
	struct queue_job *j = arg;
	if (j->repeat_template) {
		sqlite3_stmt *st = db_stmt(c,
			"SELECT 1 FROM mail_outbox WHERE employee_id = ?1 AND created_ms > ?2"
			" AND template = ?3 AND coalesce(course_id, '') = ?4 AND status <> 'cancelled' LIMIT 1");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->n.employee_id);
		sqlite3_bind_int64(st, 2, j->n.now_ms - REPEAT_MS);
		sqlite3_bind_text(st, 3, j->repeat_template, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, j->n.course_id ? j->n.course_id : "", -1, SQLITE_STATIC);
		int seen = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (seen)
			return DB_OK;
	}
	return outbox_insert(c, &j->n, &j->queued);
}

struct employee_info {
	char name[256], email[MAIL_ADDR_MAX + 1];
};

static int load_employee(struct db_conn *c, long long id, struct employee_info *e, char *err, size_t errsize)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT name, coalesce(email, ''), active FROM employees WHERE id = ?");
	if (!st) {
		snprintf(err, errsize, "Kunne ikke lese den ansatte.");
		return -1;
	}
	sqlite3_bind_int64(st, 1, id);
	int found = sqlite3_step(st) == SQLITE_ROW;
	int active = found && sqlite3_column_int(st, 2);
	if (found) {
		snprintf(e->name, sizeof e->name, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(e->email, sizeof e->email, "%s", (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	if (!found || !active) {
		snprintf(err, errsize, found ? "Den ansatte er ikke aktiv." : "Fant ikke den ansatte.");
		return -1;
	}
	if (!mail_address_ok(e->email)) {
		snprintf(err, errsize, "Den ansatte har ingen gyldig e-postadresse.");
		return -1;
	}
	return 0;
}

/* The deadline for the lesson: the assignment's, else the newest campaign
 * deadline still ahead, else DEFAULT_DUE_DAYS from now. Also the campaign
 * (0: none) whose lesson this is, and its name. */
static void lesson_context(struct db_conn *c, long long employee, const char *course, long long now,
			   long long *due, long long *campaign, char *cname, size_t cnsize)
{
	*due = now + DEFAULT_DUE_DAYS * DAY_MS;
	*campaign = 0;
	cname[0] = '\0';
	sqlite3_stmt *st = db_stmt(c,
		"SELECT r.campaign_id, r.due_ms, cp.name FROM campaign_recipients r"
		" JOIN campaigns cp ON cp.id = r.campaign_id WHERE r.employee_id = ? AND r.course_id = ?"
		" AND cp.status IN ('active', 'paused') ORDER BY r.queued_ms DESC LIMIT 1");
	if (st) {
		sqlite3_bind_int64(st, 1, employee);
		sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			*campaign = sqlite3_column_int64(st, 0);
			if (sqlite3_column_int64(st, 1) > now)
				*due = sqlite3_column_int64(st, 1);
			snprintf(cname, cnsize, "%s", (const char *)sqlite3_column_text(st, 2));
		}
		sqlite3_reset(st);
	}
	st = db_stmt(c, "SELECT due_date FROM assignments WHERE employee_id = ? AND course_id = ?"
			" AND due_date IS NOT NULL");
	if (st) {
		sqlite3_bind_int64(st, 1, employee);
		sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			char when[32];
			long long ms;
			snprintf(when, sizeof when, "%sT23:59", (const char *)sqlite3_column_text(st, 0));
			if (campaign_parse_time(when, &ms) == 0 && ms > now)
				*due = ms;
		}
		sqlite3_reset(st);
	}
}

static const char *lesson_kind(const char *template_name)
{
	if (strcmp(template_name, "paminnelse") == 0)
		return "reminder";
	if (strcmp(template_name, "ny-lenke") == 0)
		return "link";
	return "lesson";
}

/* The lesson row for employee_id and course_id, built and queued on c
 * (see mail_queue_lesson_in in mail.h). */
int mail_queue_lesson_in(struct db_conn *c, const struct config *cfg, long long employee_id,
			 const char *course_id, const char *template_name, long long now_ms, int *queued,
			 char *err, size_t errsize)
{
	err[0] = '\0';
	if (queued)
		*queued = 0;
	if (!course_id || !mail_token_course_ok(course_id)) {
		snprintf(err, errsize, "Ukjent kurs.");
		return DB_INVALID;
	}
	if (!template_name)
		template_name = "paminnelse";
	struct employee_info e;
	char title[256] = "", minutes[16] = "10", cname[256], kind[16] = "";
	long long due, campaign;
	if (load_employee(c, employee_id, &e, err, errsize) != 0)
		return DB_INVALID;
	sqlite3_stmt *st = db_stmt(c, "SELECT title, coalesce(minutes, 10) FROM courses WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(title, sizeof title, "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(minutes, sizeof minutes, "%lld", sqlite3_column_int64(st, 1));
	}
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT kind FROM mail_templates WHERE name = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, template_name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(kind, sizeof kind, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!title[0]) {
		snprintf(err, errsize, "Fant ikke kurset «%s».", course_id);
		return DB_INVALID;
	}
	if (strcmp(kind, "lesson") != 0) {
		snprintf(err, errsize, "«%s» er ikke en e-postmal for leksjoner.", template_name);
		return DB_INVALID;
	}
	lesson_context(c, employee_id, course_id, now_ms, &due, &campaign, cname, sizeof cname);

	json_t *vars = json_pack("{s:s, s:s, s:s, s:I, s:I}", "navn", e.name, "kurs", title, "minutter", minutes,
				 "due", (json_int_t)due, "exp",
				 (json_int_t)(now_ms / 1000 + cfg->mail_link_days * 86400));
	if (vars && cname[0])
		json_object_set_new(vars, "kampanje", json_string(cname));
	char *text = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
	json_decref(vars);
	if (!text) {
		snprintf(err, errsize, "Tomt for minne.");
		return DB_ERROR;
	}
	char domain[MAIL_ADDR_MAX + 1];
	domain_of_from(cfg, domain, sizeof domain);
	struct queue_job j = {
		.n = { .kind = lesson_kind(template_name), .to_addr = e.email, .to_name = e.name,
		       .employee_id = employee_id, .campaign_id = campaign, .course_id = course_id,
		       .template = template_name, .vars = text, .now_ms = now_ms, .domain = domain },
		.repeat_template = template_name,
	};
	int rc = queue_one(c, &j);
	free(text);
	if (rc != DB_OK) {
		snprintf(err, errsize, "E-posten kunne ikke lagres.");
		return rc;
	}
	if (queued)
		*queued = j.queued;
	return DB_OK;
}

struct lesson_job {
	const struct config *cfg;
	long long employee_id, now;
	const char *course_id, *template_name;
	int queued;
	char *err;
	size_t errsize;
};

static int lesson_job(struct db_conn *c, void *arg)
{
	struct lesson_job *j = arg;
	return mail_queue_lesson_in(c, j->cfg, j->employee_id, j->course_id, j->template_name, j->now, &j->queued,
				    j->err, j->errsize);
}

int mail_enqueue_lesson(struct server *srv, long long employee_id, const char *course_id,
			const char *template_name, char *err, size_t errsize)
{
	err[0] = '\0';
	struct lesson_job j = { &srv->cfg, employee_id, session_now_ms(), course_id, template_name, 0, err, errsize };
	int rc = db_write(srv->db, lesson_job, &j);
	if (rc != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "E-posten kunne ikke lagres.");
		return -1;
	}
	if (j.queued) {
		log_event(LOG_INFO, "mail_queued", "kind=%s employee=%lld course=%s", lesson_kind(template_name ? template_name : "paminnelse"),
			  employee_id, course_id);
		mail_wake(srv);
	}
	return 0;
}

int mail_generic_check(const char *to, const char *subject, const char *text, const char *html,
		       char *err, size_t errsize)
{
	err[0] = '\0';
	if (to && !mail_address_ok(to)) {
		snprintf(err, errsize, "Ugyldig e-postadresse.");
		return -1;
	}
	if (!subject || !subject[0] || strlen(subject) > MAIL_SUBJECT_MAX || strpbrk(subject, "\r\n") ||
	    !utf8_valid(subject, strlen(subject))) {
		snprintf(err, errsize, "Emnet må være én linje UTF-8 på 1 til %d byte.", MAIL_SUBJECT_MAX);
		return -1;
	}
	for (const char *p = subject; *p; p++)
		if ((unsigned char)*p < 32 || *p == 127) {
			snprintf(err, errsize, "Emnet har et kontrolltegn.");
			return -1;
		}
	if (!text || !text[0] || strlen(text) > GENERIC_BODY_MAX || !utf8_valid(text, strlen(text)) ||
	    (html && (strlen(html) > GENERIC_BODY_MAX || !utf8_valid(html, strlen(html))))) {
		snprintf(err, errsize, "Teksten må være UTF-8 på 1 til %d byte (og HTML-en høyst like lang).",
			 GENERIC_BODY_MAX);
		return -1;
	}
	return 0;
}

int mail_queue_in(struct db_conn *c, const struct config *cfg, const char *to, const char *subject,
		  const char *text, const char *html, long long now_ms, char *err, size_t errsize)
{
	err[0] = '\0';
	if (!to) {
		snprintf(err, errsize, "Ugyldig e-postadresse.");
		return DB_INVALID;
	}
	if (mail_generic_check(to, subject, text, html, err, errsize) != 0)
		return DB_INVALID;
	char domain[MAIL_ADDR_MAX + 1];
	domain_of_from(cfg, domain, sizeof domain);
	struct queue_job j = {
		.n = { .kind = "generic", .to_addr = to, .subject = subject, .text = text,
		       .html = html && html[0] ? html : NULL, .now_ms = now_ms, .domain = domain },
	};
	int rc = queue_one(c, &j);
	if (rc != DB_OK)
		snprintf(err, errsize, "E-posten kunne ikke lagres.");
	return rc;
}

struct generic_job {
	const struct config *cfg;
	const char *to, *subject, *text, *html;
	long long now;
	char *err;
	size_t errsize;
};

static int generic_job(struct db_conn *c, void *arg)
{
	struct generic_job *j = arg;
	return mail_queue_in(c, j->cfg, j->to, j->subject, j->text, j->html, j->now, j->err, j->errsize);
}

int mail_enqueue(struct server *srv, const char *to, const char *subject, const char *text,
		 const char *html, char *err, size_t errsize)
{
	err[0] = '\0';
	struct generic_job j = { &srv->cfg, to, subject, text, html, session_now_ms(), err, errsize };
	if (db_write(srv->db, generic_job, &j) != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "E-posten kunne ikke lagres.");
		return -1;
	}
	log_event(LOG_INFO, "mail_queued", "kind=generic");
	mail_wake(srv);
	return 0;
}

int mail_enqueue_open_links(struct server *srv, long long employee_id)
{
	char err[256];
	long long now = session_now_ms();
	struct employee_info e;
	json_t *lessons = json_array();
	struct db_conn *c = db_reader_get(srv->db);
	int rc = load_employee(c, employee_id, &e, err, sizeof err);
	if (rc == 0) {
		/* One line per course: the newest campaign lesson not yet done. */
		sqlite3_stmt *st = db_stmt(c,
			"SELECT r.course_id, co.title, max(r.campaign_id) FROM campaign_recipients r"
			" JOIN campaigns cp ON cp.id = r.campaign_id JOIN courses co ON co.id = r.course_id"
			" WHERE r.employee_id = ?1 AND cp.status = 'active' AND NOT"
			CAMPAIGN_SQL_DONE("r", "?2", "cp.skip_completed")
			" GROUP BY r.course_id ORDER BY min(r.queued_ms) LIMIT 20");
		if (st) {
			sqlite3_bind_int64(st, 1, employee_id);
			sqlite3_bind_int64(st, 2, now);
			while (sqlite3_step(st) == SQLITE_ROW)
				json_array_append_new(lessons, json_pack("{s:s, s:s, s:I}",
					"course", (const char *)sqlite3_column_text(st, 0),
					"title", (const char *)sqlite3_column_text(st, 1),
					"campaign", (json_int_t)sqlite3_column_int64(st, 2)));
			sqlite3_reset(st);
		} else {
			rc = -1;
		}
	}
	db_reader_put(srv->db, c);
	if (rc != 0 || json_array_size(lessons) == 0) {
		json_decref(lessons);
		return rc;
	}
	json_t *vars = json_pack("{s:s, s:o, s:I}", "navn", e.name, "lessons", lessons, "exp",
				 (json_int_t)(now / 1000 + srv->cfg.mail_link_days * 86400));
	char *text = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
	json_decref(vars);
	if (!text)
		return -1;
	char domain[MAIL_ADDR_MAX + 1];
	domain_of_from(&srv->cfg, domain, sizeof domain);
	struct queue_job j = {
		.n = { .kind = "links", .to_addr = e.email, .to_name = e.name, .employee_id = employee_id,
		       .template = "lenker", .vars = text, .now_ms = now, .domain = domain },
		.repeat_template = "lenker",
	};
	rc = db_write(srv->db, queue_one, &j);
	free(text);
	if (rc != DB_OK)
		return -1;
	if (j.queued) {
		log_event(LOG_INFO, "mail_queued", "kind=links employee=%lld", employee_id);
		mail_wake(srv);
	}
	return j.queued;
}
