/* cmi5.c: cmi5 launch, fetch, the AU's restricted LRS client, moveOn,
 * abandoned and waived (see cmi5.h). */
#include "cmi5.h"

#include <civetweb.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "attempts.h"
#include "db.h"
#include "documents.h"
#include "http.h"
#include "log.h"
#include "origin.h"
#include "outline.h"
#include "rollup.h"
#include "runtime.h"
#include "server.h"
#include "statements.h"
#include "stmt.h"

/* Statements may trail "terminated" by this much (requests in flight). */
#define TERMINATE_GRACE_MS 3000
/* The token still authenticates this long after terminated or abandoned
 * is recorded (so in-flight reads end cleanly); statements are refused. */
#define AUTH_GRACE_MS 60000

static int is_iri(const char *s)
{
	return s && strchr(s, ':') != NULL;
}

/* ---- launch ---- */

static json_t *context_base(const char *registration, const char *publisher, const char *session)
{
	json_t *ctx = json_pack("{s:s, s:{s:[{s:s}]}, s:{s:s}}", "registration", registration,
				"contextActivities", "category", "id", CMI5_CATEGORY, "extensions",
				CMI5_SESSION_EXT, session);
	if (ctx && is_iri(publisher))
		json_object_set_new(json_object_get(ctx, "contextActivities"), "grouping",
				    json_pack("[{s:s, s:s}]", "objectType", "Activity", "id", publisher));
	return ctx;
}

struct open_session {
	long long id;
	char session_id[37];
	long long launched_ms, last_seen_ms;
};

struct abandon_job {
	long long attempt_id;
	struct open_session *list;
	int n, cap;
};

