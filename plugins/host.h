/* host.h: the plugin host: loads the plugins folder (*.lua), runs their hooks on a
 * worker thread and their reports for C callers.
 *
 * A plugin file returns its declaration:
 *
 *   return {
 *     name = "mandatory_by_role",  -- must equal the file name
 *     version = "1.0.0",
 *     on_employee = function(e, change) ... end,  -- change: "created",
 *                                    -- "updated", "deactivated" or "sync"
 *     on_statement = function(s) ... end,        -- each stored xAPI statement, as
 *                                    -- stored, plus s.employee_id when its
 *                                    -- actor is an employee
 *     statement_verbs = { "verb IRI", ... },     -- optional: only these verbs
 *     daily = function(now) ... end,             -- once a day (now: seconds)
 *     reports = { name = function(params) return table end, ... },
 *   }
 *
 * and reaches Vern only through the `vern` table (plugins/api.c): reads of
 * employees, units, roles, courses, completions, assignments and
 * aggregate stats; assign/unassign; mail (plugins/api_mail.c); log; now;
 * config (the `plugin.NAME.KEY = value` lines of the config file).
 *
 * Every call runs in the plugin's sandbox (plugins/sandbox.h) under an
 * instruction and time budget and a memory cap; an error is logged against
 * the plugin and counted, and the server carries on. Hooks run on the
 * host's worker thread: employee changes come from the plugin_events table
 * (written with the change, by any process), statements are queued after
 * their commit. assign/unassign/mail are buffered and written in one
 * db_write after a call returns; a failing call writes (and mails) nothing. A plugin that fails
 * to load is reported and skipped; the others run. */
#ifndef VERN_PLUGIN_HOST_H
#define VERN_PLUGIN_HOST_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

struct config;
struct db;
struct plugin_host;

/* Results of plugin_host_report. */
enum {
	PLUGIN_OK = 0,
	PLUGIN_NOT_FOUND = -1,  /* no such plugin or report */
	PLUGIN_FAILED = -2,     /* the plugin raised an error or ran out of budget */
	PLUGIN_BUSY = -3,       /* no Lua state of the plugin came free in time */
	PLUGIN_BROKEN = -4,     /* the plugin did not load */
};

/* Loads every *.lua in cfg->plugins_dir (a missing folder means no
 * plugins). Broken plugins are logged and kept in the status list. db may
 * be NULL (list/check: calls that read or write then fail). Returns 0, or
 * -1 with err set when out of memory. Free with plugin_host_close. */
int plugin_host_open(struct plugin_host **out, const struct config *cfg, struct db *db,
		     char *err, size_t errsize);

/* Starts the worker thread (hooks, events, the daily schedule).
 * public_url identifies employees' agents in statements. Returns 0 or -1. */
int plugin_host_start(struct plugin_host *h, const char *public_url);

/* fn(arg) is called after a commit that queued email (the server passes
 * a function that wakes the mail sender). Without it, queued email waits
 * for the sender's next tick. fn NULL removes it; once this returns, fn is
 * not running and will not be called. */
void plugin_host_set_mail_notify(struct plugin_host *h, void (*fn)(void *), void *arg);

/* Stops the worker (after the call under way), drops queued statements and
 * frees everything. NULL is allowed. */
void plugin_host_close(struct plugin_host *h);

/* Re-reads the plugins folder and swaps in the new set; calls under way
 * finish on the old one. Returns the number of broken plugins, or -1. */
int plugin_host_reload(struct plugin_host *h);

/* Queues a stored statement (its verb id and JSON) for on_statement hooks.
 * Never blocks; does nothing when h is NULL or no plugin wants the verb.
 * A full queue (100,000 statements) drops and logs. */
void plugin_host_on_statement(struct plugin_host *h, const char *verb, const char *json,
			      size_t len);

/* Runs report `report` of plugin `plugin` with params (any JSON, may be
 * NULL) on the calling thread, under the plugin's budget; waits at most
 * that long for a free Lua state. On PLUGIN_OK *result is a new reference
 * to the returned table as JSON; otherwise err says why. */
int plugin_host_report(struct plugin_host *h, const char *plugin, const char *report,
		       json_t *params, json_t **result, char *err, size_t errsize);

/* Runs every plugin's daily(now) on the calling thread and writes what
 * they assign. Returns the number of plugins that failed (0: all ran). */
int plugin_host_run_daily(struct plugin_host *h, time_t now);

/* The worker's daily schedule, once a minute: runs the daily() of each
 * plugin that has not run on now's local date, once the local hour is
 * plugins_daily_hour or later, and records the run. Returns how many ran. */
int plugin_host_daily_if_due(struct plugin_host *h, time_t now);

/* Calls on_employee(e, "sync") for every employee (active or not) on the
 * calling thread, in batches, writing after each batch (the demo and the
 * benchmark use it; a sync after changing a plugin's rules too). Returns
 * the number of failed calls, or -1 when the database could not be read. */
long plugin_host_sync_employees(struct plugin_host *h, time_t now);

/* Processes the waiting plugin_events now, on the calling thread (the
 * worker does this on its own every half second). Returns how many were
 * handled, or -1. */
long plugin_host_run_events(struct plugin_host *h);

/* Loads the one plugin file (as `vern plugins check` does) without a
 * database and returns its status object (see plugin_host_status); NULL
 * when out of memory. */
json_t *plugin_host_check(const struct config *cfg, const char *file);

/* {"dir": D, "plugins": [{"name", "file", "version", "status": "ok"|"broken",
 * "error", "hooks": [...], "reports": [...], "calls", "errors",
 * "last_error", "last_error_at"}]} for the admin pages. New reference. */
json_t *plugin_host_status(struct plugin_host *h);

#endif
