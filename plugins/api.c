/* api.c: the `vern` table, everything a plugin may ask of Vern.
 *
 *   vern.employees{id=, external_id=, unit=, role=, active=, changed_since=,
 *                  after=, limit=}          -> rows, cursor
 *   vern.employee(id or external_id)        -> row or nil
 *   vern.units{id=, under=, agency=}        -> rows
 *   vern.roles()                            -> rows
 *   vern.courses{id=}                       -> rows
 *   vern.completions{employee=, course=, unit=, since=, before=, history=,
 *                    after=, limit=}        -> rows, cursor
 *   vern.assignments{employee=, course=, unit=, plugin=, status=, active=,
 *                    due_before=, within_days=, after=, limit=} -> rows, cursor
 *   vern.stats{...}                         -> per agency counts (api_stats.c)
 *   vern.assign{employee= | unit= | everyone=true, role=, course=, due=, reason=}
 *   vern.unassign{employee= | unit= | everyone=true, role=, course=, reason=}
 *   vern.mail{employee= | to=, course=, template= | subject=, text=, html=}
 *                                           -> true, or nil and why (api_mail.c)
 *   vern.log([level,] message)   vern.now()   vern.config   vern.plugin
 *
 * Times are seconds since the epoch, dates "YYYY-MM-DD" (local time).
 * Lists come in pages of `limit` rows (default 1000, at most 10000); when
 * more remain, the second result is a cursor to pass as `after`. Every row
 * read is charged to the call's budget. Option tables are checked: an
 * unknown key is an error, so a typo never silently widens a query.
 * assign/unassign/mail only buffer (see api.h); unassign and re-assign touch
 * only the calling plugin's own assignments. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <sqlite3.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "people.h"
#include "sandbox.h"
#include "utf8.h"

#define ROW_COST 200          /* instructions charged per row read */
#define OP_COST 100           /* per buffered operation */
#define PAGE_DEFAULT 1000
#define PAGE_MAX 10000
#define MAX_LOGS 100
#define MAX_REASON 500

/* ---- call context ---- */

struct plugin_call *plugin_api_call(lua_State *L, int want_write, const char *fn)
{
	struct plugin_call *call = sandbox_user(sandbox_of(L));
	if (!call || call->kind == PLUGIN_CALL_LOAD) {
		luaL_error(L, "vern.%s is only available inside hooks and reports", fn);
		return NULL;
	}
	if (want_write && (call->kind == PLUGIN_CALL_REPORT || !call->ops)) {
		luaL_error(L, "vern.%s is not allowed in reports (they only read)", fn);
		return NULL;
	}
	return call;
}

struct db_conn *plugin_snapshot_begin(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	if (sqlite3_exec(db_handle(c), "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		log_event(LOG_WARN, "plugin_snapshot", "error=\"%s\"", sqlite3_errmsg(db_handle(c)));
	return c;
}

void plugin_snapshot_end(struct db *db, struct db_conn *c)
{
	sqlite3 *h = db_handle(c);
	/* A Lua error may have left a statement half-stepped. */
	for (sqlite3_stmt *st = sqlite3_next_stmt(h, NULL); st; st = sqlite3_next_stmt(h, st))
		sqlite3_reset(st);
	if (!sqlite3_get_autocommit(h))
		sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
	db_reader_put(db, c);
}

struct db_conn *plugin_api_reader(lua_State *L, struct plugin_call *call)
{
	if (!call->db) {
		luaL_error(L, "no database here (vern plugins check only loads the file)");
		return NULL;
	}
	if (!call->reader)
		call->reader = plugin_snapshot_begin(call->db);
	return call->reader;
}

void plugin_call_finish(struct plugin_call *call)
{
	if (call->reader && !call->shared_reader)
		plugin_snapshot_end(call->db, call->reader);
	if (!call->shared_reader)
		call->reader = NULL;
}

void plugin_api_charge(lua_State *L, long rows)
{
	if (sandbox_charge(sandbox_of(L), rows * ROW_COST) != 0)
		sandbox_budget_error(L);
}

const char *plugin_api_date(long long t, char *buf)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!localtime_r(&tt, &tm) || strftime(buf, 11, "%Y-%m-%d", &tm) != 10)
		memcpy(buf, "9999-12-31", 11);
	return buf;
}

/* ---- options ---- */

void plugin_api_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed)
{
	if (lua_isnoneornil(L, idx))
		return;
	luaL_checktype(L, idx, LUA_TTABLE);
	lua_pushnil(L);
	while (lua_next(L, idx) != 0) {
		lua_pop(L, 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "vern.%s: option names must be strings", fn);
		const char *key = lua_tostring(L, -1);
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok)
			luaL_error(L, "vern.%s: unknown option '%s'", fn, key);
	}
}

/* The option's value type, with the value pushed (pop it yourself). */
static int opt_push(lua_State *L, int idx, const char *key)
{
	if (lua_isnoneornil(L, idx)) {
		lua_pushnil(L);
		return LUA_TNIL;
	}
	return lua_getfield(L, idx, key);
}

/* A string option or NULL. The string stays valid while the option table
 * is on the stack. */
const char *plugin_api_opt_str(lua_State *L, int idx, const char *key, const char *fn)
{
	int t = opt_push(L, idx, key);
	const char *s = NULL;
	if (t == LUA_TSTRING)
		s = lua_tostring(L, -1);
	else if (t != LUA_TNIL)
		luaL_error(L, "vern.%s: %s must be a string", fn, key);
	lua_pop(L, 1);
	return s;
}

