/* campaign.c: running campaigns (see campaign.h).
 *
 * Each step reads what is due on a reader connection and then does the
 * work in write jobs of at most CHUNK employees (by id range), each one
 * set-based SQL: recipients and their outbox rows for a lesson, reminders
 * for a lesson, or all digests of a campaign for a week. Keys make each
 * job safe to repeat: campaign_recipients(campaign, position, employee),
 * and the outbox dedup keys l:, r: and d: (see mail_outbox.h). Each
 * lesson also becomes an assignment (unless there is one), so leaders see
 * the campaign's deadline in their views. */
#include "campaign.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"
#include "mail_mime.h"
#include "mail_outbox.h"
#include "mail_template.h"
#include "server.h"
#include "session.h"

#define CHUNK 5000
#define DAY_MS 86400000LL
#define FINISH_AFTER_MS (28 * DAY_MS) /* digests go on this long after the last deadline */

struct campaign_row {
	long long id;
	char name[256];
	char *audience;
	char template[72], reminder_template[72];
	long due_days, reminder_days, max_reminders;
	int digest_weekday, digest_hour, skip_completed;
	char last_digest_week[16];
};

/* The mail_from domain, for Message-IDs made in SQL. */
static void from_domain(const struct server *srv, char *buf, size_t size)
{
	char name[MAIL_NAME_MAX + 1], addr[MAIL_ADDR_MAX + 1];
	if (mail_parse_mailbox(srv->cfg.mail_from, name, sizeof name, addr, sizeof addr) == 0)
		snprintf(buf, size, "%s", mail_address_domain(addr));
	else
		snprintf(buf, size, "localhost");
}

static int employee_id_range(struct db *db, long long *lo, long long *hi)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM employees");
	int rc = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		*lo = sqlite3_column_int64(st, 0) - 1;
		*hi = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
	return rc;
}

/* ---- lessons ---- */

struct lesson_job {
	const struct campaign_row *cp;
	long long position;
	const char *course, *title, *minutes, *domain;
	long long now, due, next_reminder, exp, lo, hi;
	int queued;
};

static int queue_lesson_chunk(struct db_conn *c, void *arg)
{
	struct lesson_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO campaign_recipients(campaign_id, position, employee_id, course_id, queued_ms,"
		" due_ms, next_reminder_ms)"
		" SELECT ?1, ?2, e.id, ?3, ?4, ?5, ?6 FROM employees e"
		" WHERE e.id > ?7 AND e.id <= ?8 AND" CAMPAIGN_SQL_AUDIENCE("?10")
		" AND NOT (?11 AND EXISTS (SELECT 1 FROM completions cp WHERE cp.employee_id = e.id"
		" AND cp.course_id = ?3 AND (cp.expires_ms IS NULL OR cp.expires_ms > ?4)))"
		" ON CONFLICT DO NOTHING");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_text(st, 3, j->course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->now);
	sqlite3_bind_int64(st, 5, j->due);
	if (j->next_reminder)
		sqlite3_bind_int64(st, 6, j->next_reminder);
	sqlite3_bind_int64(st, 7, j->lo);
	sqlite3_bind_int64(st, 8, j->hi);
	sqlite3_bind_text(st, 10, j->cp->audience, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 11, j->cp->skip_completed);
	int rc = db_exec_stmt(c, st, "campaign_recipients_insert");
	if (rc != DB_OK)
		return rc;

	st = db_stmt(c,
		"INSERT INTO mail_outbox(dedup_key, kind, to_addr, to_name, employee_id, campaign_id,"
		" course_id, template, vars, message_id, next_attempt_ms, created_ms)"
		" SELECT 'l:' || r.campaign_id || ':' || r.position || ':' || r.employee_id, 'lesson',"
		" e.email, e.name, e.id, r.campaign_id, r.course_id, ?3,"
		" json_object('navn', e.name, 'kurs', ?4, 'minutter', ?5, 'kampanje', ?6, 'due', r.due_ms,"
		" 'exp', ?7), lower(hex(randomblob(16))) || '@' || ?8, ?9, ?9"
		" FROM campaign_recipients r JOIN employees e ON e.id = r.employee_id"
		" WHERE r.campaign_id = ?1 AND r.position = ?2 AND r.employee_id > ?10 AND r.employee_id <= ?11"
		" ON CONFLICT(dedup_key) DO NOTHING");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_text(st, 3, j->cp->template, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->minutes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, j->cp->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, j->exp);
	sqlite3_bind_text(st, 8, j->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, session_now_ms()); /* the row's own clock, not the step's */
	sqlite3_bind_int64(st, 10, j->lo);
	sqlite3_bind_int64(st, 11, j->hi);
	rc = db_exec_stmt(c, st, "campaign_lesson_outbox");
	if (rc != DB_OK)
		return rc;
	j->queued = sqlite3_changes(db_handle(c));

	/* The lesson is mandatory training: an assignment with the campaign's
	 * deadline, unless the employee has one for the course already (then
	 * the leader's views count it as before). */
	st = db_stmt(c,
		"INSERT INTO assignments(employee_id, course_id, due_date, reason, created_ms)"
		" SELECT r.employee_id, r.course_id, date(r.due_ms / 1000, 'unixepoch', 'localtime'),"
		" 'Kampanje: ' || ?3, ?4 FROM campaign_recipients r"
		" WHERE r.campaign_id = ?1 AND r.position = ?2 AND r.employee_id > ?5 AND r.employee_id <= ?6"
		" ON CONFLICT DO NOTHING");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_text(st, 3, j->cp->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->now);
	sqlite3_bind_int64(st, 5, j->lo);
	sqlite3_bind_int64(st, 6, j->hi);
	return db_exec_stmt(c, st, "campaign_assignments");
}

