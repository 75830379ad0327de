/* people.c: writes to the organisation model (see people.h and
 * migrations/003_people.sql). */
#include "people.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "events.h"

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* id of the row whose external_id is ext in table (units or employees);
 * 0 when absent, -1 on error. */
static long long id_of(struct db_conn *c, int employees, const char *ext)
{
	sqlite3_stmt *st = employees ? db_stmt(c, "SELECT id FROM employees WHERE external_id = ?")
				     : db_stmt(c, "SELECT id FROM org_units WHERE external_id = ?");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return sqlite3_column_int64(st, 0);
	return rc == SQLITE_DONE ? 0 : (db_step_error(c, rc, "people_id_of"), -1);
}

int people_is_date(const char *s)
{
	int y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return 0;
	static const int days[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

int people_unit_upsert(struct db_conn *c, const char *external_id, const char *name,
		       const char *parent, int is_agency, char *err, size_t errsize)
{
	char parent_path[1024] = "/";
	long long parent_id = 0;
	if (parent && *parent) {
		sqlite3_stmt *st = db_stmt(c, "SELECT id, path FROM org_units WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, parent, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			snprintf(err, errsize, "unknown parent unit %.64s", parent);
			return DB_INVALID;
		}
		parent_id = sqlite3_column_int64(st, 0);
		snprintf(parent_path, sizeof(parent_path), "%s", (const char *)sqlite3_column_text(st, 1));
	}
	long long id = id_of(c, 0, external_id);
	if (id < 0)
		return DB_ERROR;
	if (id == 0) {
		sqlite3_stmt *st = db_stmt(c, "INSERT INTO org_units(external_id, name, parent_id, is_agency, path)"
					      " VALUES(?, ?, ?, ?, '')");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, external_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		if (parent_id)
			sqlite3_bind_int64(st, 3, parent_id);
		sqlite3_bind_int(st, 4, is_agency);
		int rc = db_exec_stmt(c, st, "unit_insert");
		if (rc != DB_OK)
			return rc;
		id = sqlite3_last_insert_rowid(db_handle(c));
	}
	char path[1100];
	snprintf(path, sizeof(path), "%s%lld/", parent_path, id);
	char self[64];
	snprintf(self, sizeof(self), "/%lld/", id);
	if (strstr(parent_path, self)) {
		snprintf(err, errsize, "unit %.64s cannot be placed under its own subtree", external_id);
		return DB_INVALID;
	}
	/* Old path, to move the subtree with the unit. */
	sqlite3_stmt *st = db_stmt(c, "SELECT path FROM org_units WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	char old[1100] = "";
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(old, sizeof(old), "%s", (const char *)sqlite3_column_text(st, 0));
	st = db_stmt(c, "UPDATE org_units SET name = ?, parent_id = ?, is_agency = ?, path = ? WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (parent_id)
		sqlite3_bind_int64(st, 2, parent_id);
	sqlite3_bind_int(st, 3, is_agency);
	sqlite3_bind_text(st, 4, path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, id);
	int rc = db_exec_stmt(c, st, "unit_update");
	if (rc != DB_OK || !old[0] || strcmp(old, path) == 0)
		return rc;
	st = db_stmt(c, "UPDATE org_units SET path = ?1 || substr(path, length(?2) + 1)"
			" WHERE path > ?2 AND path < ?2 || '~'");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, old, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "unit_subtree_move");
}

/* Fingerprint of the stored employee, to tell an update from no change. */
static int same_employee(struct db_conn *c, long long id, const struct person *p, long long unit,
			 long long manager)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT name, coalesce(email, ''), coalesce(unit_id, 0), coalesce(manager_id, 0), active,"
		" coalesce(start_date, ''), (SELECT group_concat(r.code, ',') FROM (SELECT r.code FROM"
		" employee_roles er JOIN roles r ON r.id = er.role_id WHERE er.employee_id = e.id"
		" ORDER BY r.code) r) FROM employees e WHERE id = ?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return 0;
	if (strcmp((const char *)sqlite3_column_text(st, 0), p->name) != 0 ||
	    strcmp((const char *)sqlite3_column_text(st, 1), p->email ? p->email : "") != 0 ||
	    sqlite3_column_int64(st, 2) != unit || sqlite3_column_int64(st, 3) != manager ||
	    sqlite3_column_int(st, 4) != p->active ||
	    strcmp((const char *)sqlite3_column_text(st, 5), p->start_date ? p->start_date : "") != 0)
		return 0;
	/* roles: compare as sorted sets (ansatt implied) */
	const char *stored = (const char *)sqlite3_column_text(st, 6);
	int n = 0;
	for (const char *s = stored; s && *s; n++) {
		const char *e = strchr(s, ',');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		int found = len == 6 && strncmp(s, "ansatt", 6) == 0;
		for (int i = 0; i < p->nroles && !found; i++)
			found = strlen(p->roles[i]) == len && strncmp(p->roles[i], s, len) == 0;
		if (!found)
			return 0;
		s = e ? e + 1 : s + len;
	}
	int want = 1;
	for (int i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], "ansatt") != 0)
			want++;
	return n == want;
}

