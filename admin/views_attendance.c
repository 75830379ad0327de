/* views_attendance.c: registering attendance as xAPI statements, and the
 * admin's "satisfiable by attendance" marker (see views_attendance.h).
 *
 * A registration is all or nothing: the session rows are written first,
 * then every attendee's statement in one lrs_store_internal batch (atomic);
 * if the statements are refused the session rows are removed again. */
#include "views_attendance.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "completions.h"
#include "db.h"
#include "http.h"
#include "lrs.h"
#include "people.h"
#include "server.h"
#include "views_common.h"

#define MAX_ATTENDEES 500
#define MAX_TITLE 200

static const struct {
	const char *code, *label, *type;
} kinds[] = {
	{ "klasserom", "Klasseromsundervisning", "http://adlnet.gov/expapi/activities/meeting" },
	{ "personalmote", "Personalmøte", "http://adlnet.gov/expapi/activities/meeting" },
	{ "dilemmatrening", "Dilemmatrening", "http://adlnet.gov/expapi/activities/simulation" },
};

static int kind_index(const char *code)
{
	for (size_t i = 0; code && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].code, code) == 0)
			return (int)i;
	return -1;
}

static void uuid_v4(char out[37])
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* ---- the admin's marker ---- */

int views_attendance_counts(struct db_conn *c, const char *course_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM courses_attendance WHERE course_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void views_attendance_courses(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEADER | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT c.id, c.title, a.course_id IS NOT NULL FROM courses c"
		" LEFT JOIN courses_attendance a ON a.course_id = c.id ORDER BY c.title, c.id");
	json_t *list = json_array();
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "id",
			(const char *)sqlite3_column_text(st, 0), "tittel",
			(const char *)sqlite3_column_text(st, 1), "oppmote", sqlite3_column_int(st, 2)));
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(list);
		http_send_error(req, 500, "read_failed", "Kunne ikke lese kursene.");
		return;
	}
	json_t *types = json_array();
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		json_array_append_new(types, json_pack("{s:s, s:s}", "id", kinds[i].code, "navn",
						       kinds[i].label));
	json_t *out = json_pack("{s:o, s:o}", "kurs", list, "typer", types);
	http_send_json(req, 200, out);
	json_decref(out);
}

struct mark_job {
	const char *course;
	int on;
	const char *by;
	long long now_ms;
	const char *home_page;
};

static int write_mark(struct db_conn *c, void *arg)
{
	struct mark_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM courses WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->course, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!found)
		return DB_NOTFOUND;
	if (j->on) {
		st = db_stmt(c, "INSERT INTO courses_attendance(course_id, marked_ms, marked_by)"
				" VALUES(?, ?, ?) ON CONFLICT(course_id) DO NOTHING");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, j->course, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, j->now_ms);
		sqlite3_bind_text(st, 3, j->by, -1, SQLITE_STATIC);
	} else {
		st = db_stmt(c, "DELETE FROM courses_attendance WHERE course_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, j->course, -1, SQLITE_STATIC);
	}
	int rc = db_exec_stmt(c, st, "courses_attendance_mark");
	/* attendance registered before the change counts, or stops counting */
	if (rc == DB_OK && sqlite3_changes(db_handle(c)) > 0)
		rc = completions_attendance_recount(c, j->home_page, j->course, j->on);
	return rc;
}

void views_attendance_mark(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	struct mark_job j = { req->params[0], req->method == HTTP_PUT, p.name, session_now_ms(),
			      req->srv->cfg.public_url };
	int rc = db_write(req->srv->db, write_mark, &j);
	if (rc == DB_NOTFOUND) {
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		return;
	}
	if (rc != DB_OK) {
		http_send_error(req, 503, "storage_failed", "Endringen ble ikke lagret.");
		return;
	}
	json_t *out = json_pack("{s:s, s:b}", "id", j.course, "oppmote", j.on);
	http_send_json(req, 200, out);
	json_decref(out);
}

/* ---- registering a session ---- */

struct attendee {
	long long id;
	char external_id[256];
	char name[256];
	char statement_id[37];
};

struct registration {
	const char *course, *title, *date;
	int kind;
	long long unit;
	char course_activity[512];
	int course_counts;
	char session_uuid[37];
	char activity_id[64];
	struct attendee *people;
	size_t n;
	const struct principal *p;
	json_t *instructor;
	long long session_id, now_ms;
};

