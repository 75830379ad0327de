/* min_side.c: the employee's overview and certificates (see min_side.h;
 * the data export is in min_side_export.c). */
#include "min_side.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "session.h"

#define ANY_FULL (ACCESS_EMPLOYEE | ACCESS_LEADER | ACCESS_HR | ACCESS_OMBUD | ACCESS_ADMIN)

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? json_string((const char *)t) : json_null();
}

static json_t *int_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							    : json_integer(sqlite3_column_int64(st, col));
}

static json_t *real_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							    : json_real(sqlite3_column_double(st, col));
}

static void today(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

/* The status of an assignment: "fullfort" (valid completion), "utlopt"
 * (completed once, expired), "forfalt" (due date passed) or "ikke_startet". */
static const char *status_of(int has_completion, int success, long long expires_ms, const char *due,
			     long long now_ms, const char *day)
{
	int valid = has_completion && success != 0 && (expires_ms == 0 || expires_ms > now_ms);
	if (valid)
		return "fullfort";
	if (has_completion && success != 0)
		return "utlopt";
	if (due && strcmp(due, day) < 0)
		return "forfalt";
	return "ikke_startet";
}

static json_t *assignments(struct db_conn *c, long long employee)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c,
		"SELECT a.course_id, c.title, a.due_date, a.reason, c.minutes, k.completed_ms,"
		" k.expires_ms, k.success, k.score FROM assignments a JOIN courses c ON c.id = a.course_id"
		" LEFT JOIN completions k ON k.employee_id = a.employee_id AND k.course_id = a.course_id"
		" WHERE a.employee_id = ? ORDER BY a.due_date IS NULL, a.due_date, c.title");
	if (!st)
		return out;
	sqlite3_bind_int64(st, 1, employee);
	char day[16];
	today(day, sizeof(day));
	long long now = session_now_ms();
	while (sqlite3_step(st) == SQLITE_ROW) {
		int has = sqlite3_column_type(st, 5) != SQLITE_NULL;
		int success = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 7);
		const char *due = (const char *)sqlite3_column_text(st, 2);
		json_t *a = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:s}",
			"course_id", (const char *)sqlite3_column_text(st, 0),
			"title", (const char *)sqlite3_column_text(st, 1),
			"due_date", text_or_null(st, 2),
			"reason", (const char *)sqlite3_column_text(st, 3),
			"minutes", int_or_null(st, 4),
			"completed_ms", int_or_null(st, 5),
			"expires_ms", int_or_null(st, 6),
			"status", status_of(has, success, sqlite3_column_int64(st, 6), due, now, day));
		if (a)
			json_array_append_new(out, a);
	}
	sqlite3_reset(st);
	return out;
}

static json_t *completions(struct db_conn *c, long long employee)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c,
		"SELECT k.course_id, c.title, k.completed_ms, k.expires_ms, k.success, k.score"
		" FROM completions k JOIN courses c ON c.id = k.course_id WHERE k.employee_id = ?"
		" ORDER BY k.completed_ms DESC");
	if (!st)
		return out;
	sqlite3_bind_int64(st, 1, employee);
	long long now = session_now_ms();
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long expires = sqlite3_column_int64(st, 3);
		int success = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 4);
		json_t *k = json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:b, s:b}",
			"course_id", (const char *)sqlite3_column_text(st, 0),
			"title", (const char *)sqlite3_column_text(st, 1),
			"completed_ms", (json_int_t)sqlite3_column_int64(st, 2),
			"expires_ms", int_or_null(st, 3),
			"success", success < 0 ? json_null() : json_boolean(success),
			"score", real_or_null(st, 5),
			"valid", success != 0 && (expires == 0 || expires > now),
			"certificate", success != 0);
		if (k)
			json_array_append_new(out, k);
	}
	sqlite3_reset(st);
	return out;
}

