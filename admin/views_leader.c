/* views_leader.c: the leader dashboard (see views_leader.h).
 *
 * GET /api/leder/enhet/{id} answers
 *   {"enhet": {id, navn, virksomhet}, "sti": [{id, navn, tilgang}],
 *    "kurs": [{id, tittel, oppmote}],
 *    "totalt": {ansatte, kurs: {KURS: {krav, fullfort, utloper, forsinket}}},
 *    "underenheter": [{id, navn, virksomhet, ansatte, kurs: {...same...}}],
 *    "ansatte": [{id, navn, status: [...], frist: [...]}],
 *    "forsinket": [{ansatt_id, navn, enhet, kurs, status, frist}], "forsinket_totalt": N,
 *    "trend": [{maned, krav, fullfort, andel}]}
 * "ansatte" is the unit's own staff; status[i] and frist[i] belong to
 * kurs[i] (null: not required; frist only while not completed), arrays
 * rather than objects because a flat unit may list 5,000 people. The counts
 * cover the whole subtree,
 * each child unit's counts its own subtree. A requirement is an assignment;
 * its status comes from the newest completion (views_common.h). The trend
 * reads completion_history: for the end of each of the last 12 months, the
 * share of today's requirements (those assigned by then) that had a valid
 * completion at that time. */
#include "views_leader.h"

#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "views_common.h"
#include "views_reminders.h"

#define MAX_COURSES 256
#define MAX_OVERDUE_SHOWN 500
#define TREND_MONTHS 12

struct course_ref {
	char id[128];
	char title[256];
	int attendance; /* satisfiable by attendance */
	int used;       /* required somewhere in the subtree */
};

struct counts {
	int required, met, expiring, late;
};

struct bucket {
	long long unit_id;
	char name[256];
	int is_agency;
	int employees;
	struct counts *per_course;
};

struct late_item {
	long long employee_id, unit_id;
	char *name;
	int course;
	enum views_status status;
	char due[11];
};

struct dash {
	struct db_conn *c;
	long long unit_id;
	char path[512];
	struct course_ref *courses;
	int ncourses;
	struct bucket self, total;
	struct bucket *children;
	int nchildren;
	struct late_item *late;
	size_t nlate, caplate;
	json_t *staff;
	long long now_ms;
	char today[11];
};

static int load_courses(struct dash *d)
{
	sqlite3_stmt *st = db_stmt(d->c,
		"SELECT c.id, c.title, a.course_id IS NOT NULL FROM courses c"
		" LEFT JOIN courses_attendance a ON a.course_id = c.id ORDER BY c.title, c.id");
	if (!st)
		return -1;
	d->courses = calloc(MAX_COURSES, sizeof(*d->courses));
	if (!d->courses)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && d->ncourses < MAX_COURSES) {
		struct course_ref *r = &d->courses[d->ncourses++];
		snprintf(r->id, sizeof(r->id), "%s", (const char *)sqlite3_column_text(st, 0));
		snprintf(r->title, sizeof(r->title), "%s", (const char *)sqlite3_column_text(st, 1));
		r->attendance = sqlite3_column_int(st, 2);
	}
	return 0;
}

static int course_index(const struct dash *d, const char *id, int hint)
{
	if (hint >= 0 && hint < d->ncourses && strcmp(d->courses[hint].id, id) == 0)
		return hint;
	for (int i = 0; i < d->ncourses; i++)
		if (strcmp(d->courses[i].id, id) == 0)
			return i;
	return -1;
}

static int bucket_init(struct bucket *b, int ncourses)
{
	b->per_course = calloc((size_t)(ncourses ? ncourses : 1), sizeof(*b->per_course));
	return b->per_course ? 0 : -1;
}

