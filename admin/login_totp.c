/* login_totp.c: the second step of signing in (see login.h). The pending
 * login named by the vern_login cookie says which account passed its
 * password; its CSRF token must come back with the code. Enrolment shows
 * the new secret and keeps it only when a code made from it is right. A
 * code is used once: the account's totp_last_step moves forward in the same
 * write that accepts it, so a replay (or a race of two requests with one
 * code) fails. */
#include <civetweb.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "server.h"
#include "session.h"
#include "totp.h"
#include "totp_seal.h"
#include "admin_state.h"

struct pending {
	long long id, user_id;
	char csrf[SESSION_TOKEN_LEN + 1];
	char next[LOGIN_NEXT_MAX + 1];
	char username[128];
	unsigned char secret[TOTP_SECRET_BYTES];
	int enrol;
	int plain;  /* the account's secret was stored unsealed: seal it now */
	long long last_step;
};

/* Loads the live pending login of the request's cookie. 0 or -1. */
static int pending_load(struct http_request *req, struct pending *p)
{
	memset(p, 0, sizeof(*p));
	const char *cookies = http_header(req, "Cookie");
	char token[SESSION_TOKEN_LEN + 2];
	if (!cookies || mg_get_cookie(cookies, LOGIN_COOKIE, token, sizeof(token)) != SESSION_TOKEN_LEN)
		return -1;
	unsigned char hash[32];
	crypto_generichash(hash, sizeof(hash), (const unsigned char *)token, SESSION_TOKEN_LEN, NULL, 0);
	sodium_memzero(token, sizeof(token));
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT p.id, p.user_id, p.csrf, p.next_path, p.enrol_secret, u.totp_secret,"
		" u.totp_last_step, u.username FROM pending_logins p JOIN users u ON u.id = p.user_id"
		" WHERE p.token_hash = ? AND p.expires_ms > ? AND u.active = 1");
	int rc = -1;
	if (st) {
		sqlite3_bind_blob(st, 1, hash, sizeof(hash), SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, session_now_ms());
		if (sqlite3_step(st) == SQLITE_ROW) {
			p->id = sqlite3_column_int64(st, 0);
			p->user_id = sqlite3_column_int64(st, 1);
			snprintf(p->csrf, sizeof(p->csrf), "%s", (const char *)sqlite3_column_text(st, 2));
			snprintf(p->next, sizeof(p->next), "%s", (const char *)sqlite3_column_text(st, 3));
			p->enrol = sqlite3_column_type(st, 4) != SQLITE_NULL;
			int col = p->enrol ? 4 : 5;
			int u = req->srv->admin ? totp_unseal(req->srv->admin->totp_key, p->user_id,
							      sqlite3_column_blob(st, col),
							      (size_t)sqlite3_column_bytes(st, col), p->secret)
						: -1;
			if (u >= 0) {
				p->plain = u == 1 && !p->enrol;
				rc = 0;
			} else {
				log_event(LOG_WARN, "totp_secret_unreadable", "user=%lld (sealed with another"
					  " key, or altered; `vern user totp-reset` lets the account enrol again)",
					  p->user_id);
			}
			p->last_step = p->enrol ? 0 : sqlite3_column_int64(st, 6);
			snprintf(p->username, sizeof(p->username), "%s", (const char *)sqlite3_column_text(st, 7));
		}
		sqlite3_reset(st);
	}
	db_reader_put(req->srv->db, c);
	return rc;
}

static const char expired_text[] = "Innloggingen er utløpt. Start på nytt med brukernavn og passord.";

void login_totp_get(struct http_request *req)
{
	struct pending p;
	if (pending_load(req, &p) != 0) {
		login_fail(req, 0, 401, "login_expired", expired_text, NULL, NULL);
		return;
	}
	json_t *out = json_pack("{s:s, s:s, s:s}", "step", p.enrol ? "enrol" : "totp", "csrf", p.csrf,
				"username", p.username);
	if (p.enrol) {
		char b32[TOTP_BASE32_LEN + 1], uri[1024];
		totp_base32_encode(p.secret, TOTP_SECRET_BYTES, b32, sizeof(b32));
		if (totp_uri(req->srv->cfg.totp_issuer, p.username, b32, uri, sizeof(uri)) == 0) {
			json_object_set_new(out, "secret", json_string(b32));
			json_object_set_new(out, "uri", json_string(uri));
		}
		sodium_memzero(b32, sizeof(b32));
		sodium_memzero(uri, sizeof(uri));
	}
	sodium_memzero(p.secret, sizeof(p.secret));
	http_send_json(req, 200, out);
	json_decref(out);
}

struct accept_job {
	const struct pending *p;
	long long step;
	unsigned char sealed[TOTP_SEALED_BYTES]; /* to store: enrolment, or a plain secret */
};

