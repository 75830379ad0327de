/* api_stats.c: vern.stats, per-agency (or per-unit) counts computed in C,
 * so a report over 50,000 employees reads rows once instead of building
 * 50,000 Lua tables.
 *
 *   vern.stats{
 *     courses = { "phishing", ... },  -- 1 to 32 course ids (required)
 *     group = "agency" | "unit",      -- nearest agency above the
 *                                     -- employee's unit (default), or the unit
 *     since = s, before = s,          -- window for started and completed
 *     present_at = s,                 -- population: hired by then (start_date)
 *                                     -- and active then (default: now)
 *     unit = "EXT",                   -- only this unit's subtree
 *   }
 *   -> { { id = "EXT" or nil, name, unit_id, headcount, started_any,
 *          completed_all, courses = { [course] = { assigned, started,
 *          completed } } }, ... }
 *
 * Every agency (or unit) gets a row, also with headcount 0; employees
 * outside any agency form a last row with id nil. "assigned" counts open
 * assignment rows (the present state), "started" a course_starts row with
 * activity in the window, "completed" a completion_history row in it.
 * Work memory is Lua userdata, so a budget or memory error mid-way frees
 * it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <sqlite3.h>

#include "api.h"
#include "db.h"
#include "sandbox.h"

#define MAX_COURSES 32
#define STATS_ROW_COST 5   /* instructions charged per row read */

struct stats {
	lua_State *L;
	struct db_conn *c;
	int ncourses;
	const char *courses[MAX_COURSES];
	int by_unit;
	long long since_ms, before_ms, present_ms;
	char present_date[11];
	const char *restrict_path;  /* NULL: everyone */

	int nunits;                 /* units read */
	int ngroups;                /* rows of the result, the last is "none" */
	int32_t *unit_group;        /* by unit id: group index, -2 under no agency */
	unsigned char *inside;      /* by unit id: within the restriction */
	long long max_unit;
	int32_t *group_unit_row;    /* group -> row in the units tables (names), -1 none */
	int32_t *emp_group;         /* by employee id: group, -1 not in the population */
	uint32_t *started, *done;   /* by employee id: course bits */
	long long max_emp;
	int64_t *counts;            /* [group][3 * course + k] and 2 totals */
	int names_idx, exts_idx, ids_idx;  /* Lua tables: unit row -> name, ext, id */
	long uncharged;             /* rows read since the last charge */
};

#define NCOUNTS(s) (3 * (s)->ncourses + 3)
#define COUNT(s, g, k) ((s)->counts[(size_t)(g) * NCOUNTS(s) + (k)])
enum { K_ASSIGNED, K_STARTED, K_COMPLETED };
#define K_HEADCOUNT(s) (3 * (s)->ncourses)
#define K_STARTED_ANY(s) (3 * (s)->ncourses + 1)
#define K_DONE_ALL(s) (3 * (s)->ncourses + 2)

/* Charges rows read to the budget, 256 at a time (a clock read per row
 * would cost more than the row). */
static void charge(struct stats *s, long rows)
{
	s->uncharged += rows;
	if (s->uncharged < 256)
		return;
	long n = s->uncharged;
	s->uncharged = 0;
	if (sandbox_charge(sandbox_of(s->L), n * STATS_ROW_COST) != 0)
		sandbox_budget_error(s->L);
}

static void fail_step(struct stats *s, int rc, const char *what)
{
	db_step_error(s->c, rc, what);
	luaL_error(s->L, "database error reading %s", what);
}

static sqlite3_stmt *stmt(struct stats *s, const char *sql)
{
	sqlite3_stmt *st = db_stmt(s->c, sql);
	if (!st)
		luaL_error(s->L, "database error (statement could not be prepared)");
	return st;
}

/* Zeroed work memory owned by Lua (left on the stack until the call ends). */
static void *scratch(struct stats *s, size_t n, size_t size)
{
	if (n > (size_t)1 << 28)
		luaL_error(s->L, "vern.stats: ids too large");
	void *p = lua_newuserdatauv(s->L, n * size > 0 ? n * size : 1, 0);
	memset(p, 0, n * size);
	return p;
}