/* Checks the body and loads the attendees. Returns 0, or an HTTP status
 * after answering. */
static int parse_registration(struct http_request *req, json_t *body, struct registration *r)
{
	r->course = json_string_value(json_object_get(body, "kurs"));
	r->title = json_string_value(json_object_get(body, "tittel"));
	r->date = json_string_value(json_object_get(body, "dato"));
	r->kind = kind_index(json_string_value(json_object_get(body, "type")));
	json_t *unit = json_object_get(body, "enhet");
	json_t *ids = json_object_get(body, "ansatte");
	char today[11];
	views_date_of(r->now_ms, today, sizeof(today));
	if (!r->course || r->kind < 0 || !json_is_integer(unit) || !json_is_array(ids)) {
		http_send_error(req, 400, "invalid",
				"Oppgi kurs, type (klasserom, personalmote eller dilemmatrening), "
				"tittel, dato, enhet og ansatte.");
		return 400;
	}
	if (!r->title || !r->title[0] || strlen(r->title) > MAX_TITLE) {
		http_send_error(req, 400, "invalid_title", "Tittelen må ha 1 til %d tegn.", MAX_TITLE);
		return 400;
	}
	if (!views_is_date(r->date) || strcmp(r->date, today) > 0 || strcmp(r->date, "2000-01-01") < 0) {
		http_send_error(req, 400, "invalid_date",
				"Datoen må være en gyldig dato (ÅÅÅÅ-MM-DD), ikke fram i tid.");
		return 400;
	}
	size_t n = json_array_size(ids);
	if (n == 0 || n > MAX_ATTENDEES) {
		http_send_error(req, 400, "invalid_attendees", "Oppgi 1 til %d deltakere.", MAX_ATTENDEES);
		return 400;
	}
	r->unit = json_integer_value(unit);
	r->people = calloc(n, sizeof(*r->people));
	if (!r->people) {
		http_send_error(req, 500, "no_memory", "Tomt for minne.");
		return 500;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	int status = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT c.activity_id, a.course_id IS NOT NULL FROM courses c"
				      " LEFT JOIN courses_attendance a ON a.course_id = c.id WHERE c.id = ?");
	if (!st) {
		status = 500;
	} else {
		sqlite3_bind_text(st, 1, r->course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(r->course_activity, sizeof(r->course_activity), "%s",
				 (const char *)sqlite3_column_text(st, 0));
			r->course_counts = sqlite3_column_int(st, 1);
		} else {
			status = 404;
		}
		sqlite3_reset(st);
	}
	if (!status && !access_sees_unit(c, r->p, r->unit))
		status = 403;
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		if (status)
			break;
		long long id = json_is_integer(v) ? json_integer_value(v) : 0;
		if (id <= 0) {
			status = 400;
			break;
		}
		for (size_t k = 0; k < r->n; k++)
			if (r->people[k].id == id)
				status = 409;
		if (status)
			break;
		if (!access_sees_employee(c, r->p, id)) {
			status = 403;
			break;
		}
		st = db_stmt(c, "SELECT external_id, name FROM employees WHERE id = ? AND active = 1");
		if (!st) {
			status = 500;
			break;
		}
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			status = 422;
			break;
		}
		struct attendee *a = &r->people[r->n++];
		a->id = id;
		snprintf(a->external_id, sizeof(a->external_id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(a->name, sizeof(a->name), "%s", (const char *)sqlite3_column_text(st, 1));
		uuid_v4(a->statement_id);
		sqlite3_reset(st);
	}
	/* The instructor: the leader's own agent when they are an employee. */
	if (!status && r->p->employee_id) {
		st = db_stmt(c, "SELECT external_id, name FROM employees WHERE id = ?");
		if (st) {
			sqlite3_bind_int64(st, 1, r->p->employee_id);
			if (sqlite3_step(st) == SQLITE_ROW)
				r->instructor = people_agent(req->srv->cfg.public_url,
					(const char *)sqlite3_column_text(st, 0),
					(const char *)sqlite3_column_text(st, 1));
			sqlite3_reset(st);
		}
	}
	db_reader_put(req->srv->db, c);
	if (!status && !r->instructor) {
		char account[64];
		snprintf(account, sizeof(account), "bruker:%lld", r->p->user_id);
		r->instructor = json_pack("{s:s, s:s, s:{s:s, s:s}}", "objectType", "Agent", "name",
					  r->p->name, "account", "homePage", req->srv->cfg.public_url,
					  "name", account);
	}
	switch (status) {
	case 0:
		return 0;
	case 400:
		http_send_error(req, 400, "invalid_attendees", "\"ansatte\" må være positive heltall.");
		break;
	case 403:
		http_send_error(req, 403, "forbidden", "Du kan bare registrere oppmøte for egne enheter og ansatte.");
		break;
	case 404:
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		break;
	case 409:
		http_send_error(req, 400, "duplicate_attendee", "En deltaker står på listen to ganger.");
		break;
	case 422:
		http_send_error(req, 422, "inactive", "En av deltakerne finnes ikke eller har sluttet.");
		break;
	default:
		http_send_error(req, 500, "read_failed", "Kunne ikke lese kurs og ansatte.");
	}
	return status;
}

