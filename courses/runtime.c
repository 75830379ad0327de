/* runtime.c: the SCORM run-time's server side (see runtime.h): the host
 * page, commits and their statements, and the course rollup. */
#include "runtime.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempts.h"
#include "content.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "lrs.h"
#include "origin.h"
#include "outline.h"
#include "rollup.h"
#include "server.h"
#include "stmt.h"

#define LOCKS 64
static pthread_mutex_t locks[LOCKS] = { [0 ... LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER };

void runtime_lock(long long attempt_id)
{
	pthread_mutex_lock(&locks[(unsigned long long)attempt_id % LOCKS]);
}

void runtime_unlock(long long attempt_id)
{
	pthread_mutex_unlock(&locks[(unsigned long long)attempt_id % LOCKS]);
}

static int is_scorm12(const struct launch *l)
{
	return strcmp(l->course.kind, "scorm12") == 0;
}

/* Loads the launch named by params[0]; answers 404 itself when there is
 * none. */
static int load_launch(struct http_request *req, struct launch *l)
{
	if (!origin_request_is_content(req)) {
		http_send_error(req, 404, "not_found", "no such resource");
		return -1;
	}
	int rc = launch_by_token(req->srv->db, req->params[0], l);
	if (rc == DB_NOTFOUND) {
		http_send_error(req, 404, "launch_expired",
				"Økten er utløpt. Åpne kurset på nytt fra kurssiden.");
		return -1;
	}
	if (rc != DB_OK) {
		http_send_error(req, 503, "storage_failed", "the launch could not be read");
		return -1;
	}
	return 0;
}

/* ---- the initial data model ---- */

static void set_str(json_t *o, const char *key, const char *v)
{
	json_t *s = json_string(v ? v : "");
	if (s)
		json_object_set_new(o, key, s);
}

static void set_num(json_t *o, const char *key, double v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%.10g", v);
	set_str(o, key, buf);
}

json_t *runtime_initial_cmi(struct server *srv, const struct launch *l, const json_t *item)
{
	struct item_state s;
	struct db_conn *c = db_reader_get(srv->db);
	int rc = item_state_load(c, l->attempt_id, l->item, &s);
	db_reader_put(srv->db, c);
	if (rc != DB_OK) {
		item_state_free(&s);
		return NULL;
	}
	json_t *agent = learner_agent(srv->db, srv->cfg.public_url, l->employee_id);
	const char *learner_id = json_string_value(json_object_get(json_object_get(agent, "account"), "name"));
	const char *learner_name = json_string_value(json_object_get(agent, "name"));
	int resume = strcmp(s.exit, "suspend") == 0;
	int first = s.sessions == 0 && strcmp(s.completion, "not attempted") == 0;
	const char *launch_data = json_string_value(json_object_get(item, "launch_data"));
	json_t *mastery = json_object_get(item, "mastery");
	char total[40];
	json_t *cmi = json_object();
	if (is_scorm12(l)) {
		json_t *core = json_object();
		set_str(core, "student_id", learner_id);
		set_str(core, "student_name", learner_name);
		set_str(core, "credit", "credit");
		set_str(core, "lesson_mode", "normal");
		set_str(core, "entry", resume ? "resume" : first ? "ab-initio" : "");
		set_str(core, "total_time", stmt_timespan12(s.total_ms, total, sizeof(total)));
		/* 1.2 keeps status, location and score across sessions. */
		const char *status = json_string_value(json_object_get(
			json_object_get(json_object_get(s.cmi, "cmi"), "core"), "lesson_status"));
		if (status && *status)
			set_str(core, "lesson_status", status);
		if (s.location[0])
			set_str(core, "lesson_location", s.location);
		json_t *score = json_object_get(json_object_get(json_object_get(s.cmi, "cmi"), "core"), "score");
		if (json_is_object(score))
			json_object_set(core, "score", score);
		json_object_set_new(cmi, "core", core);
		if (s.suspend_data[0])
			set_str(cmi, "suspend_data", s.suspend_data);
		if (launch_data)
			set_str(cmi, "launch_data", launch_data);
		if (json_is_number(mastery)) {
			json_t *sd = json_object();
			set_num(sd, "mastery_score", json_number_value(mastery));
			json_object_set_new(cmi, "student_data", sd);
		}
	} else {
		set_str(cmi, "learner_id", learner_id);
		set_str(cmi, "learner_name", learner_name);
		set_str(cmi, "credit", "credit");
		set_str(cmi, "mode", "normal");
		set_str(cmi, "entry", resume ? "resume" : first ? "ab-initio" : "");
		set_str(cmi, "total_time", stmt_duration(s.total_ms, total, sizeof(total)));
		if (launch_data)
			set_str(cmi, "launch_data", launch_data);
		json_t *threshold = json_object_get(item, "completion_threshold");
		if (json_is_true(json_object_get(item, "completed_by_measure")) && json_is_number(threshold))
			set_num(cmi, "completion_threshold", json_number_value(threshold));
		json_t *passing = json_object_get(item, "scaled_passing");
		if (json_is_number(passing))
			set_num(cmi, "scaled_passing_score", json_number_value(passing));
		if (resume) {
			/* A suspended attempt goes on with all it had. */
			json_t *old = json_object_get(s.cmi, "cmi");
			static const char *const keep[] = { "location", "suspend_data", "completion_status",
							    "success_status", "progress_measure", "score",
							    "interactions", "objectives", "comments_from_learner",
							    NULL };
			for (int i = 0; keep[i]; i++) {
				json_t *v = json_object_get(old, keep[i]);
				if (v && !(json_is_string(v) && !json_string_length(v)))
					json_object_set(cmi, keep[i], v);
			}
		}
	}
	json_decref(agent);
	item_state_free(&s);
	return cmi;
}

/* ---- the host page ---- */

void runtime_host(struct http_request *req)
{
	struct launch l;
	if (load_launch(req, &l) != 0)
		return;
	json_t *item = outline_find(l.course.outline, l.item);
	if (!item || course_kind_is_cmi5(l.course.kind)) {
		launch_free(&l);
		http_send_error(req, 404, "not_found", "no such SCO");
		return;
	}
	json_t *cmi = runtime_initial_cmi(req->srv, &l, item);
	char player[ORIGIN_MAX], sco[8192];
	origin_player(req, player, sizeof(player));
	snprintf(sco, sizeof(sco), "/content/%s/%s/%s", l.course.course_id, l.course.dir,
		 json_string_value(json_object_get(item, "href")));
	char commit[128], event[128];
	snprintf(commit, sizeof(commit), "/content-run/%s/commit", req->params[0]);
	snprintf(event, sizeof(event), "/content-run/%s/event", req->params[0]);
	json_t *ids = json_array();
	size_t i;
	json_t *it;
	json_array_foreach(l.course.outline, i, it)
		if (outline_launchable(it))
			json_array_append(ids, json_object_get(it, "id"));
	json_t *data = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:o}", "kind", l.course.kind,
				 "item", l.item, "sco", sco, "commit", commit, "event", event,
				 "player_origin", player, "cmi", cmi ? cmi : json_null(), "items", ids);
	char *text = data ? json_dumps(data, JSON_COMPACT | JSON_ESCAPE_SLASH) : NULL;
	json_decref(data);
	json_decref(cmi);
	if (!text) {
		launch_free(&l);
		http_send_error(req, 500, "internal", "the launch could not be prepared");
		return;
	}
	size_t cap = strlen(text) + 1024;
	char *html = malloc(cap);
	if (!html) {
		free(text);
		launch_free(&l);
		http_send_error(req, 503, "unavailable", "out of memory");
		return;
	}
	int n = snprintf(html, cap,
			 "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\">"
			 "<title>Kursinnhold</title><style>html,body{margin:0;height:100%%;overflow:hidden}"
			 "iframe{border:0;width:100%%;height:100%%;display:block}</style></head><body>"
			 "<script type=\"application/json\" id=\"vern-launch\">%s</script>"
			 "<script src=\"/content-assets/%s\"></script>"
			 "<script src=\"/content-assets/host.js\"></script></body></html>",
			 text, is_scorm12(&l) ? "scorm12.min.js" : "scorm2004.min.js");
	free(text);
	char csp[2048];
	content_csp(req, csp, sizeof(csp));
	http_send(req, 200, "text/html; charset=utf-8", html, (size_t)n, csp);
	free(html);
	launch_free(&l);
}

