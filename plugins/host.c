/* host.c: the plugin host (see host.h): loading, the pool of Lua states,
 * the worker thread, reports, reload and status.
 *
 * Loading: every .lua file in plugins_dir is run in PLUGIN_STATES separate
 * sandboxes (one file, several states), and the table it returns is
 * checked (name = file name, version, known hooks, reports). A file that
 * fails any of this is kept as a broken plugin with its error, and skipped.
 *
 * Sets and reload: the loaded plugins form a reference-counted set. Every
 * user (the worker, a report on an HTTP thread) takes a reference for the
 * duration of its work; reload builds a new set and swaps it in, and the
 * old one is freed when its last user is done.
 *
 * States: each call takes a free state of its plugin; the worker waits for
 * one, a report waits at most its time budget and then gives up (BUSY), so
 * a request thread is never held longer than the budget by a plugin.
 *
 * Worker: wakes for queued statements, every POLL_MS for plugin_events
 * (employee changes written by any process), and every minute to see
 * whether a daily() is due (once per local day, from plugins_daily_hour). */
#include "host.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <lauxlib.h>
#include <sqlite3.h>

#include "api.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "luajson.h"
#include "sandbox.h"
#include "writes.h"

#define PLUGIN_STATES 3        /* Lua states per plugin */
#define DAILY_FACTOR 50        /* daily() gets this many times the budget */
#define BATCH 1024             /* employees per round (one commit: an fsync) */
#define STATEMENT_BATCH 256    /* statements per worker round */
#define QUEUE_MAX 100000       /* queued statements */
#define QUEUE_MAX_BYTES (64L << 20)
#define POLL_MS 500
#define DAILY_CHECK_MS 60000
#define MAX_REPORTS 32
#define MAX_VERBS 16

enum { HOOK_EMPLOYEE = 1, HOOK_STATEMENT = 2, HOOK_DAILY = 4 };
static const char *const hook_names[] = { "on_employee", "on_statement", "daily" };

struct plugin_state {
	struct sandbox *sb;
	int decl_ref;          /* registry reference to the declaration table */
	int busy;
};

struct plugin {
	char name[64];
	char version[32];
	char description[256];
	char file[512];
	char error[512];       /* load error: the plugin is broken */
	unsigned hooks;
	char reports[MAX_REPORTS][64];
	int nreports;
	char *verbs[MAX_VERBS]; /* statement_verbs; none: every statement */
	int nverbs;
	struct plugin_state states[PLUGIN_STATES];
	int nstates;
	pthread_mutex_t lock;  /* states' busy flags and the counters below */
	pthread_cond_t cond;
	unsigned long calls, errors;
	char last_error[512];
	long long last_error_ms;
};

struct plugin_set {
	int refs;              /* under the host's lock */
	struct plugin *v;
	size_t n;
	unsigned hooks;        /* union of the working plugins' hooks */
	int all_verbs;         /* some on_statement plugin takes every verb */
};

struct queued {
	struct queued *next;
	size_t len;
	char json[];
};

struct plugin_host {
	struct config cfg;
	struct db *db;
	char public_url[CONFIG_STR_MAX];
	pthread_mutex_t lock;  /* set, queue, flags */
	pthread_cond_t wake;
	struct plugin_set *set;
	struct queued *qhead, *qtail;
	size_t qlen, qbytes;
	unsigned long dropped;
	int started, stopping;
	pthread_t worker;
	void (*mail_notify)(void *);  /* see plugin_host_set_mail_notify */
	void *mail_notify_arg;
	pthread_mutex_t events_lock;  /* one round of plugin_events at a time */
};

/* Writes a batch's operations; tells the mail sender about queued email. */
static int commit(struct plugin_host *h, struct plugin_writes *w, const char *what)
{
	int rc = plugin_writes_commit(h->db, &h->cfg, w, what);
	if (rc == 0 && w->mailed) {
		pthread_mutex_lock(&h->lock);  /* see plugin_host_set_mail_notify */
		if (h->mail_notify)
			h->mail_notify(h->mail_notify_arg);
		pthread_mutex_unlock(&h->lock);
	}
	return rc;
}

void plugin_host_set_mail_notify(struct plugin_host *h, void (*fn)(void *), void *arg)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	h->mail_notify = fn;
	h->mail_notify_arg = arg;
	pthread_mutex_unlock(&h->lock);
}

/* Read by loops that should end early when the server stops. */
static int host_stopping(struct plugin_host *h)
{
	return __atomic_load_n(&h->stopping, __ATOMIC_RELAXED);
}

static long long wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- loading ---- */