/* Marks every open launch of the attempt abandoned and collects them. */
static int abandon_open(struct db_conn *c, void *arg)
{
	struct abandon_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT id, session_id, launched_ms, last_seen_ms FROM course_launches"
				      " WHERE attempt_id = ? AND terminated_ms IS NULL AND abandoned_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->attempt_id);
	while (sqlite3_step(st) == SQLITE_ROW && j->n < j->cap) {
		struct open_session *o = &j->list[j->n++];
		o->id = sqlite3_column_int64(st, 0);
		snprintf(o->session_id, sizeof(o->session_id), "%s", (const char *)sqlite3_column_text(st, 1));
		o->launched_ms = sqlite3_column_int64(st, 2);
		o->last_seen_ms = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	for (int i = 0; i < j->n; i++) {
		st = db_stmt(c, "UPDATE course_launches SET abandoned_ms = ? WHERE id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, attempts_now_ms());
		sqlite3_bind_int64(st, 2, j->list[i].id);
		int rc = db_exec_stmt(c, st, "launch_abandon");
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* Abandons the open sessions of the attempt, each with its statement. */
static int abandon_sessions(struct server *srv, const struct course_ref *c, const struct attempt *a,
			    const json_t *actor)
{
	struct open_session list[64];
	struct abandon_job j = { a->id, list, 0, 64 };
	if (db_write(srv->db, abandon_open, &j) != DB_OK)
		return -1;
	if (j.n == 0)
		return 0;
	json_t *stmts = json_array();
	for (int i = 0; i < j.n; i++) {
		struct launch l;
		if (launch_by_id(srv->db, list[i].id, &l) != DB_OK)
			continue;
		json_t *item = outline_find(c->outline, l.item);
		char d[40];
		long long ms = list[i].last_seen_ms - list[i].launched_ms;
		json_array_append_new(stmts, stmt_new(actor, stmt_verb(VERB_ABANDONED),
			stmt_activity(json_string_value(json_object_get(item, "activity_id")), NULL, NULL),
			context_base(a->registration, l.item, list[i].session_id),
			json_pack("{s:s}", "duration", stmt_duration(ms, d, sizeof(d)))));
		launch_free(&l);
	}
	char err[256];
	int status = lrs_store_internal(srv, stmts, NULL, err, sizeof(err));
	if (status)
		log_event(LOG_ERROR, "cmi5_abandoned_refused", "status=%d error=\"%s\"", status, err);
	json_decref(stmts);
	return status ? -1 : 0;
}

struct launchdata_job {
	const char *activity, *registration, *body;
	const json_t *agent;
};

static int write_launchdata(struct db_conn *c, void *arg)
{
	struct launchdata_job *j = arg;
	return lrs_state_put_internal(c, j->activity, j->agent, j->registration, "LMS.LaunchData",
				      "application/json", j->body, strlen(j->body));
}

/* Appends name=value (value URL-encoded) to a growing query. */
static int add_param(char *buf, size_t size, size_t *o, const char *name, const char *value)
{
	size_t vl = strlen(value) * 3 + 1;
	char *enc = malloc(vl);
	if (!enc)
		return -1;
	mg_url_encode(value, enc, vl);
	int n = snprintf(buf + *o, size - *o, "%s%s=%s", *o ? "&" : "", name, enc);
	free(enc);
	if (n < 0 || (size_t)n >= size - *o)
		return -1;
	*o += (size_t)n;
	return 0;
}

int cmi5_launch(struct http_request *req, const struct course_ref *c, const struct attempt *a,
		const char *item_id, char **url, char *err, size_t errsize)
{
	struct server *srv = req->srv;
	*url = NULL;
	json_t *item = outline_find(c->outline, item_id);
	const char *activity = json_string_value(json_object_get(item, "activity_id"));
	json_t *actor = learner_agent(srv->db, srv->cfg.public_url, a->employee_id);
	if (!item || !activity || !actor) {
		json_decref(actor);
		snprintf(err, errsize, "the AU or the learner is unknown");
		return -1;
	}
	char player[ORIGIN_MAX], content[ORIGIN_MAX];
	origin_player(req, player, sizeof(player));
	origin_content(req, content, sizeof(content));
	int rc = -1;
	char *query = NULL, *actor_text = NULL, *launchdata = NULL, *full = NULL;
	json_t *ld = NULL, *launched = NULL;
	runtime_lock(a->id);
	if (abandon_sessions(srv, c, a, actor) != 0) {
		snprintf(err, errsize, "the previous session could not be closed");
		goto out;
	}
	char token[ATTEMPT_TOKEN_LEN + 1], session[37];
	long long launch_id;
	if (launch_create(srv->db, a->id, item_id, "Normal", token, session, &launch_id) != 0) {
		snprintf(err, errsize, "the launch could not be stored");
		goto out;
	}
	/* The AU's URL: its own (in the package, or external) plus the
	 * launch parameters. */
	const char *href = json_string_value(json_object_get(item, "href"));
	size_t base_cap = strlen(href) + ORIGIN_MAX + 256;
	char *base = malloc(base_cap);
	if (!base)
		goto out;
	if (json_is_true(json_object_get(item, "external")))
		snprintf(base, base_cap, "%s", href);
	else
		snprintf(base, base_cap, "%s/content/%s/%s/%s", content, c->course_id, c->dir, href);
	char *hash = strchr(base, '#');
	char fragment[1024] = "";
	if (hash) {
		snprintf(fragment, sizeof(fragment), "%s", hash);
		*hash = '\0';
	}
	actor_text = json_dumps(actor, JSON_COMPACT);
	size_t qcap = 8192 + (actor_text ? strlen(actor_text) * 3 : 0);
	query = malloc(qcap);
	char endpoint[ORIGIN_MAX + 16], fetch[ORIGIN_MAX + 128];
	snprintf(endpoint, sizeof(endpoint), "%s/xapi/", player);
	snprintf(fetch, sizeof(fetch), "%s/api/cmi5/fetch/%s", player, token);
	size_t o = 0;
	if (!query || !actor_text || add_param(query, qcap, &o, "endpoint", endpoint) ||
	    add_param(query, qcap, &o, "fetch", fetch) || add_param(query, qcap, &o, "actor", actor_text) ||
	    add_param(query, qcap, &o, "registration", a->registration) ||
	    add_param(query, qcap, &o, "activityId", activity)) {
		free(base);
		snprintf(err, errsize, "the launch URL is too long");
		goto out;
	}
	size_t fcap = strlen(base) + strlen(query) + strlen(fragment) + 4;
	full = malloc(fcap);
	if (full)
		snprintf(full, fcap, "%s%s%s%s", base, strchr(base, '?') ? "&" : "?", query, fragment);

	/* LMS.LaunchData */
	const char *move_on = json_string_value(json_object_get(item, "move_on"));
	char return_url[ORIGIN_MAX + 32];
	snprintf(return_url, sizeof(return_url), "%s/content-return", content);
	ld = json_pack("{s:o, s:s, s:s, s:s, s:s}", "contextTemplate",
		       json_pack("{s:{}, s:{s:s}}", "contextActivities", "extensions", CMI5_SESSION_EXT,
				 session),
		       "launchMode", "Normal", "launchMethod",
		       json_string_value(json_object_get(item, "launch_method")), "moveOn", move_on,
		       "returnURL", return_url);
	if (ld && is_iri(item_id))
		json_object_set_new(json_object_get(json_object_get(ld, "contextTemplate"), "contextActivities"),
				    "grouping", json_pack("[{s:s, s:s}]", "objectType", "Activity", "id", item_id));
	json_t *mastery = json_object_get(item, "mastery");
	const char *params = json_string_value(json_object_get(item, "launch_parameters"));
	const char *entitlement = json_string_value(json_object_get(item, "entitlement_key"));
	if (json_is_number(mastery))
		json_object_set(ld, "masteryScore", mastery);
	if (params && *params)
		json_object_set_new(ld, "launchParameters", json_string(params));
	if (entitlement && *entitlement)
		json_object_set_new(ld, "entitlementKey", json_pack("{s:s}", "courseStructure", entitlement));
	launchdata = ld ? json_dumps(ld, JSON_COMPACT) : NULL;
	struct launchdata_job lj = { activity, a->registration, launchdata, actor };
	if (!full || !launchdata || db_write(srv->db, write_launchdata, &lj) != DB_OK) {
		free(base);
		snprintf(err, errsize, "LMS.LaunchData could not be stored");
		goto out;
	}

	/* The launched statement, before the AU opens. */
	json_t *ctx = context_base(a->registration, item_id, session);
	json_t *ext = json_object_get(ctx, "extensions");
	char launchurl[8192];
	snprintf(launchurl, sizeof(launchurl), "%s", base);
	json_object_set_new(ext, CMI5_EXT "launchmode", json_string("Normal"));
	json_object_set_new(ext, CMI5_EXT "launchurl", json_string(launchurl));
	json_object_set_new(ext, CMI5_EXT "moveon", json_string(move_on));
	if (params && *params)
		json_object_set_new(ext, CMI5_EXT "launchparameters", json_string(params));
	if (json_is_number(mastery))
		json_object_set(ext, CMI5_EXT "masteryscore", mastery);
	free(base);
	launched = stmt_new(actor, stmt_verb(VERB_LAUNCHED),
			    stmt_activity(activity, NULL, NULL), ctx, NULL);
	char lerr[256];
	int status = lrs_store_internal(srv, launched, NULL, lerr, sizeof(lerr));
	if (status) {
		snprintf(err, errsize, "the launched statement was refused: %s", lerr);
		goto out;
	}
	*url = full;
	full = NULL;
	rc = 0;
out:
	runtime_unlock(a->id);
	free(full);
	free(query);
	free(actor_text);
	free(launchdata);
	json_decref(ld);
	json_decref(launched);
	json_decref(actor);
	return rc;
}

/* ---- fetch ---- */

struct fetch_job {
	unsigned char token_hash[32];
	char key[64];
	unsigned char secret_hash[32];
	int result; /* 0 issued, 1 already used, 2 expired/unknown */
};

static int issue_token(struct db_conn *c, void *arg)
{
	struct fetch_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE course_launches SET fetched = 1, auth_key = ?1, auth_hash = ?2, last_seen_ms = ?3"
		" WHERE token_hash = ?4 AND fetched = 0 AND expires_ms > ?3 AND abandoned_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, j->secret_hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, attempts_now_ms());
	sqlite3_bind_blob(st, 4, j->token_hash, 32, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "cmi5_fetch");
	if (rc != DB_OK)
		return rc;
	if (sqlite3_changes(db_handle(c)) == 1) {
		j->result = 0;
		return DB_OK;
	}
	st = db_stmt(c, "SELECT fetched FROM course_launches WHERE token_hash = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_blob(st, 1, j->token_hash, 32, SQLITE_STATIC);
	j->result = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) ? 1 : 2;
	return DB_OK;
}

static const char fetch_cors[] = "Access-Control-Allow-Origin: *\r\n"
				 "Access-Control-Allow-Methods: POST, OPTIONS\r\n"
				 "Access-Control-Allow-Headers: Content-Type\r\n";

static void fetch_error(struct http_request *req, const char *code, const char *text)
{
	json_t *o = json_pack("{s:s, s:s}", "error-code", code, "error-text", text);
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	http_send(req, 200, "application/json", body, strlen(body), fetch_cors);
	free(body);
}

void cmi5_fetch(struct http_request *req)
{
	if (req->method == HTTP_OPTIONS) {
		http_send(req, 204, "text/plain", "", 0, fetch_cors);
		return;
	}
	const char *token = req->params[0];
	if (strlen(token) != ATTEMPT_TOKEN_LEN) {
		fetch_error(req, "2", "The fetch URL is not valid or has expired.");
		return;
	}
	struct fetch_job j;
	memset(&j, 0, sizeof(j));
	attempts_token_hash(token, j.token_hash);
	char hex[25], secret[ATTEMPT_TOKEN_LEN + 1];
	unsigned char raw[12];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(j.key, sizeof(j.key), CMI5_KEY_PREFIX "%s", hex);
	attempts_token(secret);
	attempts_token_hash(secret, j.secret_hash);
	if (db_write(req->srv->db, issue_token, &j) != DB_OK) {
		fetch_error(req, "3", "The LMS could not issue a token.");
		return;
	}
	if (j.result == 1) {
		fetch_error(req, "1", "The fetch URL was already used.");
		return;
	}
	if (j.result == 2) {
		fetch_error(req, "2", "The fetch URL is not valid or has expired.");
		return;
	}
	char pair[128], b64[256];
	snprintf(pair, sizeof(pair), "%s:%s", j.key, secret);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)pair, strlen(pair),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(pair, sizeof(pair));
	sodium_memzero(secret, sizeof(secret));
	json_t *o = json_pack("{s:s}", "auth-token", b64);
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	sodium_memzero(b64, sizeof(b64));
	http_send(req, 200, "application/json", body, strlen(body), fetch_cors);
	sodium_memzero(body, strlen(body));
	free(body);
}

/* ---- the AU's LRS client ---- */

int cmi5_auth(struct server *srv, const char *key, const char *secret, struct lrs_client *out)
{
	memset(out, 0, sizeof(*out));
	unsigned char want[32];
	attempts_token_hash(secret, want);
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, auth_hash, expires_ms, COALESCE(terminated_ms, 0),"
				      " COALESCE(abandoned_ms, 0) FROM course_launches WHERE auth_key = ?");
	long long id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 1) == 32 &&
		    sodium_memcmp(want, sqlite3_column_blob(st, 1), 32) == 0) {
			long long now = attempts_now_ms();
			long long ended = sqlite3_column_int64(st, 4) ? sqlite3_column_int64(st, 4)
								      : sqlite3_column_int64(st, 3);
			if (sqlite3_column_int64(st, 2) > now && (!ended || now - ended < AUTH_GRACE_MS))
				id = sqlite3_column_int64(st, 0);
		}
	}
	db_reader_put(srv->db, c);
	if (!id)
		return -1;
	out->id = -id;
	out->cmi5_launch = id;
	out->scopes = LRS_SCOPE_STATEMENTS_WRITE | LRS_SCOPE_STATEMENTS_READ_MINE | LRS_SCOPE_STATE |
		      LRS_SCOPE_PROFILE;
	snprintf(out->name, sizeof(out->name), "cmi5 AU session");
	out->authority = json_pack("{s:s, s:s, s:{s:s, s:s}}", "objectType", "Agent", "name",
				   "Vern cmi5", "account", "homePage",
				   srv->cfg.public_url[0] ? srv->cfg.public_url : srv->base_url, "name", key);
	return out->authority ? 0 : -1;
}