static json_t *person(struct db_conn *c, long long employee)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.name, e.external_id, e.email, u.name FROM employees e"
		" LEFT JOIN org_units u ON u.id = e.unit_id WHERE e.id = ?");
	if (!st)
		return json_null();
	sqlite3_bind_int64(st, 1, employee);
	json_t *out = json_null();
	if (sqlite3_step(st) == SQLITE_ROW)
		out = json_pack("{s:s, s:s, s:o, s:o}", "name", (const char *)sqlite3_column_text(st, 0),
				"external_id", (const char *)sqlite3_column_text(st, 1),
				"email", text_or_null(st, 2), "unit", text_or_null(st, 3));
	sqlite3_reset(st);
	return out ? out : json_null();
}

void min_side_get(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ANY_FULL, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *out = json_pack("{s:s, s:o}", "name", p.name, "employee",
				p.employee_id ? person(c, p.employee_id) : json_null());
	if (out && p.employee_id) {
		json_object_set_new(out, "assignments", assignments(c, p.employee_id));
		json_object_set_new(out, "completions", completions(c, p.employee_id));
	} else if (out) {
		json_object_set_new(out, "assignments", json_array());
		json_object_set_new(out, "completions", json_array());
	}
	if (out && p.user_id) {
		sqlite3_stmt *st = db_stmt(c, "SELECT username, password_hash IS NOT NULL, totp_secret IS NOT NULL"
					      " FROM users WHERE id = ?");
		if (st) {
			sqlite3_bind_int64(st, 1, p.user_id);
			if (sqlite3_step(st) == SQLITE_ROW)
				json_object_set_new(out, "account", json_pack("{s:s, s:b, s:b}", "username",
					(const char *)sqlite3_column_text(st, 0), "has_password", sqlite3_column_int(st, 1),
					"totp", sqlite3_column_int(st, 2)));
			sqlite3_reset(st);
		}
	}
	db_reader_put(req->srv->db, c);
	if (!out) {
		http_send_error(req, 500, "internal", "Kunne ikke lage svaret.");
		return;
	}
	if (p.employee_id && audit_record(req->srv, &p, p.employee_id, "view_own", "Min side") != 0) {
		json_decref(out);
		http_send_error(req, 503, "audit_failed", "Oppslaget kunne ikke logges, og vises derfor ikke.");
		return;
	}
	http_send_json(req, 200, out);
	json_decref(out);
}

void min_side_certificate(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ANY_FULL, &p) != 0)
		return;
	const char *course = req->params[0];
	if (!p.employee_id) {
		http_send_error(req, 404, "not_found", "Kontoen din er ikke knyttet til en ansatt.");
		return;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.name, c.title, k.completed_ms, k.expires_ms, k.score, k.statement_id, c.minutes,"
		" (SELECT value FROM meta WHERE key = 'municipality_name')"
		" FROM completions k JOIN courses c ON c.id = k.course_id JOIN employees e ON e.id = k.employee_id"
		" WHERE k.employee_id = ? AND k.course_id = ? AND coalesce(k.success, 1) = 1");
	json_t *out = NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, p.employee_id);
		sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			out = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:o, s:o}",
				"name", (const char *)sqlite3_column_text(st, 0),
				"course_id", course,
				"title", (const char *)sqlite3_column_text(st, 1),
				"completed_ms", (json_int_t)sqlite3_column_int64(st, 2),
				"expires_ms", int_or_null(st, 3),
				"score", real_or_null(st, 4),
				"certificate_id", (const char *)sqlite3_column_text(st, 5),
				"minutes", int_or_null(st, 6),
				"issuer", text_or_null(st, 7));
		sqlite3_reset(st);
	}
	db_reader_put(req->srv->db, c);
	if (!out) {
		http_send_error(req, 404, "not_found", "Du har ikke fullført dette kurset.");
		return;
	}
	if (audit_record(req->srv, &p, p.employee_id, "view_own_certificate", course) != 0) {
		json_decref(out);
		http_send_error(req, 503, "audit_failed", "Oppslaget kunne ikke logges, og vises derfor ikke.");
		return;
	}
	http_send_json(req, 200, out);
	json_decref(out);
}
