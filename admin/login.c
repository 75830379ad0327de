/* login.c: the password step of signing in, and what the steps share (see
 * login.h). The failure path always does the same work: one argon2id
 * verification (against a dummy hash when there is no account), one
 * durable write (a failure counter, plus the account's own when it
 * exists), then waits out a floor with jitter, so neither the answer nor
 * its timing tells whether a username exists. */
#include "login.h"

#include <civetweb.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "access.h"
#include "admin_state.h"
#include "db.h"
#include "http.h"
#include "log.h"
#include "password.h"
#include "rate_limit.h"
#include "server.h"
#include "session.h"
#include "totp.h"
#include "totp_seal.h"
#include "users.h"

#define FAILURE_FLOOR_MS 350
#define FAILURE_JITTER_MS 100
#define TOKEN_LEN SESSION_TOKEN_LEN

static const char failed_text[] =
	"Feil brukernavn eller passord, eller kontoen er midlertidig sperret etter for mange "
	"forsøk.";

int login_is_form(struct http_request *req)
{
	const char *type = http_header(req, "Content-Type");
	return type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0;
}

int login_field(struct http_request *req, const void *json, const char *name, char *buf,
		size_t size)
{
	buf[0] = '\0';
	if (!json) {
		if (!req->body)
			return 0;
		int n = mg_get_var(req->body, req->body_len, name, buf, size);
		if (n == -1) {
			buf[0] = '\0';
			return 0;
		}
		return n < 0 ? -1 : n;
	}
	json_t *v = json_object_get(json, name);
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return (int)json_string_length(v);
}

int login_next_ok(const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || n > LOGIN_NEXT_MAX || path[0] != '/' || path[1] == '/' || path[1] == '\\')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = path[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("/-_.?=&%", c)))
			return 0;
	}
	return strncmp(path, "/api/", 5) != 0;
}

const char *login_home(const struct principal *p)
{
	if (p->roles & ACCESS_EMPLOYEE)
		return "/min-side";
	if (p->roles & ACCESS_ADMIN)
		return "/admin";
	if (p->roles & ACCESS_HR)
		return "/hr";
	if (p->roles & ACCESS_OMBUD)
		return "/ombud";
	if (p->roles & ACCESS_LEADER)
		return "/leder";
	return "/";
}

void login_cookie(struct http_request *req, const char *name, const char *value,
		  const char *path, long max_age, char *buf, size_t size)
{
	const char *secure = strncmp(req->srv->cfg.public_url, "https:", 6) == 0 ? "; Secure" : "";
	snprintf(buf, size, "Set-Cookie: %s=%s; Path=%s; Max-Age=%ld; HttpOnly; SameSite=Strict%s\r\n",
		 name, value ? value : "", path, value ? max_age : 0, secure);
}

static void percent_encode(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 4 < size; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '/') {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
}

void login_fail(struct http_request *req, int form, int status, const char *error,
		const char *detail, const char *next, const char *extra)
{
	if (!form) {
		json_t *out = json_pack("{s:s, s:s}", "error", error, "detail", detail);
		char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
		json_decref(out);
		http_send(req, status, "application/json; charset=utf-8", text ? text : "{}",
			  text ? strlen(text) : 2, extra);
		free(text);
		return;
	}
	char enc[LOGIN_NEXT_MAX * 3 + 1] = "", headers[1200];
	if (next && login_next_ok(next))
		percent_encode(next, enc, sizeof(enc));
	snprintf(headers, sizeof(headers), "Location: /logg-inn?feil=%s%s%s\r\n%s", error,
		 enc[0] ? "&neste=" : "", enc, extra ? extra : "");
	http_send(req, 303, "text/plain; charset=utf-8", "", 0, headers);
}

int login_rate_check(struct http_request *req, int form)
{
	struct admin_state *a = req->srv->admin;
	if (!a || !a->login_ip)
		return 0;
	const struct mg_request_info *ri = mg_get_request_info(req->conn);
	long retry = 0;
	const struct config *cfg = &req->srv->cfg;
	if (rate_limit_hit(a->login_ip, ri ? ri->remote_addr : "?", cfg->login_ip_limit,
			   cfg->login_ip_window_seconds * 1000LL, session_now_ms(), &retry) == 0)
		return 0;
	char extra[64], detail[200];
	snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n", retry);
	snprintf(detail, sizeof(detail),
		 "For mange innloggingsforsøk fra denne adressen. Vent %ld sekunder og prøv igjen.",
		 retry);
	log_event(LOG_WARN, "login_rate_limited", "ip=%s", ri ? ri->remote_addr : "?");
	login_fail(req, form, 429, "rate_limited", detail, NULL, extra);
	return -1;
}

struct failure_job {
	long long user_id, now_ms, lock_ms;
	long max;
	int locked;
};