static json_t *statements(const struct registration *r, const struct server *srv)
{
	char ts[40];
	snprintf(ts, sizeof(ts), "%sT12:00:00Z", r->date);
	json_t *session = json_pack("{s:s, s:s, s:{s:{s:s}, s:{s:s}, s:s}}", "objectType", "Activity",
		"id", r->activity_id, "definition", "name", "nb-NO", r->title, "description", "nb-NO",
		kinds[r->kind].label, "type", kinds[r->kind].type);
	json_t *arr = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct attendee *a = &r->people[i];
		json_t *s = json_pack("{s:s, s:o, s:{s:s, s:{s:s, s:s}}, s:{s:s, s:s}, s:s,"
				      " s:{s:s, s:O, s:{s:[O]}, s:s}}",
			"id", a->statement_id, "actor",
			people_agent(srv->cfg.public_url, a->external_id, a->name), "verb", "id",
			VIEWS_ATTENDED_VERB, "display", "nb-NO", "deltok på", "en-US", "attended",
			"object", "objectType", "Activity", "id", r->course_activity, "timestamp", ts,
			"context", "registration", r->session_uuid, "instructor", r->instructor,
			"contextActivities", "grouping", session, "language", "nb-NO");
		if (!s) {
			json_decref(arr);
			json_decref(session);
			return NULL;
		}
		json_array_append_new(arr, s);
	}
	json_decref(session);
	return arr;
}