/* What a session has said so far, replayed statement by statement. */
struct au_rules {
	struct launch l;
	const char *activity;       /* the AU's activity id */
	char learner[1024];         /* agent key */
	int initialized, terminated, passed_or_failed;
	int completed, passed;      /* per registration */
	long long terminated_ms;
	int has_mastery;
	double mastery;
};

static int rules_load(struct lrs_ctx *x, struct au_rules *r)
{
	memset(r, 0, sizeof(*r));
	if (launch_by_id(x->srv->db, x->client.cmi5_launch, &r->l) != DB_OK)
		return -1;
	json_t *item = outline_find(r->l.course.outline, r->l.item);
	r->activity = json_string_value(json_object_get(item, "activity_id"));
	json_t *m = json_object_get(item, "mastery");
	if ((r->has_mastery = json_is_number(m)))
		r->mastery = json_number_value(m);
	json_t *agent = learner_agent(x->srv->db, x->srv->cfg.public_url, r->l.employee_id);
	int ok = agent && lrs_agent_key(agent, r->learner, sizeof(r->learner)) == 0 && r->activity;
	json_decref(agent);
	r->initialized = strstr(r->l.verbs, "initialized") != NULL;
	r->terminated = strstr(r->l.verbs, "terminated") != NULL;
	r->passed_or_failed = strstr(r->l.verbs, "passed") || strstr(r->l.verbs, "failed");
	r->terminated_ms = r->l.terminated_ms;
	struct item_state s;
	struct db_conn *c = db_reader_get(x->srv->db);
	if (item_state_load(c, r->l.attempt_id, r->l.item, &s) == DB_OK) {
		r->completed = strcmp(s.completion, "completed") == 0;
		r->passed = strcmp(s.success, "passed") == 0;
	}
	db_reader_put(x->srv->db, c);
	item_state_free(&s);
	if (!ok)
		launch_free(&r->l);
	return ok ? 0 : -1;
}

