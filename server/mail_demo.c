/* mail_demo.c: the demo campaign (see mail_demo.h). `make run` starts a
 * local SMTP sink (tests/mail/smtp_sink.py) and points smtp_host at it, so
 * the demo shows email flowing. */
#include "mail_demo.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "db.h"
#include "log.h"

#define DEMO_NAME "Sikkerhetsmåneden"

static const char *const demo_courses[] = { "phishing", "informasjonssikkerhet-grunnkurs", "taushetsplikt",
					    "avvik" };

struct start_job {
	long long id;
};

static int start_campaign(struct db_conn *c, void *arg)
{
	struct start_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE campaigns SET status = 'active', started_ms = updated_ms WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	return db_exec_stmt(c, st, "demo_campaign_start");
}

int mail_demo_setup(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	int exists = 0;
	json_t *lessons = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM campaigns WHERE name = ?");
	if (st) {
		sqlite3_bind_text(st, 1, DEMO_NAME, -1, SQLITE_STATIC);
		exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
	}
	/* The next Monday, for the weekly lessons after the first. */
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	int to_monday = (8 - tm.tm_wday) % 7;
	if (to_monday == 0)
		to_monday = 7;
	tm.tm_mday += to_monday;
	tm.tm_hour = 8;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	time_t monday = mktime(&tm);
	int weeks = 0;
	for (size_t i = 0; i < sizeof demo_courses / sizeof demo_courses[0]; i++) {
		st = db_stmt(c, "SELECT 1 FROM courses WHERE id = ?");
		if (!st)
			break;
		sqlite3_bind_text(st, 1, demo_courses[i], -1, SQLITE_STATIC);
		int have = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!have)
			continue;
		char when[32];
		if (json_array_size(lessons) == 0) {
			json_array_append_new(lessons, json_pack("{s:s, s:n}", "course", demo_courses[i], "send_at"));
			continue;
		}
		campaign_format_time(((long long)monday + (long long)weeks++ * 7 * 86400) * 1000, when, sizeof when);
		json_array_append_new(lessons, json_pack("{s:s, s:s}", "course", demo_courses[i], "send_at", when));
	}
	db_reader_put(db, c);
	if (exists || json_array_size(lessons) == 0) {
		if (!exists)
			log_event(LOG_INFO, "demo_campaign_skipped", "reason=\"no bundled courses in the catalogue\"");
		json_decref(lessons);
		return 0;
	}
	json_t *in = json_pack("{s:s, s:{}, s:o, s:i, s:i, s:i, s:{s:i, s:i}, s:b}", "name", DEMO_NAME, "audience",
			       "lessons", lessons, "due_days", 14, "reminder_days", 4, "max_reminders", 2, "digest",
			       "weekday", 1, "hour", 8, "skip_completed", 1);
	json_t *def = NULL;
	char err[512];
	long long id = 0;
	int rc = in ? campaign_def_check(db, in, NULL, &def, err, sizeof err) : -1;
	json_decref(in);
	if (rc == 0)
		rc = campaign_def_create(db, def, &id);
	json_decref(def);
	struct start_job j = { id };
	if (rc != 0 || db_write(db, start_campaign, &j) != DB_OK) {
		char q[600];
		log_event(LOG_ERROR, "demo_campaign_failed", "error=%s", log_quote(q, sizeof q, rc ? err : "storage"));
		return -1;
	}
	log_event(LOG_INFO, "demo_campaign_created", "campaign=%lld", id);
	return 0;
}
