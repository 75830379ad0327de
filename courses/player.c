/* player.c: the player page and its JSON API (see player.h). */
#include "player.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "assets.h"
#include "attempts.h"
#include "cmi5.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "origin.h"
#include "outline.h"
#include "rollup.h"
#include "runtime.h"
#include "server.h"

/* The course the request names, checked against the principal: an
 * employee is needed, and a learn-scope session may open only its course.
 * Answers itself and returns -1 when refused. */
static int course_allowed(struct http_request *req, const struct principal *p, const char *course)
{
	if (!p->employee_id) {
		http_send_error(req, 403, "no_employee", "Kurs kan bare tas av ansatte.");
		return -1;
	}
	if (strcmp(p->s.scope, "learn") == 0 && p->s.course_id[0] && strcmp(p->s.course_id, course) != 0) {
		http_send_error(req, 403, "forbidden", "Lenken gjelder et annet kurs.");
		return -1;
	}
	if (!course_id_valid(course)) {
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		return -1;
	}
	return 0;
}

static void player_csp(struct http_request *req, char *buf, size_t size)
{
	char content[ORIGIN_MAX];
	origin_content(req, content, sizeof(content));
	snprintf(buf, size,
		 "Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; "
		 "img-src 'self' data:; connect-src 'self'; frame-src %s; object-src 'none'; "
		 "base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n",
		 origin_separate(req) ? content : "'self'");
}

void player_page(struct http_request *req)
{
	struct principal p;
	const char *course = req->params[0];
	if (access_load(req, &p) != 0) {
		char loc[600];
		snprintf(loc, sizeof(loc), "Location: /logg-inn?neste=/learn/%.200s\r\n",
			 course_id_valid(course) ? course : "");
		http_send(req, 302, "text/plain; charset=utf-8", "", 0, loc);
		return;
	}
	if (course_allowed(req, &p, course) != 0)
		return;
	struct course_ref c;
	if (course_load(req->srv->db, course, 0, &c) != DB_OK) {
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		return;
	}
	course_ref_free(&c);
	const struct asset *a = assets_find("player.html");
	if (!a) {
		http_send_error(req, 500, "internal", "the player page is missing from this build");
		return;
	}
	char csp[1024];
	player_csp(req, csp, sizeof(csp));
	http_send(req, 200, "text/html; charset=utf-8", a->data, (size_t)(a->end - a->data), csp);
}

/* "completed", "passed", ... for the outline. */
static const char *item_status(json_t *st, int cmi5)
{
	if (!st)
		return "not attempted";
	if (cmi5 && json_is_true(json_object_get(st, "waived")))
		return "waived";
	const char *success = json_string_value(json_object_get(st, "success"));
	const char *completion = json_string_value(json_object_get(st, "completion"));
	if (cmi5 && json_is_true(json_object_get(st, "satisfied")) && strcmp(completion, "not attempted") == 0)
		return "satisfied";
	if (success && strcmp(success, "unknown") != 0)
		return success;
	return completion ? completion : "not attempted";
}

static int item_done(json_t *st, int cmi5)
{
	if (!st)
		return 0;
	if (cmi5)
		return json_is_true(json_object_get(st, "satisfied"));
	const char *s = item_status(st, 0);
	return strcmp(s, "passed") == 0 || strcmp(s, "completed") == 0;
}