/* The unit, or -1 if it does not exist. */
static int load_unit(struct dash *d)
{
	sqlite3_stmt *st = db_stmt(d->c, "SELECT name, path, is_agency FROM org_units WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->unit_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -1;
	d->self.unit_id = d->unit_id;
	snprintf(d->self.name, sizeof(d->self.name), "%s", (const char *)sqlite3_column_text(st, 0));
	snprintf(d->path, sizeof(d->path), "%s", (const char *)sqlite3_column_text(st, 1));
	d->self.is_agency = sqlite3_column_int(st, 2);
	return 0;
}

static int load_children(struct dash *d)
{
	sqlite3_stmt *st = db_stmt(d->c, "SELECT count(*) FROM org_units WHERE parent_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->unit_id);
	int n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	d->children = calloc((size_t)(n ? n : 1), sizeof(*d->children));
	if (!d->children)
		return -1;
	st = db_stmt(d->c, "SELECT id, name, is_agency FROM org_units WHERE parent_id = ? ORDER BY id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, d->unit_id);
	while (sqlite3_step(st) == SQLITE_ROW && d->nchildren < n) {
		struct bucket *b = &d->children[d->nchildren++];
		b->unit_id = sqlite3_column_int64(st, 0);
		snprintf(b->name, sizeof(b->name), "%s", (const char *)sqlite3_column_text(st, 1));
		b->is_agency = sqlite3_column_int(st, 2);
		if (bucket_init(b, d->ncourses) != 0)
			return -1;
	}
	return 0;
}

/* The child of d's unit whose subtree holds a unit with this path. */
static struct bucket *child_for_path(struct dash *d, const char *path)
{
	size_t plen = strlen(d->path);
	if (strncmp(path, d->path, plen) != 0 || !path[plen])
		return NULL;
	long long id = atoll(path + plen);
	int lo = 0, hi = d->nchildren - 1;
	while (lo <= hi) { /* children are ordered by id */
		int mid = (lo + hi) / 2;
		if (d->children[mid].unit_id == id)
			return &d->children[mid];
		if (d->children[mid].unit_id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return NULL;
}

static void count(struct bucket *b, int course, enum views_status s)
{
	if (!b)
		return;
	struct counts *k = &b->per_course[course];
	k->required++;
	k->met += views_status_met(s);
	k->expiring += s == VIEWS_EXPIRING;
	k->late += views_status_late(s);
}

static int add_late(struct dash *d, long long emp, long long unit, const char *name, int course,
		    enum views_status s, const char *due)
{
	if (d->nlate == d->caplate) {
		size_t cap = d->caplate ? d->caplate * 2 : 256;
		struct late_item *n = realloc(d->late, cap * sizeof(*n));
		if (!n)
			return -1;
		d->late = n;
		d->caplate = cap;
	}
	struct late_item *it = &d->late[d->nlate];
	it->name = strdup(name);
	if (!it->name)
		return -1;
	d->nlate++;
	it->employee_id = emp;
	it->unit_id = unit;
	it->course = course;
	it->status = s;
	snprintf(it->due, sizeof(it->due), "%s", due ? due : "");
	return 0;
}

/* One pass over every active employee in the subtree and their
 * requirements. */
static int scan(struct dash *d)
{
	sqlite3_stmt *st = db_stmt(d->c,
		"SELECT e.id, e.name, e.unit_id, u.path, a.course_id, a.due_date,"
		" c.completed_ms, c.expires_ms, c.success"
		" FROM org_units u JOIN employees e ON e.unit_id = u.id AND e.active = 1"
		" LEFT JOIN assignments a ON a.employee_id = e.id"
		" LEFT JOIN completions c ON c.employee_id = a.employee_id AND c.course_id = a.course_id"
		" WHERE u.path >= ?1 AND u.path < ?1 || '~'"
		" ORDER BY e.id");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, d->path, -1, SQLITE_TRANSIENT);
	long long last_emp = 0;
	struct bucket *child = NULL;
	json_t *status = NULL, *due_list = NULL;
	int hint = -1, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long emp = sqlite3_column_int64(st, 0);
		const char *name = (const char *)sqlite3_column_text(st, 1);
		long long unit = sqlite3_column_int64(st, 2);
		if (emp != last_emp) {
			last_emp = emp;
			status = due_list = NULL;
			d->total.employees++;
			child = unit == d->unit_id ? NULL
						   : child_for_path(d, (const char *)sqlite3_column_text(st, 3));
			if (child)
				child->employees++;
			if (unit == d->unit_id) {
				d->self.employees++;
				status = json_array();
				due_list = json_array();
				for (int i = 0; i < d->ncourses; i++) {
					json_array_append_new(status, json_null());
					json_array_append_new(due_list, json_null());
				}
				json_array_append_new(d->staff, json_pack("{s:I, s:s, s:o, s:o}", "id",
					(json_int_t)emp, "navn", name, "status", status, "frist", due_list));
			}
		}
		if (sqlite3_column_type(st, 4) == SQLITE_NULL)
			continue; /* no requirements */
		const char *course_id = (const char *)sqlite3_column_text(st, 4);
		int ci = course_index(d, course_id, hint);
		if (ci < 0)
			continue;
		hint = ci;
		d->courses[ci].used = 1;
		const char *due = (const char *)sqlite3_column_text(st, 5);
		int has = sqlite3_column_type(st, 6) != SQLITE_NULL;
		long long exp_ms = sqlite3_column_int64(st, 7);
		int success = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 8);
		enum views_status s = views_status_of(has, exp_ms, success, due, d->now_ms, d->today);
		count(&d->total, ci, s);
		count(child, ci, s);
		if (status) {
			json_array_set_new(status, (size_t)ci, json_string(views_status_code(s)));
			if (due && !views_status_met(s))
				json_array_set_new(due_list, (size_t)ci, json_string(due));
		}
		if (views_status_late(s) && add_late(d, emp, unit, name, ci, s, due) != 0)
			return -1;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

static json_t *counts_json(const struct dash *d, const struct bucket *b)
{
	json_t *out = json_object();
	for (int i = 0; i < d->ncourses; i++) {
		const struct counts *k = &b->per_course[i];
		if (!d->courses[i].used)
			continue;
		json_object_set_new(out, d->courses[i].id,
			json_pack("{s:i, s:i, s:i, s:i}", "krav", k->required, "fullfort", k->met,
				  "utloper", k->expiring, "forsinket", k->late));
	}
	return out;
}

static int by_due(const void *a, const void *b)
{
	const struct late_item *x = a, *y = b;
	int c = strcmp(x->due, y->due); /* "" (no due date: an expired completion) first */
	if (c)
		return c;
	return x->employee_id < y->employee_id ? -1 : x->employee_id > y->employee_id;
}

/* Unit names for the overdue list. */
static const char *unit_name(struct dash *d, long long unit, char *buf, size_t size)
{
	if (unit == d->unit_id)
		return d->self.name;
	sqlite3_stmt *st = db_stmt(d->c, "SELECT name FROM org_units WHERE id = ?");
	buf[0] = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, unit);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return buf;
}

static json_t *late_json(struct dash *d)
{
	if (d->nlate)
		qsort(d->late, d->nlate, sizeof(*d->late), by_due);
	json_t *out = json_array();
	char name[256];
	for (size_t i = 0; i < d->nlate && i < MAX_OVERDUE_SHOWN; i++) {
		const struct late_item *it = &d->late[i];
		json_t *row = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "ansatt_id",
			(json_int_t)it->employee_id, "navn", it->name, "enhet_id", (json_int_t)it->unit_id,
			"enhet", unit_name(d, it->unit_id, name, sizeof(name)), "kurs",
			d->courses[it->course].id, "status", views_status_code(it->status));
		if (it->due[0])
			json_object_set_new(row, "frist", json_string(it->due));
		json_array_append_new(out, row);
	}
	return out;
}

/* Breadcrumbs from the root to the unit; tilgang says which the viewer may open. */
static json_t *crumbs_json(struct dash *d, const struct principal *p)
{
	json_t *out = json_array();
	const char *s = d->path;
	while (*s == '/') {
		long long id = atoll(s + 1);
		const char *next = strchr(s + 1, '/');
		if (!id || !next)
			break;
		sqlite3_stmt *st = db_stmt(d->c, "SELECT name FROM org_units WHERE id = ?");
		if (st) {
			sqlite3_bind_int64(st, 1, id);
			if (sqlite3_step(st) == SQLITE_ROW) {
				json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)id, "navn",
						      (const char *)sqlite3_column_text(st, 0));
				sqlite3_reset(st);
				json_object_set_new(o, "tilgang", json_boolean(access_sees_unit(d->c, p, id)));
				json_array_append_new(out, o);
			}
		}
		s = next;
	}
	return out;
}