static const char *verb_word(const char *verb)
{
	static const char *const words[][2] = {
		{ VERB_INITIALIZED, "initialized" }, { VERB_COMPLETED, "completed" },
		{ VERB_PASSED, "passed" }, { VERB_FAILED, "failed" }, { VERB_TERMINATED, "terminated" },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(verb, words[i][0]) == 0)
			return words[i][1];
	return NULL;
}

/* Checks one statement against the session, advancing r. Returns NULL or
 * the reason it is refused. */
static const char *rule_violation(struct au_rules *r, json_t *s, long long now)
{
	char key[1024];
	if (lrs_agent_key(json_object_get(s, "actor"), key, sizeof(key)) != 0 ||
	    strcmp(key, r->learner) != 0)
		return "the actor must be the learner the AU was launched for";
	const char *reg = json_string_value(json_object_get(json_object_get(s, "context"), "registration"));
	if (!reg || strcasecmp(reg, r->l.attempt.registration) != 0)
		return "context.registration must be the registration the AU was launched with";
	const char *verb = json_string_value(json_object_get(json_object_get(s, "verb"), "id"));
	if (!verb)
		return NULL; /* the LRS answers 400 */
	if (strcmp(verb, VERB_VOIDED) == 0)
		return "an AU may not void statements";
	if (strcmp(verb, VERB_LAUNCHED) == 0 || strcmp(verb, VERB_SATISFIED) == 0 ||
	    strcmp(verb, VERB_WAIVED) == 0 || strcmp(verb, VERB_ABANDONED) == 0)
		return "launched, satisfied, waived and abandoned are the LMS's statements";
	if (r->terminated && now - r->terminated_ms > TERMINATE_GRACE_MS)
		return "the AU session has terminated";
	const char *word = verb_word(verb);
	const char *object = json_string_value(json_object_get(json_object_get(s, "object"), "id"));
	int defined = word && object && strcmp(object, r->activity) == 0;
	if (!defined) {
		if (!r->initialized)
			return "the first statement of a session must be initialized";
		return NULL;
	}
	if (strcmp(word, "initialized") == 0) {
		if (r->initialized)
			return "initialized was already sent in this session";
		r->initialized = 1;
		return NULL;
	}
	if (!r->initialized)
		return "the first statement of a session must be initialized";
	if (strcmp(word, "terminated") == 0) {
		if (r->terminated)
			return "terminated was already sent in this session";
		r->terminated = 1;
		r->terminated_ms = now;
		return NULL;
	}
	if (strcmp(r->l.launch_mode, "Normal") != 0)
		return "in Browse and Review mode an AU sends only initialized and terminated";
	json_t *scaled = json_object_get(json_object_get(json_object_get(s, "result"), "score"), "scaled");
	if (strcmp(word, "completed") == 0) {
		if (r->completed)
			return "completed was already sent in this registration";
		r->completed = 1;
		return NULL;
	}
	if (r->passed_or_failed)
		return "passed or failed was already sent in this session";
	if (r->passed)
		return strcmp(word, "passed") == 0 ? "passed was already sent in this registration"
						   : "failed may not follow passed";
	if (r->has_mastery && json_is_number(scaled)) {
		double v = json_number_value(scaled);
		if (strcmp(word, "passed") == 0 && v < r->mastery)
			return "passed needs a scaled score at or above masteryScore";
		if (strcmp(word, "failed") == 0 && v >= r->mastery)
			return "failed needs a scaled score below masteryScore";
	}
	r->passed_or_failed = 1;
	if (strcmp(word, "passed") == 0)
		r->passed = 1;
	return NULL;
}

