/* attempts.c: attempts, item state and launches in the database (see
 * attempts.h). Reads borrow a reader connection; writes go through
 * db_write, each its own small job. */
#include "attempts.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "outline.h"
#include "people.h"

long long attempts_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void attempts_uuid(char *out)
{
	unsigned char b[16];
	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

void attempts_token(char *out)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, ATTEMPT_TOKEN_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

void attempts_token_hash(const char *token, unsigned char out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)token, strlen(token), NULL, 0);
}

static void copy_col(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

int course_kind_is_cmi5(const char *kind)
{
	return strcmp(kind, "cmi5") == 0 || strcmp(kind, "native") == 0;
}

void course_ref_free(struct course_ref *c)
{
	json_decref(c->outline);
	c->outline = NULL;
}

static int course_load_conn(struct db_conn *c, const char *course_id, long long version_id,
			    struct course_ref *out)
{
	memset(out, 0, sizeof(*out));
	sqlite3_stmt *st = db_stmt(c,
		"SELECT c.id, c.activity_id, c.title, v.kind, v.id, v.version, v.dir, v.publisher_id,"
		" v.outline FROM courses c JOIN course_versions v ON v.course_id = c.id"
		" WHERE c.id = ?1 AND (?2 = 0 OR v.id = ?2) ORDER BY v.version DESC LIMIT 1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, version_id);
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? DB_NOTFOUND : DB_ERROR;
	copy_col(out->course_id, sizeof(out->course_id), st, 0);
	copy_col(out->activity_id, sizeof(out->activity_id), st, 1);
	copy_col(out->title, sizeof(out->title), st, 2);
	copy_col(out->kind, sizeof(out->kind), st, 3);
	out->version_id = sqlite3_column_int64(st, 4);
	out->version = sqlite3_column_int(st, 5);
	copy_col(out->dir, sizeof(out->dir), st, 6);
	copy_col(out->publisher_id, sizeof(out->publisher_id), st, 7);
	const char *outline = (const char *)sqlite3_column_text(st, 8);
	out->outline = outline ? json_loads(outline, 0, NULL) : NULL;
	sqlite3_reset(st);
	return json_is_array(out->outline) ? DB_OK : DB_ERROR;
}

int course_load(struct db *db, const char *course_id, long long version_id, struct course_ref *out)
{
	struct db_conn *c = db_reader_get(db);
	int rc = course_load_conn(c, course_id, version_id, out);
	db_reader_put(db, c);
	if (rc != DB_OK)
		course_ref_free(out);
	return rc;
}

static void attempt_from_row(sqlite3_stmt *st, struct attempt *a)
{
	memset(a, 0, sizeof(*a));
	a->id = sqlite3_column_int64(st, 0);
	a->employee_id = sqlite3_column_int64(st, 1);
	a->version_id = sqlite3_column_int64(st, 2);
	copy_col(a->registration, sizeof(a->registration), st, 3);
	copy_col(a->current_item, sizeof(a->current_item), st, 4);
	a->completed_ms = sqlite3_column_int64(st, 5);
}

int attempt_latest(struct db *db, long long employee_id, const char *course_id, struct attempt *out)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT id, employee_id, version_id, registration, current_item, completed_ms"
		" FROM course_attempts WHERE employee_id = ? AND course_id = ? ORDER BY id DESC LIMIT 1");
	int rc = DB_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, employee_id);
		sqlite3_bind_text(st, 2, course_id, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			attempt_from_row(st, out);
			rc = DB_OK;
		} else if (s == SQLITE_DONE)
			rc = DB_NOTFOUND;
	}
	db_reader_put(db, c);
	return rc;
}

struct start_job {
	long long employee_id;
	const struct course_ref *c;
	struct attempt *a;
};