/* An integer option; *set is 0 when absent. Floats with an integer value
 * are accepted. */
static long long opt_int(lua_State *L, int idx, const char *key, const char *fn, int *set)
{
	int t = opt_push(L, idx, key);
	long long v = 0;
	*set = 0;
	if (t == LUA_TNUMBER) {
		int isnum;
		v = (long long)lua_tointegerx(L, -1, &isnum);
		if (!isnum)
			luaL_error(L, "vern.%s: %s must be a whole number", fn, key);
		*set = 1;
	} else if (t != LUA_TNIL) {
		luaL_error(L, "vern.%s: %s must be a number", fn, key);
	}
	lua_pop(L, 1);
	return v;
}

/* A boolean option: -1 absent, 0 or 1. */
static int opt_bool(lua_State *L, int idx, const char *key, const char *fn)
{
	int t = opt_push(L, idx, key);
	int v = -1;
	if (t == LUA_TBOOLEAN)
		v = lua_toboolean(L, -1);
	else if (t != LUA_TNIL)
		luaL_error(L, "vern.%s: %s must be true or false", fn, key);
	lua_pop(L, 1);
	return v;
}

static int opt_limit(lua_State *L, int idx, const char *fn)
{
	int set;
	long long n = opt_int(L, idx, "limit", fn, &set);
	if (!set)
		return PAGE_DEFAULT;
	if (n < 1 || n > PAGE_MAX)
		luaL_error(L, "vern.%s: limit must be 1 to %d", fn, PAGE_MAX);
	return (int)n;
}

/* ---- lookups ---- */

static void step_error(lua_State *L, struct db_conn *c, int rc, const char *what)
{
	db_step_error(c, rc, what);
	luaL_error(L, "database error reading %s", what);
}

static sqlite3_stmt *stmt(lua_State *L, struct db_conn *c, const char *sql)
{
	sqlite3_stmt *st = db_stmt(c, sql);
	if (!st)
		luaL_error(L, "database error (statement could not be prepared)");
	return st;
}

/* The employee named by the value at idx (an id or an external id): its
 * id, or 0 when there is none. */
static long long employee_id_at(lua_State *L, struct db_conn *c, int idx, const char *fn)
{
	sqlite3_stmt *st;
	if (lua_type(L, idx) == LUA_TNUMBER) {
		int isnum;
		long long id = (long long)lua_tointegerx(L, idx, &isnum);
		if (!isnum)
			luaL_error(L, "vern.%s: employee must be an id or an external id", fn);
		st = stmt(L, c, "SELECT id FROM employees WHERE id = ?");
		sqlite3_bind_int64(st, 1, id);
	} else if (lua_type(L, idx) == LUA_TSTRING) {
		st = stmt(L, c, "SELECT id FROM employees WHERE external_id = ?");
		sqlite3_bind_text(st, 1, lua_tostring(L, idx), -1, SQLITE_TRANSIENT);
	} else {
		luaL_error(L, "vern.%s: employee must be an id or an external id", fn);
		return 0;
	}
	int rc = sqlite3_step(st);
	long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		step_error(L, c, rc, "employees");
	sqlite3_reset(st);
	return id;
}

/* The employee option of the table at idx: 0 absent, else the id (an
 * unknown employee is an error). */
long long plugin_api_opt_employee(lua_State *L, struct db_conn *c, int idx, const char *fn)
{
	if (opt_push(L, idx, "employee") == LUA_TNIL) {
		lua_pop(L, 1);
		return 0;
	}
	long long id = employee_id_at(L, c, lua_gettop(L), fn);
	if (id == 0)
		luaL_error(L, "vern.%s: unknown employee %s", fn, luaL_tolstring(L, -1, NULL));
	lua_pop(L, 1);
	return id;
}

/* The materialised path of the unit named ext into buf; an unknown unit is
 * an error. */
static const char *unit_path(lua_State *L, struct db_conn *c, const char *ext, const char *fn,
			     char *buf, size_t size)
{
	sqlite3_stmt *st = stmt(L, c, "SELECT path FROM org_units WHERE external_id = ?");
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		luaL_error(L, "vern.%s: unknown unit %s", fn, ext);
	else if (rc != SQLITE_ROW)
		step_error(L, c, rc, "org_units");
	return buf;
}

int plugin_api_exists(lua_State *L, struct db_conn *c, const char *sql, const char *value)
{
	sqlite3_stmt *st = stmt(L, c, sql);
	sqlite3_bind_text(st, 1, value, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		step_error(L, c, rc, "catalogue");
	return rc == SQLITE_ROW;
}

/* ---- rows to tables ---- */

static void set_text(lua_State *L, sqlite3_stmt *st, int col, const char *key)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	if (!s)
		return;
	lua_pushlstring(L, (const char *)s, (size_t)sqlite3_column_bytes(st, col));
	lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, sqlite3_stmt *st, int col, const char *key)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return;
	lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, col));
	lua_setfield(L, -2, key);
}

/* A time column in ms as seconds. */
static void set_secs(lua_State *L, sqlite3_stmt *st, int col, const char *key)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return;
	lua_pushinteger(L, (lua_Integer)(sqlite3_column_int64(st, col) / 1000));
	lua_setfield(L, -2, key);
}