/* The statements a write sends: the JSON body, or the first part of a
 * multipart/mixed body (statements with attachments). NULL when there are
 * none to read (the LRS then refuses the request itself). */
static json_t *statements_of(struct lrs_ctx *x)
{
	struct lrs_part *parts;
	int nparts;
	size_t len;
	struct lrs_text_error e;
	const char *text = lrs_statements_text(x, &parts, &nparts, &len, &e);
	json_t *v = text && http_json_depth_ok(text, len, HTTP_JSON_MAX_DEPTH)
		? json_loadb(text, len, 0, NULL) : NULL;
	free(parts);
	if (json_is_object(v)) {
		json_t *arr = json_array();
		json_array_append_new(arr, v);
		return arr;
	}
	if (json_is_array(v))
		return v;
	json_decref(v);
	return NULL;
}

static int same_agent(const char *param, const char *learner)
{
	if (!param)
		return 1;
	json_t *a = json_loads(param, 0, NULL);
	char key[1024];
	int ok = a && lrs_agent_key(a, key, sizeof(key)) == 0 && strcmp(key, learner) == 0;
	json_decref(a);
	return ok;
}

/* The attempt whose run-time lock this thread holds from cmi5_lrs_check to
 * cmi5_lrs_after, so the next request of the AU sees what this one
 * recorded even though its answer went out first. */
