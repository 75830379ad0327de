/* access.c: the one place that decides who may call an endpoint (see
 * access.h), and the audit log writer. */
#include "access.h"

#include <string.h>

#include "db.h"
#include "http.h"
#include "server.h"

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

static void add_unit(struct principal *p, long long unit)
{
	for (int i = 0; i < p->nleader_units; i++)
		if (p->leader_units[i] == unit)
			return;
	if (p->nleader_units < ACCESS_MAX_UNITS)
		p->leader_units[p->nleader_units++] = unit;
}

/* Account roles and the employee's org roles. Returns 0, or -1 when the
 * account or employee is gone or inactive. */
static int load_roles(struct db_conn *c, struct principal *p)
{
	if (p->user_id) {
		sqlite3_stmt *st = db_stmt(c, "SELECT display_name, employee_id, active FROM users WHERE id = ?");
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, p->user_id);
		if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 2))
			return -1;
		copy_text(p->name, sizeof(p->name), sqlite3_column_text(st, 0));
		if (!p->employee_id)
			p->employee_id = sqlite3_column_int64(st, 1);
		st = db_stmt(c, "SELECT role, unit_id FROM user_roles WHERE user_id = ?");
		if (!st)
			return -1;
		sqlite3_bind_int64(st, 1, p->user_id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *role = (const char *)sqlite3_column_text(st, 0);
			if (strcmp(role, "leader") == 0) {
				p->roles |= ACCESS_LEADER;
				add_unit(p, sqlite3_column_int64(st, 1));
			} else if (strcmp(role, "hr") == 0) {
				p->roles |= ACCESS_HR;
			} else if (strcmp(role, "ombud") == 0) {
				p->roles |= ACCESS_OMBUD;
			} else if (strcmp(role, "admin") == 0) {
				p->roles |= ACCESS_ADMIN;
			}
		}
	}
	if (!p->employee_id)
		return p->user_id ? 0 : -1;

	sqlite3_stmt *st = db_stmt(c, "SELECT name, unit_id, active FROM employees WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->employee_id);
	if (sqlite3_step(st) != SQLITE_ROW || !sqlite3_column_int(st, 2))
		return -1;
	if (!p->name[0])
		copy_text(p->name, sizeof(p->name), sqlite3_column_text(st, 0));
	long long unit = sqlite3_column_int64(st, 1);
	p->roles |= ACCESS_LEARN;
	if (strcmp(p->s.scope, "full") != 0)
		return 0; /* an email link: learning only */
	p->roles |= ACCESS_EMPLOYEE;

	st = db_stmt(c, "SELECT r.code FROM employee_roles er JOIN roles r ON r.id = er.role_id"
			" WHERE er.employee_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, p->employee_id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		if ((strcmp(code, "leder") == 0 || strcmp(code, "virksomhetsleder") == 0 ||
		     strcmp(code, "kommunaldirektor") == 0) && unit) {
			p->roles |= ACCESS_LEADER;
			add_unit(p, unit);
		} else if (strcmp(code, "hr") == 0) {
			p->roles |= ACCESS_HR;
		} else if (strcmp(code, "personvernombud") == 0) {
			p->roles |= ACCESS_OMBUD;
		}
	}
	return 0;
}

int access_principal_of(struct db_conn *c, long long user_id, long long employee_id,
			const char *scope, struct principal *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->s.scope, sizeof(out->s.scope), "%s", scope);
	out->user_id = out->s.user_id = user_id;
	out->employee_id = out->s.employee_id = employee_id;
	return load_roles(c, out);
}

int access_load(struct http_request *req, struct principal *out)
{
	memset(out, 0, sizeof(*out));
	if (session_from_request(req, &out->s) != 0)
		return -1;
	out->user_id = out->s.user_id;
	out->employee_id = out->s.employee_id;
	struct db_conn *c = db_reader_get(req->srv->db);
	int rc = load_roles(c, out);
	db_reader_put(req->srv->db, c);
	return rc;
}

int access_require(struct http_request *req, unsigned roles, struct principal *out)
{
	if (access_load(req, out) != 0) {
		http_send_error(req, 401, "not_signed_in", "Du er ikke logget inn.");
		return -1;
	}
	if (!(out->roles & roles)) {
		http_send_error(req, 403, "forbidden", "Du har ikke tilgang til dette.");
		return -1;
	}
	if (req->method != HTTP_GET && req->method != HTTP_HEAD && req->method != HTTP_OPTIONS &&
	    !session_csrf_ok(req, &out->s)) {
		http_send_error(req, 403, "csrf", "Skjemaet er utløpt. Last siden på nytt og prøv igjen.");
		return -1;
	}
	return 0;
}

/* 1 if unit lies in the subtree of one of p's leader units. */
static int in_led_subtree(struct db_conn *c, const struct principal *p, long long unit)
{
	for (int i = 0; i < p->nleader_units; i++) {
		sqlite3_stmt *st = db_stmt(c,
			"SELECT 1 FROM org_units u, org_units root WHERE u.id = ?1 AND root.id = ?2"
			" AND substr(u.path, 1, length(root.path)) = root.path");
		if (!st)
			return 0;
		sqlite3_bind_int64(st, 1, unit);
		sqlite3_bind_int64(st, 2, p->leader_units[i]);
		int hit = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (hit)
			return 1;
	}
	return 0;
}

int access_sees_unit(struct db_conn *c, const struct principal *p, long long unit_id)
{
	if (p->roles & (ACCESS_HR | ACCESS_ADMIN))
		return 1;
	return (p->roles & ACCESS_LEADER) && in_led_subtree(c, p, unit_id);
}

int access_sees_employee(struct db_conn *c, const struct principal *p, long long employee_id)
{
	if (p->employee_id && p->employee_id == employee_id && (p->roles & ACCESS_EMPLOYEE))
		return 1;
	if (p->roles & (ACCESS_HR | ACCESS_ADMIN))
		return 1;
	if (!(p->roles & ACCESS_LEADER))
		return 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT unit_id FROM employees WHERE id = ?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, employee_id);
	if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
		return 0;
	long long unit = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return in_led_subtree(c, p, unit);
}

struct audit_job {
	const struct principal *p;
	long long subject;
	const char *action, *detail;
	long long at_ms;
};

static int insert_audit(struct db_conn *c, void *arg)
{
	struct audit_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO audit_log(at_ms, actor_user_id, actor_name, subject_employee_id, action,"
		" detail) VALUES(?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->at_ms);
	if (j->p->user_id)
		sqlite3_bind_int64(st, 2, j->p->user_id);
	sqlite3_bind_text(st, 3, j->p->name, -1, SQLITE_STATIC);
	if (j->subject)
		sqlite3_bind_int64(st, 4, j->subject);
	sqlite3_bind_text(st, 5, j->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->detail ? j->detail : "", -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "audit_insert");
}

int audit_record(struct server *srv, const struct principal *p, long long subject_employee_id,
		 const char *action, const char *detail)
{
	struct audit_job j = { p, subject_employee_id, action, detail, session_now_ms() };
	return db_write(srv->db, insert_audit, &j) == DB_OK ? 0 : -1;
}
