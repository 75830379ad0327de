/* api_test_session.c: POST /api/test/session, signing in during tests
 * (until and beside the real sign-in). Body {"employee": EXTERNAL_ID,
 * "scope": "full"|"learn", "course": ID, "user": USERNAME}: a session for
 * the employee and/or the local account, answered with Set-Cookie and
 * {"csrf": ...}. Answers 404 unless test_endpoints = true. */
#include "api_test_session.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "server.h"
#include "session.h"

static long long id_of(struct db *db, const char *sql, const char *key)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	long long id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	db_reader_put(db, c);
	return id;
}

void api_test_session(struct http_request *req)
{
	if (!req->srv->cfg.test_endpoints) {
		http_send_error(req, 404, "not_found", "no such resource");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body)
		return;
	const char *employee = json_string_value(json_object_get(body, "employee"));
	const char *user = json_string_value(json_object_get(body, "user"));
	const char *scope = json_string_value(json_object_get(body, "scope"));
	const char *course = json_string_value(json_object_get(body, "course"));
	long long employee_id = 0, user_id = 0;
	if (employee && !(employee_id = id_of(req->srv->db, "SELECT id FROM employees WHERE external_id = ?",
					      employee))) {
		json_decref(body);
		http_send_error(req, 404, "no_employee", "no employee with that external id");
		return;
	}
	if (user && !(user_id = id_of(req->srv->db, "SELECT id FROM users WHERE username = ?", user))) {
		json_decref(body);
		http_send_error(req, 404, "no_user", "no account with that username");
		return;
	}
	if (!employee_id && !user_id) {
		json_decref(body);
		http_send_error(req, 400, "invalid", "give employee and/or user");
		return;
	}
	char token[SESSION_TOKEN_LEN + 1], cookie[256];
	struct session s;
	int rc = session_create(req->srv->db, user_id, employee_id, scope ? scope : "full", course,
				8 * 3600, token, &s);
	json_decref(body);
	if (rc != 0) {
		http_send_error(req, 400, "invalid", "the session could not be made (scope full or learn)");
		return;
	}
	session_cookie(req, token, 8 * 3600, cookie, sizeof(cookie));
	json_t *out = json_pack("{s:s}", "csrf", s.csrf);
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	http_send(req, 200, "application/json; charset=utf-8", text, strlen(text), cookie);
	free(text);
}
