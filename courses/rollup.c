/* rollup.c: course (and cmi5 block) completion (see rollup.h). */
#include "rollup.h"

#include <stdio.h>
#include <string.h>

#include "attempts.h"
#include "db.h"
#include "log.h"
#include "lrs.h"
#include "outline.h"
#include "server.h"
#include "stmt.h"

struct done_job {
	long long attempt_id;
	int success;        /* 1, 0, or -1 unknown */
	int has_score;
	double score;
	json_t *blocks;     /* block ids now satisfied (cmi5) */
	int course_done;
};

static int mark_done(struct db_conn *c, void *arg)
{
	struct done_job *j = arg;
	long long now = attempts_now_ms();
	size_t i;
	json_t *b;
	json_array_foreach(j->blocks, i, b) {
		sqlite3_stmt *st = db_stmt(c,
			"INSERT INTO attempt_items(attempt_id, item, satisfied, updated_ms) VALUES(?1, ?2, 1, ?3)"
			" ON CONFLICT(attempt_id, item) DO UPDATE SET satisfied = 1, updated_ms = ?3");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->attempt_id);
		sqlite3_bind_text(st, 2, json_string_value(b), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now);
		int rc = db_exec_stmt(c, st, "block_satisfied");
		if (rc != DB_OK)
			return rc;
	}
	if (!j->course_done)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE course_attempts SET completed_ms = ?1, updated_ms = ?1, success = ?2, score = ?3"
		" WHERE id = ?4 AND completed_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now);
	if (j->success >= 0)
		sqlite3_bind_int(st, 2, j->success);
	if (j->has_score)
		sqlite3_bind_double(st, 3, j->score);
	sqlite3_bind_int64(st, 4, j->attempt_id);
	return db_exec_stmt(c, st, "attempt_done");
}

static int store(struct server *srv, json_t *stmts, const char *what)
{
	char err[256];
	int status = lrs_store_internal(srv, stmts, NULL, err, sizeof(err));
	if (status)
		log_event(LOG_ERROR, "rollup_statements_refused", "what=%s status=%d error=\"%s\"", what,
			  status, err);
	return status;
}

void rollup_scorm(struct server *srv, const struct launch *l)
{
	if (l->attempt.completed_ms)
		return;
	json_t *states = attempt_item_states(srv->db, l->attempt_id);
	int all_done = 1, any_success = 0, nscores = 0;
	double score_sum = 0;
	size_t i;
	json_t *it;
	json_array_foreach(l->course.outline, i, it) {
		const char *type = json_string_value(json_object_get(it, "type"));
		if (!outline_launchable(it) || json_is_false(json_object_get(it, "visible")))
			continue;
		json_t *st = json_object_get(states, json_string_value(json_object_get(it, "id")));
		const char *completion = json_string_value(json_object_get(st, "completion"));
		const char *success = json_string_value(json_object_get(st, "success"));
		if (strcmp(type, "asset") == 0) {
			if (!st)
				all_done = 0;
			continue;
		}
		int passed = success && strcmp(success, "passed") == 0;
		int failed = success && strcmp(success, "failed") == 0;
		int completed = completion && strcmp(completion, "completed") == 0;
		if (!(passed || (completed && !failed)))
			all_done = 0;
		if (passed)
			any_success = 1;
		json_t *scaled = json_object_get(st, "score_scaled");
		if (json_is_number(scaled)) {
			score_sum += json_number_value(scaled);
			nscores++;
		}
	}
	json_decref(states);
	if (!all_done)
		return;
	json_t *actor = learner_agent(srv->db, srv->cfg.public_url, l->employee_id);
	json_t *stmts = json_array();
	json_t *ctx = json_pack("{s:s, s:{s:[{s:s}]}}", "registration", l->attempt.registration,
				"contextActivities", "category", "id", SCORM_PROFILE);
	json_array_append_new(stmts, stmt_new(actor, stmt_verb(VERB_COMPLETED),
		stmt_activity(l->course.activity_id, ACT_COURSE, l->course.title),
		json_deep_copy(ctx), json_pack("{s:b}", "completion", 1)));
	struct done_job j = { l->attempt_id, any_success ? 1 : -1, nscores > 0,
			      nscores ? score_sum / nscores : 0, NULL, 1 };
	if (any_success) {
		json_t *res = json_pack("{s:b, s:b}", "success", 1, "completion", 1);
		if (nscores)
			json_object_set_new(res, "score", json_pack("{s:f}", "scaled", j.score));
		json_array_append_new(stmts, stmt_new(actor, stmt_verb(VERB_PASSED),
			stmt_activity(l->course.activity_id, ACT_COURSE, l->course.title),
			json_deep_copy(ctx), res));
	}
	json_decref(ctx);
	json_decref(actor);
	if (store(srv, stmts, "scorm_course") == 0 && db_write(srv->db, mark_done, &j) == DB_OK)
		log_event(LOG_INFO, "course_completed", "course=%s attempt=%lld", l->course.course_id,
			  l->attempt_id);
	json_decref(stmts);
}