/* The trend: see the top of this file. */
static json_t *trend_json(struct dash *d)
{
	long long ends[TREND_MONTHS];
	int required[TREND_MONTHS] = { 0 }, covered[TREND_MONTHS] = { 0 };
	char labels[TREND_MONTHS][24];
	time_t t = (time_t)(d->now_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	for (int k = 0; k < TREND_MONTHS; k++) {
		int back = TREND_MONTHS - 1 - k; /* months before this one */
		int y = tm.tm_year + 1900, m = tm.tm_mon + 1 - back;
		while (m < 1) {
			m += 12;
			y--;
		}
		ends[k] = k == TREND_MONTHS - 1 ? d->now_ms : views_month_start_ms(y, m + 1);
		snprintf(labels[k], sizeof(labels[k]), "%04d-%02d", y % 10000, m);
	}
	sqlite3_stmt *st = db_stmt(d->c,
		"SELECT a.id, a.created_ms, h.completed_ms, k.valid_months, h.success"
		" FROM org_units u JOIN employees e ON e.unit_id = u.id AND e.active = 1"
		" JOIN assignments a ON a.employee_id = e.id JOIN courses k ON k.id = a.course_id"
		" LEFT JOIN completion_history h ON h.employee_id = a.employee_id AND h.course_id = a.course_id"
		" WHERE u.path >= ?1 AND u.path < ?1 || '~'"
		" ORDER BY a.id");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, d->path, -1, SQLITE_TRANSIENT);
	long long last = 0;
	int hit[TREND_MONTHS] = { 0 };
	int rc;
	for (;;) {
		rc = sqlite3_step(st);
		long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
		if (id != last && last) {
			for (int k = 0; k < TREND_MONTHS; k++)
				covered[k] += hit[k];
			memset(hit, 0, sizeof(hit));
		}
		if (rc != SQLITE_ROW)
			break;
		long long created = sqlite3_column_int64(st, 1);
		if (id != last)
			for (int k = 0; k < TREND_MONTHS; k++)
				required[k] += created <= ends[k];
		last = id;
		if (sqlite3_column_type(st, 2) == SQLITE_NULL ||
		    (sqlite3_column_type(st, 4) != SQLITE_NULL && sqlite3_column_int(st, 4) == 0))
			continue;
		long long from = sqlite3_column_int64(st, 2);
		long long to = sqlite3_column_type(st, 3) == SQLITE_NULL
				       ? 0 : views_add_months_ms(from, sqlite3_column_int(st, 3));
		for (int k = 0; k < TREND_MONTHS; k++)
			if (created <= ends[k] && from <= ends[k] && (!to || to > ends[k]))
				hit[k] = 1;
	}
	if (rc != SQLITE_DONE)
		return NULL;
	json_t *out = json_array();
	for (int k = 0; k < TREND_MONTHS; k++) {
		json_t *row = json_pack("{s:s, s:i, s:i}", "maned", labels[k], "krav", required[k],
					"fullfort", covered[k]);
		json_object_set_new(row, "andel", required[k] ? json_real((double)covered[k] / required[k])
							      : json_null());
		json_array_append_new(out, row);
	}
	return out;
}