static __thread long long held_attempt = -1;

int cmi5_lrs_check(struct lrs_ctx *x)
{
	struct au_rules r;
	if (rules_load(x, &r) != 0) {
		lrs_send_error(x, 401, "unauthorized", "the cmi5 session is no longer valid");
		return -1;
	}
	/* Take the attempt's lock and read again under it. */
	long long attempt = r.l.attempt_id;
	launch_free(&r.l);
	runtime_lock(attempt);
	if (rules_load(x, &r) != 0) {
		runtime_unlock(attempt);
		lrs_send_error(x, 401, "unauthorized", "the cmi5 session is no longer valid");
		return -1;
	}
	int write = x->method != HTTP_GET && x->method != HTTP_HEAD;
	const char *res = x->resource;
	const char *why = NULL;
	if (strcmp(res, "statements") == 0 && write) {
		char ct[128];
		lrs_content_type(x, ct, sizeof(ct));
		if (strcmp(ct, "application/json") != 0 && strcmp(ct, "multipart/mixed") != 0)
			why = "a cmi5 AU session sends statements as application/json "
			      "(or multipart/mixed, with attachments)";
		json_t *list = why ? NULL : statements_of(x);
		long long now = attempts_now_ms();
		size_t i;
		json_t *s;
		json_array_foreach(list, i, s) {
			if (!json_is_object(s))
				continue;
			if ((why = rule_violation(&r, s, now)))
				break;
		}
		json_decref(list);
	} else if (strcmp(res, "activities/state") == 0) {
		const char *act = lrs_param(x, "activityId"), *reg = lrs_param(x, "registration");
		const char *state_id = lrs_param(x, "stateId");
		if (!act || strcmp(act, r.activity) != 0)
			why = "the AU may use state only for its own activityId";
		else if (!same_agent(lrs_param(x, "agent"), r.learner))
			why = "the AU may use state only for its learner";
		else if (!reg || strcasecmp(reg, r.l.attempt.registration) != 0)
			why = "the AU may use state only in its registration";
		else if (write && (!state_id || strcmp(state_id, "LMS.LaunchData") == 0))
			why = "the AU may not change or delete LMS.LaunchData";
	} else if (strcmp(res, "agents/profile") == 0) {
		if (!same_agent(lrs_param(x, "agent"), r.learner))
			why = "the AU may read only its learner's profile";
		else if (write)
			why = "the learner's preferences are set by the LMS";
	} else if (write) {
		why = "the AU session may not write here";
	}
	launch_free(&r.l);
	if (why) {
		runtime_unlock(attempt);
		lrs_send_error(x, 403, "cmi5_forbidden", "%s", why);
		return -1;
	}
	held_attempt = attempt;
	return 0;
}

static int move_on_met(const char *move_on, const char *completion, const char *success)
{
	int completed = strcmp(completion, "completed") == 0, passed = strcmp(success, "passed") == 0;
	if (!move_on || strcmp(move_on, "NotApplicable") == 0)
		return 1;
	if (strcmp(move_on, "Passed") == 0)
		return passed;
	if (strcmp(move_on, "Completed") == 0)
		return completed;
	if (strcmp(move_on, "CompletedAndPassed") == 0)
		return completed && passed;
	return completed || passed; /* CompletedOrPassed */
}