/* Space-separated words as an array. */
static void set_words(lua_State *L, sqlite3_stmt *st, int col, const char *key)
{
	const char *s = (const char *)sqlite3_column_text(st, col);
	lua_newtable(L);
	int n = 0;
	while (s && *s) {
		const char *e = strchr(s, ' ');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		lua_pushlstring(L, s, len);
		lua_rawseti(L, -2, ++n);
		s = e ? e + 1 : s + len;
	}
	lua_setfield(L, -2, key);
}

/* ---- employees ---- */

#define EMP_COLS \
	"SELECT e.id, e.external_id, e.name, e.email, u.external_id, u.name, u.path," \
	" m.external_id, e.active, e.start_date, e.updated_ms," \
	" (SELECT group_concat(r.code, ' ') FROM employee_roles er JOIN roles r" \
	"  ON r.id = er.role_id WHERE er.employee_id = e.id)" \
	" FROM employees e LEFT JOIN org_units u ON u.id = e.unit_id" \
	" LEFT JOIN employees m ON m.id = e.manager_id"
#define EMP_FILTER \
	" AND e.id > ?1 AND (?2 IS NULL OR e.active = ?2)" \
	" AND (?3 IS NULL OR EXISTS (SELECT 1 FROM employee_roles er JOIN roles r" \
	"  ON r.id = er.role_id WHERE er.employee_id = e.id AND r.code = ?3))" \
	" AND (?4 IS NULL OR e.updated_ms >= ?4)" \
	" AND (?5 IS NULL OR (u.path >= ?5 AND u.path < ?5 || '~'))" \
	" ORDER BY e.id LIMIT ?6"

static void push_employee(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 12);
	set_int(L, st, 0, "id");
	set_text(L, st, 1, "external_id");
	set_text(L, st, 2, "name");
	set_text(L, st, 3, "email");
	set_text(L, st, 4, "unit");
	set_text(L, st, 5, "unit_name");
	set_text(L, st, 6, "unit_path");
	set_text(L, st, 7, "manager");
	lua_pushboolean(L, sqlite3_column_int(st, 8));
	lua_setfield(L, -2, "active");
	set_text(L, st, 9, "start_date");
	set_secs(L, st, 10, "updated");
	set_words(L, st, 11, "roles");
}

/* Steps st (bound), pushing rows made by push into a new array; pushes a
 * cursor (from cursor_of on the last row) or nil when fewer than limit
 * rows came. Returns 2 (the Lua results). */
static int push_rows(lua_State *L, struct db_conn *c, sqlite3_stmt *st, int limit,
		     void (*push)(lua_State *, sqlite3_stmt *),
		     void (*cursor_of)(lua_State *, sqlite3_stmt *), const char *what)
{
	lua_newtable(L);
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		plugin_api_charge(L, 1);
		push(L, st);
		lua_rawseti(L, -2, ++n);
		if (n == limit && cursor_of) {
			cursor_of(L, st);
			sqlite3_reset(st);
			return 2;
		}
	}
	if (rc != SQLITE_DONE)
		step_error(L, c, rc, what);
	sqlite3_reset(st);
	lua_pushnil(L);
	return 2;
}

static void employee_cursor(lua_State *L, sqlite3_stmt *st)
{
	lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, 0));
}

static int api_employees(lua_State *L)
{
	static const char *const opts[] = { "id", "external_id", "unit", "role", "active",
					    "changed_since", "after", "limit", NULL };
	struct plugin_call *call = plugin_api_call(L, 0, "employees");
	plugin_api_check_options(L, 1, "employees", opts);
	struct db_conn *c = plugin_api_reader(L, call);
	int has_id, has_after, has_since;
	long long id = opt_int(L, 1, "id", "employees", &has_id);
	const char *ext = plugin_api_opt_str(L, 1, "external_id", "employees");
	const char *unit = plugin_api_opt_str(L, 1, "unit", "employees");
	const char *role = plugin_api_opt_str(L, 1, "role", "employees");
	int active = opt_bool(L, 1, "active", "employees");
	long long since = opt_int(L, 1, "changed_since", "employees", &has_since);
	long long after = opt_int(L, 1, "after", "employees", &has_after);
	int limit = opt_limit(L, 1, "employees");
	char path[1100];
	if (unit)
		unit_path(L, c, unit, "employees", path, sizeof(path));

	sqlite3_stmt *st;
	if (has_id)
		st = stmt(L, c, EMP_COLS " WHERE e.id = ?7" EMP_FILTER);
	else if (ext)
		st = stmt(L, c, EMP_COLS " WHERE e.external_id = ?7" EMP_FILTER);
	else if (unit)
		st = stmt(L, c, EMP_COLS " WHERE u.path >= ?5 AND u.path < ?5 || '~'" EMP_FILTER);
	else if (role)
		st = stmt(L, c, EMP_COLS " WHERE e.id IN (SELECT er.employee_id FROM employee_roles er"
				     " JOIN roles r ON r.id = er.role_id WHERE r.code = ?3)" EMP_FILTER);
	else
		st = stmt(L, c, EMP_COLS " WHERE 1" EMP_FILTER);
	sqlite3_bind_int64(st, 1, has_after ? after : 0);
	if (active >= 0)
		sqlite3_bind_int(st, 2, active);
	if (role)
		sqlite3_bind_text(st, 3, role, -1, SQLITE_TRANSIENT);
	if (has_since)
		sqlite3_bind_int64(st, 4, since * 1000);
	if (unit)
		sqlite3_bind_text(st, 5, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, limit);
	if (has_id)
		sqlite3_bind_int64(st, 7, id);
	else if (ext)
		sqlite3_bind_text(st, 7, ext, -1, SQLITE_TRANSIENT);
	return push_rows(L, c, st, limit, push_employee, employee_cursor, "employees");
}

