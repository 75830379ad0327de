/* api.h: the `vern` table a plugin sees, and the call context behind it.
 * Shared by the host's files (host.c, api*.c, writes.c); nothing outside
 * plugins/ uses it.
 *
 * The host runs every load and call with a struct plugin_call set as the
 * sandbox's user pointer. API functions find it there: which plugin is
 * calling, what kind of call (load-time code may not read or write; reports
 * may read but not write), the database, "now", and the buffer that
 * assign/unassign append to. Resources an API function takes (a reader
 * connection) are owned by the call and given back by plugin_call_finish,
 * so a Lua error (memory, budget) raised in the middle of an API function
 * leaks nothing. */
#ifndef VERN_PLUGIN_API_H
#define VERN_PLUGIN_API_H

#include <stddef.h>

#include <lua.h>

struct config;
struct db;
struct db_conn;

enum plugin_call_kind {
	PLUGIN_CALL_LOAD,    /* the file's top level: vern.log, now, config only */
	PLUGIN_CALL_HOOK,    /* on_employee, on_statement: read and write */
	PLUGIN_CALL_DAILY,   /* daily: read and write, bigger budget */
	PLUGIN_CALL_REPORT,  /* reports: read only */
};

enum plugin_op_kind { PLUGIN_OP_ASSIGN, PLUGIN_OP_UNASSIGN, PLUGIN_OP_MAIL };
enum plugin_op_target { PLUGIN_TARGET_EMPLOYEE, PLUGIN_TARGET_UNIT, PLUGIN_TARGET_EVERYONE };

/* One buffered assign, unassign or email. Strings are owned (malloc'ed). */
struct plugin_op {
	enum plugin_op_kind kind;
	enum plugin_op_target target;
	long long employee_id;   /* TARGET_EMPLOYEE; MAIL: the recipient, or 0 for `to` */
	char *unit_path;         /* TARGET_UNIT: the unit's materialised path */
	char *role;              /* UNIT/EVERYONE: only holders of this role, or NULL */
	char *course;            /* NULL for "every course of mine" (unassign) */
	char due[11];            /* YYYY-MM-DD or "" */
	char *reason;
	const char *plugin;      /* the plugin's name (lives as long as its set) */
	/* MAIL: a lesson (course + template) or an email of its own (subject,
	 * text, optional html), to employee_id or to the address `to`. */
	char *template_name, *to, *subject, *text, *html;
};

struct plugin_ops {
	struct plugin_op *v;
	size_t n, cap;
};

/* At most this many buffered operations per call. */
#define PLUGIN_MAX_OPS 100000

struct plugin_call {
	enum plugin_call_kind kind;
	struct db *db;               /* NULL: no database (vern plugins check) */
	const char *plugin;
	long long now_s;             /* vern.now() */
	struct plugin_ops *ops;      /* assign/unassign go here (hooks, daily) */
	struct db_conn *reader;      /* a snapshot (see below), taken on the first read */
	int shared_reader;           /* reader belongs to the caller: finish leaves it */
	long time_ms;                /* time budget when shorter than the configured one */
	int logs;                    /* vern.log lines so far */
	long mails;                  /* vern.mail calls so far */
};

/* A reader connection inside one read transaction: every query of a call
 * (or of a batch of hook calls) sees the same snapshot, and SQLite takes
 * its file locks once instead of once per query. */
struct db_conn *plugin_snapshot_begin(struct db *db);
void plugin_snapshot_end(struct db *db, struct db_conn *c);

/* Creates the global `vern` table in L for plugin `name`: the functions
 * and vern.config (this plugin's settings from cfg, as strings). Runs at
 * load, before the file; returns 0 or -1 (out of memory). */
int plugin_api_open(lua_State *L, const char *name, const struct config *cfg);

/* Gives back what the call borrowed. Call after every load or call. */
void plugin_call_finish(struct plugin_call *call);

/* The call under way in L, or a Lua error if there is none or it is of a
 * kind that may not read (want_write: may not write). */
struct plugin_call *plugin_api_call(lua_State *L, int want_write, const char *fn);

/* The call's reader (a snapshot taken once, kept to its end). */
struct db_conn *plugin_api_reader(lua_State *L, struct plugin_call *call);

/* Charges n rows of API work to the call's budget; raises the budget
 * error when it is spent. */
void plugin_api_charge(lua_State *L, long rows);

/* Pushes the employee with id as the table on_employee and vern.employees
 * give (host side, outside any call). Returns 1 pushed, 0 no such
 * employee (nothing pushed), -1 database error. */
int plugin_api_push_employee(lua_State *L, struct db_conn *c, long long id);

/* vern.stats (api_stats.c). */
int plugin_api_stats(lua_State *L);

/* Option tables: raises an error naming the first key of the table at idx
 * that is not in allowed (NULL-terminated). */
void plugin_api_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed);

/* Local date YYYY-MM-DD of t (buf: 11 bytes). */
const char *plugin_api_date(long long t, char *buf);

/* vern.mail (api_mail.c). The plugin's mail_to setting is kept in the
 * Lua registry under this key by plugin_api_open. */
int plugin_api_mail(lua_State *L);
#define PLUGIN_MAIL_TO_KEY "vern.mail_to"

/* Option readers for the table at idx (errors name fn): a string or NULL
 * (valid while the table is on the stack); the employee option as an id
 * (0 absent; an unknown employee is an error). */
const char *plugin_api_opt_str(lua_State *L, int idx, const char *key, const char *fn);
long long plugin_api_opt_employee(lua_State *L, struct db_conn *c, int idx, const char *fn);

/* 1 when sql (one ? bound to value) returns a row on c. */
int plugin_api_exists(lua_State *L, struct db_conn *c, const char *sql, const char *value);

/* Appends a zeroed operation to the call's buffer (counted and charged;
 * raises past PLUGIN_MAX_OPS) and returns it; fill its strings with
 * plugin_api_dup, which raises when out of memory (truncate frees them). */
struct plugin_op *plugin_api_push_op(lua_State *L, struct plugin_call *call);
char *plugin_api_dup(lua_State *L, const char *s);

/* Buffered operations. */
void plugin_ops_truncate(struct plugin_ops *ops, size_t n);
void plugin_ops_free(struct plugin_ops *ops);

#endif
