/* session.c: session tokens, their cookie, lookup and CSRF checks (see
 * session.h). Tokens come from libsodium's CSPRNG; the table stores
 * crypto_generichash(token) so a leaked database signs no one in. */
#include "session.h"

#include <civetweb.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "http.h"
#include "log.h"
#include "server.h"

#define HASH_BYTES 32

long long session_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void random_token(char *out)
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
}

static void token_hash(const char *token, unsigned char *out)
{
	crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

struct create_job {
	unsigned char hash[HASH_BYTES];
	struct session *s;
};

static int insert_session(struct db_conn *c, void *arg)
{
	struct create_job *j = arg;
	struct session *s = j->s;
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO sessions(token_hash, user_id, employee_id, scope, course_id, csrf,"
		" created_ms, expires_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_blob(st, 1, j->hash, HASH_BYTES, SQLITE_STATIC);
	if (s->user_id)
		sqlite3_bind_int64(st, 2, s->user_id);
	if (s->employee_id)
		sqlite3_bind_int64(st, 3, s->employee_id);
	sqlite3_bind_text(st, 4, s->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, s->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, s->csrf, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, s->created_ms);
	sqlite3_bind_int64(st, 8, s->expires_ms);
	int rc = db_exec_stmt(c, st, "session_insert");
	if (rc == DB_OK)
		s->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int session_create(struct db *db, long long user_id, long long employee_id, const char *scope,
		   const char *course_id, long ttl_seconds, char *token, struct session *out)
{
	if (sodium_init() < 0)
		return -1;
	if (strcmp(scope, "full") != 0 && strcmp(scope, "learn") != 0)
		return -1;
	if (!course_id)
		course_id = "";
	struct session local, *s = out ? out : &local;
	memset(s, 0, sizeof *s);
	if (strlen(course_id) >= sizeof s->course_id)
		return -1;
	s->user_id = user_id;
	s->employee_id = employee_id;
	strcpy(s->scope, scope);
	strcpy(s->course_id, course_id);
	random_token(s->csrf);
	s->created_ms = session_now_ms();
	s->expires_ms = s->created_ms + (long long)ttl_seconds * 1000;

	random_token(token);
	struct create_job j = { .s = s };
	token_hash(token, j.hash);
	if (db_write(db, insert_session, &j) != DB_OK) {
		sodium_memzero(token, SESSION_TOKEN_LEN + 1);
		return -1;
	}
	return 0;
}

/* The cookie's token, or -1 when absent or not token-shaped. */
static int request_token(struct http_request *req, char *token)
{
	const char *cookies = http_header(req, "Cookie");
	if (!cookies)
		return -1;
	char buf[SESSION_TOKEN_LEN + 2];
	int n = mg_get_cookie(cookies, SESSION_COOKIE, buf, sizeof buf);
	if (n != SESSION_TOKEN_LEN)
		return -1;
	for (int i = 0; i < n; i++) {
		char ch = buf[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		      ch == '-' || ch == '_'))
			return -1;
	}
	memcpy(token, buf, SESSION_TOKEN_LEN + 1);
	return 0;
}

static void copy_text(char *dst, size_t size, const unsigned char *src)
{
	snprintf(dst, size, "%s", src ? (const char *)src : "");
}

int session_from_request(struct http_request *req, struct session *out)
{
	char token[SESSION_TOKEN_LEN + 1];
	if (request_token(req, token) != 0)
		return -1;
	unsigned char hash[HASH_BYTES];
	token_hash(token, hash);

	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT id, user_id, employee_id, scope, course_id, csrf, created_ms, expires_ms"
		" FROM sessions WHERE token_hash = ? AND expires_ms > ?");
	int found = -1;
	if (st) {
		sqlite3_bind_blob(st, 1, hash, HASH_BYTES, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, session_now_ms());
		if (sqlite3_step(st) == SQLITE_ROW) {
			memset(out, 0, sizeof *out);
			out->id = sqlite3_column_int64(st, 0);
			out->user_id = sqlite3_column_int64(st, 1);
			out->employee_id = sqlite3_column_int64(st, 2);
			copy_text(out->scope, sizeof out->scope, sqlite3_column_text(st, 3));
			copy_text(out->course_id, sizeof out->course_id, sqlite3_column_text(st, 4));
			copy_text(out->csrf, sizeof out->csrf, sqlite3_column_text(st, 5));
			out->created_ms = sqlite3_column_int64(st, 6);
			out->expires_ms = sqlite3_column_int64(st, 7);
			found = 0;
		}
	}
	db_reader_put(req->srv->db, c);
	return found;
}

void session_cookie(struct http_request *req, const char *token, long max_age, char *buf,
		    size_t size)
{
	const char *secure = strncmp(req->srv->cfg.public_url, "https:", 6) == 0 ? "; Secure" : "";
	if (token)
		snprintf(buf, size,
			 "Set-Cookie: " SESSION_COOKIE "=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s\r\n",
			 token, max_age, secure);
	else
		snprintf(buf, size,
			 "Set-Cookie: " SESSION_COOKIE "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s\r\n",
			 secure);
}

struct delete_job {
	const char *sql;
	const unsigned char *hash;
	long long a, b;
	int changed;
};

static int run_delete(struct db_conn *c, void *arg)
{
	struct delete_job *j = arg;
	sqlite3_stmt *st = db_stmt(c, j->sql);
	if (!st)
		return DB_ERROR;
	if (j->hash)
		sqlite3_bind_blob(st, 1, j->hash, HASH_BYTES, SQLITE_STATIC);
	else {
		sqlite3_bind_int64(st, 1, j->a);
		sqlite3_bind_int64(st, 2, j->b);
	}
	int rc = db_exec_stmt(c, st, "session_delete");
	if (rc == DB_OK)
		j->changed = sqlite3_changes(db_handle(c));
	return rc;
}

int session_end(struct http_request *req)
{
	char token[SESSION_TOKEN_LEN + 1];
	if (request_token(req, token) != 0)
		return 0;
	unsigned char hash[HASH_BYTES];
	token_hash(token, hash);
	struct delete_job j = { "DELETE FROM sessions WHERE token_hash = ?", hash, 0, 0, 0 };
	return db_write(req->srv->db, run_delete, &j) == DB_OK ? 0 : -1;
}

int session_end_all(struct db *db, long long user_id, long long employee_id)
{
	struct delete_job j = { "DELETE FROM sessions WHERE user_id = ?1 OR employee_id = ?2", NULL,
				user_id ? user_id : -1, employee_id ? employee_id : -1, 0 };
	return db_write(db, run_delete, &j) == DB_OK ? 0 : -1;
}

int session_purge_expired(struct db *db)
{
	struct delete_job j = { "DELETE FROM sessions WHERE expires_ms <= ?1 AND ?2 = ?2", NULL,
				session_now_ms(), 0, 0 };
	return db_write(db, run_delete, &j) == DB_OK ? j.changed : -1;
}

int session_csrf_ok(struct http_request *req, const struct session *s)
{
	char given[SESSION_TOKEN_LEN + 2] = "";
	const char *header = http_header(req, "X-CSRF-Token");
	if (header) {
		snprintf(given, sizeof given, "%s", header);
	} else {
		const char *type = http_header(req, "Content-Type");
		if (!req->body || !type ||
		    strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0)
			return 0;
		if (mg_get_var(req->body, req->body_len, "csrf", given, sizeof given) < 0)
			return 0;
	}
	if (strlen(given) != SESSION_TOKEN_LEN || strlen(s->csrf) != SESSION_TOKEN_LEN)
		return 0;
	return sodium_memcmp(given, s->csrf, SESSION_TOKEN_LEN) == 0;
}
