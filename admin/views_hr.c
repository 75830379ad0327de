/* views_hr.c: the HR / appraisal API (see views_hr.h).
 *
 * GET /api/hr/ansatt/{id} answers
 *   {"ansatt": {id, navn, ansattnummer, epost, enhet: {id, navn}, leder,
 *               roller: [...], startdato, aktiv},
 *    "krav": [{kurs, tittel, grunn, frist, status, status_tekst,
 *              fullfort, utloper (YYYY-MM-DD), poeng}],
 *    "oppsummering": {krav, fullfort, utloper, forsinket},
 *    "andre": [{kurs, tittel, fullfort}]   completions beyond the requirements,
 *    "laeringsmal": {tekst, dato, endret_ms, endret_av} or null,
 *    "kilde": "appraisal" | "vern", "generert_ms": now}
 * The requirements come from the appraisal plugin's "employee" report
 * (role requirements against completions) when the plugin is installed;
 * without it, from the employee's assignments and completions, with the
 * statuses of views_common.h. A failing plugin is a 503, not a guess. */
#include "views_hr.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "views_common.h"
#include "views_plugins.h"

#define SEARCH_LIMIT 50
#define SEARCH_SCAN 2000
#define MAX_GOALS 4000

static const char *col(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);
	return s ? (const char *)s : "";
}

static json_t *employee_header(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.name, e.external_id, e.email, e.unit_id, u.name, m.name, e.start_date, e.active"
		" FROM employees e LEFT JOIN org_units u ON u.id = e.unit_id"
		" LEFT JOIN employees m ON m.id = e.manager_id WHERE e.id = ?");
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return NULL;
	json_t *o = json_pack("{s:I, s:s, s:s, s:b}", "id", (json_int_t)id, "navn", col(st, 0),
			      "ansattnummer", col(st, 1), "aktiv", sqlite3_column_int(st, 7));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(o, "epost", json_string(col(st, 2)));
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(o, "enhet", json_pack("{s:I, s:s}", "id",
			(json_int_t)sqlite3_column_int64(st, 3), "navn", col(st, 4)));
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		json_object_set_new(o, "leder", json_string(col(st, 5)));
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		json_object_set_new(o, "startdato", json_string(col(st, 6)));
	sqlite3_reset(st);
	json_t *roles = json_array();
	st = db_stmt(c, "SELECT r.name FROM employee_roles er JOIN roles r ON r.id = er.role_id"
			" WHERE er.employee_id = ? ORDER BY r.id");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(roles, json_string(col(st, 0)));
	}
	json_object_set_new(o, "roller", roles);
	return o;
}

struct summary {
	int required, met, expiring, late;
};

static json_t *requirements(struct db_conn *c, long long id, long long now, const char *today,
			    struct summary *sum)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT a.course_id, k.title, a.reason, a.due_date, c.completed_ms, c.expires_ms,"
		" c.success, c.score FROM assignments a JOIN courses k ON k.id = a.course_id"
		" LEFT JOIN completions c ON c.employee_id = a.employee_id AND c.course_id = a.course_id"
		" WHERE a.employee_id = ? ORDER BY k.title, a.course_id");
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *list = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int has = sqlite3_column_type(st, 4) != SQLITE_NULL;
		int success = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6);
		const char *due = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : col(st, 3);
		long long exp = sqlite3_column_int64(st, 5);
		enum views_status s = views_status_of(has, exp, success, due, now, today);
		json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kurs", col(st, 0), "tittel",
					col(st, 1), "grunn", col(st, 2), "status", views_status_code(s),
					"status_tekst", views_status_label(s));
		if (due)
			json_object_set_new(row, "frist", json_string(due));
		if (has) {
			char day[16];
			views_date_of(sqlite3_column_int64(st, 4), day, sizeof(day));
			json_object_set_new(row, "fullfort", json_string(day));
			if (exp) {
				views_date_of(exp, day, sizeof(day));
				json_object_set_new(row, "utloper", json_string(day));
			}
			if (sqlite3_column_type(st, 7) != SQLITE_NULL)
				json_object_set_new(row, "poeng", json_real(sqlite3_column_double(st, 7)));
		}
		json_array_append_new(list, row);
		sum->required++;
		sum->met += views_status_met(s);
		sum->expiring += s == VIEWS_EXPIRING;
		sum->late += views_status_late(s);
	}
	if (rc != SQLITE_DONE) {
		json_decref(list);
		return NULL;
	}
	return list;
}