struct after_job {
	const struct launch *l;
	struct item_state *s;
	const char *verbs;
	int initialized, terminated;
};

static int save_after(struct db_conn *c, void *arg)
{
	struct after_job *j = arg;
	int rc = item_state_save(c, j->l->attempt_id, j->l->item, j->s);
	if (rc != DB_OK)
		return rc;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE course_launches SET verbs = ?1, last_seen_ms = ?2,"
		" initialized_ms = CASE WHEN ?3 AND initialized_ms IS NULL THEN ?2 ELSE initialized_ms END,"
		" terminated_ms = CASE WHEN ?4 AND terminated_ms IS NULL THEN ?2 ELSE terminated_ms END"
		" WHERE id = ?5");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->verbs, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, attempts_now_ms());
	sqlite3_bind_int(st, 3, j->initialized);
	sqlite3_bind_int(st, 4, j->terminated);
	sqlite3_bind_int64(st, 5, j->l->id);
	return db_exec_stmt(c, st, "cmi5_after");
}

static void record_statements(struct lrs_ctx *x);

void cmi5_lrs_after(struct lrs_ctx *x)
{
	if (held_attempt < 0)
		return;
	int status = x->req ? x->req->status : 0;
	if (status >= 200 && status < 300 && strcmp(x->resource, "statements") == 0 &&
	    x->method != HTTP_GET && x->method != HTTP_HEAD)
		record_statements(x);
	runtime_unlock(held_attempt);
	held_attempt = -1;
}

/* Called with the attempt's lock held. */
static void record_statements(struct lrs_ctx *x)
{
	json_t *list = statements_of(x);
	if (!list)
		return;
	struct launch l;
	if (launch_by_id(x->srv->db, x->client.cmi5_launch, &l) != DB_OK) {
		json_decref(list);
		return;
	}
	json_t *item = outline_find(l.course.outline, l.item);
	const char *activity = json_string_value(json_object_get(item, "activity_id"));
	struct item_state s;
	struct db_conn *c = db_reader_get(x->srv->db);
	int rc = item_state_load(c, l.attempt_id, l.item, &s);
	db_reader_put(x->srv->db, c);
	char verbs[256];
	snprintf(verbs, sizeof(verbs), "%s", l.verbs);
	int was_satisfied = s.satisfied, initialized = 0, terminated = 0;
	size_t i;
	json_t *st;
	json_array_foreach(list, i, st) {
		const char *verb = json_string_value(json_object_get(json_object_get(st, "verb"), "id"));
		const char *object = json_string_value(json_object_get(json_object_get(st, "object"), "id"));
		const char *word = verb ? verb_word(verb) : NULL;
		if (!word || !object || !activity || strcmp(object, activity) != 0)
			continue;
		size_t vl = strlen(verbs);
		if (vl + strlen(word) + 2 < sizeof(verbs))
			snprintf(verbs + vl, sizeof(verbs) - vl, "%s%s", vl ? "," : "", word);
		json_t *score = json_object_get(json_object_get(st, "result"), "score");
		if (strcmp(word, "initialized") == 0) {
			initialized = 1;
			s.sessions++;
			if (strcmp(s.completion, "not attempted") == 0)
				snprintf(s.completion, sizeof(s.completion), "incomplete");
		} else if (strcmp(word, "terminated") == 0) {
			terminated = 1;
		} else if (strcmp(word, "completed") == 0) {
			snprintf(s.completion, sizeof(s.completion), "completed");
		} else if (strcmp(word, "passed") == 0 || strcmp(word, "failed") == 0) {
			if (strcmp(s.success, "passed") != 0)
				snprintf(s.success, sizeof(s.success), "%s", word);
			json_t *scaled = json_object_get(score, "scaled"), *raw = json_object_get(score, "raw");
			if (json_is_number(scaled)) {
				s.has_scaled = 1;
				s.score_scaled = json_number_value(scaled);
			}
			if (json_is_number(raw)) {
				s.has_raw = 1;
				s.score_raw = json_number_value(raw);
			}
		}
	}
	if (rc == DB_OK && !s.satisfied &&
	    move_on_met(json_string_value(json_object_get(item, "move_on")), s.completion, s.success))
		s.satisfied = 1;
	struct after_job j = { &l, &s, verbs, initialized, terminated };
	if (rc == DB_OK && db_write(x->srv->db, save_after, &j) == DB_OK && s.satisfied && !was_satisfied) {
		struct launch fresh;
		if (launch_by_id(x->srv->db, l.id, &fresh) == DB_OK) {
			rollup_cmi5(x->srv, &fresh, fresh.session_id);
			launch_free(&fresh);
		}
	}
	item_state_free(&s);
	launch_free(&l);
	json_decref(list);
}