/* ---- reading a commit ---- */

struct cmi_values {
	const char *completion, *success; /* NULL: not given */
	int has_scaled, has_raw, has_min, has_max;
	double scaled, raw, min, max;
	const char *location, *suspend_data, *exit, *session_time;
	json_t *interactions;
};

static const char *str_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int num_at(json_t *o, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 1;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return 0;
	char *end;
	double d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return 0;
	*out = d;
	return 1;
}

/* SCORM 1.2 lesson_status as completion and success. */
static void map_lesson_status(const char *status, struct cmi_values *v)
{
	if (!status || !*status)
		return;
	if (strcmp(status, "passed") == 0) {
		v->completion = "completed";
		v->success = "passed";
	} else if (strcmp(status, "failed") == 0) {
		v->completion = "completed";
		v->success = "failed";
	} else if (strcmp(status, "completed") == 0 || strcmp(status, "browsed") == 0) {
		v->completion = "completed";
	} else if (strcmp(status, "incomplete") == 0) {
		v->completion = "incomplete";
	}
}

static int read_values(int scorm12, json_t *cmi, struct cmi_values *v)
{
	memset(v, 0, sizeof(*v));
	if (!json_is_object(cmi))
		return -1;
	json_t *score;
	if (scorm12) {
		json_t *core = json_object_get(cmi, "core");
		if (!json_is_object(core))
			return -1;
		map_lesson_status(str_at(core, "lesson_status"), v);
		score = json_object_get(core, "score");
		v->location = str_at(core, "lesson_location");
		v->exit = str_at(core, "exit");
		v->session_time = str_at(core, "session_time");
	} else {
		const char *c = str_at(cmi, "completion_status"), *s = str_at(cmi, "success_status");
		if (c && (strcmp(c, "completed") == 0 || strcmp(c, "incomplete") == 0))
			v->completion = c;
		if (s && (strcmp(s, "passed") == 0 || strcmp(s, "failed") == 0))
			v->success = s;
		score = json_object_get(cmi, "score");
		v->location = str_at(cmi, "location");
		v->exit = str_at(cmi, "exit");
		v->session_time = str_at(cmi, "session_time");
		v->has_scaled = num_at(score, "scaled", &v->scaled);
	}
	v->has_raw = num_at(score, "raw", &v->raw);
	v->has_min = num_at(score, "min", &v->min);
	v->has_max = num_at(score, "max", &v->max);
	if (scorm12 && v->has_raw) {
		/* 1.2 scores are 0-100 unless min/max say otherwise. */
		double lo = v->has_min ? v->min : 0, hi = v->has_max ? v->max : 100;
		if (hi > lo) {
			v->scaled = (v->raw - lo) / (hi - lo);
			v->has_scaled = v->scaled >= -1 && v->scaled <= 1;
		}
	}
	v->suspend_data = str_at(cmi, "suspend_data");
	v->interactions = json_object_get(cmi, "interactions");
	return 0;
}

