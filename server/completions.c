/* completions.c: completions and course starts from LRS statements (see
 * completions.h and migrations/005_plugins.sql).
 *
 * Called once per stored statement from the LRS writer (lrs/statements.c),
 * so the common case, a statement by someone who is not an employee or
 * about no course, must cost no more than reading a few JSON fields and at
 * most three indexed lookups. */
#include "completions.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "index.h"
#include "views_attendance.h"
#include "validate.h"

#define MAX_TOUCHED 16

struct touched {
	char course[128];
	int months;        /* valid_months, -1 when NULL */
	int is_object;     /* the statement's own object */
};

long long completions_expiry_ms(long long completed_ms, int months)
{
	time_t secs = (time_t)(completed_ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	tm.tm_mon += months;
	tm.tm_isdst = 0;
	return (long long)timegm(&tm) * 1000 + completed_ms % 1000;
}

/* The account name of actor when it is an employee's agent (an Agent
 * with an account on home_page), else NULL. */
static const char *employee_name(const char *home_page, const json_t *actor)
{
	const char *type = json_string_value(json_object_get(actor, "objectType"));
	if (type && strcmp(type, "Agent") != 0)
		return NULL;
	const json_t *acct = json_object_get(actor, "account");
	const char *hp = json_string_value(json_object_get(acct, "homePage"));
	const char *name = json_string_value(json_object_get(acct, "name"));
	if (!hp || !name || !home_page || strcmp(hp, home_page) != 0)
		return NULL;
	return name;
}

int completions_may_count(const char *home_page, const json_t *statement)
{
	return employee_name(home_page, json_object_get(statement, "actor")) != NULL;
}

/* The employee whose agent is actor, or 0. */
static long long employee_of(struct db_conn *c, const char *home_page, const json_t *actor)
{
	const char *name = employee_name(home_page, actor);
	if (!name)
		return 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE external_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return sqlite3_column_int64(st, 0);
	return rc == SQLITE_DONE ? 0 : (db_step_error(c, rc, "completions_employee"), -1);
}

/* Adds the course whose activity is activity to t (once). Returns 0 or -1. */
static int touch(struct db_conn *c, const char *activity, int is_object, struct touched *t, int *n)
{
	if (!activity || *n == MAX_TOUCHED)
		return 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT id, valid_months FROM courses WHERE activity_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, activity, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "completions_course"), -1;
	const char *course = (const char *)sqlite3_column_text(st, 0);
	for (int i = 0; i < *n; i++)
		if (strcmp(t[i].course, course) == 0) {
			t[i].is_object |= is_object;
			return 0;
		}
	snprintf(t[*n].course, sizeof(t[*n].course), "%s", course);
	t[*n].months = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 1);
	t[*n].is_object = is_object;
	(*n)++;
	return 0;
}

/* Context activities of one kind, stored as an array or (as received) a
 * single object. */
static int touch_context(struct db_conn *c, const json_t *ctx_acts, const char *kind,
			 struct touched *t, int *n)
{
	const json_t *v = json_object_get(ctx_acts, kind);
	if (json_is_object(v))
		return touch(c, json_string_value(json_object_get(v, "id")), 0, t, n);
	size_t i;
	const json_t *a;
	json_array_foreach(v, i, a)
		if (touch(c, json_string_value(json_object_get(a, "id")), 0, t, n) != 0)
			return -1;
	return 0;
}

/* 1 when verb is "attended" and the admin marked the course as satisfiable
 * by attendance (admin/views_attendance.h), 0 when not, -1 on error. */
static int attendance_counts(struct db_conn *c, const char *verb, const char *course)
{
	if (!verb || strcmp(verb, VIEWS_ATTENDED_VERB) != 0)
		return 0;
	return views_attendance_counts(c, course);
}

static int is_completion_verb(const char *verb)
{
	return verb && (strcmp(verb, COMPLETIONS_VERB_COMPLETED) == 0 ||
			strcmp(verb, COMPLETIONS_VERB_PASSED) == 0 ||
			strcmp(verb, COMPLETIONS_VERB_SATISFIED) == 0);
}

/* When it happened: the statement's timestamp, but never later than it was
 * stored (a future timestamp must not stretch a completion's validity). */
