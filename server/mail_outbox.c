/* mail_outbox.c: outbox rows (see mail_outbox.h). */
#include "mail_outbox.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

void outbox_message_id(const char *domain, char *buf, size_t size)
{
	unsigned char r[16];
	char hex[33];
	randombytes_buf(r, sizeof r);
	sodium_bin2hex(hex, sizeof hex, r, sizeof r);
	snprintf(buf, size, "%s@%s", hex, domain);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static void bind_id_or_null(sqlite3_stmt *st, int i, long long v)
{
	if (v)
		sqlite3_bind_int64(st, i, v);
}

int outbox_insert(struct db_conn *c, const struct outbox_new *n, int *queued)
{
	char mid[MAIL_MESSAGE_ID_MAX];
	outbox_message_id(n->domain, mid, sizeof mid);
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO mail_outbox(dedup_key, kind, to_addr, to_name, employee_id, campaign_id,"
		" course_id, template, vars, subject, text_body, html_body, message_id, next_attempt_ms,"
		" created_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)"
		" ON CONFLICT(dedup_key) DO NOTHING");
	if (!st)
		return DB_ERROR;
	bind_text_or_null(st, 1, n->dedup_key);
	sqlite3_bind_text(st, 2, n->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, n->to_addr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, n->to_name ? n->to_name : "", -1, SQLITE_STATIC);
	bind_id_or_null(st, 5, n->employee_id);
	bind_id_or_null(st, 6, n->campaign_id);
	bind_text_or_null(st, 7, n->course_id);
	bind_text_or_null(st, 8, n->template);
	bind_text_or_null(st, 9, n->vars);
	bind_text_or_null(st, 10, n->subject);
	bind_text_or_null(st, 11, n->text);
	bind_text_or_null(st, 12, n->html);
	sqlite3_bind_text(st, 13, mid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 14, n->now_ms);
	int rc = db_exec_stmt(c, st, "mail_outbox_insert");
	if (rc == DB_OK && queued)
		*queued = sqlite3_changes(db_handle(c)) > 0;
	return rc == DB_OK ? DB_OK : DB_ERROR;
}

int outbox_due(struct db *db, long long now, int part, int parts, long long *ids, int max,
	       long long *next_ms)
{
	*next_ms = 0;
	struct db_conn *c = db_reader_get(db);
	int n = 0, rc = SQLITE_ERROR;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT id, next_attempt_ms FROM mail_outbox WHERE status = 'queued'"
		" AND id % ?1 = ?2 ORDER BY next_attempt_ms, id LIMIT ?3");
	if (st) {
		sqlite3_bind_int(st, 1, parts);
		sqlite3_bind_int(st, 2, part);
		sqlite3_bind_int(st, 3, max + 1);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			long long due = sqlite3_column_int64(st, 1);
			if (due > now || n == max) {
				*next_ms = due > now ? due : now;
				rc = SQLITE_DONE;
				break;
			}
			ids[n++] = sqlite3_column_int64(st, 0);
		}
		sqlite3_reset(st);
	}
	db_reader_put(db, c);
	return rc == SQLITE_DONE ? n : -1;
}

static char *dup_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? strdup((const char *)s) : NULL;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", s ? (const char *)s : "");
}

int outbox_load(struct db *db, long long id, struct outbox_row *r)
{
	memset(r, 0, sizeof *r);
	struct db_conn *c = db_reader_get(db);
	int rc = DB_ERROR;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT o.kind, o.to_addr, o.to_name, o.employee_id, o.campaign_id, o.course_id, o.template,"
		" o.vars, o.subject, o.text_body, o.html_body, o.message_id, o.attempts,"
		" o.employee_id IS NULL OR coalesce(e.active, 0)"
		" FROM mail_outbox o LEFT JOIN employees e ON e.id = o.employee_id"
		" WHERE o.id = ? AND o.status = 'queued'");
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			r->id = id;
			copy_col(st, 0, r->kind, sizeof r->kind);
			copy_col(st, 1, r->to_addr, sizeof r->to_addr);
			copy_col(st, 2, r->to_name, sizeof r->to_name);
			r->employee_id = sqlite3_column_int64(st, 3);
			r->campaign_id = sqlite3_column_int64(st, 4);
			copy_col(st, 5, r->course_id, sizeof r->course_id);
			copy_col(st, 6, r->template, sizeof r->template);
			r->vars = dup_or_null(st, 7);
			r->subject = dup_or_null(st, 8);
			r->text = dup_or_null(st, 9);
			r->html = dup_or_null(st, 10);
			copy_col(st, 11, r->message_id, sizeof r->message_id);
			r->attempts = sqlite3_column_int(st, 12);
			r->recipient_active = sqlite3_column_int(st, 13);
			rc = DB_OK;
		} else {
			rc = s == SQLITE_DONE ? DB_NOTFOUND : DB_ERROR;
		}
		sqlite3_reset(st);
	}
	db_reader_put(db, c);
	return rc;
}

