/* campaign_def.c: reading, checking and storing campaign definitions (see
 * campaign.h). Parsing and checks happen here, before any write job; the
 * jobs only run SQL. */
#include "campaign.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "session.h"

#define MAX_UNITS 500
#define MAX_ROLES 20
#define NAME_MAX_BYTES 200

static const char *const known_keys[] = { "name", "audience", "lessons", "schedule", "due_days",
					  "reminder_days", "max_reminders", "digest", "template",
					  "reminder_template", "skip_completed", NULL };
/* Keys of the GET document a client may send back unchanged. */
static const char *const read_only_keys[] = { "id", "status", "created_ms", "updated_ms", "started_ms",
					      "finished_ms", "stats", "unit_names", NULL };

static int in_list(const char *const *list, const char *key)
{
	for (; *list; list++)
		if (strcmp(*list, key) == 0)
			return 1;
	return 0;
}

int campaign_parse_time(const char *s, long long *ms)
{
	int y, mo, d, h = 8, mi = 0, n = 0;
	size_t len = strlen(s);
	if (len == 10) {
		if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
			return -1;
	} else if (len == 16) {
		if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &n) != 5 || n != 16)
			return -1;
	} else {
		return -1;
	}
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '-' && s[i] != 'T' && s[i] != ':')
			return -1;
	if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || h < 0 || mi < 0)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi,
			 .tm_isdst = -1 };
	time_t t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1; /* 31 April and the like */
	*ms = (long long)t * 1000;
	return 0;
}

void campaign_format_time(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M", &tm);
}

static int get_int(const json_t *in, const char *key, long lo, long hi, json_t *out, char *err, size_t errsize)
{
	json_t *v = json_object_get(in, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
		snprintf(err, errsize, "«%s» må være et heltall fra %ld til %ld.", key, lo, hi);
		return -1;
	}
	json_object_set(out, key, v);
	return 0;
}

/* Unit ids or external ids -> ids that exist. */
static int check_units(struct db_conn *c, const json_t *units, json_t *ids, char *err, size_t errsize)
{
	if (!json_is_array(units) || json_array_size(units) > MAX_UNITS) {
		snprintf(err, errsize, "«audience.units» må være en liste med høyst %d enheter.", MAX_UNITS);
		return -1;
	}
	size_t i;
	json_t *u;
	json_array_foreach(units, i, u) {
		sqlite3_stmt *st;
		if (json_is_integer(u)) {
			st = db_stmt(c, "SELECT id FROM org_units WHERE id = ?");
			if (!st)
				return -1;
			sqlite3_bind_int64(st, 1, json_integer_value(u));
		} else if (json_is_string(u)) {
			st = db_stmt(c, "SELECT id FROM org_units WHERE external_id = ?");
			if (!st)
				return -1;
			sqlite3_bind_text(st, 1, json_string_value(u), -1, SQLITE_TRANSIENT);
		} else {
			snprintf(err, errsize, "En enhet i «audience.units» må være en id (tall) eller en ekstern id (tekst).");
			return -1;
		}
		if (sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_reset(st);
			if (json_is_integer(u))
				snprintf(err, errsize, "Fant ingen enhet med id %lld.", (long long)json_integer_value(u));
			else
				snprintf(err, errsize, "Fant ingen enhet med ekstern id «%.100s».", json_string_value(u));
			return -1;
		}
		json_int_t id = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		int dup = 0;
		size_t k;
		json_t *have;
		json_array_foreach(ids, k, have)
			dup |= json_integer_value(have) == id;
		if (!dup)
			json_array_append_new(ids, json_integer(id));
	}
	return 0;
}

