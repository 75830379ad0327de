/* api_lrs_clients.c: LRS clients and the retention job on the admin page
 * (see api_users.h). Clients are made by lrs_client_create, the same code
 * as `vern lrs-client add`; the secret is in the answer once and never
 * stored in clear. */
#include "api_users.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "auth.h"
#include "db.h"
#include "http.h"
#include "retention.h"
#include "server.h"
#include "session.h"

static void list_clients(struct http_request *req)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *list = lrs_clients_json(c);
	db_reader_put(req->srv->db, c);
	if (!list) {
		http_send_error(req, 500, "internal", "Klientene kunne ikke leses.");
		return;
	}
	json_t *out = json_pack("{s:o}", "clients", list);
	http_send_json(req, 200, out);
	json_decref(out);
}

static void create_client(struct http_request *req, const struct principal *p)
{
	json_t *j = http_body_json(req);
	if (!j)
		return;
	json_t *name = json_object_get(j, "name"), *scopes = json_object_get(j, "scopes");
	if (!json_is_string(name) || (scopes && !json_is_string(scopes))) {
		json_decref(j);
		http_send_error(req, 400, "invalid", "Oppgi name (tekst) og eventuelt scopes (tekst).");
		return;
	}
	const char *scope = json_string_value(scopes);
	if (scope && !*scope)
		scope = NULL;
	struct lrs_client_secret made;
	int rc = lrs_client_create(req->srv->db, req->srv->cfg.public_url, json_string_value(name), NULL,
				   NULL, scope, &made);
	char detail[200];
	snprintf(detail, sizeof(detail), "opprettet LRS-klient %.120s", json_string_value(name));
	json_decref(j);
	if (rc == LRS_CLIENT_BAD_NAME) {
		http_send_error(req, 400, "invalid", "Navnet må ha 1–120 tegn.");
		return;
	}
	if (rc == LRS_CLIENT_BAD_SCOPE) {
		http_send_error(req, 400, "invalid",
				"Ukjente tilganger. Bruk statements/write, statements/read, "
				"statements/read/mine, state, profile, all/read, all eller define.");
		return;
	}
	if (rc != 0) {
		http_send_error(req, 503, "storage_failed", "Klienten kunne ikke lagres.");
		return;
	}
	(void)audit_record(req->srv, p, 0, "lrs_client_create", detail);
	json_t *out = json_pack("{s:s, s:s, s:s}", "key", made.key, "secret", made.secret, "scopes",
				made.scopes);
	sodium_memzero(&made, sizeof(made));
	http_send_json(req, 201, out);
	json_decref(out);
}

void api_lrs_clients(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (req->method == HTTP_POST)
		create_client(req, &p);
	else
		list_clients(req);
}

void api_lrs_client_remove(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	int rc = lrs_client_remove(req->srv->db, req->params[0]);
	if (rc != 0) {
		http_send_error(req, rc > 0 ? 404 : 503, rc > 0 ? "not_found" : "storage_failed",
				rc > 0 ? "Fant ingen klient med den nøkkelen." : "Klienten kunne ikke slettes.");
		return;
	}
	char detail[200];
	snprintf(detail, sizeof(detail), "slettet LRS-klient %.120s", req->params[0]);
	(void)audit_record(req->srv, &p, 0, "lrs_client_remove", detail);
	static const char ok[] = "{\"ok\":true}";
	http_send(req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1, NULL);
}

static json_t *recent_runs(struct db_conn *c)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c,
		"SELECT run_ms, as_of, statements_pseudonymised, statements_deleted, documents_deleted,"
		" attempts_deleted, employees_processed, sessions_deleted, finished FROM retention_runs"
		" ORDER BY id DESC LIMIT 30");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		json_t *r = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
			"run_ms", (json_int_t)sqlite3_column_int64(st, 0),
			"as_of", (const char *)sqlite3_column_text(st, 1),
			"statements_pseudonymised", (json_int_t)sqlite3_column_int64(st, 2),
			"statements_deleted", (json_int_t)sqlite3_column_int64(st, 3),
			"documents_deleted", (json_int_t)sqlite3_column_int64(st, 4),
			"attempts_deleted", (json_int_t)sqlite3_column_int64(st, 5),
			"employees_processed", (json_int_t)sqlite3_column_int64(st, 6),
			"sessions_deleted", (json_int_t)sqlite3_column_int64(st, 7),
			"finished", sqlite3_column_int(st, 8));
		if (r)
			json_array_append_new(out, r);
	}
	if (st)
		sqlite3_reset(st);
	return out;
}

void api_retention(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN | ACCESS_OMBUD, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *out = retention_policy(&req->srv->cfg, c);
	if (out)
		json_object_set_new(out, "runs", recent_runs(c));
	db_reader_put(req->srv->db, c);
	if (!out) {
		http_send_error(req, 500, "internal", "Kunne ikke lage svaret.");
		return;
	}
	http_send_json(req, 200, out);
	json_decref(out);
}

void api_retention_run(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	struct retention_counts n;
	if (retention_run(req->srv->db, &req->srv->cfg, req->srv->cfg.public_url, session_now_ms(), &n) != 0) {
		http_send_error(req, 503, "storage_failed", "Kjøringen stoppet underveis. Se loggen.");
		return;
	}
	(void)audit_record(req->srv, &p, 0, "retention_run", "kjørt fra administrasjonssiden");
	json_t *out = json_pack("{s:I, s:I, s:I, s:I, s:I}", "statements_pseudonymised",
				(json_int_t)n.pseudonymised, "statements_deleted", (json_int_t)n.deleted,
				"documents_deleted", (json_int_t)n.documents, "employees_processed",
				(json_int_t)n.employees, "sessions_deleted", (json_int_t)n.sessions);
	http_send_json(req, 200, out);
	json_decref(out);
}
