/* demo.c: `vern demo`, the demo municipality.
 *
 * Writes, through the ordinary writer and the owning folders' functions:
 * the municipality's settings (meta), the bundled course catalogue's rows
 * (INSERT OR IGNORE: importing the real course content later keeps the
 * ids), the organisation (demo_org.c), the bundled plugins' assignments
 * (a sync of every employee through plugins/host.h) and the learning
 * history as xAPI statements (demo_history.c). Everything is deterministic: the generator
 * has a fixed seed, and the demo's "today" (the anchor the history is
 * dated from) is stored at the first run and reused, so running it again
 * refreshes the same rows and stores no new statements. */
#include "demo.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "demo_history.h"
#include "demo_org.h"
#include "log.h"
#include "people.h"
#include "server.h"
#include "../plugins/host.h"

static const char *const demo_meta[][2] = {
	{ "municipality_name", "Demo kommune" },
	{ "municipality_number", "9999" },
	{ "demo", "true" },
};

struct setup {
	char anchor[16];
};

static int upsert_meta(struct db_conn *c, const char *key, const char *value)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO meta(key, value) VALUES(?, ?)"
				      " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "demo_meta");
}

/* Settings, the demo's anchor day (kept from the first run) and the
 * catalogue rows. */
static int write_setup(struct db_conn *c, void *arg)
{
	struct setup *s = arg;
	int rc = DB_OK;
	for (size_t i = 0; rc == DB_OK && i < sizeof(demo_meta) / sizeof(demo_meta[0]); i++)
		rc = upsert_meta(c, demo_meta[i][0], demo_meta[i][1]);
	sqlite3_stmt *st = rc == DB_OK ? db_stmt(c, "SELECT value FROM meta WHERE key = 'demo_anchor'") : NULL;
	if (st && sqlite3_step(st) == SQLITE_ROW && people_is_date((const char *)sqlite3_column_text(st, 0)))
		snprintf(s->anchor, sizeof(s->anchor), "%s", sqlite3_column_text(st, 0));
	else if (rc == DB_OK)
		rc = upsert_meta(c, "demo_anchor", s->anchor);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	for (const struct demo_course *k = demo_courses; rc == DB_OK && k->id; k++) {
		char activity[128];
		snprintf(activity, sizeof(activity), "urn:vern:kurs:%s", k->id);
		st = db_stmt(c, "INSERT OR IGNORE INTO courses(id, activity_id, title, kind, minutes,"
				" valid_months, created_ms) VALUES(?, ?, ?, 'native', ?, 12, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, k->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, activity, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, k->title, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, k->minutes);
		sqlite3_bind_int64(st, 5, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
		rc = db_exec_stmt(c, st, "demo_course");
	}
	return rc;
}

enum counted { COUNT_STATEMENTS, COUNT_COMPLETIONS, COUNT_COURSES, COUNT_ASSIGNMENTS };

static long count(struct db *db, enum counted what)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = what == COUNT_STATEMENTS ? db_stmt(c, "SELECT count(*) FROM statements")
			 : what == COUNT_COMPLETIONS ? db_stmt(c, "SELECT count(*) FROM completions")
			 : what == COUNT_ASSIGNMENTS ? db_stmt(c, "SELECT count(*) FROM assignments")
			 : db_stmt(c, "SELECT count(*) FROM courses");
	long n = st && sqlite3_step(st) == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : -1;
	db_reader_put(db, c);
	return n;
}

static int role_count(const struct demo_org *org, const char *role)
{
	int n = 0;
	for (int i = 0; i < org->npeople; i++)
		n += demo_has_role(&org->people[i], role);
	return n;
}

/* Runs every plugin's on_employee(e, "sync") for everyone (plugins/host.h,
 * the folder is config plugins_dir). Returns the number of failed calls, or
 * -1 when the host could not run; the demo goes on either way. */
static long demo_plugins(struct server *srv)
{
	char err[300];
	struct plugin_host *h = NULL;
	if (plugin_host_open(&h, &srv->cfg, srv->db, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "demo_plugins_failed", "error=\"%s\"", err);
		return -1;
	}
	long failed = plugin_host_sync_employees(h, time(NULL));
	plugin_host_close(h);
	return failed;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int demo_create(struct server *srv, FILE *out)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct setup s;
	demo_day_text((long)(time(NULL) / 86400), s.anchor, sizeof(s.anchor));
	if (db_write(srv->db, write_setup, &s) != DB_OK) {
		log_event(LOG_ERROR, "demo_failed", "step=setup");
		return -1;
	}
	struct tm tm = { 0 };
	if (!strptime(s.anchor, "%Y-%m-%d", &tm)) {
		log_event(LOG_ERROR, "demo_failed", "step=anchor value=%s", s.anchor);
		return -1;
	}
	long anchor = (long)(timegm(&tm) / 86400);

	struct demo_org org;
	if (demo_org_build(&org, anchor) != 0) {
		log_event(LOG_ERROR, "demo_failed", "step=organisation error=\"out of memory\"");
		return -1;
	}
	char err[400];
	struct demo_org_result people;
	if (demo_org_write(srv->db, &org, &people, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "demo_failed", "step=organisation error=\"%s\"", err);
		demo_org_free(&org);
		return -1;
	}

	/* Plugins run after the people exist and before the history, so the
	 * assignments they make (mandatory courses per role) are in place
	 * when completions are derived. */
	long plugin_failures = demo_plugins(srv);

	long before = count(srv->db, COUNT_STATEMENTS);
	struct demo_history_result hist;
	if (demo_history_write(srv, &org, anchor, &hist, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "demo_failed", "step=history error=\"%s\"", err);
		demo_org_free(&org);
		return -1;
	}
	long after = count(srv->db, COUNT_STATEMENTS);
	int active = 0;
	for (int i = 0; i < org.npeople; i++)
		active += org.people[i].active;
	log_event(LOG_INFO, "demo_created", "municipality=\"Demo kommune\" employees=%d statements=%ld",
		  org.npeople, hist.statements);
	if (out) {
		fprintf(out, "Demo kommune (as of %s, home page %s)\n", s.anchor, srv->cfg.public_url);
		fprintf(out, "  units:       %d, of them %d agencies (virksomheter)\n", org.nunits, org.agencies);
		fprintf(out, "  employees:   %d (%d active, %d have left); created %d, changed %d, unchanged %d\n",
			org.npeople, active, org.npeople - active, people.created, people.updated, people.unchanged);
		fprintf(out, "  roles:       %d kommunaldirektør, %d virksomhetsleder, %d leder, "
			     "%d personvernkoordinator, %d informasjonssikkerhetskoordinator, %d systemeier, "
			     "%d personvernombud, %d HR\n",
			role_count(&org, "kommunaldirektor"), role_count(&org, "virksomhetsleder"),
			role_count(&org, "leder"), role_count(&org, "personvernkoordinator"),
			role_count(&org, "informasjonssikkerhetskoordinator"), role_count(&org, "systemeier"),
			role_count(&org, "personvernombud"), role_count(&org, "hr"));
		fprintf(out, "  courses:     %ld in the catalogue, %ld assignments (plugins: %s)\n",
			count(srv->db, COUNT_COURSES), count(srv->db, COUNT_ASSIGNMENTS),
			plugin_failures == 0 ? "ran" : plugin_failures < 0 ? "did not run" : "some calls failed");
		fprintf(out, "  history:     %ld xAPI statements (%ld passed or completed, %ld failed), "
			     "%ld of them new\n", hist.statements, hist.passed, hist.failed,
			before >= 0 && after >= 0 ? after - before : -1);
		fprintf(out, "  completions: %ld\n", count(srv->db, COUNT_COMPLETIONS));
		fprintf(out, "  time:        %.2f s\n", seconds_since(&t0));
	}
	demo_org_free(&org);
	return 0;
}
