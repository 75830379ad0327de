/* views_reminders.c: reminders from the leader dashboard (see
 * views_reminders.h). Validates who may be reminded of what, works out each
 * employee's outstanding requirements, and queues one "paminnelse" email
 * with a fresh one-click link per outstanding course in the mail outbox
 * (server/mail.h), which delivers it when SMTP is set up. */
#include "views_reminders.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "mail.h"
#include "server.h"
#include "views_common.h"

#define MAX_REMIND 1000
#define MAX_COURSES_PER_PERSON 16

struct target {
	long long employee_id;
	int n; /* requirements not met (in the named course, when given) */
	char courses[MAX_COURSES_PER_PERSON][128];
};

/* Fills t with the employee's requirements that are not met. Returns 0, or
 * -1 when the employee does not exist or is inactive. */
static int outstanding(struct db_conn *c, struct target *t, const char *course, long long now_ms,
		       const char *today)
{
	long long emp = t->employee_id;
	sqlite3_stmt *st = db_stmt(c, "SELECT active FROM employees WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, emp);
	int active = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (!active)
		return -1;
	st = db_stmt(c,
		"SELECT a.due_date, c.completed_ms, c.expires_ms, c.success, a.course_id FROM assignments a"
		" LEFT JOIN completions c ON c.employee_id = a.employee_id AND c.course_id = a.course_id"
		" WHERE a.employee_id = ?1 AND (?2 IS NULL OR a.course_id = ?2)");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, emp);
	if (course)
		sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		int has = sqlite3_column_type(st, 1) != SQLITE_NULL;
		int success = sqlite3_column_type(st, 3) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 3);
		enum views_status s = views_status_of(has, sqlite3_column_int64(st, 2), success,
			(const char *)sqlite3_column_text(st, 0), now_ms, today);
		if (!views_status_met(s) && t->n < MAX_COURSES_PER_PERSON)
			snprintf(t->courses[t->n++], sizeof(t->courses[0]), "%s",
				 (const char *)sqlite3_column_text(st, 4));
	}
	return 0;
}

/* Queues the reminders; answers {"ansatte", "eposter", "hoppet_over",
 * "feil": [{ansatt_id, melding}], "levering"}. */
static void queue(struct http_request *req, const struct target *targets, size_t n)
{
	int people = 0, emails = 0, skipped = 0;
	json_t *failures = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct target *t = &targets[i];
		if (!t->n) {
			skipped++;
			continue;
		}
		int queued = 0;
		char err[256] = "";
		for (int k = 0; k < t->n; k++) {
			if (mail_enqueue_lesson(req->srv, t->employee_id, t->courses[k], "paminnelse", err,
						sizeof(err)) != 0)
				break;
			queued++;
		}
		if (err[0])
			json_array_append_new(failures, json_pack("{s:I, s:s}", "ansatt_id",
				(json_int_t)t->employee_id, "melding", err));
		if (queued) {
			people++;
			emails += queued;
		}
	}
	if (emails)
		mail_wake(req->srv);
	json_t *out = json_pack("{s:i, s:i, s:i, s:o, s:s}", "ansatte", people, "eposter", emails,
		"hoppet_over", skipped, "feil", failures, "levering",
		req->srv->cfg.smtp_host[0] ? "sendes" : "venter: e-post (SMTP) er ikke satt opp");
	http_send_json(req, 200, out);
	json_decref(out);
}

void views_reminders_send(struct http_request *req, const struct principal *p, json_t *body)
{
	json_t *ids = json_object_get(body, "ansatte");
	json_t *course = json_object_get(body, "kurs");
	if (!json_is_object(body) || !json_is_array(ids) || json_array_size(ids) == 0 ||
	    json_array_size(ids) > MAX_REMIND || (course && !json_is_null(course) && !json_is_string(course))) {
		http_send_error(req, 400, "invalid",
				"Oppgi \"ansatte\" (1 til %d ansatt-id-er) og eventuelt \"kurs\".", MAX_REMIND);
		return;
	}
	const char *course_id = json_is_string(course) ? json_string_value(course) : NULL;
	struct target *targets = calloc(json_array_size(ids), sizeof(*targets));
	if (!targets) {
		http_send_error(req, 500, "no_memory", "Tomt for minne.");
		return;
	}
	long long now = session_now_ms();
	char today[11];
	views_date_of(now, today, sizeof(today));
	struct db_conn *c = db_reader_get(req->srv->db);
	int status = 0;
	size_t n = 0, idx;
	json_t *v;
	if (course_id) {
		sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM courses WHERE id = ?");
		if (st) {
			sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_ROW)
				status = 404;
			sqlite3_reset(st);
		}
	}
	json_array_foreach(ids, idx, v) {
		if (status)
			break;
		if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			status = 400;
			break;
		}
		long long emp = json_integer_value(v);
		if (!access_sees_employee(c, p, emp)) {
			status = 403;
			break;
		}
		targets[n].employee_id = emp;
		if (outstanding(c, &targets[n], course_id, now, today) != 0) {
			status = 422;
			break;
		}
		n++;
	}
	db_reader_put(req->srv->db, c);
	if (!status)
		queue(req, targets, n);
	free(targets);
	switch (status) {
	case 400:
		http_send_error(req, 400, "invalid", "\"ansatte\" må være positive heltall.");
		return;
	case 403:
		http_send_error(req, 403, "forbidden", "Du kan bare minne på dine egne ansatte.");
		return;
	case 404:
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		return;
	case 422:
		http_send_error(req, 422, "inactive", "En av de ansatte finnes ikke eller har sluttet.");
		return;
	}
}