void learn_get(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEARN, &p) != 0 || course_allowed(req, &p, req->params[0]) != 0)
		return;
	struct attempt a;
	int has_attempt = attempt_latest(req->srv->db, p.employee_id, req->params[0], &a) == DB_OK;
	struct course_ref c;
	if (course_load(req->srv->db, req->params[0], has_attempt ? a.version_id : 0, &c) != DB_OK) {
		http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		return;
	}
	struct course_ref newest;
	int newer = 0;
	if (course_load(req->srv->db, req->params[0], 0, &newest) == DB_OK) {
		newer = newest.version_id != c.version_id;
		course_ref_free(&newest);
	}
	int cmi5 = course_kind_is_cmi5(c.kind);
	json_t *states = has_attempt ? attempt_item_states(req->srv->db, a.id) : json_object();
	json_t *items = json_array();
	const char *resume = has_attempt && a.current_item[0] ? a.current_item : NULL;
	const char *first_open = NULL;
	size_t i;
	json_t *it;
	json_array_foreach(c.outline, i, it) {
		if (json_is_false(json_object_get(it, "visible")))
			continue;
		const char *id = json_string_value(json_object_get(it, "id"));
		json_t *st = json_object_get(states, id);
		int launchable = outline_launchable(it);
		json_t *o = json_pack("{s:s, s:s, s:O, s:O, s:b}", "id", id, "title",
				      json_string_value(json_object_get(it, "title")), "depth",
				      json_object_get(it, "depth"), "type", json_object_get(it, "type"),
				      "launchable", launchable);
		if (launchable) {
			json_object_set_new(o, "status", json_string(item_status(st, cmi5)));
			json_object_set_new(o, "done", json_boolean(item_done(st, cmi5)));
			json_t *score = json_object_get(st, "score_scaled");
			if (json_is_number(score))
				json_object_set(o, "score", score);
			if (!first_open && !item_done(st, cmi5))
				first_open = id;
		}
		json_array_append_new(items, o);
	}
	if (!resume)
		resume = first_open;
	if (!resume) {
		json_array_foreach(c.outline, i, it)
			if (outline_launchable(it)) {
				resume = json_string_value(json_object_get(it, "id"));
				break;
			}
	}
	char content[ORIGIN_MAX];
	origin_content(req, content, sizeof(content));
	json_t *out = json_pack("{s:{s:s, s:s, s:s, s:i, s:b}, s:o, s:s?, s:s, s:s}",
		"course", "id", c.course_id, "title", c.title, "kind", c.kind, "version", c.version,
		"newer_version", newer, "items", items, "resume", resume, "csrf", p.s.csrf,
		"content_origin", content);
	if (has_attempt)
		json_object_set_new(out, "attempt", json_pack("{s:s, s:b}", "registration", a.registration,
							      "completed", a.completed_ms != 0));
	else
		json_object_set_new(out, "attempt", json_null());
	http_send_json(req, 200, out);
	json_decref(out);
	json_decref(states);
	course_ref_free(&c);
}

struct asset_job {
	long long attempt_id;
	const char *item;
};

/* An asset counts as done once opened. */
static int mark_asset(struct db_conn *c, void *arg)
{
	struct asset_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO attempt_items(attempt_id, item, completion, sessions, updated_ms)"
		" VALUES(?1, ?2, 'completed', 1, ?3) ON CONFLICT(attempt_id, item) DO UPDATE SET"
		" completion = 'completed', sessions = sessions + 1, updated_ms = ?3");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->attempt_id);
	sqlite3_bind_text(st, 2, j->item, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, attempts_now_ms());
	return db_exec_stmt(c, st, "asset_opened");
}

static int launch_scorm(struct http_request *req, const struct course_ref *c, const struct attempt *a,
			json_t *item, char **url)
{
	char content[ORIGIN_MAX];
	origin_content(req, content, sizeof(content));
	const char *type = json_string_value(json_object_get(item, "type"));
	const char *id = json_string_value(json_object_get(item, "id"));
	size_t cap = ORIGIN_MAX + 8192;
	*url = malloc(cap);
	if (!*url)
		return -1;
	if (strcmp(type, "asset") == 0) {
		snprintf(*url, cap, "%s/content/%s/%s/%s", content, c->course_id, c->dir,
			 json_string_value(json_object_get(item, "href")));
		struct asset_job j = { a->id, id };
		if (db_write(req->srv->db, mark_asset, &j) != DB_OK)
			return -1;
		struct launch l;
		memset(&l, 0, sizeof(l));
		l.attempt_id = a->id;
		l.employee_id = a->employee_id;
		l.attempt = *a;
		l.course = *c;
		runtime_lock(a->id);
		rollup_scorm(req->srv, &l);
		runtime_unlock(a->id);
		return 0;
	}
	char token[ATTEMPT_TOKEN_LEN + 1], session[37];
	if (launch_create(req->srv->db, a->id, id, "Normal", token, session, NULL) != 0)
		return -1;
	snprintf(*url, cap, "%s/content-run/%s", content, token);
	return 0;
}