static int accept_write(struct db_conn *c, void *arg)
{
	struct accept_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE users SET totp_last_step = ?2, totp_secret = coalesce(?3, totp_secret)"
		" WHERE id = ?1 AND totp_last_step < ?2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->p->user_id);
	sqlite3_bind_int64(st, 2, j->step);
	if (j->p->enrol || j->p->plain)
		sqlite3_bind_blob(st, 3, j->sealed, TOTP_SEALED_BYTES, SQLITE_STATIC);
	if (db_exec_stmt(c, st, "totp_accept") != DB_OK)
		return DB_ERROR;
	if (sqlite3_changes(db_handle(c)) == 0)
		return DB_INVALID; /* the step was used already */
	st = db_stmt(c, "DELETE FROM pending_logins WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->p->id);
	return db_exec_stmt(c, st, "pending_delete");
}

struct wrong_job {
	long long id;
	int attempts;
};

static int wrong_write(struct db_conn *c, void *arg)
{
	struct wrong_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE pending_logins SET attempts = attempts + 1 WHERE id = ?"
				      " RETURNING attempts");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		j->attempts = sqlite3_column_int(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_step_error(c, rc, "pending_attempt");
	if (j->attempts < LOGIN_MAX_CODE_ATTEMPTS)
		return DB_OK;
	st = db_stmt(c, "DELETE FROM pending_logins WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	return db_exec_stmt(c, st, "pending_delete");
}

void login_totp_post(struct http_request *req)
{
	int form = login_is_form(req);
	json_t *body = NULL;
	if (!form) {
		body = http_body_json(req);
		if (!body)
			return;
	}
	char code[32], csrf[SESSION_TOKEN_LEN + 2];
	int bad = login_field(req, body, "code", code, sizeof(code)) < 0;
	bad |= login_field(req, body, "csrf", csrf, sizeof(csrf)) < 0;
	json_decref(body);
	if (bad) {
		login_fail(req, form, 400, "invalid", "Skriv inn den sekssifrede koden.", NULL, NULL);
		return;
	}
	if (login_rate_check(req, form) != 0)
		return;
	struct pending p;
	if (pending_load(req, &p) != 0) {
		login_fail(req, form, 401, "login_expired", expired_text, NULL, NULL);
		return;
	}
	const char *given = http_header(req, "X-CSRF-Token");
	if (!given)
		given = csrf;
	if (strlen(given) != SESSION_TOKEN_LEN || sodium_memcmp(given, p.csrf, SESSION_TOKEN_LEN) != 0) {
		sodium_memzero(p.secret, sizeof(p.secret));
		login_fail(req, form, 403, "csrf", "Skjemaet er utløpt. Last siden på nytt og prøv igjen.",
			   NULL, NULL);
		return;
	}
	int64_t step;
	int valid = totp_verify(p.secret, TOTP_SECRET_BYTES, code, (int64_t)time(NULL), p.last_step,
				&step) == 0;
	int rc = DB_INVALID;
	if (valid) {
		struct accept_job j = { &p, step, { 0 } };
		if (p.enrol || p.plain)
			totp_seal(req->srv->admin->totp_key, p.user_id, p.secret, j.sealed);
		rc = db_write(req->srv->db, accept_write, &j);
	}
	sodium_memzero(p.secret, sizeof(p.secret));
	if (rc == DB_OK) {
		if (p.enrol)
			log_event(LOG_INFO, "totp_enrolled", "user_id=%lld", p.user_id);
		login_finish(req, form, p.user_id, p.next);
		return;
	}
	if (rc != DB_INVALID) {
		http_send_error(req, 503, "storage_failed", "Innloggingen kunne ikke lagres. Prøv igjen.");
		return;
	}
	struct wrong_job w = { p.id, 0 };
	(void)db_write(req->srv->db, wrong_write, &w);
	log_event(LOG_INFO, "totp_failed", "user_id=%lld attempts=%d", p.user_id, w.attempts);
	if (w.attempts >= LOGIN_MAX_CODE_ATTEMPTS) {
		(void)login_record_failure(req, p.user_id);
		login_fail(req, form, 401, "login_expired",
			   "For mange feil koder. Start på nytt med brukernavn og passord.", NULL, NULL);
		return;
	}
	if (form) {
		char headers[128];
		snprintf(headers, sizeof(headers), "Location: /logg-inn?steg=%s&feil=wrong_code\r\n",
			 p.enrol ? "enrol" : "totp");
		http_send(req, 303, "text/plain; charset=utf-8", "", 0, headers);
		return;
	}
	login_fail(req, 0, 401, "wrong_code",
		   "Feil kode. Skriv inn koden autentiseringsappen viser nå.", NULL, NULL);
}