void outbox_row_free(struct outbox_row *r)
{
	free(r->vars);
	free(r->subject);
	free(r->text);
	free(r->html);
	r->vars = r->subject = r->text = r->html = NULL;
}

struct state_job {
	long long id, now, next;
	int count, final;
	const char *error;
	int changed;
};

static int set_sent(struct db_conn *c, void *arg)
{
	struct state_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE mail_outbox SET status = 'sent', sent_ms = ?2, attempts = attempts + 1,"
		" last_error = NULL WHERE id = ?1 AND status = 'queued'");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int64(st, 2, j->now);
	int rc = db_exec_stmt(c, st, "mail_outbox_sent");
	if (rc == DB_OK)
		j->changed = sqlite3_changes(db_handle(c));
	return rc;
}

int outbox_mark_sent(struct db *db, long long id, long long now, int *changed)
{
	struct state_job j = { .id = id, .now = now };
	int rc = db_write_now(db, set_sent, &j);
	*changed = j.changed;
	return rc;
}

static int set_failed(struct db_conn *c, void *arg)
{
	struct state_job *j = arg;
	/* A row marked sent just before a failed final dot counted its
	 * attempt already. */
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE mail_outbox SET status = CASE WHEN ?3 THEN 'failed' ELSE 'queued' END,"
		" sent_ms = NULL, next_attempt_ms = ?2,"
		" attempts = attempts + CASE WHEN ?4 AND status = 'queued' THEN 1 ELSE 0 END,"
		" last_error = substr(?5, 1, 500) WHERE id = ?1 AND status IN ('queued', 'sent')");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_int64(st, 2, j->next);
	sqlite3_bind_int(st, 3, j->final);
	sqlite3_bind_int(st, 4, j->count);
	sqlite3_bind_text(st, 5, j->error ? j->error : "", -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "mail_outbox_failed");
}

static int set_cancelled(struct db_conn *c, void *arg)
{
	struct state_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE mail_outbox SET status = 'cancelled', last_error = ?2"
				      " WHERE id = ?1 AND status = 'queued'");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	sqlite3_bind_text(st, 2, j->error, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "mail_outbox_cancel");
}

int outbox_mark_cancelled(struct db *db, long long id, const char *why)
{
	struct state_job j = { .id = id, .error = why };
	return db_write(db, set_cancelled, &j);
}

int outbox_mark_failed(struct db *db, long long id, long long next_ms, int count, int final,
		       const char *error)
{
	struct state_job j = { .id = id, .next = next_ms, .count = count, .final = final, .error = error };
	return db_write(db, set_failed, &j);
}

static int purge(struct db_conn *c, void *arg)
{
	struct state_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"DELETE FROM mail_outbox WHERE id IN (SELECT id FROM mail_outbox"
		" WHERE status <> 'queued' AND coalesce(sent_ms, created_ms) < ?1 LIMIT 5000)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->now);
	int rc = db_exec_stmt(c, st, "mail_outbox_purge");
	if (rc == DB_OK)
		j->changed = sqlite3_changes(db_handle(c));
	return rc;
}

int outbox_purge(struct db *db, long long before_ms)
{
	int total = 0;
	for (;;) {
		struct state_job j = { .now = before_ms };
		if (db_write(db, purge, &j) != DB_OK)
			return -1;
		total += j.changed;
		if (j.changed < 5000)
			return total;
	}
}