/* ---- cmi5 ---- */

static int satisfied(json_t *states, json_t *it)
{
	json_t *st = json_object_get(states, json_string_value(json_object_get(it, "id")));
	return json_is_true(json_object_get(st, "satisfied"));
}

static json_t *satisfied_stmt(const struct launch *l, json_t *actor, const char *activity,
			      const char *type, const char *publisher, const char *title,
			      const char *session_id)
{
	json_t *ctx = json_pack("{s:s, s:{s:[{s:s}]}, s:{s:s}}", "registration",
				l->attempt.registration, "contextActivities", "category", "id",
				CMI5_CATEGORY, "extensions", CMI5_SESSION_EXT, session_id);
	/* The publisher's id goes in the grouping (cmi5 9.6.2.3) when it is
	 * an IRI, as cmi5 requires it to be. */
	if (ctx && publisher && strchr(publisher, ':'))
		json_object_set_new(json_object_get(ctx, "contextActivities"), "grouping",
				    json_pack("[{s:s}]", "id", publisher));
	return stmt_new(actor, stmt_verb(VERB_SATISFIED), stmt_activity(activity, type, title), ctx,
			NULL);
}

void rollup_cmi5(struct server *srv, const struct launch *l, const char *session_id)
{
	char fresh_session[37];
	if (!session_id) {
		attempts_uuid(fresh_session);
		session_id = fresh_session;
	}
	json_t *outline = l->course.outline;
	json_t *states = attempt_item_states(srv->db, l->attempt_id);
	json_t *actor = learner_agent(srv->db, srv->cfg.public_url, l->employee_id);
	json_t *stmts = json_array();
	struct done_job j = { l->attempt_id, -1, 0, 0, json_array(), 0 };
	size_t n = json_array_size(outline);
	int all = 1;
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(outline, i);
		const char *type = json_string_value(json_object_get(it, "type"));
		if (strcmp(type, "au") == 0 && !satisfied(states, it))
			all = 0;
		if (strcmp(type, "block") != 0 || satisfied(states, it))
			continue;
		json_int_t depth = json_integer_value(json_object_get(it, "depth"));
		int block_done = 1;
		for (size_t k = i + 1; k < n; k++) {
			json_t *c = json_array_get(outline, k);
			if (json_integer_value(json_object_get(c, "depth")) <= depth)
				break;
			if (strcmp(json_string_value(json_object_get(c, "type")), "au") == 0 &&
			    !satisfied(states, c))
				block_done = 0;
		}
		if (!block_done)
			continue;
		json_array_append(j.blocks, json_object_get(it, "id"));
		json_array_append_new(stmts, satisfied_stmt(l, actor,
			json_string_value(json_object_get(it, "activity_id")), CMI5_TYPE_BLOCK,
			json_string_value(json_object_get(it, "id")),
			json_string_value(json_object_get(it, "title")), session_id));
	}
	if (all && !l->attempt.completed_ms) {
		j.course_done = 1;
		json_array_append_new(stmts, satisfied_stmt(l, actor, l->course.activity_id,
			CMI5_TYPE_COURSE, l->course.publisher_id, l->course.title, session_id));
	}
	if (json_array_size(stmts) > 0 && store(srv, stmts, "cmi5_satisfied") == 0 &&
	    db_write(srv->db, mark_done, &j) == DB_OK && j.course_done)
		log_event(LOG_INFO, "course_completed", "course=%s attempt=%lld", l->course.course_id,
			  l->attempt_id);
	json_decref(j.blocks);
	json_decref(stmts);
	json_decref(actor);
	json_decref(states);
}