static int api_employee(lua_State *L)
{
	struct plugin_call *call = plugin_api_call(L, 0, "employee");
	struct db_conn *c = plugin_api_reader(L, call);
	luaL_checkany(L, 1);
	long long id = employee_id_at(L, c, 1, "employee");
	if (id == 0) {
		lua_pushnil(L);
		return 1;
	}
	sqlite3_stmt *st = stmt(L, c, EMP_COLS " WHERE e.id = ?7" EMP_FILTER);
	sqlite3_bind_int64(st, 1, 0);
	sqlite3_bind_int(st, 6, 1);
	sqlite3_bind_int64(st, 7, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		plugin_api_charge(L, 1);
		push_employee(L, st);
	} else {
		lua_pushnil(L);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		step_error(L, c, rc, "employees");
	return 1;
}

int plugin_api_push_employee(lua_State *L, struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c, EMP_COLS " WHERE e.id = ?7" EMP_FILTER);
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, 0);
	sqlite3_bind_int(st, 6, 1);
	sqlite3_bind_int64(st, 7, id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		push_employee(L, st);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_step_error(c, rc, "plugin_employee"), -1;
	return rc == SQLITE_ROW;
}

/* ---- units, roles, courses ---- */

static void push_unit(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 6);
	set_text(L, st, 1, "id");
	set_int(L, st, 0, "unit_id");
	set_text(L, st, 2, "name");
	set_text(L, st, 3, "parent");
	lua_pushboolean(L, sqlite3_column_int(st, 4));
	lua_setfield(L, -2, "agency");
	set_text(L, st, 5, "path");
}

static int api_units(lua_State *L)
{
	static const char *const opts[] = { "id", "under", "agency", NULL };
	struct plugin_call *call = plugin_api_call(L, 0, "units");
	plugin_api_check_options(L, 1, "units", opts);
	struct db_conn *c = plugin_api_reader(L, call);
	const char *id = plugin_api_opt_str(L, 1, "id", "units");
	const char *under = plugin_api_opt_str(L, 1, "under", "units");
	int agency = opt_bool(L, 1, "agency", "units");
	char path[1100];
	if (under)
		unit_path(L, c, under, "units", path, sizeof(path));
	sqlite3_stmt *st = stmt(L, c,
		"SELECT u.id, u.external_id, u.name, p.external_id, u.is_agency, u.path"
		" FROM org_units u LEFT JOIN org_units p ON p.id = u.parent_id"
		" WHERE (?1 IS NULL OR u.external_id = ?1)"
		" AND (?2 IS NULL OR (u.path >= ?2 AND u.path < ?2 || '~'))"
		" AND (?3 IS NULL OR u.is_agency = ?3) ORDER BY u.path");
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if (under)
		sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
	if (agency >= 0)
		sqlite3_bind_int(st, 3, agency);
	push_rows(L, c, st, 0, push_unit, NULL, "org_units");
	lua_pop(L, 1);
	return 1;
}

static void push_role(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 2);
	set_text(L, st, 0, "code");
	set_text(L, st, 1, "name");
}

static int api_roles(lua_State *L)
{
	struct plugin_call *call = plugin_api_call(L, 0, "roles");
	struct db_conn *c = plugin_api_reader(L, call);
	push_rows(L, c, stmt(L, c, "SELECT code, name FROM roles ORDER BY id"), 0, push_role, NULL,
		  "roles");
	lua_pop(L, 1);
	return 1;
}

static void push_course(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 6);
	set_text(L, st, 0, "id");
	set_text(L, st, 1, "activity_id");
	set_text(L, st, 2, "title");
	set_text(L, st, 3, "kind");
	set_int(L, st, 4, "minutes");
	set_int(L, st, 5, "valid_months");
}

static int api_courses(lua_State *L)
{
	static const char *const opts[] = { "id", NULL };
	struct plugin_call *call = plugin_api_call(L, 0, "courses");
	plugin_api_check_options(L, 1, "courses", opts);
	struct db_conn *c = plugin_api_reader(L, call);
	const char *id = plugin_api_opt_str(L, 1, "id", "courses");
	sqlite3_stmt *st = stmt(L, c, "SELECT id, activity_id, title, kind, minutes, valid_months"
				      " FROM courses WHERE (?1 IS NULL OR id = ?1) ORDER BY id");
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	push_rows(L, c, st, 0, push_course, NULL, "courses");
	lua_pop(L, 1);
	return 1;
}

/* ---- completions ---- */

#define CMP_FROM \
	" JOIN employees e ON e.id = c.employee_id LEFT JOIN org_units u ON u.id = e.unit_id"
#define CMP_NOW \
	"SELECT c.employee_id, e.external_id, c.course_id, c.completed_ms, c.expires_ms," \
	" c.success, c.score, c.statement_id FROM completions c" CMP_FROM
#define CMP_HISTORY \
	"SELECT c.employee_id, e.external_id, c.course_id, c.completed_ms, NULL," \
	" c.success, c.score, c.statement_id FROM completion_history c" CMP_FROM