static int mark_lesson_queued(struct db_conn *c, void *arg)
{
	struct lesson_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE campaign_lessons SET queued_ms = ?3 WHERE campaign_id = ?1 AND position = ?2"
		" AND queued_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_int64(st, 3, j->now);
	return db_exec_stmt(c, st, "campaign_lesson_queued");
}

struct due_lesson {
	long long position;
	char course[128], title[256], minutes[16];
};

static int send_due_lessons(struct server *srv, const struct campaign_row *cp, long long now,
			    const char *domain)
{
	struct due_lesson lessons[CAMPAIGN_MAX_LESSONS];
	int n = 0;
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT l.position, l.course_id, co.title, coalesce(co.minutes, 10) FROM campaign_lessons l"
		" JOIN courses co ON co.id = l.course_id WHERE l.campaign_id = ? AND l.queued_ms IS NULL"
		" AND l.send_at_ms <= ? ORDER BY l.position");
	if (st) {
		sqlite3_bind_int64(st, 1, cp->id);
		sqlite3_bind_int64(st, 2, now);
		while (n < CAMPAIGN_MAX_LESSONS && sqlite3_step(st) == SQLITE_ROW) {
			struct due_lesson *l = &lessons[n++];
			l->position = sqlite3_column_int64(st, 0);
			snprintf(l->course, sizeof l->course, "%s", (const char *)sqlite3_column_text(st, 1));
			snprintf(l->title, sizeof l->title, "%s", (const char *)sqlite3_column_text(st, 2));
			snprintf(l->minutes, sizeof l->minutes, "%lld", sqlite3_column_int64(st, 3));
		}
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
	if (!st)
		return -1;

	int total = 0;
	for (int i = 0; i < n; i++) {
		struct lesson_job j = {
			.cp = cp, .position = lessons[i].position, .course = lessons[i].course,
			.title = lessons[i].title, .minutes = lessons[i].minutes, .domain = domain, .now = now,
			.due = now + cp->due_days * DAY_MS,
			.next_reminder = cp->reminder_days > 0 && cp->max_reminders > 0 ? now + cp->reminder_days * DAY_MS : 0,
			.exp = now / 1000 + srv->cfg.mail_link_days * 86400,
		};
		long long lo, hi;
		if (employee_id_range(srv->db, &lo, &hi) != 0)
			return -1;
		for (long long from = lo; from < hi; from += CHUNK) {
			j.lo = from;
			j.hi = from + CHUNK < hi ? from + CHUNK : hi;
			if (db_write(srv->db, queue_lesson_chunk, &j) != DB_OK)
				return -1;
			total += j.queued;
		}
		if (db_write(srv->db, mark_lesson_queued, &j) != DB_OK)
			return -1;
		log_event(LOG_INFO, "campaign_lesson_queued", "campaign=%lld position=%lld course=%s emails=%d",
			  cp->id, j.position, j.course, total);
	}
	return total;
}