void learn_launch(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_LEARN, &p) != 0 || course_allowed(req, &p, req->params[0]) != 0)
		return;
	json_t *body = req->body_len ? http_body_json(req) : json_object();
	if (!body)
		return;
	const char *want = json_string_value(json_object_get(body, "item"));
	int restart = json_is_true(json_object_get(body, "restart"));
	struct attempt a;
	struct course_ref c;
	int rc = attempt_latest(req->srv->db, p.employee_id, req->params[0], &a);
	if (rc == DB_NOTFOUND || (rc == DB_OK && restart && a.completed_ms)) {
		rc = course_load(req->srv->db, req->params[0], 0, &c);
		if (rc == DB_OK) {
			rc = attempt_start(req->srv->db, p.employee_id, &c, &a);
			course_ref_free(&c);
		}
	}
	if (rc == DB_OK)
		rc = course_load(req->srv->db, req->params[0], a.version_id, &c);
	if (rc != DB_OK) {
		json_decref(body);
		if (rc == DB_NOTFOUND)
			http_send_error(req, 404, "not_found", "Fant ikke kurset.");
		else
			http_send_error(req, 503, "storage_failed", "Kurset kunne ikke startes.");
		return;
	}
	json_t *item = NULL;
	if (want)
		item = outline_find(c.outline, want);
	else if (a.current_item[0])
		item = outline_find(c.outline, a.current_item);
	if (!want && !item) {
		size_t i;
		json_t *it;
		json_array_foreach(c.outline, i, it)
			if (outline_launchable(it) && !json_is_false(json_object_get(it, "visible"))) {
				item = it;
				break;
			}
	}
	if (!item || !outline_launchable(item) || json_is_false(json_object_get(item, "visible"))) {
		json_decref(body);
		course_ref_free(&c);
		http_send_error(req, 404, "no_such_item", "Kurset har ingen slik del.");
		return;
	}
	const char *id = json_string_value(json_object_get(item, "id"));
	char *url = NULL, err[512] = "";
	const char *method = "frame";
	int ok;
	if (attempt_set_current(req->srv->db, a.id, id) != DB_OK)
		ok = -1;
	else if (course_kind_is_cmi5(c.kind)) {
		ok = cmi5_launch(req, &c, &a, id, &url, err, sizeof(err));
		const char *lm = json_string_value(json_object_get(item, "launch_method"));
		/* OwnWindow AUs get a window of their own when content has its own
		 * origin; AUs hosted elsewhere always do (the player's frame admits
		 * only the content origin). */
		if (ok == 0 && ((lm && strcmp(lm, "OwnWindow") == 0 && origin_separate(req)) ||
				json_is_true(json_object_get(item, "external"))))
			method = "window";
	} else
		ok = launch_scorm(req, &c, &a, item, &url);
	if (ok != 0) {
		log_event(LOG_ERROR, "launch_failed", "course=%s item_error=\"%s\"", c.course_id, err);
		http_send_error(req, 503, "launch_failed", "Kursdelen kunne ikke startes.");
	} else {
		json_t *out = json_pack("{s:s, s:s, s:s, s:s}", "item", id, "url", url, "method", method,
					"registration", a.registration);
		http_send_json(req, 200, out);
		json_decref(out);
	}
	free(url);
	json_decref(body);
	course_ref_free(&c);
}