static int insert_session(struct db_conn *c, void *arg)
{
	struct registration *r = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO attendance_sessions(activity_id, course_id, kind, title, held_on, unit_id,"
		" leader_name, leader_user_id, leader_employee_id, created_ms)"
		" VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->activity_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->course, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kinds[r->kind].code, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, r->unit);
	sqlite3_bind_text(st, 7, r->p->name, -1, SQLITE_STATIC);
	if (r->p->user_id)
		sqlite3_bind_int64(st, 8, r->p->user_id);
	if (r->p->employee_id)
		sqlite3_bind_int64(st, 9, r->p->employee_id);
	sqlite3_bind_int64(st, 10, r->now_ms);
	int rc = db_exec_stmt(c, st, "attendance_session_insert");
	if (rc != DB_OK)
		return rc;
	r->session_id = sqlite3_last_insert_rowid(db_handle(c));
	for (size_t i = 0; i < r->n; i++) {
		st = db_stmt(c, "INSERT INTO attendance_attendees(session_id, employee_id, statement_id)"
				" VALUES(?, ?, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, r->session_id);
		sqlite3_bind_int64(st, 2, r->people[i].id);
		sqlite3_bind_text(st, 3, r->people[i].statement_id, -1, SQLITE_STATIC);
		if ((rc = db_exec_stmt(c, st, "attendance_attendee_insert")) != DB_OK)
			return rc;
	}
	return DB_OK;
}

static int delete_session(struct db_conn *c, void *arg)
{
	struct registration *r = arg;
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM attendance_attendees WHERE session_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, r->session_id);
	int rc = db_exec_stmt(c, st, "attendance_attendees_delete");
	if (rc != DB_OK)
		return rc;
	st = db_stmt(c, "DELETE FROM attendance_sessions WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, r->session_id);
	return db_exec_stmt(c, st, "attendance_session_delete");
}

static void register_session(struct http_request *req, const struct principal *p)
{
	json_t *body = http_body_json(req);
	if (!body)
		return;
	struct registration r;
	memset(&r, 0, sizeof(r));
	r.p = p;
	r.now_ms = session_now_ms();
	uuid_v4(r.session_uuid);
	snprintf(r.activity_id, sizeof(r.activity_id), "urn:vern:okt:%s", r.session_uuid);
	if (!json_is_object(body)) {
		http_send_error(req, 400, "invalid", "Forventet et JSON-objekt.");
		goto out;
	}
	if (parse_registration(req, body, &r) != 0)
		goto out;
	json_t *arr = statements(&r, req->srv);
	if (!arr) {
		http_send_error(req, 500, "build_failed", "Kunne ikke lage oppmøteregistreringene.");
		goto out;
	}
	if (db_write(req->srv->db, insert_session, &r) != DB_OK) {
		json_decref(arr);
		http_send_error(req, 503, "storage_failed", "Oppmøtet ble ikke lagret.");
		goto out;
	}
	char err[512];
	int rc = lrs_store_internal(req->srv, arr, NULL, err, sizeof(err));
	json_decref(arr);
	if (rc != 0) {
		(void)db_write(req->srv->db, delete_session, &r);
		http_send_error(req, rc >= 400 && rc < 600 ? rc : 500, "lrs_refused",
				"Læringsloggen tok ikke imot oppmøtet: %s", err);
		goto out;
	}
	json_t *res = json_pack("{s:I, s:s, s:i, s:b}", "id", (json_int_t)r.session_id, "aktivitet",
				r.activity_id, "registrert", (int)r.n, "teller", r.course_counts);
	http_send_json(req, 201, res);
	json_decref(res);
out:
	json_decref(r.instructor);
	free(r.people);
	json_decref(body);
}

static void list_sessions(struct http_request *req, const struct principal *p)
{
	char buf[32];
	long long unit = http_query_param(req, "enhet", buf, sizeof(buf)) > 0 ? views_parse_id(buf) : 0;
	if (!unit) {
		http_send_error(req, 400, "bad_id", "Oppgi enhet.");
		return;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	if (!access_sees_unit(c, p, unit)) {
		db_reader_put(req->srv->db, c);
		http_send_error(req, 403, "forbidden", "Du har ikke tilgang til denne enheten.");
		return;
	}
	sqlite3_stmt *st = db_stmt(c,
		"SELECT s.id, s.held_on, s.kind, s.title, s.course_id, k.title, u.name, s.leader_name,"
		" (SELECT count(*) FROM attendance_attendees a WHERE a.session_id = s.id)"
		" FROM org_units root JOIN org_units u ON u.path >= root.path AND u.path < root.path || '~'"
		" JOIN attendance_sessions s ON s.unit_id = u.id JOIN courses k ON k.id = s.course_id"
		" WHERE root.id = ? ORDER BY s.held_on DESC, s.id DESC LIMIT 100");
	json_t *list = json_array();
	int rc = SQLITE_DONE;
	if (st)
		sqlite3_bind_int64(st, 1, unit);
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int k = kind_index((const char *)sqlite3_column_text(st, 2));
		json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}",
			"id", (json_int_t)sqlite3_column_int64(st, 0),
			"dato", (const char *)sqlite3_column_text(st, 1),
			"type", (const char *)sqlite3_column_text(st, 2),
			"type_navn", k >= 0 ? kinds[k].label : "",
			"tittel", (const char *)sqlite3_column_text(st, 3),
			"kurs", (const char *)sqlite3_column_text(st, 4),
			"kurs_tittel", (const char *)sqlite3_column_text(st, 5),
			"enhet", (const char *)sqlite3_column_text(st, 6),
			"deltakere", sqlite3_column_int(st, 8)));
	}
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(list);
		http_send_error(req, 500, "read_failed", "Kunne ikke lese registreringene.");
		return;
	}
	json_t *out = json_pack("{s:o}", "okter", list);
	http_send_json(req, 200, out);
	json_decref(out);
}

void views_attendance_sessions(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEADER | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	if (req->method == HTTP_POST)
		register_session(req, &p);
	else
		list_sessions(req, &p);
}