static int plain_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static int by_report(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The string field key of the table on top, raw; NULL when not a string. */
static const char *raw_string(lua_State *L, const char *key)
{
	lua_pushstring(L, key);
	lua_rawget(L, -2);
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_pop(L, 1);  /* still referenced by the table */
	return s;
}

/* Checks the declaration on top of the stack of state 0 and fills p.
 * Returns 0 or -1 with p->error set. Raw access only: no Lua runs. */
static int read_declaration(lua_State *L, struct plugin *p)
{
	static const char *const fields[] = { "name", "version", "description", "on_employee",
					      "on_statement", "daily", "reports", "statement_verbs",
					      NULL };
	if (lua_type(L, -1) != LUA_TTABLE) {
		snprintf(p->error, sizeof(p->error),
			 "the file must return its declaration: return { name = \"%s\", version = ..., ... }",
			 p->name);
		return -1;
	}
	lua_pushnil(L);
	while (lua_next(L, -2) != 0) {
		lua_pop(L, 1);
		const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
		int known = 0;
		for (int i = 0; key && fields[i] && !known; i++)
			known = strcmp(key, fields[i]) == 0;
		if (!known) {
			snprintf(p->error, sizeof(p->error), "unknown field %s in the declaration"
				 " (fields: name, version, description, on_employee, on_statement,"
				 " daily, reports, statement_verbs)", key ? key : "(not a string)");
			lua_pop(L, 1);
			return -1;
		}
	}
	const char *name = raw_string(L, "name");
	if (!name || strcmp(name, p->name) != 0) {
		snprintf(p->error, sizeof(p->error), "name must be \"%s\" (the file name)", p->name);
		return -1;
	}
	const char *version = raw_string(L, "version");
	if (!version || !*version || strlen(version) >= sizeof(p->version)) {
		snprintf(p->error, sizeof(p->error), "version must be a string of 1 to %zu characters",
			 sizeof(p->version) - 1);
		return -1;
	}
	snprintf(p->version, sizeof(p->version), "%s", version);
	const char *desc = raw_string(L, "description");
	snprintf(p->description, sizeof(p->description), "%s", desc ? desc : "");
	for (int i = 0; i < 3; i++) {
		lua_pushstring(L, hook_names[i]);
		int t = lua_rawget(L, -2);
		lua_pop(L, 1);
		if (t == LUA_TFUNCTION)
			p->hooks |= 1u << i;
		else if (t != LUA_TNIL) {
			snprintf(p->error, sizeof(p->error), "%s must be a function", hook_names[i]);
			return -1;
		}
	}
	lua_pushliteral(L, "reports");
	int t = lua_rawget(L, -2);
	if (t == LUA_TTABLE) {
		lua_pushnil(L);
		while (lua_next(L, -2) != 0) {
			const char *r = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
			int fn = lua_type(L, -1) == LUA_TFUNCTION;
			lua_pop(L, 1);
			if (!r || !plain_name(r, 63) || !fn || p->nreports == MAX_REPORTS) {
				snprintf(p->error, sizeof(p->error), "reports must map up to %d names"
					 " (a-z, 0-9, _) to functions", MAX_REPORTS);
				lua_pop(L, 2);
				return -1;
			}
			snprintf(p->reports[p->nreports++], sizeof(p->reports[0]), "%s", r);
		}
	} else if (t != LUA_TNIL) {
		lua_pop(L, 1);
		snprintf(p->error, sizeof(p->error), "reports must be a table of functions");
		return -1;
	}
	qsort(p->reports, (size_t)p->nreports, sizeof(p->reports[0]), by_report);
	lua_pop(L, 1);
	lua_pushliteral(L, "statement_verbs");
	t = lua_rawget(L, -2);
	if (t == LUA_TTABLE) {
		int n = (int)lua_rawlen(L, -1);
		for (int i = 1; i <= n; i++) {
			lua_rawgeti(L, -1, i);
			if (lua_type(L, -1) != LUA_TSTRING || p->nverbs == MAX_VERBS ||
			    !(p->verbs[p->nverbs] = strdup(lua_tostring(L, -1)))) {
				lua_pop(L, 2);
				snprintf(p->error, sizeof(p->error),
					 "statement_verbs must list up to %d verb ids", MAX_VERBS);
				return -1;
			}
			p->nverbs++;
			lua_pop(L, 1);
		}
	} else if (t != LUA_TNIL) {
		lua_pop(L, 1);
		snprintf(p->error, sizeof(p->error), "statement_verbs must be a list of verb ids");
		return -1;
	}
	lua_pop(L, 1);
	return 0;
}

static int load_state(struct plugin_host *h, struct plugin *p, struct plugin_state *ps, int first)
{
	char err[512];
	/* plugins_memory_mb is the plugin's, shared evenly by its states. */
	struct sandbox_limits lim = { ((size_t)h->cfg.plugins_memory_mb << 20) / PLUGIN_STATES,
				      h->cfg.plugins_instructions, h->cfg.plugins_call_ms };
	ps->sb = sandbox_new(p->name, lim, err, sizeof(err));
	if (!ps->sb) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		return -1;
	}
	lua_State *L = sandbox_lua(ps->sb);
	plugin_api_open(L, p->name, &h->cfg);
	struct plugin_call call = { .kind = PLUGIN_CALL_LOAD, .plugin = p->name, .now_s = time(NULL) };
	sandbox_set_user(ps->sb, &call);
	int rc = sandbox_run_file(ps->sb, p->file, 1, err, sizeof(err));
	sandbox_set_user(ps->sb, NULL);
	plugin_call_finish(&call);
	if (rc != 0) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		return -1;
	}
	if (first && read_declaration(L, p) != 0) {
		lua_settop(L, 0);
		return -1;
	}
	if (lua_type(L, -1) != LUA_TTABLE) {
		snprintf(p->error, sizeof(p->error), "the declaration differs between loads");
		lua_settop(L, 0);
		return -1;
	}
	ps->decl_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	lua_settop(L, 0);
	lua_gc(L, LUA_GCCOLLECT);
	return 0;
}