static int check_roles(struct db_conn *c, const json_t *roles, json_t *codes, char *err, size_t errsize)
{
	if (!json_is_array(roles) || json_array_size(roles) > MAX_ROLES) {
		snprintf(err, errsize, "«audience.roles» må være en liste med høyst %d roller.", MAX_ROLES);
		return -1;
	}
	size_t i;
	json_t *r;
	json_array_foreach(roles, i, r) {
		const char *code = json_string_value(r);
		if (!code) {
			snprintf(err, errsize, "En rolle i «audience.roles» må være en rollekode (tekst).");
			return -1;
		}
		sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM roles WHERE code = ?");
		if (!st)
			return -1;
		sqlite3_bind_text(st, 1, code, -1, SQLITE_TRANSIENT);
		int found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!found) {
			snprintf(err, errsize, "Ukjent rolle «%.100s».", code);
			return -1;
		}
		json_array_append_new(codes, json_string(code));
	}
	return 0;
}

static int check_audience(struct db_conn *c, const json_t *aud, json_t *out, char *err, size_t errsize)
{
	if (!json_is_object(aud)) {
		snprintf(err, errsize, "«audience» må være et objekt med «units» og/eller «roles».");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)aud, key, v) {
		if (strcmp(key, "units") != 0 && strcmp(key, "roles") != 0) {
			snprintf(err, errsize, "Ukjent felt «audience.%.60s».", key);
			return -1;
		}
	}
	json_t *units = json_array(), *roles = json_array();
	json_t *norm = json_pack("{s:o, s:o}", "units", units, "roles", roles);
	int rc = 0;
	if (json_object_get(aud, "units"))
		rc = check_units(c, json_object_get(aud, "units"), units, err, errsize);
	if (rc == 0 && json_object_get(aud, "roles"))
		rc = check_roles(c, json_object_get(aud, "roles"), roles, err, errsize);
	if (rc == 0)
		json_object_set(out, "audience", norm);
	json_decref(norm);
	return rc;
}

static int check_template(struct db_conn *c, const json_t *in, const char *key, json_t *out, char *err,
			  size_t errsize)
{
	json_t *v = json_object_get(in, key);
	if (!v)
		return 0;
	const char *name = json_string_value(v);
	sqlite3_stmt *st = name ? db_stmt(c, "SELECT kind FROM mail_templates WHERE name = ?") : NULL;
	int ok = 0;
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		ok = sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "lesson") == 0;
		sqlite3_reset(st);
	}
	if (!ok) {
		snprintf(err, errsize, "«%s» må være navnet på en e-postmal for leksjoner.", key);
		return -1;
	}
	json_object_set(out, key, v);
	return 0;
}

/* Lessons: [{course, send_at?}] plus an optional schedule that times
 * lessons without send_at. Stored as [{course, send_at_ms}], 0: at start. */