/* ---- waivers ---- */

struct waive_job {
	long long attempt_id;
	const char *item;
};

static int mark_waived(struct db_conn *c, void *arg)
{
	struct waive_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO attempt_items(attempt_id, item, satisfied, waived, updated_ms)"
		" VALUES(?1, ?2, 1, 1, ?3) ON CONFLICT(attempt_id, item) DO UPDATE SET satisfied = 1,"
		" waived = 1, updated_ms = ?3");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->attempt_id);
	sqlite3_bind_text(st, 2, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, attempts_now_ms());
	return db_exec_stmt(c, st, "cmi5_waive");
}

int cmi5_waive(struct server *srv, const char *course_id, long long employee_id,
	       const char *au_id, const char *reason, char *err, size_t errsize)
{
	static const char *const reasons[] = { "Tested Out", "Equivalent AU",
					       "Equivalent Outside Activity", "Administrative", NULL };
	int known = 0;
	for (int i = 0; reasons[i]; i++)
		if (strcmp(reason, reasons[i]) == 0)
			known = 1;
	if (!known) {
		snprintf(err, errsize, "reason must be Tested Out, Equivalent AU, Equivalent Outside "
				       "Activity or Administrative");
		return 400;
	}
	struct attempt a;
	struct course_ref c;
	int rc = attempt_latest(srv->db, employee_id, course_id, &a);
	if (rc == DB_NOTFOUND) {
		if (course_load(srv->db, course_id, 0, &c) != DB_OK) {
			snprintf(err, errsize, "no course %s", course_id);
			return 404;
		}
		rc = attempt_start(srv->db, employee_id, &c, &a);
		course_ref_free(&c);
	}
	if (rc != DB_OK || course_load(srv->db, course_id, a.version_id, &c) != DB_OK) {
		snprintf(err, errsize, "the attempt could not be read");
		return 503;
	}
	int status = 0;
	json_t *item = outline_find(c.outline, au_id);
	json_t *actor = learner_agent(srv->db, srv->cfg.public_url, employee_id);
	if (!course_kind_is_cmi5(c.kind) || !item ||
	    strcmp(json_string_value(json_object_get(item, "type")), "au") != 0) {
		snprintf(err, errsize, "the course has no AU %s", au_id);
		status = 404;
		goto out;
	}
	runtime_lock(a.id);
	struct item_state s;
	struct db_conn *conn = db_reader_get(srv->db);
	rc = item_state_load(conn, a.id, au_id, &s);
	db_reader_put(srv->db, conn);
	if (rc != DB_OK || s.waived || s.satisfied) {
		snprintf(err, errsize, rc != DB_OK ? "the attempt could not be read"
						   : "the AU is already satisfied or waived");
		status = rc != DB_OK ? 503 : 409;
	} else {
		char session[37];
		attempts_uuid(session);
		json_t *ctx = context_base(a.registration, au_id, session);
		json_array_append_new(json_object_get(json_object_get(ctx, "contextActivities"), "category"),
				      json_pack("{s:s}", "id", CMI5_MOVEON_CATEGORY));
		json_t *stmt = stmt_new(actor, stmt_verb(VERB_WAIVED),
			stmt_activity(json_string_value(json_object_get(item, "activity_id")), NULL, NULL),
			ctx, json_pack("{s:b, s:b, s:{s:s}}", "success", 1, "completion", 1,
				       "extensions", CMI5_REASON_EXT, reason));
		char lerr[256];
		struct waive_job wj = { a.id, au_id };
		if ((status = lrs_store_internal(srv, stmt, NULL, lerr, sizeof(lerr))) != 0)
			snprintf(err, errsize, "the waived statement was refused: %s", lerr);
		else if (db_write(srv->db, mark_waived, &wj) != DB_OK) {
			snprintf(err, errsize, "the waiver could not be stored");
			status = 503;
		} else {
			struct launch l;
			memset(&l, 0, sizeof(l));
			l.attempt_id = a.id;
			l.employee_id = employee_id;
			l.attempt = a;
			l.course = c;
			rollup_cmi5(srv, &l, session);
		}
		json_decref(stmt);
	}
	item_state_free(&s);
	runtime_unlock(a.id);
out:
	json_decref(actor);
	course_ref_free(&c);
	return status;
}