static void plugin_free_states(struct plugin *p)
{
	for (int i = 0; i < PLUGIN_STATES; i++) {
		sandbox_free(p->states[i].sb);
		p->states[i].sb = NULL;
	}
	p->nstates = 0;
}

/* Loads the plugin in file (already named); on failure p->error is set and
 * the plugin stays in the set as broken. */
static void plugin_load(struct plugin_host *h, struct plugin *p)
{
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (p->error[0])
		return;
	if (!plain_name(p->name, 48)) {
		snprintf(p->error, sizeof(p->error),
			 "plugin file names must be a-z, 0-9 and _ (at most 48), then .lua");
		return;
	}
	for (int i = 0; i < PLUGIN_STATES; i++) {
		if (load_state(h, p, &p->states[i], i == 0) != 0) {
			plugin_free_states(p);
			return;
		}
		p->nstates++;
	}
}

static void plugin_destroy(struct plugin *p)
{
	plugin_free_states(p);
	for (int i = 0; i < p->nverbs; i++)
		free(p->verbs[i]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct plugin *)a)->name, ((const struct plugin *)b)->name);
}

static void set_free(struct plugin_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		plugin_destroy(&s->v[i]);
	free(s->v);
	free(s);
}

/* Reads the folder into a new set (refs 1). NULL only when out of memory. */
static struct plugin_set *set_load(struct plugin_host *h)
{
	struct plugin_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->refs = 1;
	DIR *d = opendir(h->cfg.plugins_dir);
	if (!d) {
		if (errno != ENOENT)
			log_event(LOG_WARN, "plugins_dir_unreadable", "dir=%s error=\"%s\"",
				  h->cfg.plugins_dir, strerror(errno));
		return s;
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0 || de->d_name[0] == '.')
			continue;
		if (s->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct plugin *v = realloc(s->v, cap * sizeof(*v));
			if (!v)
				break;
			s->v = v;
		}
		struct plugin *p = &s->v[s->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), "%.*s", (int)(len - 4), de->d_name);
		if (snprintf(p->file, sizeof(p->file), "%s/%s", h->cfg.plugins_dir, de->d_name) >=
		    (int)sizeof(p->file))
			snprintf(p->error, sizeof(p->error), "the file's path is too long");
	}
	closedir(d);
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_name);
	for (size_t i = 0; i < s->n; i++) {
		struct plugin *p = &s->v[i];
		plugin_load(h, p);
		if (p->error[0]) {
			char q[600];
			log_event(LOG_ERROR, "plugin_broken", "plugin=%s file=%s error=%s", p->name,
				  p->file, log_quote(q, sizeof(q), p->error));
			continue;
		}
		s->hooks |= p->hooks;
		if ((p->hooks & HOOK_STATEMENT) && p->nverbs == 0)
			s->all_verbs = 1;
		log_event(LOG_INFO, "plugin_loaded", "plugin=%s version=%s hooks=%u reports=%d",
			  p->name, p->version, p->hooks, p->nreports);
	}
	return s;
}

static struct plugin_set *set_get(struct plugin_host *h)
{
	pthread_mutex_lock(&h->lock);
	struct plugin_set *s = h->set;
	if (s)
		s->refs++;
	pthread_mutex_unlock(&h->lock);
	return s;
}

static void set_put(struct plugin_host *h, struct plugin_set *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&h->lock);
	int last = --s->refs == 0;
	pthread_mutex_unlock(&h->lock);
	if (last)
		set_free(s);
}

/* ---- calls ---- */

