/* account.c: changing one's own password (see account.h). */
#include "account.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "password.h"
#include "server.h"
#include "session.h"
#include "users.h"

/* The account's password hash into out ("" when none). */
static void current_hash(struct server *srv, long long user_id, char *out, size_t size)
{
	out[0] = '\0';
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT password_hash FROM users WHERE id = ? AND locked_until_ms <= ?");
	if (st) {
		sqlite3_bind_int64(st, 1, user_id);
		sqlite3_bind_int64(st, 2, session_now_ms());
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
}

void account_password(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_EMPLOYEE | ACCESS_LEADER | ACCESS_HR | ACCESS_OMBUD | ACCESS_ADMIN, &p) != 0)
		return;
	if (!p.user_id) {
		http_send_error(req, 404, "no_account", "Du er ikke logget inn med en konto.");
		return;
	}
	json_t *body = http_body_json(req);
	if (!body)
		return;
	char now_pw[PASSWORD_MAX_BYTES + 2], new_pw[PASSWORD_MAX_BYTES + 2], err[200];
	int bad = login_field(req, body, "current", now_pw, sizeof(now_pw)) <= 0;
	bad |= login_field(req, body, "new", new_pw, sizeof(new_pw)) <= 0;
	json_decref(body);
	if (bad) {
		http_send_error(req, 400, "invalid", "Skriv inn både det nåværende og det nye passordet.");
		goto out;
	}
	if (password_acceptable(new_pw, err, sizeof(err)) != 0) {
		http_send_error(req, 400, "weak_password", "%s", err);
		goto out;
	}
	if (login_rate_check(req, 0) != 0)
		goto out;
	char hash[PASSWORD_HASH_MAX];
	current_hash(req->srv, p.user_id, hash, sizeof(hash));
	if (!password_verify(hash[0] ? hash : NULL, now_pw)) {
		(void)login_record_failure(req, p.user_id);
		http_send_error(req, 403, "wrong_password", "Det nåværende passordet er feil.");
		goto out;
	}
	if (password_hash(new_pw, hash) != 0 ||
	    users_set_password(req->srv->db, p.user_id, hash, err, sizeof(err)) != 0 ||
	    session_end_all(req->srv->db, p.user_id, 0) != 0) {
		http_send_error(req, 503, "storage_failed", "Passordet kunne ikke lagres. Prøv igjen.");
		goto out;
	}
	log_event(LOG_INFO, "password_changed", "user_id=%lld", p.user_id);
	char cookie[256];
	session_cookie(req, NULL, 0, cookie, sizeof(cookie));
	static const char ok[] = "{\"ok\":true}";
	http_send(req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1, cookie);
out:
	sodium_memzero(now_pw, sizeof(now_pw));
	sodium_memzero(new_pw, sizeof(new_pw));
}