#define CMP_FILTER \
	" AND (c.employee_id, c.course_id, c.completed_ms, c.statement_id) > (?1, ?2, ?9, ?10)" \
	" AND (?3 IS NULL OR c.course_id = ?3) AND (?4 IS NULL OR c.completed_ms >= ?4)" \
	" AND (?5 IS NULL OR c.completed_ms < ?5)" \
	" AND (?6 IS NULL OR (u.path >= ?6 AND u.path < ?6 || '~'))" \
	" ORDER BY c.employee_id, c.course_id, c.completed_ms, c.statement_id LIMIT ?7"

static void push_completion(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 8);
	set_int(L, st, 0, "employee_id");
	set_text(L, st, 1, "employee");
	set_text(L, st, 2, "course");
	set_secs(L, st, 3, "completed");
	set_secs(L, st, 4, "expires");
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		lua_pushboolean(L, sqlite3_column_int(st, 5));
		lua_setfield(L, -2, "success");
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		lua_pushnumber(L, sqlite3_column_double(st, 6));
		lua_setfield(L, -2, "score");
	}
	set_text(L, st, 7, "statement");
}

/* Cursor "employee_id<US>course<US>completed_ms<US>statement_id". */
static void completion_cursor(lua_State *L, sqlite3_stmt *st)
{
	lua_pushfstring(L, "%I\x1f%s\x1f%I\x1f%s", (lua_Integer)sqlite3_column_int64(st, 0),
			(const char *)sqlite3_column_text(st, 2),
			(lua_Integer)sqlite3_column_int64(st, 3),
			(const char *)sqlite3_column_text(st, 7));
}

static void bind_completion_cursor(lua_State *L, sqlite3_stmt *st, const char *after)
{
	long long emp = 0, ms = 0;
	char course[128] = "", sid[64] = "";
	if (after) {
		const char *a = strchr(after, '\x1f'), *b = a ? strchr(a + 1, '\x1f') : NULL;
		const char *d = b ? strchr(b + 1, '\x1f') : NULL;
		if (!d || (size_t)(b - a - 1) >= sizeof(course) || strlen(d + 1) >= sizeof(sid))
			luaL_error(L, "vern.completions: after is not a cursor from this function");
		emp = atoll(after);
		memcpy(course, a + 1, (size_t)(b - a - 1));
		course[b - a - 1] = '\0';
		ms = atoll(b + 1);
		snprintf(sid, sizeof(sid), "%s", d + 1);
	}
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_text(st, 2, course, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 9, ms);
	sqlite3_bind_text(st, 10, sid, -1, SQLITE_TRANSIENT);
}

static int api_completions(lua_State *L)
{
	static const char *const opts[] = { "employee", "course", "unit", "since", "before",
					    "history", "after", "limit", NULL };
	struct plugin_call *call = plugin_api_call(L, 0, "completions");
	plugin_api_check_options(L, 1, "completions", opts);
	struct db_conn *c = plugin_api_reader(L, call);
	long long emp = plugin_api_opt_employee(L, c, 1, "completions");
	const char *course = plugin_api_opt_str(L, 1, "course", "completions");
	const char *unit = plugin_api_opt_str(L, 1, "unit", "completions");
	int has_since, has_before;
	long long since = opt_int(L, 1, "since", "completions", &has_since);
	long long before = opt_int(L, 1, "before", "completions", &has_before);
	int history = opt_bool(L, 1, "history", "completions") == 1;
	const char *after = plugin_api_opt_str(L, 1, "after", "completions");
	int limit = opt_limit(L, 1, "completions");
	char path[1100];
	if (unit)
		unit_path(L, c, unit, "completions", path, sizeof(path));

	sqlite3_stmt *st;
	if (emp)
		st = stmt(L, c, history ? CMP_HISTORY " WHERE c.employee_id = ?8" CMP_FILTER
					: CMP_NOW " WHERE c.employee_id = ?8" CMP_FILTER);
	else if (course)
		st = stmt(L, c, history ? CMP_HISTORY " WHERE c.course_id = ?3" CMP_FILTER
					: CMP_NOW " WHERE c.course_id = ?3" CMP_FILTER);
	else if (unit)
		st = stmt(L, c, history ? CMP_HISTORY " WHERE u.path >= ?6 AND u.path < ?6 || '~'" CMP_FILTER
					: CMP_NOW " WHERE u.path >= ?6 AND u.path < ?6 || '~'" CMP_FILTER);
	else
		st = stmt(L, c, history ? CMP_HISTORY " WHERE 1" CMP_FILTER : CMP_NOW " WHERE 1" CMP_FILTER);
	bind_completion_cursor(L, st, after);
	if (course)
		sqlite3_bind_text(st, 3, course, -1, SQLITE_TRANSIENT);
	if (has_since)
		sqlite3_bind_int64(st, 4, since * 1000);
	if (has_before)
		sqlite3_bind_int64(st, 5, before * 1000);
	if (unit)
		sqlite3_bind_text(st, 6, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 7, limit);
	if (emp)
		sqlite3_bind_int64(st, 8, emp);
	return push_rows(L, c, st, limit, push_completion, completion_cursor, "completions");
}

/* ---- assignments ---- */

/* Status: completed (a completion that has not expired), expiring (one
 * that expires within within_days), overdue (none, due date passed), open. */