static json_t *courses_json(const struct dash *d)
{
	json_t *out = json_array();
	for (int i = 0; i < d->ncourses; i++)
		if (d->courses[i].used)
			json_array_append_new(out, json_pack("{s:s, s:s, s:b}", "id", d->courses[i].id,
				"tittel", d->courses[i].title, "oppmote", d->courses[i].attendance));
	return out;
}

/* Drops the columns of courses no one in the subtree is required to take,
 * so staff arrays line up with "kurs". */
static void compact_staff(struct dash *d)
{
	size_t i;
	json_t *row;
	json_array_foreach(d->staff, i, row) {
		json_t *status = json_object_get(row, "status"), *due = json_object_get(row, "frist");
		for (int k = d->ncourses - 1; k >= 0; k--)
			if (!d->courses[k].used) {
				json_array_remove(status, (size_t)k);
				json_array_remove(due, (size_t)k);
			}
	}
}

static json_t *build(struct dash *d, const struct principal *p)
{
	compact_staff(d);
	json_t *children = json_array();
	for (int i = 0; i < d->nchildren; i++) {
		const struct bucket *b = &d->children[i];
		json_array_append_new(children, json_pack("{s:I, s:s, s:b, s:i, s:o}", "id",
			(json_int_t)b->unit_id, "navn", b->name, "virksomhet", b->is_agency, "ansatte",
			b->employees, "kurs", counts_json(d, b)));
	}
	json_t *trend = trend_json(d);
	if (!trend) {
		json_decref(children);
		return NULL;
	}
	json_t *out = json_pack("{s:{s:I, s:s, s:b}, s:o, s:o, s:{s:i, s:o}, s:o, s:O, s:o, s:I, s:o}",
		"enhet", "id", (json_int_t)d->unit_id, "navn", d->self.name, "virksomhet",
		d->self.is_agency, "sti", crumbs_json(d, p), "kurs", courses_json(d), "totalt",
		"ansatte", d->total.employees, "kurs", counts_json(d, &d->total), "underenheter",
		children, "ansatte", d->staff, "forsinket", late_json(d), "forsinket_totalt",
		(json_int_t)d->nlate, "trend", trend);
	return out;
}