/* ---- reminders ---- */

struct reminder_job {
	const struct campaign_row *cp;
	long long position, now, exp, lo, hi;
	const char *domain;
	int queued;
};

static int queue_reminder_chunk(struct db_conn *c, void *arg)
{
	struct reminder_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO mail_outbox(dedup_key, kind, to_addr, to_name, employee_id, campaign_id,"
		" course_id, template, vars, message_id, next_attempt_ms, created_ms)"
		" SELECT 'r:' || r.campaign_id || ':' || r.position || ':' || r.employee_id || ':' ||"
		" (r.reminders + 1), 'reminder', e.email, e.name, e.id, r.campaign_id, r.course_id, ?4,"
		" json_object('navn', e.name, 'kurs', co.title, 'minutter', CAST(coalesce(co.minutes, 10) AS TEXT),"
		" 'kampanje', ?5, 'due', r.due_ms, 'exp', ?6), lower(hex(randomblob(16))) || '@' || ?7, ?11, ?11"
		" FROM campaign_recipients r JOIN employees e ON e.id = r.employee_id"
		" JOIN courses co ON co.id = r.course_id"
		" WHERE r.campaign_id = ?1 AND r.position = ?2 AND r.next_reminder_ms <= ?3"
		" AND r.employee_id > ?8 AND r.employee_id <= ?9"
		" AND e.active = 1 AND coalesce(e.email, '') <> '' AND NOT" CAMPAIGN_SQL_DONE("r", "?3", "?10")
		" ON CONFLICT(dedup_key) DO NOTHING");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_int64(st, 3, j->now);
	sqlite3_bind_text(st, 4, j->cp->reminder_template, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->cp->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, j->exp);
	sqlite3_bind_text(st, 7, j->domain, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, j->lo);
	sqlite3_bind_int64(st, 9, j->hi);
	sqlite3_bind_int(st, 10, j->cp->skip_completed);
	sqlite3_bind_int64(st, 11, session_now_ms());
	int rc = db_exec_stmt(c, st, "campaign_reminder_outbox");
	if (rc != DB_OK)
		return rc;
	j->queued = sqlite3_changes(db_handle(c));

	st = db_stmt(c,
		"UPDATE campaign_recipients SET reminders = reminders + 1,"
		" next_reminder_ms = CASE WHEN reminders + 1 >= ?4 THEN NULL ELSE ?3 + ?5 END"
		" WHERE campaign_id = ?1 AND position = ?2 AND next_reminder_ms <= ?3"
		" AND employee_id > ?8 AND employee_id <= ?9"
		" AND EXISTS (SELECT 1 FROM employees e WHERE e.id = campaign_recipients.employee_id"
		" AND e.active = 1 AND coalesce(e.email, '') <> '')"
		" AND NOT" CAMPAIGN_SQL_DONE("campaign_recipients", "?3", "?10"));
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_int64(st, 3, j->now);
	sqlite3_bind_int64(st, 4, j->cp->max_reminders);
	sqlite3_bind_int64(st, 5, j->cp->reminder_days * DAY_MS);
	sqlite3_bind_int64(st, 8, j->lo);
	sqlite3_bind_int64(st, 9, j->hi);
	sqlite3_bind_int(st, 10, j->cp->skip_completed);
	rc = db_exec_stmt(c, st, "campaign_reminder_next");
	if (rc != DB_OK)
		return rc;

	/* The rest (done, left, no address) need no more reminders. */
	st = db_stmt(c,
		"UPDATE campaign_recipients SET next_reminder_ms = NULL WHERE campaign_id = ?1"
		" AND position = ?2 AND next_reminder_ms <= ?3 AND employee_id > ?8 AND employee_id <= ?9");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_int64(st, 2, j->position);
	sqlite3_bind_int64(st, 3, j->now);
	sqlite3_bind_int64(st, 8, j->lo);
	sqlite3_bind_int64(st, 9, j->hi);
	return db_exec_stmt(c, st, "campaign_reminder_done");
}