static int start_attempt(struct db_conn *c, void *arg)
{
	struct start_job *j = arg;
	long long now = attempts_now_ms();
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO course_attempts(employee_id, course_id, version_id, registration,"
		" started_ms, updated_ms) VALUES(?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->employee_id);
	sqlite3_bind_text(st, 2, j->c->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, j->c->version_id);
	sqlite3_bind_text(st, 4, j->a->registration, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	int rc = db_exec_stmt(c, st, "attempt_insert");
	if (rc != DB_OK)
		return rc;
	j->a->id = sqlite3_last_insert_rowid(db_handle(c));
	/* cmi5: an AU whose moveOn is NotApplicable is satisfied from the start. */
	size_t i;
	json_t *it;
	json_array_foreach(j->c->outline, i, it) {
		const char *move_on = json_string_value(json_object_get(it, "move_on"));
		if (!move_on || strcmp(move_on, "NotApplicable") != 0)
			continue;
		st = db_stmt(c, "INSERT INTO attempt_items(attempt_id, item, satisfied, updated_ms)"
				" VALUES(?, ?, 1, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->a->id);
		sqlite3_bind_text(st, 2, json_string_value(json_object_get(it, "id")), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		if ((rc = db_exec_stmt(c, st, "attempt_item_insert")) != DB_OK)
			return rc;
	}
	return DB_OK;
}

int attempt_start(struct db *db, long long employee_id, const struct course_ref *c,
		  struct attempt *out)
{
	memset(out, 0, sizeof(*out));
	out->employee_id = employee_id;
	out->version_id = c->version_id;
	attempts_uuid(out->registration);
	struct start_job j = { employee_id, c, out };
	return db_write(db, start_attempt, &j);
}

json_t *attempt_item_states(struct db *db, long long attempt_id)
{
	json_t *out = json_object();
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT item, completion, success, score_scaled, score_raw, satisfied, waived, location,"
		" exit FROM attempt_items WHERE attempt_id = ?");
	if (st && out) {
		sqlite3_bind_int64(st, 1, attempt_id);
		while (sqlite3_step(st) == SQLITE_ROW) {
			json_t *o = json_pack("{s:s, s:s, s:b, s:b, s:s, s:s}",
				"completion", (const char *)sqlite3_column_text(st, 1),
				"success", (const char *)sqlite3_column_text(st, 2),
				"satisfied", sqlite3_column_int(st, 5), "waived", sqlite3_column_int(st, 6),
				"location", (const char *)sqlite3_column_text(st, 7),
				"exit", (const char *)sqlite3_column_text(st, 8));
			if (o && sqlite3_column_type(st, 3) != SQLITE_NULL)
				json_object_set_new(o, "score_scaled", json_real(sqlite3_column_double(st, 3)));
			if (o && sqlite3_column_type(st, 4) != SQLITE_NULL)
				json_object_set_new(o, "score_raw", json_real(sqlite3_column_double(st, 4)));
			if (o)
				json_object_set_new(out, (const char *)sqlite3_column_text(st, 0), o);
		}
	}
	db_reader_put(db, c);
	return out;
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return strdup(t ? (const char *)t : "");
}

int item_state_load(struct db_conn *c, long long attempt_id, const char *item, struct item_state *s)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->completion, sizeof(s->completion), "not attempted");
	snprintf(s->success, sizeof(s->success), "unknown");
	sqlite3_stmt *st = db_stmt(c,
		"SELECT cmi, completion, success, score_scaled, score_raw, location, suspend_data, exit,"
		" total_ms, sessions, satisfied, waived, answered, updated_ms FROM attempt_items"
		" WHERE attempt_id = ? AND item = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, attempt_id);
	sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->cmi = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		copy_col(s->completion, sizeof(s->completion), st, 1);
		copy_col(s->success, sizeof(s->success), st, 2);
		if ((s->has_scaled = sqlite3_column_type(st, 3) != SQLITE_NULL))
			s->score_scaled = sqlite3_column_double(st, 3);
		if ((s->has_raw = sqlite3_column_type(st, 4) != SQLITE_NULL))
			s->score_raw = sqlite3_column_double(st, 4);
		s->location = dup_col(st, 5);
		s->suspend_data = dup_col(st, 6);
		copy_col(s->exit, sizeof(s->exit), st, 7);
		s->total_ms = sqlite3_column_int64(st, 8);
		s->sessions = sqlite3_column_int(st, 9);
		s->satisfied = sqlite3_column_int(st, 10);
		s->waived = sqlite3_column_int(st, 11);
		s->answered = json_loads((const char *)sqlite3_column_text(st, 12), 0, NULL);
		s->updated_ms = sqlite3_column_int64(st, 13);
		sqlite3_reset(st);
	} else if (rc != SQLITE_DONE) {
		return db_step_error(c, rc, "item_state_load");
	}
	if (!s->cmi || !json_is_object(s->cmi)) {
		json_decref(s->cmi);
		s->cmi = json_object();
	}
	if (!s->answered || !json_is_array(s->answered)) {
		json_decref(s->answered);
		s->answered = json_array();
	}
	if (!s->location)
		s->location = strdup("");
	if (!s->suspend_data)
		s->suspend_data = strdup("");
	return s->cmi && s->answered && s->location && s->suspend_data ? DB_OK : DB_ERROR;
}

int item_state_save(struct db_conn *c, long long attempt_id, const char *item,
		    const struct item_state *s)
{
	char *cmi = json_dumps(s->cmi, JSON_COMPACT);
	char *answered = json_dumps(s->answered, JSON_COMPACT);
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO attempt_items(attempt_id, item, cmi, completion, success, score_scaled,"
		" score_raw, location, suspend_data, exit, total_ms, sessions, satisfied, waived,"
		" answered, updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16) ON CONFLICT(attempt_id, item) DO UPDATE SET cmi = ?3, completion = ?4,"
		" success = ?5, score_scaled = ?6, score_raw = ?7, location = ?8, suspend_data = ?9,"
		" exit = ?10, total_ms = ?11, sessions = ?12, satisfied = ?13, waived = ?14,"
		" answered = ?15, updated_ms = ?16");
	int rc = DB_ERROR;
	if (st && cmi && answered) {
		sqlite3_bind_int64(st, 1, attempt_id);
		sqlite3_bind_text(st, 2, item, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, cmi, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, s->completion, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, s->success, -1, SQLITE_STATIC);
		if (s->has_scaled)
			sqlite3_bind_double(st, 6, s->score_scaled);
		if (s->has_raw)
			sqlite3_bind_double(st, 7, s->score_raw);
		sqlite3_bind_text(st, 8, s->location ? s->location : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, s->suspend_data ? s->suspend_data : "", -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, s->exit, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 11, s->total_ms);
		sqlite3_bind_int(st, 12, s->sessions);
		sqlite3_bind_int(st, 13, s->satisfied);
		sqlite3_bind_int(st, 14, s->waived);
		sqlite3_bind_text(st, 15, answered, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 16, attempts_now_ms());
		rc = db_exec_stmt(c, st, "item_state_save");
	}
	free(cmi);
	free(answered);
	return rc;
}

void item_state_free(struct item_state *s)
{
	json_decref(s->cmi);
	json_decref(s->answered);
	free(s->location);
	free(s->suspend_data);
	memset(s, 0, sizeof(*s));
}

struct current_job {
	long long attempt_id;
	const char *item;
};

static int set_current(struct db_conn *c, void *arg)
{
	struct current_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE course_attempts SET current_item = ?, updated_ms = ?"
				      " WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, attempts_now_ms());
	sqlite3_bind_int64(st, 3, j->attempt_id);
	return db_exec_stmt(c, st, "attempt_set_current");
}

int attempt_set_current(struct db *db, long long attempt_id, const char *item)
{
	struct current_job j = { attempt_id, item };
	return db_write(db, set_current, &j);
}

struct launch_job {
	long long attempt_id;
	const char *item, *mode, *session_id;
	unsigned char hash[32];
	long long id;
};

static int insert_launch(struct db_conn *c, void *arg)
{
	struct launch_job *j = arg;
	long long now = attempts_now_ms();
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO course_launches(token_hash, attempt_id, item, session_id, launch_mode,"
		" launched_ms, expires_ms, last_seen_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_blob(st, 1, j->hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->attempt_id);
	sqlite3_bind_text(st, 3, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->session_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, now);
	sqlite3_bind_int64(st, 7, now + LAUNCH_TTL_MS);
	sqlite3_bind_int64(st, 8, now);
	int rc = db_exec_stmt(c, st, "launch_insert");
	if (rc == DB_OK)
		j->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int launch_create(struct db *db, long long attempt_id, const char *item, const char *launch_mode,
		  char *token, char *session_id, long long *launch_id)
{
	attempts_token(token);
	attempts_uuid(session_id);
	struct launch_job j = { attempt_id, item, launch_mode, session_id, { 0 }, 0 };
	attempts_token_hash(token, j.hash);
	if (db_write(db, insert_launch, &j) != DB_OK)
		return -1;
	if (launch_id)
		*launch_id = j.id;
	return 0;
}

#define LAUNCH_COLUMNS \
	"SELECT l.id, l.attempt_id, l.item, l.session_id, l.launch_mode, l.verbs, l.launched_ms," \
	" l.expires_ms, COALESCE(l.initialized_ms, 0), COALESCE(l.terminated_ms, 0)," \
	" COALESCE(l.abandoned_ms, 0), l.last_seen_ms, l.fetched, a.employee_id, a.version_id," \
	" a.registration, a.current_item, COALESCE(a.completed_ms, 0), a.course_id" \
	" FROM course_launches l JOIN course_attempts a ON a.id = l.attempt_id"

static int launch_from_row(struct db_conn *c, sqlite3_stmt *st, struct launch *l)
{
	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(st, 0);
	l->attempt_id = sqlite3_column_int64(st, 1);
	copy_col(l->item, sizeof(l->item), st, 2);
	copy_col(l->session_id, sizeof(l->session_id), st, 3);
	copy_col(l->launch_mode, sizeof(l->launch_mode), st, 4);
	copy_col(l->verbs, sizeof(l->verbs), st, 5);
	l->launched_ms = sqlite3_column_int64(st, 6);
	l->expires_ms = sqlite3_column_int64(st, 7);
	l->initialized_ms = sqlite3_column_int64(st, 8);
	l->terminated_ms = sqlite3_column_int64(st, 9);
	l->abandoned_ms = sqlite3_column_int64(st, 10);
	l->last_seen_ms = sqlite3_column_int64(st, 11);
	l->fetched = sqlite3_column_int(st, 12);
	l->employee_id = sqlite3_column_int64(st, 13);
	struct attempt *a = &l->attempt;
	a->id = l->attempt_id;
	a->employee_id = l->employee_id;
	a->version_id = sqlite3_column_int64(st, 14);
	copy_col(a->registration, sizeof(a->registration), st, 15);
	copy_col(a->current_item, sizeof(a->current_item), st, 16);
	a->completed_ms = sqlite3_column_int64(st, 17);
	char course[COURSE_ID_MAX + 1];
	copy_col(course, sizeof(course), st, 18);
	sqlite3_reset(st);
	return course_load_conn(c, course, a->version_id, &l->course);
}

int launch_by_token(struct db *db, const char *token, struct launch *out)
{
	memset(out, 0, sizeof(*out));
	if (strlen(token) != ATTEMPT_TOKEN_LEN)
		return DB_NOTFOUND;
	unsigned char hash[32];
	attempts_token_hash(token, hash);
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, LAUNCH_COLUMNS " WHERE l.token_hash = ? AND l.expires_ms > ?");
	int rc = DB_ERROR;
	if (st) {
		sqlite3_bind_blob(st, 1, hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, attempts_now_ms());
		int s = sqlite3_step(st);
		rc = s == SQLITE_ROW ? launch_from_row(c, st, out) : s == SQLITE_DONE ? DB_NOTFOUND : DB_ERROR;
	}
	db_reader_put(db, c);
	if (rc != DB_OK)
		launch_free(out);
	return rc;
}

int launch_by_id(struct db *db, long long id, struct launch *out)
{
	memset(out, 0, sizeof(*out));
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, LAUNCH_COLUMNS " WHERE l.id = ?");
	int rc = DB_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		int s = sqlite3_step(st);
		rc = s == SQLITE_ROW ? launch_from_row(c, st, out) : s == SQLITE_DONE ? DB_NOTFOUND : DB_ERROR;
	}
	db_reader_put(db, c);
	if (rc != DB_OK)
		launch_free(out);
	return rc;
}

void launch_free(struct launch *l)
{
	course_ref_free(&l->course);
}

json_t *learner_agent(struct db *db, const char *public_url, long long employee_id)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT external_id, name FROM employees WHERE id = ?");
	json_t *agent = NULL;
	if (st) {
		sqlite3_bind_int64(st, 1, employee_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			agent = people_agent(public_url, (const char *)sqlite3_column_text(st, 0),
					     (const char *)sqlite3_column_text(st, 1));
	}
	db_reader_put(db, c);
	return agent;
}