static json_t *other_completions(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT c.course_id, k.title, c.completed_ms FROM completions c"
		" JOIN courses k ON k.id = c.course_id WHERE c.employee_id = ?1 AND NOT EXISTS"
		" (SELECT 1 FROM assignments a WHERE a.employee_id = ?1 AND a.course_id = c.course_id)"
		" ORDER BY c.completed_ms DESC");
	json_t *list = json_array();
	if (!st)
		return list;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		char day[16];
		views_date_of(sqlite3_column_int64(st, 2), day, sizeof(day));
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "kurs", col(st, 0), "tittel",
			col(st, 1), "fullfort", day));
	}
	return list;
}

static json_t *goals(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT goals, agreed_on, updated_ms, updated_by FROM learning_goals"
				      " WHERE employee_id = ?");
	if (!st)
		return json_null();
	sqlite3_bind_int64(st, 1, id);
	json_t *o = json_null();
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:s, s:s, s:I, s:s}", "tekst", col(st, 0), "dato", col(st, 1),
			      "endret_ms", (json_int_t)sqlite3_column_int64(st, 2), "endret_av", col(st, 3));
	sqlite3_reset(st);
	return o;
}

/* The appraisal plugin's status for ours. */
static enum views_status plugin_status(const char *status, int has_completion)
{
	if (!status)
		return VIEWS_PENDING;
	if (strcmp(status, "completed") == 0)
		return VIEWS_DONE;
	if (strcmp(status, "expiring") == 0)
		return VIEWS_EXPIRING;
	if (strcmp(status, "overdue") == 0)
		return has_completion ? VIEWS_EXPIRED : VIEWS_OVERDUE;
	return VIEWS_PENDING;
}

static void copy_string(json_t *to, const char *key, const json_t *from, const char *from_key)
{
	const char *v = json_string_value(json_object_get(from, from_key));
	if (v)
		json_object_set_new(to, key, json_string(v));
}

/* Requirements and other completions from the appraisal plugin's report,
 * in this API's shape. */
static int from_appraisal(const json_t *report, json_t **krav, json_t **others, struct summary *sum)
{
	const json_t *reqs = json_object_get(report, "requirements");
	if (!json_is_array(reqs))
		return -1;
	*krav = json_array();
	*others = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(reqs, i, r) {
		const char *course = json_string_value(json_object_get(r, "course"));
		if (!course)
			continue;
		int has = json_is_string(json_object_get(r, "completed"));
		enum views_status s = plugin_status(json_string_value(json_object_get(r, "status")), has);
		const char *title = json_string_value(json_object_get(r, "title"));
		const char *reason = json_string_value(json_object_get(r, "reason"));
		json_t *row = json_pack("{s:s, s:s, s:s, s:s, s:s}", "kurs", course, "tittel",
					title ? title : course, "grunn", reason ? reason : "", "status",
					views_status_code(s), "status_tekst", views_status_label(s));
		copy_string(row, "frist", r, "due");
		copy_string(row, "fullfort", r, "completed");
		copy_string(row, "utloper", r, "expires");
		json_array_append_new(*krav, row);
		sum->required++;
		sum->met += views_status_met(s);
		sum->expiring += s == VIEWS_EXPIRING;
		sum->late += views_status_late(s);
	}
	json_array_foreach(json_object_get(report, "other_completions"), i, r) {
		const char *course = json_string_value(json_object_get(r, "course"));
		if (!course)
			continue;
		json_t *row = json_pack("{s:s}", "kurs", course);
		copy_string(row, "tittel", r, "title");
		copy_string(row, "fullfort", r, "completed");
		json_array_append_new(*others, row);
	}
	return 0;
}

/* The whole record of one employee, or NULL (*status 404, 500, or 503
 * with err set when the appraisal plugin failed). */