static int check_lessons(struct db_conn *c, const json_t *in, json_t *out, char *err, size_t errsize)
{
	const json_t *lessons = json_object_get(in, "lessons");
	const json_t *sched = json_object_get(in, "schedule");
	if (!lessons && !sched)
		return 0;
	if (!lessons)
		lessons = json_object_get(out, "lessons_in");
	if (!json_is_array(lessons) || json_array_size(lessons) == 0 ||
	    json_array_size(lessons) > CAMPAIGN_MAX_LESSONS) {
		snprintf(err, errsize, "«lessons» må være en liste med 1 til %d leksjoner.", CAMPAIGN_MAX_LESSONS);
		return -1;
	}
	long long start = 0, every = 0;
	if (sched && !json_is_null(sched)) {
		const char *s = json_string_value(json_object_get(sched, "start"));
		json_t *ev = json_object_get(sched, "every_days");
		const char *tm = json_string_value(json_object_get(sched, "time"));
		char buf[32];
		if (s && tm && strlen(s) == 10 && strlen(tm) == 5) {
			snprintf(buf, sizeof buf, "%sT%s", s, tm);
			s = buf;
		}
		if (!json_is_object(sched) || !s || campaign_parse_time(s, &start) != 0 || !json_is_integer(ev) ||
		    json_integer_value(ev) < 1 || json_integer_value(ev) > 365) {
			snprintf(err, errsize, "«schedule» må være {\"start\": \"ÅÅÅÅ-MM-DD\", \"every_days\": 1–365,"
					       " \"time\": \"TT:MM\" (valgfritt)}.");
			return -1;
		}
		every = json_integer_value(ev);
	}
	json_t *norm = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(lessons, i, l) {
		const char *course = json_string_value(json_is_string(l) ? l : json_object_get(l, "course"));
		json_t *at = json_is_object(l) ? json_object_get(l, "send_at") : NULL;
		long long ms = 0;
		if (!course) {
			snprintf(err, errsize, "Leksjon %zu mangler «course».", i + 1);
			goto bad;
		}
		sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM courses WHERE id = ?");
		if (!st)
			goto bad;
		sqlite3_bind_text(st, 1, course, -1, SQLITE_TRANSIENT);
		int found = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (!found) {
			snprintf(err, errsize, "Leksjon %zu: fant ikke kurset «%.100s».", i + 1, course);
			goto bad;
		}
		if (at && json_is_string(at)) {
			if (campaign_parse_time(json_string_value(at), &ms) != 0) {
				snprintf(err, errsize, "Leksjon %zu: «send_at» må være ÅÅÅÅ-MM-DD eller ÅÅÅÅ-MM-DDTTT:MM.", i + 1);
				goto bad;
			}
		} else if (at && !json_is_null(at)) {
			snprintf(err, errsize, "Leksjon %zu: «send_at» må være en dato, eller null for «ved start».", i + 1);
			goto bad;
		} else if (every) {
			ms = start + (long long)i * every * 86400000LL;
			/* Keep the wall-clock time across a daylight-saving change. */
			time_t t0 = (time_t)(start / 1000), t = (time_t)(ms / 1000);
			struct tm a, b;
			localtime_r(&t0, &a);
			localtime_r(&t, &b);
			ms += ((long long)(a.tm_hour - b.tm_hour) * 3600) * 1000;
		} else if (json_is_object(l) && json_integer_value(json_object_get(l, "send_at_ms")) > 0) {
			ms = json_integer_value(json_object_get(l, "send_at_ms")); /* stored, sent back */
		}
		json_array_append_new(norm, json_pack("{s:s, s:I}", "course", course, "send_at_ms", (json_int_t)ms));
	}
	json_object_set_new(out, "lessons", norm);
	return 0;
bad:
	json_decref(norm);
	return -1;
}

static json_t *defaults(void)
{
	return json_pack("{s:s, s:{s:[], s:[]}, s:[], s:i, s:i, s:i, s:n, s:s, s:s, s:b}", "name", "",
			 "audience", "units", "roles", "lessons", "due_days", 14, "reminder_days", 7,
			 "max_reminders", 2, "digest", "template", "leksjon", "reminder_template", "paminnelse",
			 "skip_completed", 1);
}