static struct plugin_state *state_acquire(struct plugin *p, long timeout_ms)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (int i = 0; i < p->nstates; i++)
			if (!p->states[i].busy) {
				p->states[i].busy = 1;
				pthread_mutex_unlock(&p->lock);
				return &p->states[i];
			}
		if (timeout_ms < 0)
			pthread_cond_wait(&p->cond, &p->lock);
		else if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static void state_release(struct plugin *p, struct plugin_state *ps)
{
	pthread_mutex_lock(&p->lock);
	ps->busy = 0;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void count_call(struct plugin *p, const char *what, const char *err)
{
	unsigned long errors = 0;
	pthread_mutex_lock(&p->lock);
	p->calls++;
	if (err) {
		errors = ++p->errors;
		snprintf(p->last_error, sizeof(p->last_error), "%s: %s", what, err);
		p->last_error_ms = wall_ms();
	}
	pthread_mutex_unlock(&p->lock);
	/* The first 100 errors, then every 100th: a plugin failing on every
	 * statement must not flood the log. */
	if (err && (errors <= 100 || errors % 100 == 0)) {
		char q[600];
		log_event(LOG_WARN, "plugin_error", "plugin=%s call=%s errors=%lu error=%s", p->name,
			  what, errors, log_quote(q, sizeof(q), err));
	}
}

/* Pushes a call's arguments; returns how many, -1 when they cannot be
 * converted, or -2 to skip the call (its subject is gone). */
typedef int (*push_args_fn)(lua_State *L, void *arg);

/* Calls the hook `hook` (or report `report`) of the declaration in ps with
 * the arguments push() gives, under the budget of call->kind. Returns 0
 * with nresults values on the stack, 1 when the plugin has no such
 * function, or -1 (error counted, logged and in err). */
static int run_call(struct plugin_host *h, struct plugin *p, struct plugin_state *ps,
		    struct plugin_call *call, const char *hook, const char *report,
		    push_args_fn push, void *arg, int nresults, char *err, size_t errsize)
{
	lua_State *L = sandbox_lua(ps->sb);
	lua_settop(L, 0);
	lua_rawgeti(L, LUA_REGISTRYINDEX, ps->decl_ref);
	lua_pushstring(L, report ? "reports" : hook);
	lua_rawget(L, -2);
	if (report) {
		if (lua_type(L, -1) == LUA_TTABLE) {
			lua_pushstring(L, report);
			lua_rawget(L, -2);
			lua_remove(L, -2);
		}
	}
	lua_remove(L, 1);
	if (lua_type(L, -1) != LUA_TFUNCTION) {
		lua_settop(L, 0);
		return 1;
	}
	int nargs = push ? push(L, arg) : 0;
	if (nargs == -2) {
		lua_settop(L, 0);
		return 1;
	}
	if (nargs < 0) {
		lua_settop(L, 0);
		snprintf(err, errsize, "the arguments could not be given to Lua (nested too deep)");
		count_call(p, report ? report : hook, err);
		return -1;
	}
	long factor = call->kind == PLUGIN_CALL_DAILY ? DAILY_FACTOR : 1;
	long ms = h->cfg.plugins_call_ms * factor;
	if (call->time_ms > 0 && call->time_ms < ms)
		ms = call->time_ms;
	sandbox_set_budget(ps->sb, h->cfg.plugins_instructions * factor, ms);
	call->plugin = p->name;
	sandbox_set_user(ps->sb, call);
	int rc = sandbox_call(ps->sb, nargs, nresults, err, errsize);
	sandbox_set_user(ps->sb, NULL);
	plugin_call_finish(call);
	count_call(p, report ? report : hook, rc == 0 ? NULL : err);
	if (rc != 0)
		lua_gc(L, LUA_GCCOLLECT);  /* give back what the failed call built up */
	return rc;
}

static struct plugin *find_plugin(struct plugin_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i].name, name) == 0)
			return &s->v[i];
	return NULL;
}

/* ---- reports ---- */

static int push_params(lua_State *L, void *arg)
{
	json_t *params = arg;
	if (!params) {
		lua_newtable(L);
		return 1;
	}
	return plugin_json_push(L, params) == 0 ? 1 : -1;
}

int plugin_host_report(struct plugin_host *h, const char *plugin, const char *report,
		       json_t *params, json_t **result, char *err, size_t errsize)
{
	*result = NULL;
	if (!h) {
		snprintf(err, errsize, "plugins are not running");
		return PLUGIN_NOT_FOUND;
	}
	struct plugin_set *s = set_get(h);
	struct plugin *p = find_plugin(s, plugin);
	int rc;
	if (!p) {
		snprintf(err, errsize, "no plugin named %s", plugin);
		rc = PLUGIN_NOT_FOUND;
		goto out;
	}
	if (p->error[0]) {
		snprintf(err, errsize, "plugin %s did not load: %s", plugin, p->error);
		rc = PLUGIN_BROKEN;
		goto out;
	}
	int known = 0;
	for (int i = 0; i < p->nreports && !known; i++)
		known = strcmp(p->reports[i], report) == 0;
	if (!known) {
		snprintf(err, errsize, "plugin %s has no report named %s", plugin, report);
		rc = PLUGIN_NOT_FOUND;
		goto out;
	}
	/* Waiting for a state counts against the time budget: the request is
	 * held at most plugins_call_ms in all. */
	long long t0 = mono_ms();
	struct plugin_state *ps = state_acquire(p, h->cfg.plugins_call_ms);
	long left = h->cfg.plugins_call_ms - (long)(mono_ms() - t0);
	if (ps && left < 10) {
		state_release(p, ps);
		ps = NULL;
	}
	if (!ps) {
		snprintf(err, errsize, "plugin %s is busy; try again", plugin);
		rc = PLUGIN_BUSY;
		goto out;
	}
	struct plugin_call call = { .kind = PLUGIN_CALL_REPORT, .db = h->db, .now_s = time(NULL),
				    .time_ms = left };
	int r = run_call(h, p, ps, &call, NULL, report, push_params, params, 1, err, errsize);
	if (r == 0) {
		lua_State *L = sandbox_lua(ps->sb);
		char why[256];
		*result = plugin_json_from_lua(L, -1, why, sizeof(why));
		lua_settop(L, 0);
		if (!*result) {
			snprintf(err, errsize, "report %s returned something that is not JSON: %s",
				 report, why);
			count_call(p, report, err);
			r = -1;
		}
	}
	state_release(p, ps);
	rc = r == 0 ? PLUGIN_OK : r == 1 ? PLUGIN_NOT_FOUND : PLUGIN_FAILED;
out:
	set_put(h, s);
	return rc;
}

