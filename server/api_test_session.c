/* api_test_session.c: the test-only sign-in (see api_test_session.h). It
 * answers 404 unless test_endpoints = true, so production exposes nothing. */
#include "api_test_session.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "http.h"
#include "server.h"
#include "session.h"

#define TEST_SESSION_TTL 3600

/* The employee's id for an external id, 0 if unknown. */
static long long employee_by_external_id(struct server *srv, const char *external_id)
{
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE external_id = ?");
	long long id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, external_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	db_reader_put(srv->db, c);
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
	json_t *user = json_object_get(body, "user");
	const char *scope = json_string_value(json_object_get(body, "scope"));
	const char *course = json_string_value(json_object_get(body, "course"));
	long long employee_id = employee ? employee_by_external_id(req->srv, employee) : 0;
	long long user_id = json_is_integer(user) ? json_integer_value(user) : 0;
	if (!scope)
		scope = "full";
	if ((employee && !employee_id) || (!employee_id && user_id <= 0)) {
		json_decref(body);
		http_send_error(req, 400, "invalid", "name a known employee and/or a user id");
		return;
	}
	char token[SESSION_TOKEN_LEN + 1];
	struct session s;
	int rc = session_create(req->srv->db, user_id, employee_id, scope, course,
				TEST_SESSION_TTL, token, &s);
	json_decref(body);
	if (rc != 0) {
		http_send_error(req, 400, "invalid", "the session could not be created (bad scope?)");
		return;
	}
	char cookie[256];
	session_cookie(req, token, TEST_SESSION_TTL, cookie, sizeof(cookie));
	json_t *out = json_pack("{s:s}", "csrf", s.csrf);
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	if (!text) {
		http_send_error(req, 500, "no_memory", "out of memory");
		return;
	}
	http_send(req, 201, "application/json", text, strlen(text), cookie);
	free(text);
}
