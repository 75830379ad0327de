/* writes.c: writing what plugin calls buffered (assign/unassign/mail), in one
 * db_write together with the bookkeeping of the batch (handled events,
 * the daily run), so a batch is applied whole or not at all.
 *
 * Assign creates the assignment, or updates due date and reason of one the
 * same plugin made; an assignment made by hand or by another plugin is left
 * alone. Unassign deletes only the calling plugin's own assignments. Rows
 * that vanished meanwhile (an employee or course deleted) are skipped by
 * the SQL itself, so one stale operation cannot fail the batch. Emails go
 * to the outbox (server/mail.h); one whose employee has left or lost the
 * address since the call is skipped and logged, for the same reason. */
#include "writes.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "mail.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#define UPSERT \
	" ON CONFLICT(employee_id, course_id) DO UPDATE SET due_date = excluded.due_date," \
	" reason = excluded.reason WHERE assignments.plugin = excluded.plugin" \
	" AND (assignments.due_date IS NOT excluded.due_date OR assignments.reason <> excluded.reason)"
#define ROLE_FILTER \
	" AND (?7 IS NULL OR EXISTS (SELECT 1 FROM employee_roles er JOIN roles r" \
	" ON r.id = er.role_id WHERE er.employee_id = e.id AND r.code = ?7))"

static sqlite3_stmt *op_statement(struct db_conn *c, const struct plugin_op *op)
{
	if (op->kind == PLUGIN_OP_ASSIGN) {
		switch (op->target) {
		case PLUGIN_TARGET_EMPLOYEE:
			/* One row with VALUES: no statement journal (see apply_op). */
			return db_stmt(c, "INSERT INTO assignments(employee_id, course_id, due_date, reason,"
					  " plugin, created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6)" UPSERT);
		case PLUGIN_TARGET_UNIT:
			return db_stmt(c, "INSERT INTO assignments(employee_id, course_id, due_date, reason,"
					  " plugin, created_ms) SELECT e.id, ?2, ?3, ?4, ?5, ?6 FROM org_units u"
					  " JOIN employees e ON e.unit_id = u.id AND e.active = 1"
					  " WHERE u.path >= ?8 AND u.path < ?8 || '~'"
					  " AND EXISTS (SELECT 1 FROM courses WHERE id = ?2)" ROLE_FILTER UPSERT);
		case PLUGIN_TARGET_EVERYONE:
			return db_stmt(c, "INSERT INTO assignments(employee_id, course_id, due_date, reason,"
					  " plugin, created_ms) SELECT e.id, ?2, ?3, ?4, ?5, ?6 FROM employees e"
					  " WHERE e.active = 1 AND EXISTS (SELECT 1 FROM courses WHERE id = ?2)"
					  ROLE_FILTER UPSERT);
		}
	} else {
		switch (op->target) {
		case PLUGIN_TARGET_EMPLOYEE:
			if (op->course)  /* one row by the unique key: no statement journal */
				return db_stmt(c, "DELETE FROM assignments WHERE employee_id = ?1"
						  " AND course_id = ?2 AND plugin = ?5");
			return db_stmt(c, "DELETE FROM assignments WHERE employee_id = ?1 AND plugin = ?5");
		case PLUGIN_TARGET_UNIT:
			return db_stmt(c, "DELETE FROM assignments WHERE plugin = ?5 AND course_id = ?2"
					  " AND employee_id IN (SELECT e.id FROM org_units u JOIN employees e"
					  " ON e.unit_id = u.id WHERE u.path >= ?8 AND u.path < ?8 || '~'"
					  ROLE_FILTER ")");
		case PLUGIN_TARGET_EVERYONE:
			return db_stmt(c, "DELETE FROM assignments WHERE plugin = ?5 AND course_id = ?2"
					  " AND employee_id IN (SELECT e.id FROM employees e WHERE 1"
					  ROLE_FILTER ")");
		}
	}
	return NULL;
}

/* 1 when the employee and the course of a one-employee assign still exist
 * (checked apart, so the insert is a plain one-row statement: SQLite keeps
 * a statement journal for INSERT ... SELECT, and releasing it walks the
 * whole sub-journal of the batch, which made big batches quadratic). */
static int op_rows_exist(struct db_conn *c, const struct plugin_op *op, int *exists)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT EXISTS (SELECT 1 FROM employees WHERE id = ?1)"
				      " AND EXISTS (SELECT 1 FROM courses WHERE id = ?2)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, op->employee_id);
	sqlite3_bind_text(st, 2, op->course, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? DB_OK : db_step_error(c, rc, "plugin_assign_check");
}