static int send_reminders(struct server *srv, const struct campaign_row *cp, long long now, const char *domain)
{
	long long positions[CAMPAIGN_MAX_LESSONS];
	int n = 0;
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT position FROM campaign_lessons l WHERE campaign_id = ?1 AND EXISTS (SELECT 1"
		" FROM campaign_recipients r WHERE r.campaign_id = ?1 AND r.position = l.position"
		" AND r.next_reminder_ms <= ?2) ORDER BY position");
	if (st) {
		sqlite3_bind_int64(st, 1, cp->id);
		sqlite3_bind_int64(st, 2, now);
		while (n < CAMPAIGN_MAX_LESSONS && sqlite3_step(st) == SQLITE_ROW)
			positions[n++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
	if (!st)
		return -1;
	int total = 0;
	for (int i = 0; i < n; i++) {
		struct reminder_job j = { .cp = cp, .position = positions[i], .now = now,
					  .exp = now / 1000 + srv->cfg.mail_link_days * 86400, .domain = domain };
		long long lo, hi;
		if (employee_id_range(srv->db, &lo, &hi) != 0)
			return -1;
		int queued = 0;
		for (long long from = lo; from < hi; from += CHUNK) {
			j.lo = from;
			j.hi = from + CHUNK < hi ? from + CHUNK : hi;
			if (db_write(srv->db, queue_reminder_chunk, &j) != DB_OK)
				return -1;
			queued += j.queued;
		}
		if (queued)
			log_event(LOG_INFO, "campaign_reminders_queued", "campaign=%lld position=%lld emails=%d",
				  cp->id, j.position, queued);
		total += queued;
	}
	return total;
}

/* ---- leader digests ---- */

struct unit {
	long long id, parent;
};

struct leader {
	long long employee_id, unit_id;
	int unit_leader; /* holds a leader role (else only someone's manager) */
	char *name, *email;
	json_t *staff; /* their overdue staff, built here */
};

struct digest_data {
	struct unit *units;
	size_t nunits;
	struct leader *leaders;
	size_t nleaders;
};

static void digest_data_free(struct digest_data *d)
{
	for (size_t i = 0; i < d->nleaders; i++) {
		free(d->leaders[i].name);
		free(d->leaders[i].email);
		json_decref(d->leaders[i].staff);
	}
	free(d->leaders);
	free(d->units);
	memset(d, 0, sizeof *d);
}

static long long unit_parent(const struct digest_data *d, long long unit)
{
	for (size_t i = 0; i < d->nunits; i++)
		if (d->units[i].id == unit)
			return d->units[i].parent;
	return 0;
}

/* Units and the leaders who can get digests (active, with an address). */
static int load_org(struct db_conn *c, struct digest_data *d)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id, coalesce(parent_id, 0) FROM org_units");
	if (!st)
		return -1;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (d->nunits == cap) {
			cap = cap ? cap * 2 : 64;
			struct unit *u = realloc(d->units, cap * sizeof *u);
			if (!u)
				return -1;
			d->units = u;
		}
		d->units[d->nunits++] = (struct unit){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) };
	}
	if (rc != SQLITE_DONE)
		return -1;
	/* Role leaders first, then managers named in employees.manager_id. */
	static const char *const sql[2] = {
		"SELECT DISTINCT e.id, e.unit_id, e.name, e.email FROM employees e"
		" JOIN employee_roles er ON er.employee_id = e.id JOIN roles ro ON ro.id = er.role_id"
		" WHERE ro.code IN ('leder', 'virksomhetsleder', 'kommunaldirektor') AND e.active = 1"
		" AND coalesce(e.email, '') <> '' AND e.unit_id IS NOT NULL ORDER BY e.id",
		"SELECT m.id, coalesce(m.unit_id, 0), m.name, m.email FROM employees m WHERE m.active = 1"
		" AND coalesce(m.email, '') <> '' AND EXISTS (SELECT 1 FROM employees e"
		" WHERE e.manager_id = m.id AND e.active = 1) ORDER BY m.id",
	};
	cap = 0;
	for (int q = 0; q < 2; q++) {
		st = db_stmt(c, sql[q]);
		if (!st)
			return -1;
		size_t role_leaders = d->nleaders;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long id = sqlite3_column_int64(st, 0);
			int known = 0;
			for (size_t i = 0; q == 1 && i < role_leaders && !known; i++)
				known = d->leaders[i].employee_id == id;
			if (known)
				continue;
			if (d->nleaders == cap) {
				cap = cap ? cap * 2 : 64;
				struct leader *l = realloc(d->leaders, cap * sizeof *l);
				if (!l)
					return -1;
				d->leaders = l;
			}
			struct leader *l = &d->leaders[d->nleaders++];
			l->employee_id = id;
			l->unit_id = sqlite3_column_int64(st, 1);
			l->unit_leader = q == 0;
			l->name = strdup((const char *)sqlite3_column_text(st, 2));
			l->email = strdup((const char *)sqlite3_column_text(st, 3));
			l->staff = NULL;
			if (!l->name || !l->email)
				return -1;
		}
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

