/* login.h: signing in and out.
 *
 *   GET  /api/login             a sign-in CSRF token (double-submit cookie)
 *   POST /api/login             username + password (JSON or form)
 *   GET  /api/login/totp        the pending second step: code, or enrolment
 *                               (secret, otpauth URI)
 *   POST /api/login/totp        the TOTP code: makes the session
 *   POST /api/logout            ends this session
 *   POST /api/logout-everywhere ends every session of the person
 *
 * Every failure of the password step answers the same message in about the
 * same time, whether the username exists, the password is wrong, or the
 * account is locked or inactive. An account locks for login_lockout_minutes
 * after login_max_failures failures in a row (wrong passwords and, after
 * five wrong codes, the TOTP step); each IP address may try
 * login_ip_limit times per login_ip_window_seconds. Leaders, HR, the ombud
 * and admins need TOTP; they enrol at their first sign-in. JSON callers get
 * JSON; form posts (no script) get 303 redirects back to /logg-inn. */
#ifndef VERN_LOGIN_H
#define VERN_LOGIN_H

#include <stddef.h>

struct http_request;
struct principal;

void login_csrf(struct http_request *req);
void login_password(struct http_request *req);
void login_totp_get(struct http_request *req);
void login_totp_post(struct http_request *req);
void login_logout(struct http_request *req);
void login_logout_everywhere(struct http_request *req);

/* ---- shared by login.c, login_totp.c and logout.c ---- */

#define LOGIN_COOKIE "vern_login"      /* pending second step */
#define LOGIN_CSRF_COOKIE "vern_login_csrf"
#define LOGIN_PENDING_SECONDS 300
#define LOGIN_MAX_CODE_ATTEMPTS 5
#define LOGIN_NEXT_MAX 200

/* 1 when the request body is a form (application/x-www-form-urlencoded). */
int login_is_form(struct http_request *req);

/* A field of the JSON object or form body into buf ("" when absent).
 * Returns its length, or -1 when it is too long or not a string. */
int login_field(struct http_request *req, const void *json, const char *name, char *buf,
		size_t size);

/* 1 if path is a safe local page to go to after signing in. */
int login_next_ok(const char *path);

/* The page for the principal's roles when no next page was asked for. */
const char *login_home(const struct principal *p);

/* Counts a per-IP attempt; answers 429 and returns -1 when over the limit. */
int login_rate_check(struct http_request *req, int form);

/* Answers a failure: JSON {error, detail} with status, or for a form a 303
 * back to /logg-inn?feil=error[&neste=next]. extra: more header lines. */
void login_fail(struct http_request *req, int form, int status, const char *error,
		const char *detail, const char *next, const char *extra);

/* Counts a failed sign-in for user_id (0: no such account, still the same
 * work) and locks the account at the limit. Returns 0 or -1. */
int login_record_failure(struct http_request *req, long long user_id);

/* Makes the full session for the account, answers 200 JSON {ok, next} or a
 * 303 to next (the role's home page when next is empty), clearing the
 * pending-login cookie. */
void login_finish(struct http_request *req, int form, long long user_id, const char *next);

/* "Set-Cookie: NAME=VALUE; Path=PATH; Max-Age=N; HttpOnly; SameSite=Strict[; Secure]\r\n" */
void login_cookie(struct http_request *req, const char *name, const char *value,
		  const char *path, long max_age, char *buf, size_t size);

#endif