/* ---- employees ---- */

struct employee_arg {
	struct db_conn *snapshot;
	long long id;
	const char *change;
};

static int push_employee_args(lua_State *L, void *arg)
{
	struct employee_arg *a = arg;
	int rc = plugin_api_push_employee(L, a->snapshot, a->id);
	if (rc != 1)
		return rc == 0 ? -2 : -1;
	lua_pushstring(L, a->change);
	return 2;
}

/* Runs on_employee of every working plugin for the n employees, buffering
 * into w. Returns the number of failed calls. */
static long employees_round(struct plugin_host *h, struct plugin_set *s, const long long *ids,
			    const char *const *changes, size_t n, long long now, struct plugin_writes *w)
{
	long failed = 0;
	char err[512];
	struct db_conn *snap = NULL;
	for (size_t k = 0; k < s->n; k++) {
		struct plugin *p = &s->v[k];
		if (p->error[0] || !(p->hooks & HOOK_EMPLOYEE))
			continue;
		if (!snap)
			snap = plugin_snapshot_begin(h->db);
		struct plugin_state *ps = state_acquire(p, -1);
		for (size_t i = 0; i < n && !host_stopping(h); i++) {
			struct employee_arg a = { snap, ids[i], changes[i] };
			struct plugin_call call = { .kind = PLUGIN_CALL_HOOK, .db = h->db, .now_s = now,
						    .ops = &w->ops, .reader = snap, .shared_reader = 1 };
			size_t mark = w->ops.n;
			if (run_call(h, p, ps, &call, "on_employee", NULL, push_employee_args, &a, 0,
				     err, sizeof(err)) < 0) {
				plugin_ops_truncate(&w->ops, mark);
				failed++;
			}
		}
		state_release(p, ps);
	}
	if (snap)
		plugin_snapshot_end(h->db, snap);
	return failed;
}

static long run_events_locked(struct plugin_host *h);

/* Rounds run one at a time (the worker and a caller such as the test
 * endpoint could otherwise read the same events and run their hooks
 * twice, sending a plugin's email twice). */
long plugin_host_run_events(struct plugin_host *h)
{
	if (!h || !h->db)
		return -1;
	pthread_mutex_lock(&h->events_lock);
	long n = run_events_locked(h);
	pthread_mutex_unlock(&h->events_lock);
	return n;
}