static int failure_write(struct db_conn *c, void *arg)
{
	struct failure_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO meta(key, value) VALUES('login_failures', '1') ON CONFLICT(key) DO UPDATE"
		" SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)");
	if (!st || db_exec_stmt(c, st, "login_failure_count") != DB_OK)
		return DB_ERROR;
	if (!j->user_id)
		return DB_OK;
	st = db_stmt(c, "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?1"
			" AND locked_until_ms <= ?2 RETURNING failed_logins");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->user_id);
	sqlite3_bind_int64(st, 2, j->now_ms);
	long failures = 0;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		failures = sqlite3_column_int(st, 0);
		rc = sqlite3_step(st);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return db_step_error(c, rc, "login_failure_user");
	if (failures < j->max)
		return DB_OK;
	st = db_stmt(c, "UPDATE users SET failed_logins = 0, locked_until_ms = ?2 WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->user_id);
	sqlite3_bind_int64(st, 2, j->now_ms + j->lock_ms);
	j->locked = 1;
	return db_exec_stmt(c, st, "login_lock");
}

int login_record_failure(struct http_request *req, long long user_id)
{
	const struct config *cfg = &req->srv->cfg;
	struct failure_job j = { user_id, session_now_ms(), cfg->login_lockout_minutes * 60000LL,
				 cfg->login_max_failures, 0 };
	if (db_write(req->srv->db, failure_write, &j) != DB_OK)
		return -1;
	if (j.locked)
		log_event(LOG_WARN, "account_locked", "user_id=%lld minutes=%ld", user_id,
			  cfg->login_lockout_minutes);
	return 0;
}

static void sleep_until(long long until_ms)
{
	long long left = until_ms - session_now_ms();
	if (left <= 0)
		return;
	struct timespec ts = { (time_t)(left / 1000), (long)(left % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

struct success_job {
	long long user_id, now_ms;
	const char *rehash;
};

static int success_write(struct db_conn *c, void *arg)
{
	struct success_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE users SET failed_logins = 0, last_login_ms = ?2,"
				      " password_hash = coalesce(?3, password_hash) WHERE id = ?1");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->user_id);
	sqlite3_bind_int64(st, 2, j->now_ms);
	if (j->rehash)
		sqlite3_bind_text(st, 3, j->rehash, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "login_success");
}

void login_finish(struct http_request *req, int form, long long user_id, const char *next)
{
	struct server *srv = req->srv;
	struct principal p;
	struct db_conn *c = db_reader_get(srv->db);
	int rc = access_principal_of(c, user_id, 0, "full", &p);
	db_reader_put(srv->db, c);
	char token[SESSION_TOKEN_LEN + 1];
	long ttl = srv->cfg.session_minutes * 60;
	if (rc != 0 ||
	    session_create(srv->db, user_id, p.employee_id, "full", "", ttl, token, NULL) != 0) {
		http_send_error(req, 503, "storage_failed", "Innloggingen kunne ikke lagres. Prøv igjen.");
		return;
	}
	struct success_job sj = { user_id, session_now_ms(), NULL };
	(void)db_write(srv->db, success_write, &sj);
	const char *to = next && login_next_ok(next) ? next : login_home(&p);
	char headers[1024], session_cookie_line[256], pending[200];
	session_cookie(req, token, ttl, session_cookie_line, sizeof(session_cookie_line));
	login_cookie(req, LOGIN_COOKIE, NULL, "/api/login", 0, pending, sizeof(pending));
	sodium_memzero(token, sizeof(token));
	log_event(LOG_INFO, "login", "user_id=%lld", user_id);
	if (form) {
		snprintf(headers, sizeof(headers), "Location: %s\r\n%s%s", to, session_cookie_line, pending);
		http_send(req, 303, "text/plain; charset=utf-8", "", 0, headers);
		sodium_memzero(headers, sizeof(headers));
	} else {
		json_t *out = json_pack("{s:b, s:s}", "ok", 1, "next", to);
		char *text = json_dumps(out, JSON_COMPACT);
		json_decref(out);
		snprintf(headers, sizeof(headers), "%s%s", session_cookie_line, pending);
		http_send(req, 200, "application/json; charset=utf-8", text ? text : "{}",
			  text ? strlen(text) : 2, headers);
		free(text);
		sodium_memzero(headers, sizeof(headers));
	}
	sodium_memzero(session_cookie_line, sizeof(session_cookie_line));
}

static void random_token(char *out)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, TOKEN_LEN + 1, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The value of cookie name when it is token-shaped, else "". */
static void cookie_token(struct http_request *req, const char *name, char *out)
{
	out[0] = '\0';
	const char *cookies = http_header(req, "Cookie");
	char buf[TOKEN_LEN + 2];
	if (!cookies || mg_get_cookie(cookies, name, buf, sizeof(buf)) != TOKEN_LEN)
		return;
	for (int i = 0; i < TOKEN_LEN; i++)
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", buf[i]))
			return;
	memcpy(out, buf, TOKEN_LEN + 1);
}

void login_csrf(struct http_request *req)
{
	char token[TOKEN_LEN + 1], cookie[256] = "";
	cookie_token(req, LOGIN_CSRF_COOKIE, token);
	if (!token[0]) {
		random_token(token);
		login_cookie(req, LOGIN_CSRF_COOKIE, token, "/api/login", 3600, cookie, sizeof(cookie));
	}
	json_t *out = json_pack("{s:s}", "csrf", token);
	char *text = json_dumps(out, JSON_COMPACT);
	json_decref(out);
	http_send(req, 200, "application/json; charset=utf-8", text ? text : "{}", text ? strlen(text) : 2,
		  cookie[0] ? cookie : NULL);
	free(text);
}

/* 1 when the request echoes the sign-in CSRF cookie (header or field). */
static int csrf_ok(struct http_request *req, const char *given)
{
	char want[TOKEN_LEN + 1];
	cookie_token(req, LOGIN_CSRF_COOKIE, want);
	const char *header = http_header(req, "X-CSRF-Token");
	if (header)
		given = header;
	return want[0] && strlen(given) == TOKEN_LEN && sodium_memcmp(want, given, TOKEN_LEN) == 0;
}

struct account {
	long long id;
	char hash[PASSWORD_HASH_MAX];
	int active, demo, has_totp;
	long long locked_until_ms;
};

static int account_load(struct server *srv, const char *username, struct account *a)
{
	memset(a, 0, sizeof(*a));
	if (!users_name_ok(username))
		return -1;
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, password_hash, active, demo, totp_secret IS NOT NULL,"
				      " locked_until_ms FROM users WHERE username = ?");
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			a->id = sqlite3_column_int64(st, 0);
			const unsigned char *h = sqlite3_column_text(st, 1);
			snprintf(a->hash, sizeof(a->hash), "%s", h ? (const char *)h : "");
			a->active = sqlite3_column_int(st, 2);
			a->demo = sqlite3_column_int(st, 3);
			a->has_totp = sqlite3_column_int(st, 4);
			a->locked_until_ms = sqlite3_column_int64(st, 5);
			rc = 0;
		}
	}
	db_reader_put(srv->db, c);
	return rc;
}