static long long max_id(struct stats *s, const char *sql)
{
	sqlite3_stmt *st = stmt(s, sql);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		fail_step(s, rc, "ids");
	long long v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

/* Units in path order (a parent before its children), so the nearest
 * agency of a unit is itself or its parent's. */
static void read_units(struct stats *s)
{
	s->max_unit = max_id(s, "SELECT coalesce(max(id), 0) FROM org_units");
	s->unit_group = scratch(s, (size_t)s->max_unit + 1, sizeof(int32_t));
	s->inside = scratch(s, (size_t)s->max_unit + 1, 1);
	for (long long i = 0; i <= s->max_unit; i++)
		s->unit_group[i] = -2;
	lua_newtable(s->L);
	s->names_idx = lua_gettop(s->L);
	lua_newtable(s->L);
	s->exts_idx = lua_gettop(s->L);
	lua_newtable(s->L);
	s->ids_idx = lua_gettop(s->L);
	int32_t *group_row = scratch(s, (size_t)s->max_unit + 2, sizeof(int32_t));
	sqlite3_stmt *st = stmt(s, "SELECT id, parent_id, is_agency, path, name, external_id"
				   " FROM org_units ORDER BY path");
	size_t rlen = s->restrict_path ? strlen(s->restrict_path) : 0;
	int rc;
	s->ngroups = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		charge(s, 1);
		long long id = sqlite3_column_int64(st, 0);
		long long parent = sqlite3_column_int64(st, 1);
		const char *path = (const char *)sqlite3_column_text(st, 3);
		if (id < 0 || id > s->max_unit)
			continue;
		s->inside[id] = !s->restrict_path || strncmp(path, s->restrict_path, rlen) == 0;
		if (s->by_unit ? s->inside[id] : sqlite3_column_int(st, 2)) {
			int g = s->ngroups++;
			group_row[g] = ++s->nunits;
			s->unit_group[id] = g;
			lua_pushstring(s->L, (const char *)sqlite3_column_text(st, 4));
			lua_rawseti(s->L, s->names_idx, s->nunits);
			lua_pushstring(s->L, (const char *)sqlite3_column_text(st, 5));
			lua_rawseti(s->L, s->exts_idx, s->nunits);
			lua_pushinteger(s->L, (lua_Integer)id);
			lua_rawseti(s->L, s->ids_idx, s->nunits);
		} else if (!s->by_unit && parent > 0 && parent <= s->max_unit) {
			s->unit_group[id] = s->unit_group[parent];
		}
	}
	if (rc != SQLITE_DONE)
		fail_step(s, rc, "org_units");
	sqlite3_reset(st);
	s->group_unit_row = group_row;
	s->group_unit_row[s->ngroups] = -1;
	s->ngroups++;  /* the "none" row */
}

/* The population at present_at, each employee with their group. */
static void read_employees(struct stats *s)
{
	s->max_emp = max_id(s, "SELECT coalesce(max(id), 0) FROM employees");
	s->emp_group = scratch(s, (size_t)s->max_emp + 1, sizeof(int32_t));
	s->started = scratch(s, (size_t)s->max_emp + 1, sizeof(uint32_t));
	s->done = scratch(s, (size_t)s->max_emp + 1, sizeof(uint32_t));
	s->counts = scratch(s, (size_t)s->ngroups * NCOUNTS(s), sizeof(int64_t));
	for (long long i = 0; i <= s->max_emp; i++)
		s->emp_group[i] = -1;
	sqlite3_stmt *st = stmt(s, "SELECT id, unit_id FROM employees"
				   " WHERE (start_date IS NULL OR start_date <= ?1)"
				   " AND (active = 1 OR updated_ms > ?2)");
	sqlite3_bind_text(st, 1, s->present_date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, s->present_ms);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		charge(s, 1);
		long long id = sqlite3_column_int64(st, 0);
		int has_unit = sqlite3_column_type(st, 1) != SQLITE_NULL;
		long long unit = sqlite3_column_int64(st, 1);
		if (id < 0 || id > s->max_emp)
			continue;
		int g;
		if (has_unit && unit >= 0 && unit <= s->max_unit) {
			if (!s->inside[unit])
				continue;
			g = s->unit_group[unit];
		} else {
			if (s->restrict_path)
				continue;
			g = -2;
		}
		if (g < 0)
			g = s->ngroups - 1;
		s->emp_group[id] = g;
		COUNT(s, g, K_HEADCOUNT(s))++;
	}
	if (rc != SQLITE_DONE)
		fail_step(s, rc, "employees");
	sqlite3_reset(st);
}