/* ---- statements of a commit ---- */

struct stmt_ctx {
	json_t *actor;
	const struct launch *l;
	const char *sco_activity, *sco_title;
	json_t *out; /* array */
};

static json_t *sco_context(const struct stmt_ctx *x)
{
	char attempt[1200];
	snprintf(attempt, sizeof(attempt), "%s/attempt/%s", x->sco_activity, x->l->attempt.registration);
	return json_pack("{s:s, s:{s:[o], s:[o, o], s:[{s:s}]}}", "registration",
			 x->l->attempt.registration, "contextActivities",
			 "parent", stmt_activity(x->l->course.activity_id, ACT_COURSE, x->l->course.title),
			 "grouping", stmt_activity(attempt, ACT_ATTEMPT, NULL),
			 stmt_activity(x->l->course.activity_id, ACT_COURSE, NULL),
			 "category", "id", SCORM_PROFILE);
}

static json_t *score_json(const struct cmi_values *v)
{
	if (!v->has_scaled && !v->has_raw)
		return NULL;
	json_t *s = json_object();
	if (v->has_scaled && v->scaled >= -1 && v->scaled <= 1)
		json_object_set_new(s, "scaled", json_real(v->scaled));
	int range_ok = !(v->has_min && v->has_max) || v->min <= v->max;
	if (v->has_raw && range_ok && (!v->has_min || v->raw >= v->min) &&
	    (!v->has_max || v->raw <= v->max)) {
		json_object_set_new(s, "raw", json_real(v->raw));
		if (v->has_min)
			json_object_set_new(s, "min", json_real(v->min));
		if (v->has_max)
			json_object_set_new(s, "max", json_real(v->max));
	}
	if (json_object_size(s) == 0) {
		json_decref(s);
		return NULL;
	}
	return s;
}