static void dash_free(struct dash *d)
{
	free(d->courses);
	free(d->self.per_course);
	free(d->total.per_course);
	for (int i = 0; i < d->nchildren; i++)
		free(d->children[i].per_course);
	free(d->children);
	for (size_t i = 0; i < d->nlate; i++)
		free(d->late[i].name);
	free(d->late);
	json_decref(d->staff);
}

void views_leader_unit(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEADER | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	long long unit = views_parse_id(req->params[0]);
	if (!unit) {
		http_send_error(req, 400, "bad_id", "Ugyldig enhet.");
		return;
	}
	struct dash d;
	memset(&d, 0, sizeof(d));
	d.unit_id = unit;
	d.now_ms = session_now_ms();
	views_date_of(d.now_ms, d.today, sizeof(d.today));
	d.staff = json_array();
	d.c = db_reader_get(req->srv->db);
	json_t *out = NULL;
	int status = 500;
	if (!access_sees_unit(d.c, &p, unit))
		status = 403;
	else if (load_unit(&d) != 0)
		status = 404;
	else if (load_courses(&d) == 0 && bucket_init(&d.self, d.ncourses) == 0 &&
		 bucket_init(&d.total, d.ncourses) == 0 && load_children(&d) == 0 && scan(&d) == 0)
		out = build(&d, &p);
	db_reader_put(req->srv->db, d.c);
	char detail[400];
	snprintf(detail, sizeof(detail), "enhet %lld (%s), %d ansatte", unit, d.self.name,
		 d.total.employees);
	dash_free(&d);
	if (out)
		views_send_audited_json(req, &p, 0, "leder_oversikt", detail, out);
	else if (status == 403)
		http_send_error(req, 403, "forbidden", "Du har ikke tilgang til denne enheten.");
	else if (status == 404)
		http_send_error(req, 404, "not_found", "Fant ikke enheten.");
	else
		http_send_error(req, 500, "read_failed", "Kunne ikke lese oversikten.");
	json_decref(out);
}

static json_t *unit_row(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id, name, is_agency FROM org_units WHERE id = ?");
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *o = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		o = json_pack("{s:I, s:s, s:b}", "id", (json_int_t)sqlite3_column_int64(st, 0), "navn",
			      (const char *)sqlite3_column_text(st, 1), "virksomhet",
			      sqlite3_column_int(st, 2));
	sqlite3_reset(st);
	return o;
}

void views_leader_units(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEADER | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	json_t *list = json_array();
	struct db_conn *c = db_reader_get(req->srv->db);
	if (p.roles & (ACCESS_HR | ACCESS_ADMIN)) {
		/* Everyone: the agencies, or the roots when none is marked. */
		sqlite3_stmt *st = db_stmt(c,
			"SELECT id FROM org_units WHERE is_agency = 1 OR (parent_id IS NULL AND NOT EXISTS"
			" (SELECT 1 FROM org_units WHERE is_agency = 1)) ORDER BY name, id");
		long long ids[2048];
		int n = 0;
		while (st && sqlite3_step(st) == SQLITE_ROW && n < 2048)
			ids[n++] = sqlite3_column_int64(st, 0);
		if (st)
			sqlite3_reset(st);
		for (int i = 0; i < n; i++) {
			json_t *o = unit_row(c, ids[i]);
			if (o)
				json_array_append_new(list, o);
		}
	} else {
		for (int i = 0; i < p.nleader_units; i++) {
			json_t *o = unit_row(c, p.leader_units[i]);
			if (o)
				json_array_append_new(list, o);
		}
	}
	db_reader_put(req->srv->db, c);
	json_t *out = json_pack("{s:o}", "enheter", list);
	http_send_json(req, 200, out);
	json_decref(out);
}

void views_leader_remind(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEADER | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	json_t *body = http_body_json(req);
	if (!body)
		return;
	views_reminders_send(req, &p, body);
	json_decref(body);
}