int campaign_def_check(struct db *db, const json_t *in, const json_t *base, json_t **out, char *err,
		       size_t errsize)
{
	*out = NULL;
	if (!json_is_object(in)) {
		snprintf(err, errsize, "Kampanjen må være et JSON-objekt.");
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)in, key, v) {
		if (!in_list(known_keys, key) && !in_list(read_only_keys, key)) {
			snprintf(err, errsize, "Ukjent felt «%.60s».", key);
			return -1;
		}
	}
	json_t *def = base ? json_deep_copy(base) : defaults();
	if (!def) {
		snprintf(err, errsize, "Tomt for minne.");
		return -1;
	}
	/* Keep only the definition fields of a loaded campaign. */
	for (const char *const *k = read_only_keys; *k; k++)
		json_object_del(def, *k);
	if (base) {
		/* A schedule without lessons re-times the stored lessons. */
		json_object_set(def, "lessons_in", json_object_get(def, "lessons"));
	}

	struct db_conn *c = db_reader_get(db);
	int rc = -1;
	json_t *name = json_object_get(in, "name");
	if (name) {
		const char *s = json_string_value(name);
		size_t n = s ? strlen(s) : 0;
		int ctl = 0;
		for (size_t i = 0; i < n; i++)
			ctl |= (unsigned char)s[i] < 32;
		if (!s || n == 0 || n > NAME_MAX_BYTES || ctl) {
			snprintf(err, errsize, "«name» må være en tekst på 1 til %d tegn uten linjeskift.", NAME_MAX_BYTES);
			goto out;
		}
		json_object_set(def, "name", name);
	}
	if (json_object_get(in, "audience") &&
	    check_audience(c, json_object_get(in, "audience"), def, err, errsize) != 0)
		goto out;
	if (check_lessons(c, in, def, err, errsize) != 0)
		goto out;
	if (get_int(in, "due_days", 1, 365, def, err, errsize) != 0 ||
	    get_int(in, "reminder_days", 0, 90, def, err, errsize) != 0 ||
	    get_int(in, "max_reminders", 0, 10, def, err, errsize) != 0)
		goto out;
	json_t *digest = json_object_get(in, "digest");
	if (digest) {
		json_t *wd = json_object_get(digest, "weekday"), *hr = json_object_get(digest, "hour");
		if (json_is_null(digest)) {
			json_object_set_new(def, "digest", json_null());
		} else if (!json_is_object(digest) || !json_is_integer(wd) || json_integer_value(wd) < 1 ||
			   json_integer_value(wd) > 7 || (hr && (!json_is_integer(hr) || json_integer_value(hr) < 0 ||
								  json_integer_value(hr) > 23))) {
			snprintf(err, errsize, "«digest» må være null eller {\"weekday\": 1–7 (1 = mandag), \"hour\": 0–23}.");
			goto out;
		} else {
			json_object_set_new(def, "digest", json_pack("{s:I, s:I}", "weekday", json_integer_value(wd),
								     "hour", hr ? json_integer_value(hr) : 8));
		}
	}
	if (check_template(c, in, "template", def, err, errsize) != 0 ||
	    check_template(c, in, "reminder_template", def, err, errsize) != 0)
		goto out;
	json_t *skip = json_object_get(in, "skip_completed");
	if (skip) {
		if (!json_is_boolean(skip)) {
			snprintf(err, errsize, "«skip_completed» må være true eller false.");
			goto out;
		}
		json_object_set(def, "skip_completed", skip);
	}
	json_object_del(def, "lessons_in");
	if (!json_string_value(json_object_get(def, "name"))[0]) {
		snprintf(err, errsize, "Kampanjen må ha et navn («name»).");
		goto out;
	}
	if (json_array_size(json_object_get(def, "lessons")) == 0) {
		snprintf(err, errsize, "Kampanjen må ha minst én leksjon («lessons»).");
		goto out;
	}
	rc = 0;
out:
	db_reader_put(db, c);
	if (rc == 0)
		*out = def;
	else
		json_decref(def);
	return rc;
}

/* ---- storing ---- */

struct def_job {
	const json_t *def;
	long long id, now;
	char *audience;
	char *err;
	size_t errsize;
};