static long long event_ms(const json_t *statement, long long stored_ms)
{
	long long ms;
	const char *ts = json_string_value(json_object_get(statement, "timestamp"));
	if (ts && lrs_parse_timestamp(ts, &ms) == 0 && ms <= stored_ms)
		return ms;
	return stored_ms;
}

static int record_start(struct db_conn *c, long long emp, const char *course, long long when,
			const char *id)
{
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO course_starts(employee_id, course_id, first_ms, last_ms, first_statement)"
		" VALUES(?1, ?2, ?3, ?3, ?4) ON CONFLICT(employee_id, course_id) DO UPDATE SET"
		" first_ms = min(first_ms, excluded.first_ms), last_ms = max(last_ms, excluded.last_ms),"
		" first_statement = CASE WHEN excluded.first_ms < first_ms THEN excluded.first_statement"
		" ELSE first_statement END"
		" WHERE excluded.first_ms < first_ms OR excluded.last_ms > last_ms");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when);
	sqlite3_bind_text(st, 4, id, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "course_start");
}

/* Makes completions hold the newest remaining history row of (emp, course),
 * or nothing. */
static int recompute(struct db_conn *c, long long emp, const char *course)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT h.statement_id, h.completed_ms, h.success, h.score, c.valid_months"
		" FROM completion_history h JOIN courses c ON c.id = h.course_id"
		" WHERE h.employee_id = ? AND h.course_id = ? ORDER BY h.completed_ms DESC LIMIT 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		st = db_stmt(c, "DELETE FROM completions WHERE employee_id = ? AND course_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, emp);
		sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
		return db_exec_stmt(c, st, "completion_delete");
	}
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "completion_recompute");
	char sid[64];
	snprintf(sid, sizeof(sid), "%s", (const char *)sqlite3_column_text(st, 0));
	long long when = sqlite3_column_int64(st, 1);
	int has_success = sqlite3_column_type(st, 2) != SQLITE_NULL;
	int success = sqlite3_column_int(st, 2);
	int has_score = sqlite3_column_type(st, 3) != SQLITE_NULL;
	double score = sqlite3_column_double(st, 3);
	int has_months = sqlite3_column_type(st, 4) != SQLITE_NULL;
	int months = sqlite3_column_int(st, 4);
	sqlite3_reset(st);
	st = db_stmt(c, "INSERT OR REPLACE INTO completions(employee_id, course_id, completed_ms,"
			" expires_ms, success, score, statement_id) VALUES(?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when);
	if (has_months)
		sqlite3_bind_int64(st, 4, completions_expiry_ms(when, months));
	if (has_success)
		sqlite3_bind_int(st, 5, success);
	if (has_score)
		sqlite3_bind_double(st, 6, score);
	sqlite3_bind_text(st, 7, sid, -1, SQLITE_TRANSIENT);
	return db_exec_stmt(c, st, "completion_replace");
}

static int record_completion(struct db_conn *c, const json_t *statement, const char *id,
			     long long emp, const struct touched *t, long long when)
{
	const char *verb = json_string_value(json_object_get(json_object_get(statement, "verb"), "id"));
	const json_t *result = json_object_get(statement, "result");
	const json_t *ok = json_object_get(result, "success");
	const json_t *scaled = json_object_get(json_object_get(result, "score"), "scaled");
	int success = -1;
	if (strcmp(verb, COMPLETIONS_VERB_COMPLETED) != 0)
		success = 1;
	else if (json_is_boolean(ok))
		success = json_is_true(ok);

	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO completion_history(statement_id,"
				      " employee_id, course_id, completed_ms, success, score)"
				      " VALUES(?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, emp);
	sqlite3_bind_text(st, 3, t->course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, when);
	if (success >= 0)
		sqlite3_bind_int(st, 5, success);
	if (json_is_number(scaled))
		sqlite3_bind_double(st, 6, json_number_value(scaled));
	int rc = db_exec_stmt(c, st, "completion_history");
	if (rc != DB_OK)
		return rc;
	/* The newest completion counts; an older one arriving late changes nothing. */
	st = db_stmt(c, "INSERT INTO completions(employee_id, course_id, completed_ms, expires_ms,"
			" success, score, statement_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			" ON CONFLICT(employee_id, course_id) DO UPDATE SET completed_ms = ?3,"
			" expires_ms = ?4, success = ?5, score = ?6, statement_id = ?7"
			" WHERE ?3 >= completed_ms");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, t->course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, when);
	if (t->months >= 0)
		sqlite3_bind_int64(st, 4, completions_expiry_ms(when, t->months));
	if (success >= 0)
		sqlite3_bind_int(st, 5, success);
	if (json_is_number(scaled))
		sqlite3_bind_double(st, 6, json_number_value(scaled));
	sqlite3_bind_text(st, 7, id, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "completion_upsert");
}