static long run_events_locked(struct plugin_host *h)
{
	long long ids[BATCH], event_ids[BATCH];
	char change_buf[BATCH][16];
	const char *changes[BATCH];
	size_t n = 0;
	struct db_conn *c = db_reader_get(h->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, employee_id, change FROM plugin_events"
				      " ORDER BY id LIMIT 1024");
	int rc = SQLITE_DONE;
	while (st && n < BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		long long emp = sqlite3_column_int64(st, 1);
		int repeated = 0;
		for (size_t i = 0; i < n && !repeated; i++)
			repeated = ids[i] == emp;
		if (repeated)
			break;  /* the next round sees this batch's writes */
		event_ids[n] = sqlite3_column_int64(st, 0);
		ids[n] = emp;
		snprintf(change_buf[n], sizeof(change_buf[n]), "%s", (const char *)sqlite3_column_text(st, 2));
		changes[n] = change_buf[n];
		n++;
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(h->db, c);
	if (!st || (rc != SQLITE_ROW && rc != SQLITE_DONE))
		return -1;
	if (n == 0)
		return 0;
	struct plugin_set *s = set_get(h);
	struct plugin_writes w;
	memset(&w, 0, sizeof(w));
	if (s)
		employees_round(h, s, ids, changes, n, time(NULL), &w);
	w.events_upto = event_ids[n - 1];
	/* Stopped half-way: write nothing, the events wait for the next start. */
	int ok = host_stopping(h) ? 0 : commit(h, &w, "on_employee") == 0;
	plugin_writes_free(&w);
	set_put(h, s);
	return ok ? (long)n : -1;
}

long plugin_host_sync_employees(struct plugin_host *h, time_t now)
{
	if (!h || !h->db)
		return -1;
	struct plugin_set *s = set_get(h);
	long failed = 0;
	long long after = 0;
	const char *sync_changes[BATCH];
	for (size_t i = 0; i < BATCH; i++)
		sync_changes[i] = "sync";
	for (;;) {
		long long ids[BATCH];
		size_t n = 0;
		struct db_conn *c = db_reader_get(h->db);
		sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE id > ? ORDER BY id LIMIT 1024");
		int rc = SQLITE_DONE;
		if (st) {
			sqlite3_bind_int64(st, 1, after);
			while (n < BATCH && (rc = sqlite3_step(st)) == SQLITE_ROW)
				ids[n++] = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
		}
		db_reader_put(h->db, c);
		if (!st || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
			failed = -1;
			break;
		}
		if (n == 0)
			break;
		after = ids[n - 1];
		struct plugin_writes w;
		memset(&w, 0, sizeof(w));
		failed += s ? employees_round(h, s, ids, sync_changes, n, (long long)now, &w) : 0;
		int wrc = commit(h, &w, "sync");
		plugin_writes_free(&w);
		if (wrc != 0) {
			failed = -1;
			break;
		}
	}
	set_put(h, s);
	return failed;
}

/* ---- statements ---- */

struct statement_arg {
	json_t *statement;
	long long employee_id;
};

static int push_statement(lua_State *L, void *arg)
{
	struct statement_arg *a = arg;
	if (plugin_json_push(L, a->statement) != 0)
		return -1;
	if (a->employee_id > 0) {
		lua_pushinteger(L, (lua_Integer)a->employee_id);
		lua_setfield(L, -2, "employee_id");
	}
	return 1;
}

static int plugin_wants_verb(const struct plugin *p, const char *verb)
{
	if (p->nverbs == 0)
		return 1;
	for (int i = 0; verb && i < p->nverbs; i++)
		if (strcmp(p->verbs[i], verb) == 0)
			return 1;
	return 0;
}

/* The employee whose agent made the statement, or 0. */
static long long statement_employee(struct plugin_host *h, struct db_conn *c, const json_t *st)
{
	const json_t *acct = json_object_get(json_object_get(st, "actor"), "account");
	const char *hp = json_string_value(json_object_get(acct, "homePage"));
	const char *name = json_string_value(json_object_get(acct, "name"));
	if (!hp || !name || strcmp(hp, h->public_url) != 0)
		return 0;
	sqlite3_stmt *q = db_stmt(c, "SELECT id FROM employees WHERE external_id = ?");
	if (!q)
		return 0;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	long long id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	sqlite3_reset(q);
	return id;
}

static void run_statements(struct plugin_host *h, struct queued *list)
{
	struct statement_arg items[STATEMENT_BATCH];
	size_t n = 0;
	struct db_conn *c = plugin_snapshot_begin(h->db);
	for (struct queued *q = list; q && n < STATEMENT_BATCH; q = q->next) {
		json_t *st = json_loadb(q->json, q->len, 0, NULL);
		if (!st)
			continue;
		items[n].statement = st;
		items[n].employee_id = statement_employee(h, c, st);
		n++;
	}
	struct plugin_set *s = set_get(h);
	struct plugin_writes w;
	memset(&w, 0, sizeof(w));
	char err[512];
	for (size_t k = 0; s && k < s->n; k++) {
		struct plugin *p = &s->v[k];
		if (p->error[0] || !(p->hooks & HOOK_STATEMENT))
			continue;
		struct plugin_state *ps = NULL;
		for (size_t i = 0; i < n && !host_stopping(h); i++) {
			const char *verb = json_string_value(
				json_object_get(json_object_get(items[i].statement, "verb"), "id"));
			if (!plugin_wants_verb(p, verb))
				continue;
			if (!ps)
				ps = state_acquire(p, -1);
			struct plugin_call call = { .kind = PLUGIN_CALL_HOOK, .db = h->db,
						    .now_s = time(NULL), .ops = &w.ops, .reader = c,
						    .shared_reader = 1 };
			size_t mark = w.ops.n;
			if (run_call(h, p, ps, &call, "on_statement", NULL, push_statement, &items[i], 0,
				     err, sizeof(err)) < 0)
				plugin_ops_truncate(&w.ops, mark);
		}
		if (ps)
			state_release(p, ps);
	}
	plugin_snapshot_end(h->db, c);
	if (!host_stopping(h))
		commit(h, &w, "on_statement");
	plugin_writes_free(&w);
	set_put(h, s);
	for (size_t i = 0; i < n; i++)
		json_decref(items[i].statement);
}

void plugin_host_on_statement(struct plugin_host *h, const char *verb, const char *json,
			      size_t len)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	int wanted = 0;
	struct plugin_set *s = h->set;
	if (h->started && !h->stopping && s && (s->hooks & HOOK_STATEMENT)) {
		wanted = s->all_verbs;
		for (size_t k = 0; k < s->n && !wanted; k++)
			wanted = !s->v[k].error[0] && (s->v[k].hooks & HOOK_STATEMENT) &&
				 plugin_wants_verb(&s->v[k], verb);
	}
	if (!wanted) {
		pthread_mutex_unlock(&h->lock);
		return;
	}
	struct queued *q = NULL;
	if (h->qlen < QUEUE_MAX && h->qbytes + len <= (size_t)QUEUE_MAX_BYTES)
		q = malloc(sizeof(*q) + len);
	if (!q) {
		if (h->dropped++ % 1000 == 0)
			log_event(LOG_WARN, "plugin_queue_full", "dropped=%lu queued=%zu", h->dropped,
				  h->qlen);
		pthread_mutex_unlock(&h->lock);
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->json, json, len);
	if (h->qtail)
		h->qtail->next = q;
	else
		h->qhead = q;
	h->qtail = q;
	h->qlen++;
	h->qbytes += len;
	pthread_cond_signal(&h->wake);
	pthread_mutex_unlock(&h->lock);
}