/* Counts one query's employees for course ci, counter k. */
static void count_rows(struct stats *s, sqlite3_stmt *st, int ci, int k, uint32_t *bits)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		charge(s, 1);
		long long id = sqlite3_column_int64(st, 0);
		if (id < 0 || id > s->max_emp || s->emp_group[id] < 0)
			continue;
		if (bits) {
			if (bits[id] & (1u << ci))
				continue;
			bits[id] |= 1u << ci;
		}
		COUNT(s, s->emp_group[id], 3 * ci + k)++;
	}
	if (rc != SQLITE_DONE)
		fail_step(s, rc, "stats");
	sqlite3_reset(st);
}

static void count_courses(struct stats *s)
{
	for (int ci = 0; ci < s->ncourses; ci++) {
		sqlite3_stmt *st = stmt(s, "SELECT employee_id FROM assignments WHERE course_id = ?");
		sqlite3_bind_text(st, 1, s->courses[ci], -1, SQLITE_TRANSIENT);
		count_rows(s, st, ci, K_ASSIGNED, NULL);
		st = stmt(s, "SELECT employee_id FROM course_starts WHERE course_id = ?1"
			     " AND last_ms >= ?2 AND first_ms < ?3");
		sqlite3_bind_text(st, 1, s->courses[ci], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, s->since_ms);
		sqlite3_bind_int64(st, 3, s->before_ms);
		count_rows(s, st, ci, K_STARTED, s->started);
		st = stmt(s, "SELECT employee_id FROM completion_history WHERE course_id = ?1"
			     " AND completed_ms >= ?2 AND completed_ms < ?3");
		sqlite3_bind_text(st, 1, s->courses[ci], -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, s->since_ms);
		sqlite3_bind_int64(st, 3, s->before_ms);
		count_rows(s, st, ci, K_COMPLETED, s->done);
	}
	uint32_t all = s->ncourses == 32 ? 0xffffffffu : (1u << s->ncourses) - 1;
	for (long long id = 0; id <= s->max_emp; id++) {
		int g = s->emp_group[id];
		if (g < 0)
			continue;
		if (s->started[id] || s->done[id])
			COUNT(s, g, K_STARTED_ANY(s))++;
		if ((s->done[id] & all) == all)
			COUNT(s, g, K_DONE_ALL(s))++;
	}
	charge(s, (long)(s->max_emp / 16));
}

static void set_count(lua_State *L, const char *key, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, key);
}

static void push_result(struct stats *s)
{
	lua_State *L = s->L;
	lua_createtable(L, s->ngroups, 0);
	for (int g = 0; g < s->ngroups; g++) {
		int row = s->group_unit_row[g];
		if ((row < 0 || s->restrict_path) && COUNT(s, g, K_HEADCOUNT(s)) == 0)
			continue;  /* nobody outside an agency; agencies outside the unit */
		lua_createtable(L, 0, 7);
		if (row > 0) {
			lua_rawgeti(L, s->exts_idx, row);
			lua_setfield(L, -2, "id");
			lua_rawgeti(L, s->names_idx, row);
			lua_setfield(L, -2, "name");
			lua_rawgeti(L, s->ids_idx, row);
			lua_setfield(L, -2, "unit_id");
		}
		set_count(L, "headcount", COUNT(s, g, K_HEADCOUNT(s)));
		set_count(L, "started_any", COUNT(s, g, K_STARTED_ANY(s)));
		set_count(L, "completed_all", COUNT(s, g, K_DONE_ALL(s)));
		lua_createtable(L, 0, s->ncourses);
		for (int ci = 0; ci < s->ncourses; ci++) {
			lua_createtable(L, 0, 3);
			set_count(L, "assigned", COUNT(s, g, 3 * ci + K_ASSIGNED));
			set_count(L, "started", COUNT(s, g, 3 * ci + K_STARTED));
			set_count(L, "completed", COUNT(s, g, 3 * ci + K_COMPLETED));
			lua_setfield(L, -2, s->courses[ci]);
		}
		lua_setfield(L, -2, "courses");
		lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
	}
}