static int set_roles(struct db_conn *c, long long id, const struct person *p, char *err, size_t errsize)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM employee_roles WHERE employee_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, id);
	int rc = db_exec_stmt(c, st, "roles_clear");
	for (int i = -1; rc == DB_OK && i < p->nroles; i++) {
		const char *code = i < 0 ? "ansatt" : p->roles[i];
		st = db_stmt(c, "INSERT OR IGNORE INTO employee_roles(employee_id, role_id)"
				" SELECT ?, id FROM roles WHERE code = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, code, -1, SQLITE_STATIC);
		rc = db_exec_stmt(c, st, "roles_add");
		if (rc == DB_OK && sqlite3_changes(db_handle(c)) == 0) {
			st = db_stmt(c, "SELECT 1 FROM roles WHERE code = ?");
			if (!st)
				return DB_ERROR;
			sqlite3_bind_text(st, 1, code, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_ROW) {
				snprintf(err, errsize, "unknown role %.64s", code);
				return DB_INVALID;
			}
		}
	}
	return rc;
}

int people_employee_upsert(struct db_conn *c, const struct person *p,
			   enum person_change *change, char *err, size_t errsize)
{
	*change = PERSON_UNCHANGED;
	if (!p->external_id || !*p->external_id || !p->name || !*p->name) {
		snprintf(err, errsize, "an employee needs an id and a name");
		return DB_INVALID;
	}
	if (p->start_date && *p->start_date && !people_is_date(p->start_date)) {
		snprintf(err, errsize, "start date %.32s is not YYYY-MM-DD", p->start_date);
		return DB_INVALID;
	}
	long long unit = 0, manager = 0;
	if (p->unit && *p->unit) {
		unit = id_of(c, 0, p->unit);
		if (unit <= 0) {
			snprintf(err, errsize, "unknown unit %.64s", p->unit);
			return unit < 0 ? DB_ERROR : DB_INVALID;
		}
	}
	if (p->manager && *p->manager) {
		manager = id_of(c, 1, p->manager);
		if (manager <= 0) {
			snprintf(err, errsize, "unknown manager %.64s", p->manager);
			return manager < 0 ? DB_ERROR : DB_INVALID;
		}
	}
	long long id = id_of(c, 1, p->external_id);
	if (id < 0)
		return DB_ERROR;
	if (id > 0 && same_employee(c, id, p, unit, manager))
		return DB_OK;
	int created = id == 0;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO employees(external_id, name, email, unit_id, manager_id, active, start_date, updated_ms)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(external_id) DO UPDATE SET"
		" name = ?2, email = ?3, unit_id = ?4, manager_id = ?5, active = ?6, start_date = ?7, updated_ms = ?8");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, p->external_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	if (p->email && *p->email)
		sqlite3_bind_text(st, 3, p->email, -1, SQLITE_STATIC);
	if (unit)
		sqlite3_bind_int64(st, 4, unit);
	if (manager)
		sqlite3_bind_int64(st, 5, manager);
	sqlite3_bind_int(st, 6, p->active);
	if (p->start_date && *p->start_date)
		sqlite3_bind_text(st, 7, p->start_date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms());
	int rc = db_exec_stmt(c, st, "employee_upsert");
	if (rc != DB_OK)
		return rc;
	if (id == 0)
		id = id_of(c, 1, p->external_id);
	rc = set_roles(c, id, p, err, errsize);
	if (rc == DB_OK)
		*change = created ? PERSON_CREATED : !p->active ? PERSON_DEACTIVATED : PERSON_UPDATED;
	if (rc == DB_OK)
		rc = plugin_events_employee(c, id, *change);
	return rc;
}

int people_employee_deactivate(struct db_conn *c, const char *external_id, int *changed)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE employees SET active = 0, updated_ms = ? WHERE external_id = ? AND active = 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_text(st, 2, external_id, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "employee_deactivate");
	*changed = rc == DB_OK && sqlite3_changes(db_handle(c)) > 0;
	if (*changed) {
		long long id = id_of(c, 1, external_id);
		rc = id > 0 ? plugin_events_employee(c, id, PERSON_DEACTIVATED) : DB_ERROR;
	}
	return rc;
}

int people_employee_role_set(struct db_conn *c, long long employee_id, const char *role, int on,
			     int *changed)
{
	if (changed)
		*changed = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM roles WHERE code = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return DB_INVALID;
	long long role_id = sqlite3_column_int64(st, 0);
	st = on ? db_stmt(c, "INSERT OR IGNORE INTO employee_roles(employee_id, role_id) VALUES(?, ?)")
		: db_stmt(c, "DELETE FROM employee_roles WHERE employee_id = ? AND role_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, employee_id);
	sqlite3_bind_int64(st, 2, role_id);
	int rc = db_exec_stmt(c, st, on ? "employee_role_grant" : "employee_role_revoke");
	if (rc != DB_OK || sqlite3_changes(db_handle(c)) == 0)
		return rc;
	if (changed)
		*changed = 1;
	st = db_stmt(c, "UPDATE employees SET updated_ms = ? WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_int64(st, 2, employee_id);
	return db_exec_stmt(c, st, "employee_touch");
}

json_t *people_agent(const char *home_page, const char *external_id, const char *name)
{
	json_t *a = json_pack("{s:s, s:{s:s, s:s}}", "objectType", "Agent", "account", "homePage",
			      home_page, "name", external_id);
	if (a && name && *name)
		json_object_set_new(a, "name", json_string(name));
	return a;
}