/* The voided statement's start row (if it made one) moves to the next
 * statement of the employee about the course that still counts, found
 * through the LRS index (agent key and activity), or goes. */
static int recompute_start(struct db_conn *c, const char *home_page, const char *voided_id)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT cs.employee_id, cs.course_id, e.external_id, co.activity_id"
		" FROM course_starts cs JOIN employees e ON e.id = cs.employee_id"
		" JOIN courses co ON co.id = cs.course_id WHERE cs.first_statement = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, voided_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return DB_OK;
	if (rc != SQLITE_ROW)
		return db_step_error(c, rc, "start_void_lookup");
	long long emp = sqlite3_column_int64(st, 0);
	char course[128], agent[600], activity[1024];
	snprintf(course, sizeof(course), "%s", (const char *)sqlite3_column_text(st, 1));
	snprintf(agent, sizeof(agent), "account:%s %s", home_page,
		 (const char *)sqlite3_column_text(st, 2));
	snprintf(activity, sizeof(activity), "%s", (const char *)sqlite3_column_text(st, 3));
	sqlite3_reset(st);

	st = db_stmt(c, "SELECT s.id, s.stored_ms FROM statement_index a"
			" JOIN statement_index g ON g.kind = 3 AND g.value = ?1 AND g.seq = a.seq"
			" AND g.direct = 1 JOIN statements s ON s.seq = a.seq"
			" WHERE a.kind = 2 AND a.value = ?2 AND s.voided = 0 AND s.voiding = 0"
			" ORDER BY a.seq LIMIT 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, activity, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		char next[64];
		snprintf(next, sizeof(next), "%s", (const char *)sqlite3_column_text(st, 0));
		long long when = sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
		st = db_stmt(c, "UPDATE course_starts SET first_statement = ?, first_ms = ?,"
				" last_ms = max(last_ms, ?2) WHERE employee_id = ? AND course_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, next, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, when);
		sqlite3_bind_int64(st, 3, emp);
		sqlite3_bind_text(st, 4, course, -1, SQLITE_STATIC);
		return db_exec_stmt(c, st, "start_move");
	}
	if (rc != SQLITE_DONE)
		return db_step_error(c, rc, "start_next");
	st = db_stmt(c, "DELETE FROM course_starts WHERE employee_id = ? AND course_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, course, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "start_delete");
}

static int void_statement(struct db_conn *c, const char *home_page, const char *voided_id)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM completion_history WHERE statement_id = ?"
				      " RETURNING employee_id, course_id");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, voided_id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		long long emp = sqlite3_column_int64(st, 0);
		char course[128];
		snprintf(course, sizeof(course), "%s", (const char *)sqlite3_column_text(st, 1));
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (rc != SQLITE_DONE)
			return db_step_error(c, rc, "completion_void");
		sqlite3_reset(st);
		if ((rc = recompute(c, emp, course)) != DB_OK)
			return rc;
	} else if (rc != SQLITE_DONE) {
		return db_step_error(c, rc, "completion_void");
	}
	return recompute_start(c, home_page, voided_id);
}

/* 1 when the statement with id is already voided (stored after its
 * voiding statement). */
static int already_voided(struct db_conn *c, const char *id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT voided FROM statements WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	return rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : rc == SQLITE_DONE ? 0 : -1;
}