static struct leader *leader_by_employee(struct digest_data *d, long long id)
{
	for (size_t i = 0; i < d->nleaders; i++)
		if (d->leaders[i].employee_id == id)
			return &d->leaders[i];
	return NULL;
}

/* Adds entry to the staff list of the employee's leaders: their manager
 * when they have one with an address, else the role leaders of the
 * nearest unit upwards that has one (other than the employee). */
static int add_to_leaders(struct digest_data *d, long long employee, long long unit, long long manager,
			  json_t *entry)
{
	struct leader *m = manager ? leader_by_employee(d, manager) : NULL;
	if (m && m->employee_id != employee) {
		if (!m->staff)
			m->staff = json_array();
		return json_array_append(m->staff, entry);
	}
	for (int depth = 0; unit && depth < 64; depth++, unit = unit_parent(d, unit)) {
		int found = 0;
		for (size_t i = 0; i < d->nleaders; i++) {
			struct leader *l = &d->leaders[i];
			if (!l->unit_leader || l->unit_id != unit || l->employee_id == employee)
				continue;
			if (!l->staff)
				l->staff = json_array();
			json_array_append(l->staff, entry);
			found = 1;
		}
		if (found)
			return 0;
	}
	return 0;
}

struct digest_job {
	const struct campaign_row *cp;
	struct digest_data *d;
	const char *week, *domain;
	long long now;
	int queued;
};

static int queue_digests(struct db_conn *c, void *arg)
{
	struct digest_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE campaigns SET last_digest_week = ?2 WHERE id = ?1 AND status = 'active'"
		" AND coalesce(last_digest_week, '') <> ?2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->cp->id);
	sqlite3_bind_text(st, 2, j->week, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "campaign_digest_week");
	if (rc != DB_OK)
		return rc;
	if (sqlite3_changes(db_handle(c)) == 0)
		return DB_OK; /* another tick did this week's digests */
	for (size_t i = 0; i < j->d->nleaders; i++) {
		struct leader *l = &j->d->leaders[i];
		if (!l->staff || json_array_size(l->staff) == 0)
			continue;
		json_t *vars = json_pack("{s:s, s:s, s:s, s:O}", "navn", l->name, "kampanje", j->cp->name,
					 "uke", j->week, "staff", l->staff);
		char *text = vars ? json_dumps(vars, JSON_COMPACT) : NULL;
		json_decref(vars);
		if (!text)
			return DB_ERROR;
		char key[128];
		snprintf(key, sizeof key, "d:%lld:%s:%lld", j->cp->id, j->week, l->employee_id);
		struct outbox_new n = {
			.dedup_key = key, .kind = "digest", .to_addr = l->email, .to_name = l->name,
			.employee_id = l->employee_id, .campaign_id = j->cp->id, .template = "ledersammendrag",
			.vars = text, .now_ms = session_now_ms(), .domain = j->domain,
		};
		int queued = 0;
		rc = outbox_insert(c, &n, &queued);
		free(text);
		if (rc != DB_OK)
			return rc;
		j->queued += queued;
	}
	return DB_OK;
}