/* ---- daily ---- */

static int push_now(lua_State *L, void *arg)
{
	lua_pushinteger(L, (lua_Integer)*(const long long *)arg);
	return 1;
}

/* Runs one plugin's daily(now) and writes its operations; when day is not
 * NULL, records the run for that day in the same write. Returns 0 or -1. */
static int daily_one(struct plugin_host *h, struct plugin *p, long long now, const char *day)
{
	struct plugin_writes w;
	memset(&w, 0, sizeof(w));
	char err[512];
	struct plugin_state *ps = state_acquire(p, -1);
	struct plugin_call call = { .kind = PLUGIN_CALL_DAILY, .db = h->db, .now_s = now,
				    .ops = &w.ops };
	long long t0 = mono_ms();
	int rc = run_call(h, p, ps, &call, "daily", NULL, push_now, &now, 0, err, sizeof(err));
	state_release(p, ps);
	if (rc < 0)
		plugin_ops_truncate(&w.ops, 0);
	if (day) {
		w.daily_plugin = p->name;
		snprintf(w.daily_day, sizeof(w.daily_day), "%s", day);
	}
	int wrc = commit(h, &w, "daily");
	log_event(LOG_INFO, "plugin_daily", "plugin=%s ok=%s operations=%zu ms=%lld", p->name,
		  rc >= 0 && wrc == 0 ? "true" : "false", w.ops.n, mono_ms() - t0);
	plugin_writes_free(&w);
	return rc < 0 || wrc != 0 ? -1 : 0;
}

int plugin_host_run_daily(struct plugin_host *h, time_t now)
{
	if (!h || !h->db)
		return -1;
	struct plugin_set *s = set_get(h);
	int failed = 0;
	for (size_t k = 0; s && k < s->n; k++)
		if (!s->v[k].error[0] && (s->v[k].hooks & HOOK_DAILY))
			failed += daily_one(h, &s->v[k], (long long)now, NULL) != 0;
	set_put(h, s);
	return failed;
}

/* 1 when plugin has not had its daily run on day. */
static int daily_due(struct plugin_host *h, const char *plugin, const char *day)
{
	struct db_conn *c = db_reader_get(h->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT last_day FROM plugin_runs WHERE plugin = ? AND hook = 'daily'");
	int due = 0;
	if (st) {
		sqlite3_bind_text(st, 1, plugin, -1, SQLITE_STATIC);
		int rc = sqlite3_step(st);
		due = rc == SQLITE_DONE ||
		      (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), day) < 0);
		sqlite3_reset(st);
	}
	db_reader_put(h->db, c);
	return due;
}

int plugin_host_daily_if_due(struct plugin_host *h, time_t now)
{
	if (!h || !h->db || h->cfg.plugins_daily_hour < 0)
		return 0;
	struct tm tm;
	localtime_r(&now, &tm);
	if (tm.tm_hour < h->cfg.plugins_daily_hour)
		return 0;
	char day[11];
	plugin_api_date((long long)now, day);
	struct plugin_set *s = set_get(h);
	int ran = 0;
	for (size_t k = 0; s && k < s->n; k++) {
		struct plugin *p = &s->v[k];
		if (!p->error[0] && (p->hooks & HOOK_DAILY) && daily_due(h, p->name, day)) {
			daily_one(h, p, (long long)now, day);
			ran++;
		}
	}
	set_put(h, s);
	return ran;
}

/* ---- the worker ---- */

static void *worker_main(void *arg)
{
	struct plugin_host *h = arg;
	long long next_daily = mono_ms() + DAILY_CHECK_MS;
	long events = 0;
	pthread_mutex_lock(&h->lock);
	while (!h->stopping) {
		if (!h->qhead && events <= 0) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += POLL_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&h->wake, &h->lock, &until);
			if (h->stopping)
				break;
		}
		struct queued *list = h->qhead, *last = NULL;
		size_t taken = 0;
		for (struct queued *q = list; q && taken < STATEMENT_BATCH; q = q->next) {
			last = q;
			taken++;
			h->qbytes -= q->len;
		}
		if (last) {
			h->qhead = last->next;
			if (!h->qhead)
				h->qtail = NULL;
			last->next = NULL;
			h->qlen -= taken;
		}
		pthread_mutex_unlock(&h->lock);

		if (list)
			run_statements(h, list);
		while (list) {
			struct queued *next = list->next;
			free(list);
			list = next;
		}
		events = plugin_host_run_events(h);
		if (mono_ms() >= next_daily) {
			plugin_host_daily_if_due(h, time(NULL));
			next_daily = mono_ms() + DAILY_CHECK_MS;
		}
		pthread_mutex_lock(&h->lock);
	}
	pthread_mutex_unlock(&h->lock);
	return NULL;
}

/* ---- lifecycle ---- */