int completions_on_store(struct db_conn *c, const char *home_page, const json_t *statement,
			 const char *id, const char *voided_id, long long stored_ms)
{
	if (voided_id)
		return void_statement(c, home_page, voided_id);
	long long emp = employee_of(c, home_page, json_object_get(statement, "actor"));
	if (emp <= 0)
		return emp < 0 ? DB_ERROR : DB_OK;

	struct touched t[MAX_TOUCHED];
	int n = 0;
	const json_t *object = json_object_get(statement, "object");
	const char *otype = json_string_value(json_object_get(object, "objectType"));
	if (!otype || strcmp(otype, "Activity") == 0)
		if (touch(c, json_string_value(json_object_get(object, "id")), 1, t, &n) != 0)
			return DB_ERROR;
	const json_t *ctx = json_object_get(json_object_get(statement, "context"), "contextActivities");
	if (touch_context(c, ctx, "parent", t, &n) != 0 || touch_context(c, ctx, "grouping", t, &n) != 0)
		return DB_ERROR;
	if (n == 0)
		return DB_OK;
	int voided = already_voided(c, id);
	if (voided != 0)
		return voided < 0 ? DB_ERROR : DB_OK;

	long long when = event_ms(statement, stored_ms);
	const char *verb = json_string_value(json_object_get(json_object_get(statement, "verb"), "id"));
	for (int i = 0; i < n; i++) {
		int rc = record_start(c, emp, t[i].course, when, id);
		int counts = t[i].is_object ? attendance_counts(c, verb, t[i].course) : 0;
		if (counts < 0)
			return DB_ERROR;
		if (rc == DB_OK && t[i].is_object && (is_completion_verb(verb) || counts))
			rc = record_completion(c, statement, id, emp, &t[i], when);
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* ---- attendance marked or unmarked afterwards ---- */

/* Counts every stored, unvoided attendance statement about the course's
 * activity (statements already counted are left as they are). */
static int count_attendance(struct db_conn *c, const char *home_page, const char *activity)
{
	int rc = lrs_index_catch_up(c); /* found through the statement index */
	sqlite3_stmt *st = rc == DB_OK ? db_stmt(c, "SELECT s.id, s.full, s.stored_ms FROM statement_index i"
						    " JOIN statements s ON s.seq = i.seq"
						    " WHERE i.kind = 5 AND i.value = ?1 || char(31) || ?2"
						    " AND i.direct = 1 AND s.voided = 0 ORDER BY i.seq") : NULL;
	if (rc == DB_OK && !st)
		rc = DB_ERROR;
	if (rc != DB_OK)
		return rc;
	sqlite3_bind_text(st, 1, VIEWS_ATTENDED_VERB, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, activity, -1, SQLITE_STATIC);
	int step;
	while (rc == DB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *statement = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
		if (statement)
			rc = completions_on_store(c, home_page, statement,
						  (const char *)sqlite3_column_text(st, 0), NULL,
						  sqlite3_column_int64(st, 2));
		json_decref(statement);
	}
	if (rc == DB_OK && step != SQLITE_DONE)
		rc = db_step_error(c, step, "attendance_recount");
	sqlite3_reset(st);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* Takes back the completions of course that attendance statements gave. */
static int uncount_attendance(struct db_conn *c, const char *course)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM completion_history WHERE course_id = ?1 AND EXISTS"
				      " (SELECT 1 FROM statements s WHERE s.id = completion_history.statement_id"
				      " AND s.verb = ?2) RETURNING employee_id");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, course, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, VIEWS_ATTENDED_VERB, -1, SQLITE_STATIC);
	long long *emps = NULL;
	size_t n = 0, cap = 0;
	int step, rc = DB_OK;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			long long *more = realloc(emps, cap * sizeof(*emps));
			if (!more) {
				rc = DB_ERROR;
				break;
			}
			emps = more;
		}
		emps[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc == DB_OK && step != SQLITE_DONE)
		rc = db_step_error(c, step, "attendance_uncount");
	sqlite3_reset(st);
	/* one recompute per employee, however many sessions they attended */
	if (n > 1)
		qsort(emps, n, sizeof(*emps), by_id);
	for (size_t i = 0; rc == DB_OK && i < n; i++)
		if (i == 0 || emps[i] != emps[i - 1])
			rc = recompute(c, emps[i], course);
	free(emps);
	return rc;
}

int completions_attendance_recount(struct db_conn *c, const char *home_page, const char *course,
				   int counts)
{
	if (!counts)
		return uncount_attendance(c, course);
	sqlite3_stmt *st = db_stmt(c, "SELECT activity_id FROM courses WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, course, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_DONE || (step == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_NULL)) {
		sqlite3_reset(st);
		return DB_OK;
	}
	if (step != SQLITE_ROW)
		return db_step_error(c, step, "attendance_course");
	char *activity = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (!activity)
		return DB_ERROR;
	int rc = count_attendance(c, home_page, activity);
	free(activity);
	return rc;
}