static json_t *employee_record(struct server *srv, struct db_conn *c, long long id, int *status,
			       char *err, size_t errsize)
{
	long long now = session_now_ms();
	char today[11];
	views_date_of(now, today, sizeof(today));
	json_t *head = employee_header(c, id);
	if (!head) {
		*status = 404;
		return NULL;
	}
	struct summary sum = { 0 };
	json_t *krav = NULL, *others = NULL, *report = NULL;
	json_t *params = json_pack("{s:I}", "employee_id", (json_int_t)id);
	int rc = views_plugin_report(srv, "appraisal", "employee", params, &report, err, errsize);
	json_decref(params);
	const char *source = "vern";
	if (rc == VIEWS_PLUGIN_OK && from_appraisal(report, &krav, &others, &sum) == 0) {
		source = "appraisal";
	} else if (rc == VIEWS_PLUGIN_ABSENT) {
		krav = requirements(c, id, now, today, &sum);
		others = other_completions(c, id);
	} else if (rc == VIEWS_PLUGIN_OK) {
		snprintf(err, errsize, "the appraisal report has no requirements list");
	}
	json_decref(report);
	if (!krav) {
		json_decref(head);
		json_decref(others);
		*status = rc == VIEWS_PLUGIN_ABSENT ? 500 : 503;
		return NULL;
	}
	return json_pack("{s:o, s:o, s:{s:i, s:i, s:i, s:i}, s:o, s:o, s:s, s:I}", "ansatt", head,
			 "krav", krav, "oppsummering", "krav", sum.required, "fullfort", sum.met,
			 "utloper", sum.expiring, "forsinket", sum.late, "andre", others,
			 "laeringsmal", goals(c, id), "kilde", source, "generert_ms", (json_int_t)now);
}

static void send_record_error(struct http_request *req, int status, const char *err)
{
	if (status == 404)
		http_send_error(req, 404, "not_found", "Fant ikke den ansatte.");
	else if (status == 503)
		http_send_error(req, 503, "plugin_failed",
				"Medarbeidersamtale-tillegget (appraisal) svarte ikke: %s", err);
	else
		http_send_error(req, 500, "read_failed", "Kunne ikke lese den ansatte.");
}

/* Checks the path's employee id against p. Returns the id, or 0 after
 * answering (400, 403). */
static long long visible_employee(struct http_request *req, const struct principal *p,
				  struct db_conn *c)
{
	long long id = views_parse_id(req->params[0]);
	if (!id) {
		http_send_error(req, 400, "bad_id", "Ugyldig ansatt.");
		return 0;
	}
	if (!access_sees_employee(c, p, id)) {
		http_send_error(req, 403, "forbidden", "Du har ikke tilgang til denne ansatte.");
		return 0;
	}
	return id;
}

#define HR_ROLES (ACCESS_HR | ACCESS_ADMIN | ACCESS_LEADER)

/* A read connection, once p is known to see unit (0: none asked for);
 * NULL after answering 403. */
static struct db_conn *reader_seeing(struct http_request *req, const struct principal *p, long long unit)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	if (unit && !access_sees_unit(c, p, unit)) {
		db_reader_put(req->srv->db, c);
		http_send_error(req, 403, "forbidden", "Du har ikke tilgang til denne enheten.");
		return NULL;
	}
	return c;
}

/* The record of the employee the request names, if p may see it (its id
 * in *id); NULL after answering when not. */
static json_t *requested_record(struct http_request *req, const struct principal *p, long long *id)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	*id = visible_employee(req, p, c);
	int status = 0;
	char err[256];
	json_t *rec = *id ? employee_record(req->srv, c, *id, &status, err, sizeof(err)) : NULL;
	db_reader_put(req->srv->db, c);
	if (*id && !rec)
		send_record_error(req, status, err);
	return rec;
}

void views_hr_employee(struct http_request *req)
{
	struct principal p;
	if (access_require(req, HR_ROLES, &p) != 0)
		return;
	long long id;
	json_t *rec = requested_record(req, &p, &id);
	if (!rec)
		return;
	views_send_audited_json(req, &p, id, "hr_ansatt", "krav, fullføringer og læringsmål", rec);
	json_decref(rec);
}

/* ---- search ---- */

