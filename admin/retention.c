/* retention.c: one run of the retention policy (see retention.h). Work is
 * done in batches of BATCH statements, each its own db_write job, so the
 * writer is never held for long and a large backlog (the first run on a
 * year of statements) goes through while the server keeps answering.
 * After the statements, the index terms that named the people whose
 * statements changed (their mbox or account) are deleted when nothing
 * refers to them any more. */
#include "retention.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "config.h"
#include "db.h"
#include "index.h"
#include "json_text.h"
#include "keys.h"
#include "log.h"
#include "people.h"
#include "terms.h"
#include "session.h"

#define BATCH 500
#define DAY_MS 86400000LL

/* ---- one statement ---- */

static int delete_seq(struct db_conn *c, long long seq);

/* Pseudonymises the statement at seq: new JSON, its agent index rows
 * rebuilt from it, attachments dropped. */
static int pseudonymise_seq(struct db_conn *c, long long seq, const char *full,
			    const unsigned char *key)
{
	json_t *s = json_loads(full, 0, NULL);
	if (!s)
		return delete_seq(c, seq); /* unreadable, so never served: nothing to keep */
	retention_pseudonymise(s, key);
	char *text = lrs_json_dumps(s);
	int rc = text ? DB_OK : DB_ERROR;
	sqlite3_stmt *st;
	if (rc == DB_OK && (st = db_stmt(c, "UPDATE statements SET full = ?2, has_attachments = 0 WHERE seq = ?1"))) {
		sqlite3_bind_int64(st, 1, seq);
		sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
		rc = db_exec_stmt(c, st, "retention_statement_update");
	}
	/* its index rows rebuilt from the new content (agent keys change) */
	if (rc == DB_OK)
		rc = lrs_keys_reindex(c, seq, s);
	if (rc == DB_OK && (st = db_stmt(c, "DELETE FROM statement_attachments WHERE seq = ?"))) {
		sqlite3_bind_int64(st, 1, seq);
		rc = db_exec_stmt(c, st, "retention_attachments_unlink");
	}
	json_decref(s);
	free(text);
	return rc;
}

static int delete_seq(struct db_conn *c, long long seq)
{
	static const char *const sql[] = {
		"DELETE FROM statement_attachments WHERE seq = ?",
		"DELETE FROM statements WHERE seq = ?",
	};
	int rc = lrs_keys_forget(c, seq);
	for (size_t i = 0; rc == DB_OK && i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = db_stmt(c, sql[i]);
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, seq);
		rc = db_exec_stmt(c, st, "retention_statement_delete");
	}
	return rc;
}

/* ---- a batch of statements: old ones, or one person's ---- */

struct batch_job {
	const struct config *cfg;
	long long cutoff_ms;     /* old statements: stored before this */
	long long upto;          /* the last seq stored before cutoff_ms (0: none) */
	const char *agent;       /* or: every statement naming this agent key */
	long long pseudonymised, deleted;
	int more;                /* a full batch was done: run again */
};

static int run_batch(struct db_conn *c, void *arg)
{
	struct batch_job *j = arg;
	int remove = j->cfg->retention_delete_statements;
	long long watermark = 0;
	if (!remove && !j->agent && db_meta_get_int(c, "retention_statement_seq", &watermark) != DB_OK)
		return DB_ERROR;
	sqlite3_stmt *st;
	if (j->agent) {
		int rc = lrs_index_catch_up(c); /* the person's statements, through the index */
		if (rc != DB_OK)
			return rc;
		st = db_stmt(c, "SELECT s.seq, s.full FROM statements s WHERE s.seq IN"
				" (SELECT seq FROM statement_index WHERE kind = 3 AND value = ?1) ORDER BY s.seq LIMIT ?2");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, j->agent, -1, SQLITE_STATIC);
	} else {
		/* within the seqs of old statements: the pass reads only them
		 * (and the few newer ones among them, were the clock ever set
		 * back), not every statement stored since */
		st = db_stmt(c, "SELECT seq, full FROM statements WHERE seq > ?3 AND seq <= ?4"
				" AND stored_ms < ?1 ORDER BY seq LIMIT ?2");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->cutoff_ms);
		sqlite3_bind_int64(st, 3, watermark);
		sqlite3_bind_int64(st, 4, j->upto);
	}
	sqlite3_bind_int(st, 2, BATCH);
	long long seqs[BATCH];
	char *fulls[BATCH];
	int n = 0, rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < BATCH) {
		seqs[n] = sqlite3_column_int64(st, 0);
		fulls[n] = strdup((const char *)sqlite3_column_text(st, 1));
		if (!fulls[n])
			break;
		n++;
	}
	sqlite3_reset(st);
	unsigned char key[RETENTION_KEY_BYTES];
	rc = remove ? DB_OK : (retention_key(c, key) == 0 ? DB_OK : DB_ERROR);
	for (int i = 0; i < n; i++) {
		if (rc == DB_OK)
			rc = remove ? delete_seq(c, seqs[i]) : pseudonymise_seq(c, seqs[i], fulls[i], key);
		free(fulls[i]);
	}
	sodium_memzero(key, sizeof(key));
	if (rc != DB_OK)
		return rc;
	if (remove)
		j->deleted += n;
	else
		j->pseudonymised += n;
	if (!remove && !j->agent && n)
		rc = db_meta_set_int(c, "retention_statement_seq", seqs[n - 1]);
	j->more = n == BATCH;
	return rc;
}