static int apply_op(struct db_conn *c, const struct plugin_op *op, long long now, long *changed)
{
	if (op->kind == PLUGIN_OP_ASSIGN && op->target == PLUGIN_TARGET_EMPLOYEE) {
		int exists, rc = op_rows_exist(c, op, &exists);
		if (rc != DB_OK || !exists)
			return rc;
	}
	sqlite3_stmt *st = op_statement(c, op);
	if (!st)
		return DB_ERROR;
	if (op->target == PLUGIN_TARGET_EMPLOYEE)
		sqlite3_bind_int64(st, 1, op->employee_id);
	if (op->course)
		sqlite3_bind_text(st, 2, op->course, -1, SQLITE_STATIC);
	if (op->kind == PLUGIN_OP_ASSIGN) {
		if (op->due[0])
			sqlite3_bind_text(st, 3, op->due, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, op->reason ? op->reason : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
	}
	sqlite3_bind_text(st, 5, op->plugin, -1, SQLITE_STATIC);
	if (op->target != PLUGIN_TARGET_EMPLOYEE && op->role)
		sqlite3_bind_text(st, 7, op->role, -1, SQLITE_STATIC);
	if (op->target == PLUGIN_TARGET_UNIT)
		sqlite3_bind_text(st, 8, op->unit_path, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, op->kind == PLUGIN_OP_ASSIGN ? "plugin_assign" : "plugin_unassign");
	if (rc == DB_OK)
		*changed += sqlite3_changes(db_handle(c));
	return rc;
}

/* The address of an active employee into buf, or "" when there is none. */
static int employee_address(struct db_conn *c, long long id, char *buf, size_t size)
{
	buf[0] = '\0';
	sqlite3_stmt *st = db_stmt(c, "SELECT email FROM employees WHERE id = ? AND active = 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "plugin_mail_address");
}

struct mail_ctx {
	const struct config *cfg;
	long long now;
	long *mailed;
};

static int apply_mail(struct db_conn *c, const struct plugin_op *op, const struct mail_ctx *m)
{
	char err[300], to[320];
	int rc, queued = 1;
	if (op->course) {
		rc = mail_queue_lesson_in(c, m->cfg, op->employee_id, op->course, op->template_name, m->now,
					  &queued, err, sizeof err);
	} else {
		const char *addr = op->to;
		if (!addr) {
			if ((rc = employee_address(c, op->employee_id, to, sizeof to)) != DB_OK)
				return rc;
			addr = to;
		}
		rc = addr[0] ? mail_queue_in(c, m->cfg, addr, op->subject, op->text, op->html, m->now, err,
					     sizeof err)
			     : DB_INVALID;
		if (!addr[0])
			snprintf(err, sizeof err, "no active employee with an address");
	}
	if (rc == DB_INVALID) { /* gone since the call: skip this one */
		char q[400];
		log_event(LOG_WARN, "plugin_mail_skipped", "plugin=%s employee=%lld error=%s", op->plugin,
			  op->employee_id, log_quote(q, sizeof q, err));
		return DB_OK;
	}
	if (rc == DB_OK)
		*m->mailed += queued;
	return rc;
}

static int commit_job(struct db_conn *c, void *arg)
{
	struct plugin_writes *w = arg;
	long long now = now_ms();
	struct mail_ctx m = { w->cfg, now, &w->mailed };
	w->assigned = w->unassigned = w->mailed = 0;
	for (size_t i = 0; i < w->ops.n; i++) {
		const struct plugin_op *op = &w->ops.v[i];
		int rc = op->kind == PLUGIN_OP_MAIL ? apply_mail(c, op, &m)
			 : apply_op(c, op, now, op->kind == PLUGIN_OP_ASSIGN ? &w->assigned : &w->unassigned);
		if (rc != DB_OK)
			return rc;
	}
	if (w->events_upto > 0) {
		sqlite3_stmt *st = db_stmt(c, "DELETE FROM plugin_events WHERE id <= ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, w->events_upto);
		int rc = db_exec_stmt(c, st, "plugin_events_done");
		if (rc != DB_OK)
			return rc;
	}
	if (w->daily_plugin) {
		sqlite3_stmt *st = db_stmt(c, "INSERT INTO plugin_runs(plugin, hook, last_day, last_ms)"
					      " VALUES(?, 'daily', ?, ?) ON CONFLICT(plugin, hook) DO UPDATE"
					      " SET last_day = excluded.last_day, last_ms = excluded.last_ms");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, w->daily_plugin, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, w->daily_day, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		int rc = db_exec_stmt(c, st, "plugin_runs");
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

int plugin_writes_commit(struct db *db, const struct config *cfg, struct plugin_writes *w,
			 const char *what)
{
	if (w->ops.n == 0 && w->events_upto <= 0 && !w->daily_plugin)
		return 0;
	w->cfg = cfg;
	int rc = db_write(db, commit_job, w);
	if (rc != DB_OK) {
		log_event(LOG_ERROR, "plugin_write_failed", "what=%s operations=%zu rc=%d", what,
			  w->ops.n, rc);
		return -1;
	}
	if (w->assigned || w->unassigned)
		log_event(LOG_INFO, "plugin_assignments", "what=%s operations=%zu assigned=%ld"
			  " unassigned=%ld", what, w->ops.n, w->assigned, w->unassigned);
	if (w->mailed)
		log_event(LOG_INFO, "plugin_mail_queued", "what=%s emails=%ld", what, w->mailed);
	return 0;
}

void plugin_writes_reset(struct plugin_writes *w)
{
	plugin_ops_truncate(&w->ops, 0);
	w->events_upto = 0;
	w->daily_plugin = NULL;
	w->daily_day[0] = '\0';
	w->assigned = w->unassigned = w->mailed = 0;
}

void plugin_writes_free(struct plugin_writes *w)
{
	plugin_ops_free(&w->ops);
}