static void read_options(struct stats *s, struct plugin_call *call)
{
	static const char *const opts[] = { "courses", "group", "since", "before", "present_at",
					    "unit", NULL };
	lua_State *L = s->L;
	plugin_api_check_options(L, 1, "stats", opts);
	luaL_checktype(L, 1, LUA_TTABLE);
	if (lua_getfield(L, 1, "courses") != LUA_TTABLE)
		luaL_error(L, "vern.stats: courses must be a list of course ids");
	s->ncourses = (int)lua_rawlen(L, -1);
	if (s->ncourses < 1 || s->ncourses > MAX_COURSES)
		luaL_error(L, "vern.stats: give 1 to %d courses", MAX_COURSES);
	for (int i = 0; i < s->ncourses; i++) {
		lua_rawgeti(L, -1, i + 1);
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "vern.stats: courses must be strings");
		s->courses[i] = lua_tostring(L, -1);  /* kept alive by the courses table */
		lua_pop(L, 1);
		sqlite3_stmt *st = stmt(s, "SELECT 1 FROM courses WHERE id = ?");
		sqlite3_bind_text(st, 1, s->courses[i], -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			luaL_error(L, "vern.stats: unknown course %s", s->courses[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(s->courses[j], s->courses[i]) == 0)
				luaL_error(L, "vern.stats: course %s is listed twice", s->courses[i]);
	}
	lua_pop(L, 1);  /* the list stays reachable from the option table */

	lua_getfield(L, 1, "group");
	const char *group = lua_tostring(L, -1);
	if (lua_type(L, -1) != LUA_TNIL &&
	    (lua_type(L, -1) != LUA_TSTRING || (strcmp(group, "agency") != 0 && strcmp(group, "unit") != 0)))
		luaL_error(L, "vern.stats: group must be \"agency\" or \"unit\"");
	s->by_unit = group && strcmp(group, "unit") == 0;
	lua_pop(L, 1);

	long long *times[] = { &s->since_ms, &s->before_ms, &s->present_ms };
	const char *names[] = { "since", "before", "present_at" };
	long long defaults[] = { 0, call->now_s + 1, call->now_s };
	for (int i = 0; i < 3; i++) {
		int t = lua_getfield(L, 1, names[i]);
		if (t != LUA_TNIL && !lua_isinteger(L, -1))
			luaL_error(L, "vern.stats: %s must be a time in whole seconds", names[i]);
		*times[i] = (t == LUA_TNIL ? defaults[i] : (long long)lua_tointeger(L, -1)) * 1000;
		lua_pop(L, 1);
	}
	/* "Now" covers the whole current second: a change made earlier in it
	 * (updated_ms has milliseconds) lies in the past, not after present. */
	if (s->present_ms == call->now_s * 1000)
		s->present_ms += 999;
	plugin_api_date(s->present_ms / 1000, s->present_date);
}

int plugin_api_stats(lua_State *L)
{
	struct plugin_call *call = plugin_api_call(L, 0, "stats");
	struct stats s;
	memset(&s, 0, sizeof(s));
	s.L = L;
	luaL_checkstack(L, 40, "vern.stats");
	s.c = plugin_api_reader(L, call);
	read_options(&s, call);
	char path[1100];
	if (lua_getfield(L, 1, "unit") != LUA_TNIL) {
		if (lua_type(L, -1) != LUA_TSTRING)
			luaL_error(L, "vern.stats: unit must be a unit id");
		sqlite3_stmt *st = stmt(&s, "SELECT path FROM org_units WHERE external_id = ?");
		sqlite3_bind_text(st, 1, lua_tostring(L, -1), -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			snprintf(path, sizeof(path), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (rc != SQLITE_ROW)
			luaL_error(L, "vern.stats: unknown unit %s", lua_tostring(L, -1));
		s.restrict_path = path;
	}
	lua_pop(L, 1);
	read_units(&s);
	read_employees(&s);
	count_courses(&s);
	push_result(&s);
	return 1;
}