static void add_sco_stmt(struct stmt_ctx *x, const char *verb, json_t *result)
{
	json_t *st = stmt_new(x->actor, stmt_verb(verb),
			      stmt_activity(x->sco_activity, ACT_LESSON, x->sco_title), sco_context(x),
			      result);
	if (st)
		json_array_append_new(x->out, st);
}

static const char *interaction_type(const char *t)
{
	static const char *const known[] = { "true-false", "choice", "fill-in", "long-fill-in",
					     "matching", "performance", "sequencing", "likert",
					     "numeric", "other", NULL };
	for (int i = 0; t && known[i]; i++)
		if (strcmp(t, known[i]) == 0)
			return t;
	return "other";
}

/* The interaction's answered statement, or NULL when it has no response. */
static json_t *answered_stmt(const struct stmt_ctx *x, int scorm12, json_t *in, const char **sig_out,
			     char *sig, size_t sigsize)
{
	const char *id = str_at(in, "id");
	const char *response = str_at(in, scorm12 ? "student_response" : "learner_response");
	const char *result = str_at(in, "result");
	if (!id || !*id || ((!response || !*response) && (!result || !*result)))
		return NULL;
	snprintf(sig, sigsize, "%s\x1f%s\x1f%s", id, response ? response : "", result ? result : "");
	*sig_out = sig;
	char iid[2048];
	if (outline_activity_id(x->sco_activity, "interaction", id, iid, sizeof(iid)) != 0)
		return NULL;
	json_t *obj = stmt_activity(iid, ACT_INTERACTION, NULL);
	json_t *def = json_object_get(obj, "definition");
	const char *type = interaction_type(str_at(in, "type"));
	json_object_set_new(def, "interactionType", json_string(type));
	const char *desc = str_at(in, "description");
	if (desc && *desc)
		json_object_set_new(def, "description", json_pack("{s:s}", "nb-NO", desc));
	json_t *cr = json_object_get(in, "correct_responses");
	json_t *patterns = json_array();
	const char *key;
	json_t *v;
	size_t i;
	if (json_is_object(cr)) {
		json_object_foreach(cr, key, v)
			if (str_at(v, "pattern"))
				json_array_append_new(patterns, json_string(str_at(v, "pattern")));
	} else if (json_is_array(cr)) {
		json_array_foreach(cr, i, v)
			if (str_at(v, "pattern"))
				json_array_append_new(patterns, json_string(str_at(v, "pattern")));
	}
	if (json_array_size(patterns))
		json_object_set_new(def, "correctResponsesPattern", patterns);
	else
		json_decref(patterns);
	json_t *res = json_object();
	if (response && *response)
		json_object_set_new(res, "response", json_string(response));
	if (result && (strcmp(result, "correct") == 0))
		json_object_set_new(res, "success", json_true());
	else if (result && (strcmp(result, "wrong") == 0 || strcmp(result, "incorrect") == 0))
		json_object_set_new(res, "success", json_false());
	const char *latency = str_at(in, "latency");
	long long ms = stmt_parse_duration(latency);
	if (ms >= 0) {
		char d[40];
		json_object_set_new(res, "duration", json_string(stmt_duration(ms, d, sizeof(d))));
	}
	json_t *ctx = sco_context(x);
	json_array_append_new(json_object_get(json_object_get(ctx, "contextActivities"), "parent"),
			      stmt_activity(x->sco_activity, ACT_LESSON, NULL));
	return stmt_new(x->actor, stmt_verb(VERB_ANSWERED), obj, ctx, res);
}