/* The last seq of a statement stored before cutoff_ms (0 when there is
 * none, -1 on error), found through statements_stored: only the old
 * statements' index entries are read. A plain max(seq) walks the table
 * back from its newest row to the first old one, that is every statement
 * (2.6 s on 3.7 million, in the writer, when none was old). */
static long long last_old_seq(struct db *db, long long cutoff_ms)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(max(seq), 0) FROM statements "
				      "INDEXED BY statements_stored WHERE stored_ms < ?1");
	long long upto = -1;
	if (st) {
		sqlite3_bind_int64(st, 1, cutoff_ms);
		if (sqlite3_step(st) == SQLITE_ROW)
			upto = sqlite3_column_int64(st, 0);
	}
	db_reader_put(db, c);
	return upto;
}

static int statements_pass(struct db *db, struct batch_job *j)
{
	if (!j->agent && (j->upto = last_old_seq(db, j->cutoff_ms)) <= 0)
		return j->upto == 0 ? 0 : -1;
	do {
		if (db_write(db, run_batch, j) != DB_OK)
			return -1;
	} while (j->more);
	return 0;
}

/* ---- documents, attachments and the leavers ---- */

struct simple_job {
	const char *sql;
	long long a;
	const char *text;
	long long changed, a_changed; /* rows of the first statement; leavers: attempts */
};

static int run_simple(struct db_conn *c, void *arg)
{
	struct simple_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, j->sql);
	if (!st)
		return DB_ERROR;
	if (sqlite3_bind_parameter_count(st) >= 1)
		sqlite3_bind_int64(st, 1, j->a);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, j->text, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "retention_step");
	if (rc == DB_OK)
		j->changed = sqlite3_changes(db_handle(c));
	return rc;
}

static long long simple(struct db *db, const char *sql, long long a, const char *text)
{
	struct simple_job j = { sql, a, text, 0, 0 };
	return db_write(db, run_simple, &j) == DB_OK ? j.changed : -1;
}

/* Leavers whose own period is over and who were not yet handled since
 * they last changed: (id, external id) pairs, at most max. */
static int leavers(struct db *db, long long cutoff_ms, long long *ids, char ext[][256], int max)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.id, e.external_id FROM employees e"
		" LEFT JOIN retention_employees r ON r.employee_id = e.id"
		" WHERE e.active = 0 AND e.updated_ms < ?1 AND (r.done_ms IS NULL OR r.done_ms < e.updated_ms)"
		" ORDER BY e.id LIMIT ?2");
	int n = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, cutoff_ms);
		sqlite3_bind_int(st, 2, max);
		while (n < max && sqlite3_step(st) == SQLITE_ROW) {
			ids[n] = sqlite3_column_int64(st, 0);
			snprintf(ext[n], 256, "%s", (const char *)sqlite3_column_text(st, 1));
			n++;
		}
	}
	db_reader_put(db, c);
	return st ? n : -1;
}