static void bind_def(sqlite3_stmt *st, const struct def_job *j)
{
	const json_t *d = j->def;
	const json_t *digest = json_object_get(d, "digest");
	sqlite3_bind_text(st, 1, json_string_value(json_object_get(d, "name")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, j->audience, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, json_string_value(json_object_get(d, "template")), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, json_string_value(json_object_get(d, "reminder_template")), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, json_integer_value(json_object_get(d, "due_days")));
	sqlite3_bind_int64(st, 6, json_integer_value(json_object_get(d, "reminder_days")));
	sqlite3_bind_int64(st, 7, json_integer_value(json_object_get(d, "max_reminders")));
	if (json_is_object(digest)) {
		sqlite3_bind_int64(st, 8, json_integer_value(json_object_get(digest, "weekday")));
		sqlite3_bind_int64(st, 9, json_integer_value(json_object_get(digest, "hour")));
	} else {
		sqlite3_bind_int(st, 9, 8);
	}
	sqlite3_bind_int(st, 10, json_is_true(json_object_get(d, "skip_completed")));
	sqlite3_bind_int64(st, 11, j->now);
}

static int insert_lessons(struct db_conn *c, const struct def_job *j)
{
	const json_t *lessons = json_object_get(j->def, "lessons");
	size_t i;
	json_t *l;
	json_array_foreach(lessons, i, l) {
		sqlite3_stmt *st = db_stmt(c,
			"INSERT INTO campaign_lessons(campaign_id, position, course_id, send_at_ms)"
			" VALUES(?, ?, ?, ?) ON CONFLICT DO NOTHING");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_int64(st, 2, (long long)i);
		sqlite3_bind_text(st, 3, json_string_value(json_object_get(l, "course")), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, json_integer_value(json_object_get(l, "send_at_ms")));
		int rc = db_exec_stmt(c, st, "campaign_lesson_insert");
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

static int create_job(struct db_conn *c, void *arg)
{
	struct def_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO campaigns(name, audience, template, reminder_template, due_days, reminder_days,"
		" max_reminders, digest_weekday, digest_hour, skip_completed, created_ms, updated_ms)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11)");
	if (!st)
		return DB_ERROR;
	bind_def(st, j);
	int rc = db_exec_stmt(c, st, "campaign_insert");
	if (rc != DB_OK)
		return rc;
	j->id = sqlite3_last_insert_rowid(db_handle(c));
	return insert_lessons(c, j);
}

static char *audience_text(const json_t *def)
{
	return json_dumps(json_object_get(def, "audience"), JSON_COMPACT);
}

int campaign_def_create(struct db *db, const json_t *def, long long *id)
{
	struct def_job j = { .def = def, .now = session_now_ms(), .audience = audience_text(def) };
	if (!j.audience)
		return -1;
	int rc = db_write(db, create_job, &j);
	free(j.audience);
	if (rc != DB_OK)
		return -1;
	*id = j.id;
	return 0;
}

static int update_job(struct db_conn *c, void *arg)
{
	struct def_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT status FROM campaigns WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return DB_NOTFOUND;
	}
	char status[16];
	snprintf(status, sizeof status, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	if (strcmp(status, "draft") != 0 && strcmp(status, "paused") != 0) {
		snprintf(j->err, j->errsize, "Kampanjen kan bare endres som utkast eller på pause (den er «%s»).", status);
		return DB_CONFLICT;
	}
	/* Lessons already sent must stay where they are. */
	const json_t *lessons = json_object_get(j->def, "lessons");
	st = db_stmt(c, "SELECT position, course_id FROM campaign_lessons WHERE campaign_id = ?"
			" AND queued_ms IS NOT NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long pos = sqlite3_column_int64(st, 0);
		const char *course = (const char *)sqlite3_column_text(st, 1);
		const char *want = json_string_value(json_object_get(json_array_get(lessons, (size_t)pos), "course"));
		if (!want || strcmp(want, course) != 0) {
			snprintf(j->err, j->errsize, "Leksjon %lld (%s) er allerede sendt og kan ikke endres eller fjernes.",
				 pos + 1, course);
			sqlite3_reset(st);
			return DB_CONFLICT;
		}
	}
	sqlite3_reset(st);
	st = db_stmt(c,
		"UPDATE campaigns SET name = ?1, audience = ?2, template = ?3, reminder_template = ?4,"
		" due_days = ?5, reminder_days = ?6, max_reminders = ?7, digest_weekday = ?8,"
		" digest_hour = ?9, skip_completed = ?10, updated_ms = ?11 WHERE id = ?12");
	if (!st)
		return DB_ERROR;
	bind_def(st, j);
	sqlite3_bind_int64(st, 12, j->id);
	int rc = db_exec_stmt(c, st, "campaign_update");
	if (rc != DB_OK)
		return rc;
	st = db_stmt(c, "DELETE FROM campaign_lessons WHERE campaign_id = ? AND queued_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	rc = db_exec_stmt(c, st, "campaign_lessons_delete");
	return rc == DB_OK ? insert_lessons(c, j) : rc;
}

int campaign_def_update(struct db *db, long long id, const json_t *def, char *err, size_t errsize)
{
	err[0] = '\0';
	struct def_job j = { .def = def, .id = id, .now = session_now_ms(), .audience = audience_text(def),
			     .err = err, .errsize = errsize };
	if (!j.audience)
		return DB_ERROR;
	int rc = db_write(db, update_job, &j);
	free(j.audience);
	return rc;
}

json_t *campaign_def_load(struct db *db, long long id)
{
	struct db_conn *c = db_reader_get(db);
	json_t *out = NULL;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT name, status, audience, template, reminder_template, due_days, reminder_days,"
		" max_reminders, digest_weekday, digest_hour, skip_completed, created_ms, updated_ms,"
		" started_ms, finished_ms FROM campaigns WHERE id = ?");
	if (!st)
		goto done;
	sqlite3_bind_int64(st, 1, id);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		goto done;
	}
	json_error_t jerr;
	json_t *aud = json_loads((const char *)sqlite3_column_text(st, 2), 0, &jerr);
	json_t *digest = sqlite3_column_type(st, 8) == SQLITE_NULL ? json_null()
		: json_pack("{s:I, s:I}", "weekday", (json_int_t)sqlite3_column_int64(st, 8), "hour",
			    (json_int_t)sqlite3_column_int64(st, 9));
	out = json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:I, s:o, s:b, s:I, s:I}",
			"id", (json_int_t)id, "name", (const char *)sqlite3_column_text(st, 0),
			"status", (const char *)sqlite3_column_text(st, 1), "audience", aud ? aud : json_object(),
			"template", (const char *)sqlite3_column_text(st, 3),
			"reminder_template", (const char *)sqlite3_column_text(st, 4),
			"due_days", (json_int_t)sqlite3_column_int64(st, 5),
			"reminder_days", (json_int_t)sqlite3_column_int64(st, 6),
			"max_reminders", (json_int_t)sqlite3_column_int64(st, 7), "digest", digest,
			"skip_completed", sqlite3_column_int(st, 10),
			"created_ms", (json_int_t)sqlite3_column_int64(st, 11),
			"updated_ms", (json_int_t)sqlite3_column_int64(st, 12));
	for (int col = 13; out && col <= 14; col++)
		json_object_set_new(out, col == 13 ? "started_ms" : "finished_ms",
				    sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
					    : json_integer(sqlite3_column_int64(st, col)));
	sqlite3_reset(st);
	if (!out)
		goto done;

	json_t *lessons = json_array();
	json_object_set_new(out, "lessons", lessons);
	st = db_stmt(c,
		"SELECT l.course_id, co.title, l.send_at_ms, l.queued_ms FROM campaign_lessons l"
		" JOIN courses co ON co.id = l.course_id WHERE l.campaign_id = ? ORDER BY l.position");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			long long at = sqlite3_column_int64(st, 2);
			char when[32];
			campaign_format_time(at, when, sizeof when);
			json_t *l = json_pack("{s:s, s:s, s:I, s:o, s:o}", "course",
					      (const char *)sqlite3_column_text(st, 0), "title",
					      (const char *)sqlite3_column_text(st, 1), "send_at_ms", (json_int_t)at,
					      "send_at", at ? json_string(when) : json_null(), "queued_ms",
					      sqlite3_column_type(st, 3) == SQLITE_NULL ? json_null()
						      : json_integer(sqlite3_column_int64(st, 3)));
			json_array_append_new(lessons, l);
		}
		sqlite3_reset(st);
	}
	/* Names of the audience's units, for the admin page. */
	json_t *names = json_object();
	json_object_set_new(out, "unit_names", names);
	size_t i;
	json_t *u;
	json_array_foreach(json_object_get(json_object_get(out, "audience"), "units"), i, u) {
		st = db_stmt(c, "SELECT name FROM org_units WHERE id = ?");
		if (!st)
			break;
		sqlite3_bind_int64(st, 1, json_integer_value(u));
		if (sqlite3_step(st) == SQLITE_ROW) {
			char key[32];
			snprintf(key, sizeof key, "%lld", (long long)json_integer_value(u));
			json_object_set_new(names, key, json_string((const char *)sqlite3_column_text(st, 0)));
		}
		sqlite3_reset(st);
	}
done:
	db_reader_put(db, c);
	return out;
}