void views_hr_search(struct http_request *req)
{
	struct principal p;
	if (access_require(req, HR_ROLES, &p) != 0)
		return;
	char q[128] = "", unit_buf[32] = "";
	int qn = http_query_param(req, "q", q, sizeof(q));
	int un = http_query_param(req, "enhet", unit_buf, sizeof(unit_buf));
	if (qn == -2 || un == -2) {
		http_send_error(req, 400, "too_long", "Søket er for langt.");
		return;
	}
	long long unit = un > 0 ? views_parse_id(unit_buf) : 0;
	if ((qn < 2 && !unit) || (un > 0 && !unit)) {
		http_send_error(req, 400, "invalid", "Skriv minst to tegn, eller velg en enhet.");
		return;
	}
	char like[300];
	snprintf(like, sizeof(like), "%%%s%%", qn > 0 ? q : "");
	struct db_conn *c = reader_seeing(req, &p, unit);
	if (!c)
		return;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.id, e.name, e.external_id, u.name FROM employees e"
		" LEFT JOIN org_units u ON u.id = e.unit_id"
		" WHERE e.active = 1 AND (?1 = '%%' OR e.name LIKE ?1 OR e.external_id = ?2)"
		" AND (?3 = 0 OR u.path >= (SELECT path FROM org_units WHERE id = ?3)"
		"  AND u.path < (SELECT path FROM org_units WHERE id = ?3) || '~')"
		" ORDER BY e.name, e.id LIMIT ?4");
	json_t *list = json_array();
	int rc = SQLITE_DONE, seen = 0;
	if (st) {
		sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, q, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, unit);
		sqlite3_bind_int(st, 4, SEARCH_SCAN);
	}
	long long ids[SEARCH_SCAN];
	int n = 0;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW && n < SEARCH_SCAN)
		ids[n++] = sqlite3_column_int64(st, 0);
	if (st)
		sqlite3_reset(st);
	/* Leaders see only their own subtrees; HR and admins see everyone. */
	for (int i = 0; i < n && seen < SEARCH_LIMIT; i++) {
		if (!access_sees_employee(c, &p, ids[i]))
			continue;
		sqlite3_stmt *one = db_stmt(c, "SELECT e.name, e.external_id, u.name FROM employees e"
					       " LEFT JOIN org_units u ON u.id = e.unit_id WHERE e.id = ?");
		if (!one)
			break;
		sqlite3_bind_int64(one, 1, ids[i]);
		if (sqlite3_step(one) == SQLITE_ROW) {
			json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s}", "id",
				(json_int_t)ids[i], "navn", col(one, 0), "ansattnummer", col(one, 1),
				"enhet", col(one, 2)));
			seen++;
		}
		sqlite3_reset(one);
	}
	db_reader_put(req->srv->db, c);
	if (!st || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
		json_decref(list);
		http_send_error(req, 500, "read_failed", "Søket feilet.");
		return;
	}
	json_t *out = json_pack("{s:o}", "ansatte", list);
	char detail[300];
	snprintf(detail, sizeof(detail), "søk \"%s\" enhet %lld: %d treff", q, unit, seen);
	views_send_audited_json(req, &p, 0, "hr_sok", detail, out);
	json_decref(out);
}

/* ---- learning goals ---- */

struct goals_job {
	long long employee_id;
	const char *text, *date, *by;
	long long now_ms;
};

static int write_goals(struct db_conn *c, void *arg)
{
	struct goals_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO learning_goals(employee_id, goals, agreed_on, updated_ms, updated_by)"
		" VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(employee_id) DO UPDATE SET goals = ?2,"
		" agreed_on = ?3, updated_ms = ?4, updated_by = ?5");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->employee_id);
	sqlite3_bind_text(st, 2, j->text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->now_ms);
	sqlite3_bind_text(st, 5, j->by, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "learning_goals_upsert");
}