static void add_answered(struct stmt_ctx *x, int scorm12, const struct cmi_values *v,
			 json_t *answered)
{
	json_t *list = v->interactions;
	json_t *items = json_array();
	const char *key;
	json_t *in;
	size_t i;
	if (json_is_object(list)) {
		/* {"0": {...}, "1": {...}}, and scorm-again's {"childArray": [...]} */
		json_t *child = json_object_get(list, "childArray");
		if (json_is_array(child))
			json_array_extend(items, child);
		else
			json_object_foreach(list, key, in)
				if (json_is_object(in))
					json_array_append(items, in);
	} else if (json_is_array(list)) {
		json_array_extend(items, list);
	}
	json_array_foreach(items, i, in) {
		char sigbuf[4096];
		const char *sig = NULL;
		json_t *st = answered_stmt(x, scorm12, in, &sig, sigbuf, sizeof(sigbuf));
		if (!st)
			continue;
		int seen = 0;
		size_t k;
		json_t *s;
		json_array_foreach(answered, k, s)
			if (strcmp(json_string_value(s), sig) == 0)
				seen = 1;
		if (seen) {
			json_decref(st);
			continue;
		}
		json_array_append_new(answered, json_string(sig));
		json_array_append_new(x->out, st);
	}
	json_decref(items);
}

/* ---- a commit ---- */

struct commit_job {
	const struct launch *l;
	const struct item_state *s;
	int terminate;
	long long session_ms;
};

static int save_commit(struct db_conn *c, void *arg)
{
	struct commit_job *j = arg;
	int rc = item_state_save(c, j->l->attempt_id, j->l->item, j->s);
	if (rc != DB_OK)
		return rc;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE course_launches SET last_seen_ms = ?1,"
		" terminated_ms = CASE WHEN ?2 THEN ?1 ELSE terminated_ms END WHERE id = ?3");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, attempts_now_ms());
	sqlite3_bind_int(st, 2, j->terminate);
	sqlite3_bind_int64(st, 3, j->l->id);
	return db_exec_stmt(c, st, "launch_commit");
}

static void send_result(struct http_request *req, int ok, int code)
{
	json_t *o = json_pack("{s:s, s:i}", "result", ok ? "true" : "false", "errorCode", code);
	http_send_json(req, ok ? 200 : code == 0 ? 500 : 400, o);
	json_decref(o);
}