int plugin_host_open(struct plugin_host **out, const struct config *cfg, struct db *db,
		     char *err, size_t errsize)
{
	*out = NULL;
	struct plugin_host *h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	h->cfg = *cfg;
	h->db = db;
	snprintf(h->public_url, sizeof(h->public_url), "%s", cfg->public_url);
	pthread_mutex_init(&h->lock, NULL);
	pthread_mutex_init(&h->events_lock, NULL);
	pthread_cond_init(&h->wake, NULL);
	h->set = set_load(h);
	if (!h->set) {
		snprintf(err, errsize, "out of memory loading plugins");
		plugin_host_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

int plugin_host_start(struct plugin_host *h, const char *public_url)
{
	if (!h || !h->db)
		return -1;
	snprintf(h->public_url, sizeof(h->public_url), "%s", public_url ? public_url : "");
	if (pthread_create(&h->worker, NULL, worker_main, h) != 0)
		return -1;
	pthread_mutex_lock(&h->lock);
	h->started = 1;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void plugin_host_close(struct plugin_host *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->lock);
	int started = h->started;
	__atomic_store_n(&h->stopping, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&h->wake);
	pthread_mutex_unlock(&h->lock);
	if (started)
		pthread_join(h->worker, NULL);
	size_t dropped = 0;
	while (h->qhead) {
		struct queued *next = h->qhead->next;
		free(h->qhead);
		h->qhead = next;
		dropped++;
	}
	if (dropped)
		log_event(LOG_WARN, "plugin_queue_dropped", "statements=%zu", dropped);
	set_put(h, h->set);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->events_lock);
	pthread_cond_destroy(&h->wake);
	free(h);
}

int plugin_host_reload(struct plugin_host *h)
{
	if (!h)
		return -1;
	struct plugin_set *fresh = set_load(h);
	if (!fresh)
		return -1;
	int broken = 0;
	for (size_t i = 0; i < fresh->n; i++)
		broken += fresh->v[i].error[0] != 0;
	pthread_mutex_lock(&h->lock);
	struct plugin_set *old = h->set;
	h->set = fresh;
	pthread_mutex_unlock(&h->lock);
	set_put(h, old);
	log_event(LOG_INFO, "plugins_reloaded", "dir=%s plugins=%zu broken=%d", h->cfg.plugins_dir,
		  fresh->n, broken);
	return broken;
}

/* ---- status ---- */

static json_t *plugin_json(struct plugin *p)
{
	json_t *hooks = json_array(), *reports = json_array();
	for (int i = 0; i < 3; i++)
		if (p->hooks & (1u << i))
			json_array_append_new(hooks, json_string(hook_names[i]));
	for (int i = 0; i < p->nreports; i++)
		json_array_append_new(reports, json_string(p->reports[i]));
	pthread_mutex_lock(&p->lock);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:I, s:I}", "name", p->name, "file",
			      p->file, "version", p->version, "status", p->error[0] ? "broken" : "ok",
			      "hooks", hooks, "reports", reports, "calls", (json_int_t)p->calls,
			      "errors", (json_int_t)p->errors);
	if (o && p->description[0])
		json_object_set_new(o, "description", json_string(p->description));
	if (o && p->error[0])
		json_object_set_new(o, "error", json_string(p->error));
	if (o && p->last_error[0]) {
		json_object_set_new(o, "last_error", json_string(p->last_error));
		json_object_set_new(o, "last_error_at", json_integer(p->last_error_ms / 1000));
	}
	pthread_mutex_unlock(&p->lock);
	return o;
}

json_t *plugin_host_status(struct plugin_host *h)
{
	json_t *list = json_array();
	struct plugin_set *s = h ? set_get(h) : NULL;
	for (size_t i = 0; s && i < s->n; i++)
		json_array_append_new(list, plugin_json(&s->v[i]));
	json_t *out = json_pack("{s:s, s:o}", "dir", h ? h->cfg.plugins_dir : "", "plugins", list);
	if (h) {
		pthread_mutex_lock(&h->lock);
		json_object_set_new(out, "queued_statements", json_integer((json_int_t)h->qlen));
		json_object_set_new(out, "dropped_statements", json_integer((json_int_t)h->dropped));
		pthread_mutex_unlock(&h->lock);
	}
	set_put(h, s);
	return out;
}

json_t *plugin_host_check(const struct config *cfg, const char *file)
{
	struct plugin_host *h = calloc(1, sizeof(*h));
	struct plugin *p = calloc(1, sizeof(*p));
	json_t *out = NULL;
	if (!h || !p)
		goto out;
	h->cfg = *cfg;
	const char *slash = strrchr(file, '/');
	const char *base = slash ? slash + 1 : file;
	size_t len = strlen(base);
	snprintf(p->file, sizeof(p->file), "%s", file);
	if (len < 5 || strcmp(base + len - 4, ".lua") != 0)
		snprintf(p->error, sizeof(p->error), "a plugin file name ends in .lua");
	else if (len - 4 >= sizeof(p->name))
		snprintf(p->error, sizeof(p->error), "the file name is too long");
	else
		snprintf(p->name, sizeof(p->name), "%.*s", (int)(len - 4), base);
	plugin_load(h, p);
	out = plugin_json(p);
	plugin_destroy(p);
out:
	free(p);
	free(h);
	return out;
}
