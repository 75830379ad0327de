/* session.h: signed-in people. A session is a random 256-bit token carried
 * in the `vern_session` cookie (HttpOnly, SameSite=Lax, Secure when
 * public_url is https); the database keeps only its BLAKE2b hash. Each
 * session has a CSRF token that every state-changing request must echo in
 * the X-CSRF-Token header or a `csrf` form field.
 *
 * Scope "full" comes from signing in with an account; scope "learn" comes
 * from an email link and only lets its holder play courses (course_id, when
 * not empty, is the one course). */
#ifndef VERN_SESSION_H
#define VERN_SESSION_H

#include <stddef.h>

struct db;
struct http_request;

#define SESSION_TOKEN_LEN 43 /* base64url of 32 bytes, no padding */
#define SESSION_COOKIE "vern_session"

struct session {
	long long id;
	long long user_id;      /* local account, 0 if none */
	long long employee_id;  /* 0 if none */
	char scope[8];          /* "full" or "learn" */
	char course_id[128];    /* learn scope: the course it may play, "" = any */
	char csrf[SESSION_TOKEN_LEN + 1];
	long long created_ms, expires_ms;
};

/* Creates a session lasting ttl_seconds. Fills token (the cookie value,
 * SESSION_TOKEN_LEN + 1 bytes) and, if out is not NULL, the session.
 * Returns 0 or -1 (storage failed, or a bad scope). */
int session_create(struct db *db, long long user_id, long long employee_id, const char *scope,
		   const char *course_id, long ttl_seconds, char *token, struct session *out);

/* Finds the live session named by the request's cookie. Returns 0 and fills
 * out, or -1 when there is none (no cookie, unknown, or expired). */
int session_from_request(struct http_request *req, struct session *out);

/* Writes a complete "Set-Cookie: ...\r\n" line into buf: the token for
 * max_age seconds, or an expired empty cookie when token is NULL. */
void session_cookie(struct http_request *req, const char *token, long max_age, char *buf,
		    size_t size);

/* Ends the session named by the request's cookie (sign-out). Returns 0 or -1. */
int session_end(struct http_request *req);

/* Ends every session of an account or employee (sign-out everywhere, password
 * change, deactivation). Pass 0 for the one not meant. Returns 0 or -1. */
int session_end_all(struct db *db, long long user_id, long long employee_id);

/* Deletes expired sessions. Returns the number removed or -1. */
int session_purge_expired(struct db *db);

/* 1 if the request carries s's CSRF token (header X-CSRF-Token, or a
 * `csrf` field in an application/x-www-form-urlencoded body); compared in
 * constant time. */
int session_csrf_ok(struct http_request *req, const struct session *s);

/* Milliseconds since the epoch (wall clock). */
long long session_now_ms(void);

#endif