struct pending_job {
	unsigned char hash[32];
	long long user_id, now_ms;
	const char *csrf, *next;
	const unsigned char *secret; /* sealed enrolment secret or NULL */
};

static int pending_write(struct db_conn *c, void *arg)
{
	struct pending_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM pending_logins WHERE expires_ms <= ?1 OR user_id = ?2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->now_ms);
	sqlite3_bind_int64(st, 2, j->user_id);
	if (db_exec_stmt(c, st, "pending_purge") != DB_OK)
		return DB_ERROR;
	st = db_stmt(c, "INSERT INTO pending_logins(token_hash, user_id, csrf, enrol_secret, next_path,"
			" created_ms, expires_ms) VALUES(?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_blob(st, 1, j->hash, sizeof(j->hash), SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, j->user_id);
	sqlite3_bind_text(st, 3, j->csrf, -1, SQLITE_STATIC);
	if (j->secret)
		sqlite3_bind_blob(st, 4, j->secret, TOTP_SEALED_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->next, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, j->now_ms);
	sqlite3_bind_int64(st, 7, j->now_ms + LOGIN_PENDING_SECONDS * 1000LL);
	return db_exec_stmt(c, st, "pending_insert");
}

/* Starts the second step: a pending login (with a new secret when the
 * account must enrol) and its cookie; the page asks GET /api/login/totp. */