static int apply_commit(struct http_request *req, const struct launch *l, json_t *cmi,
			int terminate, char *err, size_t errsize)
{
	struct server *srv = req->srv;
	int scorm12 = is_scorm12(l);
	struct cmi_values v;
	if (read_values(scorm12, cmi, &v) != 0) {
		snprintf(err, errsize, "the commit holds no SCORM %s data model", scorm12 ? "1.2" : "2004");
		return 400;
	}
	json_t *item = outline_find(l->course.outline, l->item);
	struct item_state s;
	struct db_conn *c = db_reader_get(srv->db);
	int rc = item_state_load(c, l->attempt_id, l->item, &s);
	db_reader_put(srv->db, c);
	if (rc != DB_OK || !item) {
		item_state_free(&s);
		snprintf(err, errsize, "the attempt could not be read");
		return 503;
	}
	struct stmt_ctx x = { learner_agent(srv->db, srv->cfg.public_url, l->employee_id), l,
			      json_string_value(json_object_get(item, "activity_id")),
			      json_string_value(json_object_get(item, "title")), json_array() };
	/* Status: completion and passing never go back within an attempt. */
	if (v.completion && strcmp(s.completion, "completed") != 0) {
		if (strcmp(v.completion, "completed") == 0)
			add_sco_stmt(&x, VERB_COMPLETED, json_pack("{s:b}", "completion", 1));
		snprintf(s.completion, sizeof(s.completion), "%s", v.completion);
	}
	json_t *score = score_json(&v);
	if (v.success && strcmp(s.success, "passed") != 0 && strcmp(s.success, v.success) != 0) {
		int passed = strcmp(v.success, "passed") == 0;
		json_t *res = json_pack("{s:b}", "success", passed);
		if (score)
			json_object_set(res, "score", score);
		add_sco_stmt(&x, passed ? VERB_PASSED : VERB_FAILED, res);
		snprintf(s.success, sizeof(s.success), "%s", v.success);
	}
	int score_changed = (v.has_scaled && (!s.has_scaled || fabs(s.score_scaled - v.scaled) > 1e-9)) ||
			    (v.has_raw && (!s.has_raw || fabs(s.score_raw - v.raw) > 1e-9));
	if (score && score_changed)
		add_sco_stmt(&x, VERB_SCORED, json_pack("{s:O}", "score", score));
	json_decref(score);
	if (v.has_scaled) {
		s.has_scaled = 1;
		s.score_scaled = v.scaled;
	}
	if (v.has_raw) {
		s.has_raw = 1;
		s.score_raw = v.raw;
	}
	add_answered(&x, scorm12, &v, s.answered);
	if (v.location) {
		free(s.location);
		s.location = strdup(v.location);
	}
	if (v.suspend_data) {
		free(s.suspend_data);
		s.suspend_data = strdup(v.suspend_data);
	}
	long long session_ms = stmt_parse_duration(v.session_time);
	if (terminate) {
		const char *exit = v.exit ? v.exit : "";
		/* A session closed without Terminate (page hidden) is suspended. */
		if (terminate == 2)
			exit = "suspend";
		snprintf(s.exit, sizeof(s.exit), "%s", exit);
		if (session_ms < 0)
			session_ms = attempts_now_ms() - (l->initialized_ms ? l->initialized_ms : l->launched_ms);
		s.total_ms += session_ms;
		char d[40];
		int suspended = strcmp(exit, "suspend") == 0;
		add_sco_stmt(&x, suspended ? VERB_SUSPENDED : VERB_TERMINATED,
			     json_pack("{s:s}", "duration", stmt_duration(session_ms, d, sizeof(d))));
	} else {
		/* Until Terminate, a session that just stops is a suspend. */
		snprintf(s.exit, sizeof(s.exit), "suspend");
	}
	json_decref(s.cmi);
	s.cmi = json_pack("{s:O}", "cmi", cmi);
	int status = 0;
	char lerr[256];
	if (json_array_size(x.out) > 0 &&
	    (status = lrs_store_internal(srv, x.out, NULL, lerr, sizeof(lerr))) != 0) {
		log_event(LOG_ERROR, "scorm_statements_refused", "course=%s item_status=%d error=\"%s\"",
			  l->course.course_id, status, lerr);
		snprintf(err, errsize, "the statements were not stored: %s", lerr);
		/* A statement the LRS finds invalid must not cost the learner the
		 * data: store it anyway. Only a storage failure fails the commit. */
		if (status < 500)
			status = 0;
	}
	if (status == 0) {
		struct commit_job j = { l, &s, terminate != 0, session_ms };
		if (db_write(srv->db, save_commit, &j) != DB_OK) {
			status = 503;
			snprintf(err, errsize, "the data could not be stored");
		}
	}
	json_decref(x.actor);
	json_decref(x.out);
	item_state_free(&s);
	if (status == 0)
		rollup_scorm(srv, l);
	return status;
}

void runtime_commit(struct http_request *req)
{
	struct launch l;
	if (load_launch(req, &l) != 0)
		return;
	if (course_kind_is_cmi5(l.course.kind)) {
		launch_free(&l);
		http_send_error(req, 404, "not_found", "no such SCO");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body) {
		launch_free(&l);
		return;
	}
	char flag[16];
	int terminate = http_query_param(req, "terminate", flag, sizeof(flag)) > 0 &&
			strcmp(flag, "true") == 0;
	if (http_query_param(req, "pagehide", flag, sizeof(flag)) > 0 && strcmp(flag, "1") == 0)
		terminate = 2;
	json_t *cmi = json_object_get(body, "cmi");
	runtime_lock(l.attempt_id);
	/* Re-read under the lock: the launch may have ended meanwhile. */
	struct launch fresh;
	int rc = launch_by_id(req->srv->db, l.id, &fresh);
	char err[512] = "";
	int status;
	if (rc != DB_OK)
		status = 503;
	else if (fresh.terminated_ms) {
		/* After Terminate the session is over; a page-hide beacon that
		 * follows it has nothing to add. */
		status = terminate == 2 ? 0 : 409;
		snprintf(err, sizeof(err), "the SCO session has ended");
	} else
		status = apply_commit(req, &fresh, cmi, terminate, err, sizeof(err));
	if (rc == DB_OK)
		launch_free(&fresh);
	runtime_unlock(l.attempt_id);
	json_decref(body);
	launch_free(&l);
	if (status == 0)
		send_result(req, 1, 0);
	else if (status == 409)
		http_send_error(req, 409, "session_ended", "%s", err);
	else if (status == 400)
		http_send_error(req, 400, "bad_commit", "%s", err);
	else
		http_send_error(req, status >= 500 ? 503 : status, "commit_failed", "%s",
				err[0] ? err : "the commit was not stored");
}