#define ASG_COLS \
	"SELECT a.id, a.employee_id, e.external_id, a.course_id, a.due_date, a.reason, a.plugin," \
	" a.created_ms, c.completed_ms, c.expires_ms," \
	" CASE WHEN c.completed_ms IS NOT NULL AND (c.expires_ms IS NULL OR c.expires_ms > ?8)" \
	"  THEN CASE WHEN c.expires_ms IS NOT NULL AND c.expires_ms <= ?9 THEN 'expiring'" \
	"  ELSE 'completed' END" \
	" WHEN a.due_date IS NOT NULL AND a.due_date < ?10 THEN 'overdue' ELSE 'open' END AS status" \
	" FROM assignments a JOIN employees e ON e.id = a.employee_id" \
	" LEFT JOIN completions c ON c.employee_id = a.employee_id AND c.course_id = a.course_id" \
	" LEFT JOIN org_units u ON u.id = e.unit_id"
#define ASG_FILTER \
	" AND a.id > ?1 AND (?2 IS NULL OR a.course_id = ?2) AND (?3 IS NULL OR a.plugin = ?3)" \
	" AND (?4 IS NULL OR a.due_date < ?4)" \
	" AND (?5 IS NULL OR (u.path >= ?5 AND u.path < ?5 || '~'))" \
	" AND (?11 IS NULL OR status IN (?11, ?12, ?13, ?14)) AND (?15 IS NULL OR e.active = ?15)" \
	" ORDER BY a.id LIMIT ?6"

static void push_assignment(lua_State *L, sqlite3_stmt *st)
{
	lua_createtable(L, 0, 11);
	set_int(L, st, 0, "id");
	set_int(L, st, 1, "employee_id");
	set_text(L, st, 2, "employee");
	set_text(L, st, 3, "course");
	set_text(L, st, 4, "due");
	set_text(L, st, 5, "reason");
	set_text(L, st, 6, "plugin");
	set_secs(L, st, 7, "created");
	set_secs(L, st, 8, "completed");
	set_secs(L, st, 9, "expires");
	set_text(L, st, 10, "status");
}

static void assignment_cursor(lua_State *L, sqlite3_stmt *st)
{
	lua_pushinteger(L, (lua_Integer)sqlite3_column_int64(st, 0));
}

/* status = "overdue" or { "open", "overdue" } bound to ?11..?14. */
static void bind_statuses(lua_State *L, sqlite3_stmt *st)
{
	static const char *const known[] = { "open", "overdue", "completed", "expiring", NULL };
	int t = opt_push(L, 1, "status");
	int n = 0;
	if (t == LUA_TSTRING || t == LUA_TTABLE) {
		int count = t == LUA_TSTRING ? 1 : (int)lua_rawlen(L, -1);
		if (count < 1 || count > 4)
			luaL_error(L, "vern.assignments: status takes 1 to 4 names");
		for (int i = 1; i <= count; i++) {
			if (t == LUA_TTABLE)
				lua_rawgeti(L, -1, i);
			else
				lua_pushvalue(L, -1);
			const char *s = lua_tostring(L, -1);
			int ok = 0;
			for (int k = 0; s && known[k] && !ok; k++)
				ok = lua_type(L, -1) == LUA_TSTRING && strcmp(s, known[k]) == 0;
			if (!ok)
				luaL_error(L, "vern.assignments: status must be open, overdue, completed or expiring");
			sqlite3_bind_text(st, 11 + n++, s, -1, SQLITE_TRANSIENT);
			lua_pop(L, 1);
		}
	} else if (t != LUA_TNIL) {
		luaL_error(L, "vern.assignments: status must be a string or a list of strings");
	}
	lua_pop(L, 1);
}

static int api_assignments(lua_State *L)
{
	static const char *const opts[] = { "employee", "course", "unit", "plugin", "status", "active",
					    "due_before", "within_days", "after", "limit", NULL };
	struct plugin_call *call = plugin_api_call(L, 0, "assignments");
	plugin_api_check_options(L, 1, "assignments", opts);
	struct db_conn *c = plugin_api_reader(L, call);
	long long emp = plugin_api_opt_employee(L, c, 1, "assignments");
	const char *course = plugin_api_opt_str(L, 1, "course", "assignments");
	const char *unit = plugin_api_opt_str(L, 1, "unit", "assignments");
	const char *plugin = plugin_api_opt_str(L, 1, "plugin", "assignments");
	const char *due_before = plugin_api_opt_str(L, 1, "due_before", "assignments");
	int active = opt_bool(L, 1, "active", "assignments");
	int has_within, has_after;
	long long within = opt_int(L, 1, "within_days", "assignments", &has_within);
	long long after = opt_int(L, 1, "after", "assignments", &has_after);
	int limit = opt_limit(L, 1, "assignments");
	if (due_before && !people_is_date(due_before))
		luaL_error(L, "vern.assignments: due_before must be YYYY-MM-DD");
	if (has_within && (within < 0 || within > 3660))
		luaL_error(L, "vern.assignments: within_days must be 0 to 3660");
	char path[1100], today[11];
	if (unit)
		unit_path(L, c, unit, "assignments", path, sizeof(path));

	sqlite3_stmt *st;
	if (emp)
		st = stmt(L, c, ASG_COLS " WHERE a.employee_id = ?7" ASG_FILTER);
	else if (unit)
		st = stmt(L, c, ASG_COLS " WHERE u.path >= ?5 AND u.path < ?5 || '~'" ASG_FILTER);
	else
		st = stmt(L, c, ASG_COLS " WHERE 1" ASG_FILTER);
	sqlite3_bind_int64(st, 1, has_after ? after : 0);
	if (course)
		sqlite3_bind_text(st, 2, course, -1, SQLITE_TRANSIENT);
	if (plugin)
		sqlite3_bind_text(st, 3, plugin, -1, SQLITE_TRANSIENT);
	if (due_before)
		sqlite3_bind_text(st, 4, due_before, -1, SQLITE_TRANSIENT);
	if (unit)
		sqlite3_bind_text(st, 5, path, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 6, limit);
	if (emp)
		sqlite3_bind_int64(st, 7, emp);
	sqlite3_bind_int64(st, 8, call->now_s * 1000);
	sqlite3_bind_int64(st, 9, (call->now_s + (has_within ? within : 30) * 86400) * 1000);
	sqlite3_bind_text(st, 10, plugin_api_date(call->now_s, today), -1, SQLITE_TRANSIENT);
	bind_statuses(L, st);
	if (active >= 0)
		sqlite3_bind_int(st, 15, active);
	return push_rows(L, c, st, limit, push_assignment, assignment_cursor, "assignments");
}