/* Everything raw about one leaver, in one job after their statements. */
static int leaver_rest(struct db_conn *c, void *arg)
{
	struct simple_job *j = arg;
	static const char *const sql[] = {
		"DELETE FROM documents WHERE kind IN (1, 3) AND agent = ?2 AND ?1 = ?1",
		"DELETE FROM course_attempts WHERE employee_id = ?1", /* items and launches cascade */
		"DELETE FROM course_starts WHERE employee_id = ?1",
		"DELETE FROM assignments WHERE employee_id = ?1",
		"DELETE FROM learning_goals WHERE employee_id = ?1",
		"DELETE FROM mail_outbox WHERE employee_id = ?1",
		"DELETE FROM campaign_recipients WHERE employee_id = ?1",
		"DELETE FROM sessions WHERE employee_id = ?1",
		"UPDATE employees SET email = NULL WHERE id = ?1",
		/* a sign-in account of theirs could not be used since they left
		 * (access.c refuses inactive employees); its secrets go */
		"UPDATE users SET password_hash = NULL, totp_secret = NULL, active = 0 WHERE employee_id = ?1",
		/* the provisioned copy keeps only what links it to the
		 * identity provider (name, e-mail, phone, title, manager go) */
		"UPDATE scim_users SET resource = CASE WHEN external_id IS NULL"
		" THEN json_object('userName', user_name)"
		" ELSE json_object('userName', user_name, 'externalId', external_id) END"
		" WHERE employee_id = ?1",
		"INSERT INTO retention_employees(employee_id, done_ms) VALUES(?1, "
		" (SELECT max(updated_ms, ?3) FROM employees WHERE id = ?1))"
		" ON CONFLICT(employee_id) DO UPDATE SET done_ms = excluded.done_ms",
	};
	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
		sqlite3_stmt *st = db_stmt(c, sql[i]);
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->a);
		if (sqlite3_bind_parameter_count(st) >= 2)
			sqlite3_bind_text(st, 2, j->text, -1, SQLITE_STATIC);
		if (sqlite3_bind_parameter_count(st) >= 3)
			sqlite3_bind_int64(st, 3, session_now_ms());
		int rc = db_exec_stmt(c, st, "retention_leaver");
		if (rc != DB_OK)
			return rc;
		if (i == 0)
			j->changed = sqlite3_changes(db_handle(c));
		if (i == 1)
			j->a_changed = sqlite3_changes(db_handle(c));
	}
	return DB_OK;
}

static int leavers_pass(struct db *db, const struct config *cfg, const char *home_page,
			long long now_ms, struct retention_counts *out)
{
	long long cutoff = now_ms - cfg->retention_inactive_days * DAY_MS;
	for (;;) {
		long long ids[64];
		char ext[64][256];
		int n = leavers(db, cutoff, ids, ext, 64);
		if (n < 0)
			return -1;
		for (int i = 0; i < n; i++) {
			json_t *agent = people_agent(home_page, ext[i], "x");
			char key[1024];
			int ok = agent && lrs_agent_key(agent, key, sizeof(key)) == 0;
			json_decref(agent);
			if (!ok)
				return -1;
			struct batch_job b = { .cfg = cfg, .agent = key };
			if (statements_pass(db, &b) != 0)
				return -1;
			out->pseudonymised += b.pseudonymised;
			out->deleted += b.deleted;
			struct simple_job j = { NULL, ids[i], key, 0, 0 };
			if (db_write(db, leaver_rest, &j) != DB_OK)
				return -1;
			out->documents += j.changed;
			out->attempts += j.a_changed;
			out->employees++;
		}
		if (n < 64)
			return 0;
	}
}

/* ---- the index's agent terms ---- */

/* Agent terms (a person's mbox or account) swept per writer job. */
#define TERM_SPAN 20000

struct term_job {
	long long after, deleted, last;
};

static int sweep_terms_job(struct db_conn *c, void *arg)
{
	struct term_job *j = arg;
	long long deleted = 0;
	int rc = lrs_index_catch_up(c); /* every statement's rows are there */
	if (rc == DB_OK)
		rc = lrs_terms_sweep_agents(c, j->after, TERM_SPAN, &deleted, &j->last);
	if (rc == DB_OK)
		j->deleted += deleted;
	return rc;
}

/* Deletes the agent terms no statement refers to any more (those of the
 * people whose statements were just pseudonymised or deleted); returns how
 * many, or -1. */
static long long sweep_terms(struct db *db)
{
	struct term_job j = { 0, 0, 0 };
	do {
		if (db_write(db, sweep_terms_job, &j) != DB_OK)
			return -1;
		j.after = j.last;
	} while (j.last != 0);
	return j.deleted;
}

/* ---- the run ---- */