/* The ISO week of now in local time ("2026-W41"), and whether this week's
 * digest is due: on or after the digest weekday and hour. */
static int digest_due(const struct campaign_row *cp, long long now, char *week, size_t size)
{
	time_t t = (time_t)(now / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(week, size, "%G-W%V", &tm);
	int weekday = tm.tm_wday == 0 ? 7 : tm.tm_wday;
	if (cp->digest_weekday <= 0 || strcmp(week, cp->last_digest_week) == 0)
		return 0;
	return weekday > cp->digest_weekday || (weekday == cp->digest_weekday && tm.tm_hour >= cp->digest_hour);
}

static int send_digests(struct server *srv, const struct campaign_row *cp, long long now, const char *domain)
{
	char week[16];
	if (!digest_due(cp, now, week, sizeof week))
		return 0;
	struct digest_data d = { 0 };
	struct db_conn *c = db_reader_get(srv->db);
	int rc = load_org(c, &d);
	sqlite3_stmt *st = rc == 0 ? db_stmt(c,
		"SELECT e.id, e.name, coalesce(e.unit_id, 0), coalesce(e.manager_id, 0), co.title, r.due_ms"
		" FROM campaign_recipients r JOIN employees e ON e.id = r.employee_id"
		" JOIN courses co ON co.id = r.course_id"
		" WHERE r.campaign_id = ?1 AND r.due_ms <= ?2 AND e.active = 1"
		" AND NOT" CAMPAIGN_SQL_DONE("r", "?2", "?3") " ORDER BY e.name, r.position") : NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, cp->id);
		sqlite3_bind_int64(st, 2, now);
		sqlite3_bind_int(st, 3, cp->skip_completed);
		int s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			char due[64];
			mail_format_date(sqlite3_column_int64(st, 5), due, sizeof due);
			json_t *entry = json_pack("{s:s, s:s, s:s}", "navn", (const char *)sqlite3_column_text(st, 1),
						  "kurs", (const char *)sqlite3_column_text(st, 4), "frist", due);
			if (!entry) {
				rc = -1;
				break;
			}
			add_to_leaders(&d, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 2),
				       sqlite3_column_int64(st, 3), entry);
			json_decref(entry);
		}
		if (s != SQLITE_DONE && s != SQLITE_ROW)
			rc = -1;
		sqlite3_reset(st);
	} else {
		rc = -1;
	}
	db_reader_put(srv->db, c);
	int queued = -1;
	if (rc == 0) {
		struct digest_job j = { cp, &d, week, domain, now, 0 };
		if (db_write(srv->db, queue_digests, &j) == DB_OK) {
			queued = j.queued;
			log_event(LOG_INFO, "campaign_digests_queued", "campaign=%lld week=%s emails=%d", cp->id,
				  week, queued);
		}
	}
	digest_data_free(&d);
	return queued;
}

/* ---- finishing ---- */