/* ---- assign / unassign ---- */

char *plugin_api_dup(lua_State *L, const char *s)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		luaL_error(L, "out of memory");
	return d;
}

void plugin_ops_truncate(struct plugin_ops *ops, size_t n)
{
	while (ops->n > n) {
		struct plugin_op *op = &ops->v[--ops->n];
		free(op->unit_path);
		free(op->role);
		free(op->course);
		free(op->reason);
		free(op->template_name);
		free(op->to);
		free(op->subject);
		free(op->text);
		free(op->html);
	}
}

void plugin_ops_free(struct plugin_ops *ops)
{
	plugin_ops_truncate(ops, 0);
	free(ops->v);
	memset(ops, 0, sizeof(*ops));
}

/* Reads the target and course of an assign/unassign table into op. */
static void read_target(lua_State *L, struct plugin_call *call, struct db_conn *c, const char *fn,
			struct plugin_op *op, char *path, size_t pathsize)
{
	long long emp = plugin_api_opt_employee(L, c, 1, fn);
	const char *unit = plugin_api_opt_str(L, 1, "unit", fn);
	int everyone = opt_bool(L, 1, "everyone", fn) == 1;
	const char *role = plugin_api_opt_str(L, 1, "role", fn);
	if ((emp != 0) + (unit != NULL) + everyone != 1)
		luaL_error(L, "vern.%s: give exactly one of employee, unit or everyone = true", fn);
	if (role && emp)
		luaL_error(L, "vern.%s: role narrows unit or everyone, not one employee", fn);
	if (role && !plugin_api_exists(L, c, "SELECT 1 FROM roles WHERE code = ?", role))
		luaL_error(L, "vern.%s: unknown role %s", fn, role);
	op->target = emp ? PLUGIN_TARGET_EMPLOYEE : unit ? PLUGIN_TARGET_UNIT : PLUGIN_TARGET_EVERYONE;
	op->employee_id = emp;
	if (unit)
		unit_path(L, c, unit, fn, path, pathsize);
	const char *reason = plugin_api_opt_str(L, 1, "reason", fn);
	if (reason && (strlen(reason) > MAX_REASON || !utf8_valid(reason, strlen(reason))))
		luaL_error(L, "vern.%s: reason must be UTF-8 text of at most %d bytes", fn, MAX_REASON);
	op->plugin = call->plugin;
}

struct plugin_op *plugin_api_push_op(lua_State *L, struct plugin_call *call)
{
	struct plugin_ops *ops = call->ops;
	if (ops->n >= PLUGIN_MAX_OPS)
		luaL_error(L, "more than %d assign/unassign/mail in one call", PLUGIN_MAX_OPS);
	plugin_api_charge(L, OP_COST / ROW_COST + 1);
	if (ops->n == ops->cap) {
		size_t cap = ops->cap ? ops->cap * 2 : 64;
		struct plugin_op *v = realloc(ops->v, cap * sizeof(*v));
		if (!v)
			luaL_error(L, "out of memory");
		ops->v = v;
		ops->cap = cap;
	}
	struct plugin_op *o = &ops->v[ops->n++];  /* counted first: truncate frees a half-filled op */
	memset(o, 0, sizeof(*o));
	o->plugin = call->plugin;
	return o;
}

/* Appends op (its strings copied) to the call's buffer. */
static void append_op(lua_State *L, struct plugin_call *call, const struct plugin_op *op,
		      const char *path, const char *role, const char *course, const char *reason)
{
	struct plugin_op *o = plugin_api_push_op(L, call);
	o->kind = op->kind;
	o->target = op->target;
	o->employee_id = op->employee_id;
	memcpy(o->due, op->due, sizeof(o->due));
	o->unit_path = plugin_api_dup(L, op->target == PLUGIN_TARGET_UNIT ? path : NULL);
	o->role = plugin_api_dup(L, role);
	o->course = plugin_api_dup(L, course);
	o->reason = plugin_api_dup(L, reason ? reason : "");
}