struct run_row {
	long long id, now_ms, cutoff_ms;
	const char *as_of;
	const struct retention_counts *n;
	int finished;
};

static int write_run(struct db_conn *c, void *arg)
{
	struct run_row *r = arg;
	sqlite3_stmt *st;
	if (!r->id) {
		st = db_stmt(c, "INSERT INTO retention_runs(run_ms, as_of, statements_cutoff_ms) VALUES(?, ?, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, session_now_ms());
		sqlite3_bind_text(st, 2, r->as_of, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->cutoff_ms);
		int rc = db_exec_stmt(c, st, "retention_run_insert");
		r->id = sqlite3_last_insert_rowid(db_handle(c));
		return rc;
	}
	st = db_stmt(c, "UPDATE retention_runs SET statements_pseudonymised = ?2, statements_deleted = ?3,"
			" documents_deleted = ?4, attempts_deleted = ?5, employees_processed = ?6,"
			" sessions_deleted = ?7, finished = ?8 WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->n->pseudonymised);
	sqlite3_bind_int64(st, 3, r->n->deleted);
	sqlite3_bind_int64(st, 4, r->n->documents);
	sqlite3_bind_int64(st, 5, r->n->attempts);
	sqlite3_bind_int64(st, 6, r->n->employees);
	sqlite3_bind_int64(st, 7, r->n->sessions);
	sqlite3_bind_int(st, 8, r->finished);
	return db_exec_stmt(c, st, "retention_run_update");
}

int retention_run(struct db *db, const struct config *cfg, const char *home_page, long long now_ms,
		  struct retention_counts *out)
{
	memset(out, 0, sizeof(*out));
	char as_of[16];
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(as_of, sizeof(as_of), "%Y-%m-%d", &tm);
	long long cutoff = now_ms - cfg->retention_statement_days * DAY_MS;
	struct run_row row = { 0, now_ms, cutoff, as_of, out, 0 };
	if (db_write(db, write_run, &row) != DB_OK)
		return -1;

	struct batch_job b = { .cfg = cfg, .cutoff_ms = cutoff };
	int rc = statements_pass(db, &b);
	out->pseudonymised = b.pseudonymised;
	out->deleted = b.deleted;
	long long n;
	if (rc == 0 && (n = simple(db, "DELETE FROM documents WHERE kind IN (1, 3) AND updated_ms < ?1",
				    cutoff, NULL)) >= 0)
		out->documents += n;
	else
		rc = -1;
	/* Course attempts (SCORM/cmi5 run-time data) untouched for the period;
	 * their items and launches go with them. */
	if (rc == 0 && (n = simple(db, "DELETE FROM course_attempts WHERE updated_ms < ?1", cutoff, NULL)) >= 0)
		out->attempts += n;
	else
		rc = -1;
	if (rc == 0 && simple(db, "DELETE FROM course_starts WHERE last_ms < ?1", cutoff, NULL) < 0)
		rc = -1;
	if (rc == 0)
		rc = leavers_pass(db, cfg, home_page, now_ms, out);
	long long terms = 0;
	if (rc == 0 && (terms = sweep_terms(db)) < 0)
		rc = -1;
	if (rc == 0 && simple(db, "DELETE FROM attachments WHERE ?1 = ?1 AND sha2 NOT IN"
				  " (SELECT sha2 FROM statement_attachments)", 0, NULL) < 0)
		rc = -1;
	/* Sessions expire by the real clock, whatever day the run counts from. */
	if (rc == 0 && (n = simple(db, "DELETE FROM sessions WHERE expires_ms <= ?1", session_now_ms(),
				    NULL)) >= 0)
		out->sessions = n;
	if (rc == 0 && simple(db, "DELETE FROM pending_logins WHERE expires_ms <= ?1", session_now_ms(),
			      NULL) < 0)
		rc = -1;
	row.finished = rc == 0;
	if (db_write(db, write_run, &row) != DB_OK)
		rc = -1;
	log_event(rc == 0 ? LOG_INFO : LOG_ERROR, "retention_run",
		  "as_of=%s pseudonymised=%lld deleted=%lld documents=%lld employees=%lld sessions=%lld "
		  "agent_terms_deleted=%lld ok=%d",
		  as_of, out->pseudonymised, out->deleted, out->documents, out->employees, out->sessions,
		  terms, rc == 0);
	return rc;
}