void views_hr_goals(struct http_request *req)
{
	struct principal p;
	if (access_require(req, HR_ROLES, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	long long id = visible_employee(req, &p, c);
	json_t *head = id ? employee_header(c, id) : NULL;
	db_reader_put(req->srv->db, c);
	if (!id)
		return;
	if (!head) {
		http_send_error(req, 404, "not_found", "Fant ikke den ansatte.");
		return;
	}
	json_decref(head);
	json_t *body = http_body_json(req);
	if (!body)
		return;
	const char *text = json_string_value(json_object_get(body, "tekst"));
	const char *date = json_string_value(json_object_get(body, "dato"));
	char today[11];
	long long now = session_now_ms();
	views_date_of(now, today, sizeof(today));
	if (!text || strlen(text) > MAX_GOALS) {
		json_decref(body);
		http_send_error(req, 400, "invalid_text", "Læringsmålene må være tekst på høyst %d tegn.",
				MAX_GOALS);
		return;
	}
	if (!views_is_date(date) || strcmp(date, today) > 0) {
		json_decref(body);
		http_send_error(req, 400, "invalid_date",
				"Oppgi datoen for samtalen (ÅÅÅÅ-MM-DD), ikke fram i tid.");
		return;
	}
	struct goals_job j = { id, text, date, p.name, now };
	/* The change is audited before it is made: a change is never unrecorded. */
	if (audit_record(req->srv, &p, id, "hr_laeringsmal_endret", date) != 0) {
		json_decref(body);
		http_send_error(req, 503, "audit_failed", "Endringen kunne ikke loggføres og ble ikke lagret.");
		return;
	}
	int rc = db_write(req->srv->db, write_goals, &j);
	if (rc != DB_OK) {
		json_decref(body);
		http_send_error(req, 503, "storage_failed", "Læringsmålene ble ikke lagret.");
		return;
	}
	json_t *out = json_pack("{s:s, s:s, s:I, s:s}", "tekst", text, "dato", date, "endret_ms",
				(json_int_t)now, "endret_av", p.name);
	json_decref(body);
	http_send_json(req, 200, out);
	json_decref(out);
}

/* ---- exports ---- */

static int wants_csv(struct http_request *req, int *bad)
{
	char fmt[16] = "";
	int n = http_query_param(req, "format", fmt, sizeof(fmt));
	*bad = 0;
	if (n < 0)
		return 0;
	if (strcmp(fmt, "csv") == 0)
		return 1;
	if (strcmp(fmt, "json") != 0)
		*bad = 1;
	return 0;
}

static const char *const csv_head[] = { "ansattnummer", "navn", "enhet", "kurs", "kurstittel",
					"grunn", "frist", "status", "fullfort", "utloper" };

static void csv_header(struct views_buf *b)
{
	views_buf_str(b, "\xEF\xBB\xBF"); /* BOM: spreadsheets then read UTF-8 */
	for (size_t i = 0; i < sizeof(csv_head) / sizeof(csv_head[0]); i++)
		views_csv_field(b, csv_head[i], i == 0);
	views_csv_end_row(b);
}

static void csv_employee(struct views_buf *b, const json_t *rec)
{
	const json_t *head = json_object_get(rec, "ansatt");
	const char *unit = json_string_value(json_object_get(json_object_get(head, "enhet"), "navn"));
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(rec, "krav"), i, r) {
		const char *done = json_string_value(json_object_get(r, "fullfort"));
		const char *exp = json_string_value(json_object_get(r, "utloper"));
		views_csv_field(b, json_string_value(json_object_get(head, "ansattnummer")), 1);
		views_csv_field(b, json_string_value(json_object_get(head, "navn")), 0);
		views_csv_field(b, unit, 0);
		views_csv_field(b, json_string_value(json_object_get(r, "kurs")), 0);
		views_csv_field(b, json_string_value(json_object_get(r, "tittel")), 0);
		views_csv_field(b, json_string_value(json_object_get(r, "grunn")), 0);
		views_csv_field(b, json_string_value(json_object_get(r, "frist")), 0);
		views_csv_field(b, json_string_value(json_object_get(r, "status")), 0);
		views_csv_field(b, done, 0);
		views_csv_field(b, exp, 0);
		views_csv_end_row(b);
	}
}

static void send_export(struct http_request *req, const struct principal *p, long long subject,
			const char *action, const char *detail, const char *name, int csv,
			const json_t *json, struct views_buf *b)
{
	char file[128];
	if (csv) {
		if (b->failed) {
			http_send_error(req, 500, "no_memory", "Eksporten ble for stor.");
			return;
		}
		snprintf(file, sizeof(file), "%s.csv", name);
		views_send_audited_file(req, p, subject, action, detail, "text/csv; charset=utf-8", file,
					b->data ? b->data : "", b->len);
		return;
	}
	char *text = json_dumps(json, JSON_COMPACT);
	if (!text) {
		http_send_error(req, 500, "no_memory", "Eksporten ble for stor.");
		return;
	}
	snprintf(file, sizeof(file), "%s.json", name);
	views_send_audited_file(req, p, subject, action, detail, "application/json", file, text,
				strlen(text));
	free(text);
}

void views_hr_employee_export(struct http_request *req)
{
	struct principal p;
	if (access_require(req, HR_ROLES, &p) != 0)
		return;
	int bad;
	int csv = wants_csv(req, &bad);
	if (bad) {
		http_send_error(req, 400, "bad_format", "format må være json eller csv.");
		return;
	}
	long long id;
	json_t *rec = requested_record(req, &p, &id);
	if (!rec)
		return;
	struct views_buf b = { 0 };
	if (csv) {
		csv_header(&b);
		csv_employee(&b, rec);
	}
	char name[64];
	snprintf(name, sizeof(name), "vern-ansatt-%lld", id);
	send_export(req, &p, id, "hr_eksport", csv ? "csv" : "json", name, csv, rec, &b);
	views_buf_free(&b);
	json_decref(rec);
}

/* Everyone (in a unit's subtree): one row per requirement. */
void views_hr_export(struct http_request *req)
{
	struct principal p;
	if (access_require(req, HR_ROLES, &p) != 0)
		return;
	int bad;
	int csv = wants_csv(req, &bad);
	char unit_buf[32];
	int un = http_query_param(req, "enhet", unit_buf, sizeof(unit_buf));
	long long unit = un > 0 ? views_parse_id(unit_buf) : 0;
	if (bad || (un >= 0 && !unit)) {
		http_send_error(req, 400, "invalid", "format må være json eller csv, enhet et id.");
		return;
	}
	if (!unit && !(p.roles & (ACCESS_HR | ACCESS_ADMIN))) {
		http_send_error(req, 403, "forbidden", "Velg en enhet du leder.");
		return;
	}
	long long now = session_now_ms();
	char today[11];
	views_date_of(now, today, sizeof(today));
	struct db_conn *c = reader_seeing(req, &p, unit);
	if (!c)
		return;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.external_id, e.name, u.name, a.course_id, k.title, a.reason, a.due_date,"
		" c.completed_ms, c.expires_ms, c.success"
		" FROM employees e LEFT JOIN org_units u ON u.id = e.unit_id"
		" JOIN assignments a ON a.employee_id = e.id JOIN courses k ON k.id = a.course_id"
		" LEFT JOIN completions c ON c.employee_id = a.employee_id AND c.course_id = a.course_id"
		" WHERE e.active = 1 AND (?1 = 0 OR (u.path >= (SELECT path FROM org_units WHERE id = ?1)"
		"  AND u.path < (SELECT path FROM org_units WHERE id = ?1) || '~'))"
		" ORDER BY e.id, a.course_id");
	struct views_buf b = { 0 };
	json_t *rows = csv ? NULL : json_array();
	int rc = SQLITE_DONE, n = 0;
	if (st)
		sqlite3_bind_int64(st, 1, unit);
	if (csv)
		csv_header(&b);
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int has = sqlite3_column_type(st, 7) != SQLITE_NULL;
		int success = sqlite3_column_type(st, 9) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 9);
		const char *due = sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : col(st, 6);
		long long exp = sqlite3_column_int64(st, 8);
		enum views_status s = views_status_of(has, exp, success, due, now, today);
		char done[11] = "", until[11] = "";
		if (has)
			views_date_of(sqlite3_column_int64(st, 7), done, sizeof(done));
		if (has && exp)
			views_date_of(exp, until, sizeof(until));
		const char *f[] = { col(st, 0), col(st, 1), col(st, 2), col(st, 3), col(st, 4),
				    col(st, 5), due ? due : "", views_status_code(s), done, until };
		if (csv) {
			for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
				views_csv_field(&b, f[i], i == 0);
			views_csv_end_row(&b);
		} else {
			json_t *row = json_object();
			for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
				json_object_set_new(row, csv_head[i], f[i][0] ? json_string(f[i]) : json_null());
			json_array_append_new(rows, row);
		}
		n++;
	}
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(rows);
		views_buf_free(&b);
		http_send_error(req, 500, "read_failed", "Kunne ikke lese eksporten.");
		return;
	}
	char detail[120], name[64], gen[11];
	views_date_of(now, gen, sizeof(gen));
	snprintf(detail, sizeof(detail), "%s, enhet %lld, %d rader", csv ? "csv" : "json", unit, n);
	snprintf(name, sizeof(name), "vern-kompetanse-%s", gen);
	json_t *doc = csv ? NULL : json_pack("{s:s, s:I, s:o}", "generert", gen, "enhet",
					     (json_int_t)unit, "rader", rows);
	send_export(req, &p, 0, "hr_eksport_alle", detail, name, csv, doc, &b);
	json_decref(doc);
	views_buf_free(&b);
}