static int api_assign(lua_State *L)
{
	static const char *const opts[] = { "employee", "unit", "everyone", "role", "course", "due",
					    "reason", NULL };
	struct plugin_call *call = plugin_api_call(L, 1, "assign");
	plugin_api_check_options(L, 1, "assign", opts);
	luaL_checktype(L, 1, LUA_TTABLE);
	struct db_conn *c = plugin_api_reader(L, call);
	struct plugin_op op;
	memset(&op, 0, sizeof(op));
	op.kind = PLUGIN_OP_ASSIGN;
	char path[1100];
	read_target(L, call, c, "assign", &op, path, sizeof(path));
	const char *course = plugin_api_opt_str(L, 1, "course", "assign");
	if (!course)
		luaL_error(L, "vern.assign: course is required");
	if (!plugin_api_exists(L, c, "SELECT 1 FROM courses WHERE id = ?", course))
		luaL_error(L, "vern.assign: unknown course %s", course);
	const char *due = plugin_api_opt_str(L, 1, "due", "assign");
	if (due && !people_is_date(due))
		luaL_error(L, "vern.assign: due must be a date YYYY-MM-DD");
	if (due)
		memcpy(op.due, due, 11);
	append_op(L, call, &op, path, plugin_api_opt_str(L, 1, "role", "assign"), course,
		  plugin_api_opt_str(L, 1, "reason", "assign"));
	return 0;
}

static int api_unassign(lua_State *L)
{
	static const char *const opts[] = { "employee", "unit", "everyone", "role", "course",
					    "reason", NULL };
	struct plugin_call *call = plugin_api_call(L, 1, "unassign");
	plugin_api_check_options(L, 1, "unassign", opts);
	luaL_checktype(L, 1, LUA_TTABLE);
	struct db_conn *c = plugin_api_reader(L, call);
	struct plugin_op op;
	memset(&op, 0, sizeof(op));
	op.kind = PLUGIN_OP_UNASSIGN;
	char path[1100];
	read_target(L, call, c, "unassign", &op, path, sizeof(path));
	const char *course = plugin_api_opt_str(L, 1, "course", "unassign");
	if (!course && op.target != PLUGIN_TARGET_EMPLOYEE)
		luaL_error(L, "vern.unassign: course is required for a unit or everyone");
	append_op(L, call, &op, path, plugin_api_opt_str(L, 1, "role", "unassign"), course,
		  plugin_api_opt_str(L, 1, "reason", "unassign"));
	return 0;
}

/* ---- log, now ---- */

static int api_log(lua_State *L)
{
	static const char *const levels[] = { "debug", "info", "warn", "error", NULL };
	struct plugin_call *call = sandbox_user(sandbox_of(L));
	int level = LOG_INFO;
	const char *msg;
	if (lua_gettop(L) >= 2) {
		level = LOG_DEBUG + luaL_checkoption(L, 1, NULL, levels);
		msg = luaL_checkstring(L, 2);
	} else {
		msg = luaL_checkstring(L, 1);
	}
	if (call && call->logs++ >= MAX_LOGS) {
		if (call->logs == MAX_LOGS + 1)
			log_event(LOG_WARN, "plugin_log_limit", "plugin=%s lines=%d", call->plugin,
				  MAX_LOGS);
		return 0;
	}
	char text[512], q[1100];
	snprintf(text, sizeof(text), "%s", msg);
	log_event((enum log_level)level, "plugin_log", "plugin=%s message=%s",
		  sandbox_name(sandbox_of(L)), log_quote(q, sizeof(q), text));
	return 0;
}

static int api_now(lua_State *L)
{
	struct plugin_call *call = sandbox_user(sandbox_of(L));
	lua_pushinteger(L, (lua_Integer)(call && call->now_s ? call->now_s : (long long)time(NULL)));
	return 1;
}

int plugin_api_open(lua_State *L, const char *name, const struct config *cfg)
{
	static const luaL_Reg fns[] = {
		{ "employees", api_employees }, { "employee", api_employee },
		{ "units", api_units }, { "roles", api_roles }, { "courses", api_courses },
		{ "completions", api_completions }, { "assignments", api_assignments },
		{ "stats", plugin_api_stats }, { "assign", api_assign },
		{ "unassign", api_unassign }, { "mail", plugin_api_mail }, { "log", api_log },
		{ "now", api_now },
		{ NULL, NULL },
	};
	size_t nlen = strlen(name);
	lua_createtable(L, 0, 16);
	luaL_setfuncs(L, fns, 0);
	lua_pushstring(L, name);
	lua_setfield(L, -2, "plugin");
	lua_newtable(L);
	for (int i = 0; cfg && i < cfg->nplugin_settings; i++) {
		const char *key = cfg->plugin_settings[i].key;
		if (strncmp(key, name, nlen) != 0 || key[nlen] != '.')
			continue;
		lua_pushstring(L, cfg->plugin_settings[i].value);
		lua_setfield(L, -2, key + nlen + 1);
		/* The addresses vern.mail may write to, where the plugin's own
		 * code cannot change them (vern.config is a plain table). */
		if (strcmp(key + nlen + 1, "mail_to") == 0) {
			lua_pushstring(L, cfg->plugin_settings[i].value);
			lua_setfield(L, LUA_REGISTRYINDEX, PLUGIN_MAIL_TO_KEY);
		}
	}
	lua_setfield(L, -2, "config");
	lua_setglobal(L, "vern");
	return 0;
}