struct init_job {
	long long launch_id, attempt_id;
	const char *item;
};

static int mark_initialized(struct db_conn *c, void *arg)
{
	struct init_job *j = arg;
	long long now = attempts_now_ms();
	sqlite3_stmt *st = db_stmt(c, "UPDATE course_launches SET initialized_ms = ?1, last_seen_ms = ?1"
				      " WHERE id = ?2 AND initialized_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, j->launch_id);
	int rc = db_exec_stmt(c, st, "launch_initialized");
	if (rc != DB_OK || sqlite3_changes(db_handle(c)) == 0)
		return rc == DB_OK ? DB_INVALID : rc;
	st = db_stmt(c, "INSERT INTO attempt_items(attempt_id, item, completion, sessions, updated_ms)"
			" VALUES(?1, ?2, 'incomplete', 1, ?3) ON CONFLICT(attempt_id, item) DO UPDATE SET"
			" sessions = sessions + 1, completion = CASE completion WHEN 'not attempted'"
			" THEN 'incomplete' ELSE completion END, updated_ms = ?3");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->attempt_id);
	sqlite3_bind_text(st, 2, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now);
	return db_exec_stmt(c, st, "item_session");
}

void runtime_event(struct http_request *req)
{
	struct launch l;
	if (load_launch(req, &l) != 0)
		return;
	json_t *body = http_body_json(req);
	if (!body) {
		launch_free(&l);
		return;
	}
	const char *type = json_string_value(json_object_get(body, "type"));
	if (!type || strcmp(type, "initialize") != 0 || course_kind_is_cmi5(l.course.kind)) {
		json_decref(body);
		launch_free(&l);
		http_send_error(req, 400, "bad_event", "the only event is {\"type\": \"initialize\"}");
		return;
	}
	json_decref(body);
	json_t *item = outline_find(l.course.outline, l.item);
	runtime_lock(l.attempt_id);
	struct item_state s;
	struct db_conn *c = db_reader_get(req->srv->db);
	int rc = item_state_load(c, l.attempt_id, l.item, &s);
	db_reader_put(req->srv->db, c);
	int resumed = rc == DB_OK && strcmp(s.exit, "suspend") == 0;
	item_state_free(&s);
	struct init_job j = { l.id, l.attempt_id, l.item };
	int w = rc == DB_OK && item ? db_write(req->srv->db, mark_initialized, &j) : DB_ERROR;
	int status = 0;
	if (w == DB_OK) {
		struct stmt_ctx x = { learner_agent(req->srv->db, req->srv->cfg.public_url, l.employee_id),
				      &l, json_string_value(json_object_get(item, "activity_id")),
				      json_string_value(json_object_get(item, "title")), json_array() };
		add_sco_stmt(&x, resumed ? VERB_RESUMED : VERB_INITIALIZED, NULL);
		char err[256];
		status = lrs_store_internal(req->srv, x.out, NULL, err, sizeof(err));
		if (status)
			log_event(LOG_ERROR, "scorm_statements_refused", "status=%d error=\"%s\"", status, err);
		json_decref(x.actor);
		json_decref(x.out);
	}
	runtime_unlock(l.attempt_id);
	launch_free(&l);
	if (w == DB_INVALID)
		http_send_error(req, 409, "already_initialized", "the SCO session was initialized before");
	else if (w != DB_OK || status)
		http_send_error(req, 503, "storage_failed", "the event was not stored");
	else
		send_result(req, 1, 0);
}

void runtime_return(struct http_request *req)
{
	if (!origin_request_is_content(req)) {
		http_send_error(req, 404, "not_found", "no such resource");
		return;
	}
	static const char page[] =
		"<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>Ferdig</title>"
		"</head><body><p>Denne delen er avsluttet.</p>"
		"<script src=\"/content-assets/host.js\"></script></body></html>";
	char csp[2048];
	content_csp(req, csp, sizeof(csp));
	http_send(req, 200, "text/html; charset=utf-8", page, sizeof(page) - 1, csp);
}