static int finish_if_done(struct db_conn *c, void *arg)
{
	const long long *a = arg; /* id, now */
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE campaigns SET status = 'finished', finished_ms = ?2, updated_ms = ?2"
		" WHERE id = ?1 AND status = 'active'"
		" AND NOT EXISTS (SELECT 1 FROM campaign_lessons WHERE campaign_id = ?1 AND queued_ms IS NULL)"
		" AND NOT EXISTS (SELECT 1 FROM campaign_recipients WHERE campaign_id = ?1"
		" AND next_reminder_ms IS NOT NULL)"
		" AND coalesce((SELECT max(due_ms) FROM campaign_recipients WHERE campaign_id = ?1),"
		" (SELECT max(queued_ms) FROM campaign_lessons WHERE campaign_id = ?1)) + ?3 < ?2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, a[0]);
	sqlite3_bind_int64(st, 2, a[1]);
	sqlite3_bind_int64(st, 3, FINISH_AFTER_MS);
	int rc = db_exec_stmt(c, st, "campaign_finish");
	if (rc == DB_OK && sqlite3_changes(db_handle(c)))
		log_event(LOG_INFO, "campaign_finished", "campaign=%lld", a[0]);
	return rc;
}

/* ---- the tick ---- */

static void copy_text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

static int load_active(struct db *db, struct campaign_row **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT id, name, audience, template, reminder_template, due_days, reminder_days,"
		" max_reminders, coalesce(digest_weekday, 0), digest_hour, skip_completed,"
		" coalesce(last_digest_week, '') FROM campaigns WHERE status = 'active' ORDER BY id");
	int rc = st ? SQLITE_ROW : SQLITE_ERROR;
	size_t cap = 0;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct campaign_row *g = realloc(*out, cap * sizeof *g);
			if (!g) {
				rc = SQLITE_NOMEM;
				break;
			}
			*out = g;
		}
		struct campaign_row *cp = &(*out)[(*n)++];
		memset(cp, 0, sizeof *cp);
		cp->id = sqlite3_column_int64(st, 0);
		copy_text(cp->name, sizeof cp->name, st, 1);
		cp->audience = strdup((const char *)sqlite3_column_text(st, 2));
		copy_text(cp->template, sizeof cp->template, st, 3);
		copy_text(cp->reminder_template, sizeof cp->reminder_template, st, 4);
		cp->due_days = sqlite3_column_int(st, 5);
		cp->reminder_days = sqlite3_column_int(st, 6);
		cp->max_reminders = sqlite3_column_int(st, 7);
		cp->digest_weekday = sqlite3_column_int(st, 8);
		cp->digest_hour = sqlite3_column_int(st, 9);
		cp->skip_completed = sqlite3_column_int(st, 10);
		copy_text(cp->last_digest_week, sizeof cp->last_digest_week, st, 11);
		if (!cp->audience) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
	return rc == SQLITE_DONE ? 0 : -1;
}

int campaign_tick(struct server *srv, long long now)
{
	struct campaign_row *cps;
	size_t n;
	if (load_active(srv->db, &cps, &n) != 0) {
		for (size_t i = 0; i < n; i++)
			free(cps[i].audience);
		free(cps);
		log_event(LOG_ERROR, "campaign_tick_failed", "step=load");
		return -1;
	}
	char domain[MAIL_ADDR_MAX + 1];
	from_domain(srv, domain, sizeof domain);
	int total = 0, failed = 0;
	for (size_t i = 0; i < n; i++) {
		const struct campaign_row *cp = &cps[i];
		int a = send_due_lessons(srv, cp, now, domain);
		int b = send_reminders(srv, cp, now, domain);
		int d = send_digests(srv, cp, now, domain);
		if (a < 0 || b < 0 || d < 0) {
			failed = 1;
			log_event(LOG_ERROR, "campaign_tick_failed", "campaign=%lld lessons=%d reminders=%d digests=%d",
				  cp->id, a, b, d);
		}
		total += (a > 0 ? a : 0) + (b > 0 ? b : 0) + (d > 0 ? d : 0);
		long long args[2] = { cp->id, now };
		db_write(srv->db, finish_if_done, args);
	}
	for (size_t i = 0; i < n; i++)
		free(cps[i].audience);
	free(cps);
	return failed && total == 0 ? -1 : total;
}