static void start_second_step(struct http_request *req, int form, const struct account *a,
			      const char *next)
{
	char token[TOKEN_LEN + 1], csrf[TOKEN_LEN + 1];
	unsigned char secret[TOTP_SECRET_BYTES], sealed[TOTP_SEALED_BYTES];
	if (!req->srv->admin) {
		http_send_error(req, 503, "unavailable", "Innlogging er ikke tilgjengelig nå.");
		return;
	}
	random_token(token);
	random_token(csrf);
	struct pending_job j = { .user_id = a->id, .now_ms = session_now_ms(), .csrf = csrf,
				 .next = next, .secret = a->has_totp ? NULL : sealed };
	if (!a->has_totp) {
		randombytes_buf(secret, sizeof(secret));
		totp_seal(req->srv->admin->totp_key, a->id, secret, sealed);
		sodium_memzero(secret, sizeof(secret));
	}
	crypto_generichash(j.hash, sizeof(j.hash), (const unsigned char *)token, TOKEN_LEN, NULL, 0);
	int rc = db_write(req->srv->db, pending_write, &j);
	if (rc != DB_OK) {
		sodium_memzero(token, sizeof(token));
		http_send_error(req, 503, "storage_failed", "Innloggingen kunne ikke lagres. Prøv igjen.");
		return;
	}
	char cookie[256];
	login_cookie(req, LOGIN_COOKIE, token, "/api/login", LOGIN_PENDING_SECONDS, cookie, sizeof(cookie));
	sodium_memzero(token, sizeof(token));
	const char *step = a->has_totp ? "totp" : "enrol";
	if (form) {
		char headers[512];
		snprintf(headers, sizeof(headers), "Location: /logg-inn?steg=%s\r\n%s", step, cookie);
		http_send(req, 303, "text/plain; charset=utf-8", "", 0, headers);
		sodium_memzero(headers, sizeof(headers));
	} else {
		json_t *out = json_pack("{s:s}", "step", step);
		char *text = json_dumps(out, JSON_COMPACT);
		json_decref(out);
		http_send(req, 200, "application/json; charset=utf-8", text ? text : "{}",
			  text ? strlen(text) : 2, cookie);
		free(text);
	}
	sodium_memzero(cookie, sizeof(cookie));
}

void login_password(struct http_request *req)
{
	struct server *srv = req->srv;
	int form = login_is_form(req);
	json_t *body = NULL;
	if (!form) {
		body = http_body_json(req);
		if (!body)
			return;
		if (!json_is_object(body)) {
			json_decref(body);
			http_send_error(req, 400, "invalid", "Ventet et JSON-objekt med username og password.");
			return;
		}
	}
	char username[USERS_NAME_MAX + 2], password[PASSWORD_MAX_BYTES + 2];
	char csrf[TOKEN_LEN + 2], next[LOGIN_NEXT_MAX + 2];
	int bad = login_field(req, body, "username", username, sizeof(username)) < 0;
	bad |= login_field(req, body, "password", password, sizeof(password)) < 0;
	bad |= login_field(req, body, "csrf", csrf, sizeof(csrf)) < 0;
	if (login_field(req, body, "next", next, sizeof(next)) < 0 && !form)
		next[0] = '\0';
	if (form && !next[0] && login_field(req, NULL, "neste", next, sizeof(next)) < 0)
		next[0] = '\0';
	json_decref(body);
	if (!login_next_ok(next))
		next[0] = '\0';
	if (bad || !username[0] || !password[0]) {
		sodium_memzero(password, sizeof(password));
		login_fail(req, form, 400, "invalid", "Skriv inn brukernavn og passord.", next, NULL);
		return;
	}
	if (login_rate_check(req, form) != 0 || !csrf_ok(req, csrf)) {
		if (!req->status)
			login_fail(req, form, 403, "csrf",
				   "Skjemaet er utløpt. Last siden på nytt og prøv igjen.", next, NULL);
		sodium_memzero(password, sizeof(password));
		return;
	}

	long long start = session_now_ms();
	struct account a;
	int found = account_load(srv, username, &a) == 0;
	int match = password_verify(found && a.hash[0] ? a.hash : NULL, password);
	int ok = found && match && a.active && a.locked_until_ms <= start &&
		 (!a.demo || srv->cfg.demo_mode);
	struct principal p;
	if (ok) {
		struct db_conn *c = db_reader_get(srv->db);
		ok = access_principal_of(c, a.id, 0, "full", &p) == 0;
		db_reader_put(srv->db, c);
	}
	if (!ok) {
		sodium_memzero(password, sizeof(password));
		/* A locked account's failures do not extend the lock. */
		(void)login_record_failure(req, found ? a.id : 0);
		log_event(LOG_INFO, "login_failed", "known=%d", found);
		sleep_until(start + FAILURE_FLOOR_MS + (long long)randombytes_uniform(FAILURE_JITTER_MS));
		login_fail(req, form, 401, "login_failed", failed_text, next, NULL);
		return;
	}
	char rehash[PASSWORD_HASH_MAX];
	int need_rehash = password_needs_rehash(a.hash) && password_hash(password, rehash) == 0;
	sodium_memzero(password, sizeof(password));
	if (need_rehash) {
		struct success_job sj = { a.id, session_now_ms(), rehash };
		(void)db_write(srv->db, success_write, &sj);
	}
	unsigned strong = ACCESS_LEADER | ACCESS_HR | ACCESS_OMBUD | ACCESS_ADMIN;
	int needs_totp = (p.roles & strong) && !(a.demo && srv->cfg.demo_mode);
	if (!needs_totp) {
		login_finish(req, form, a.id, next);
		return;
	}
	start_second_step(req, form, &a, next);
}
