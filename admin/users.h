/* users.h: local accounts (table users of 010_users.sql) and the roles
 * granted to them: create, change password, reset TOTP, grant roles,
 * unlock, deactivate, remove and list. Shared by `vern user`, the admin
 * API and the demo; every change goes through the one writer.
 *
 * Roles are given as text: "admin", "hr", "ombud", or "leader:UNIT" where
 * UNIT is an org unit's external id (a leader without a unit leads nothing
 * through the account; leaders by org role need no account role). */
#ifndef VERN_USERS_H
#define VERN_USERS_H

#include <jansson.h>
#include <stddef.h>

struct db;
struct db_conn;

#define USERS_MAX_ROLES 32
#define USERS_NAME_MAX 64

struct user_new {
	const char *username;
	const char *display_name;      /* NULL: the employee's name, else the username */
	const char *employee;          /* employee external id or NULL */
	const char *password_hash;     /* NULL: cannot sign in until a password is set */
	const char *roles[USERS_MAX_ROLES];
	int nroles;
	int demo;
};

/* 1 if name is a valid username: 1-64 of A-Z a-z 0-9 . _ - @. */
int users_name_ok(const char *name);

/* 0 if role text is admin, hr, ombud or leader:UNIT (syntax only). */
int users_role_ok(const char *role);

/* Creates the account. Returns 0 and sets *id; -1 with a Norwegian reason
 * in err (name taken, unknown employee or unit, employee has an account). */
int users_create(struct db *db, const struct user_new *u, long long *id, char *err,
		 size_t errsize);

/* Replaces the account's roles. Returns 0, or -1 with err set. */
int users_set_roles(struct db *db, long long id, const char *const *roles, int nroles,
		    char *err, size_t errsize);

/* Sets a new password hash and clears the lockout. Returns 0, -1 (no such
 * account, err set). */
int users_set_password(struct db *db, long long id, const char *hash, char *err, size_t errsize);

/* Forgets the TOTP secret: the next sign-in enrols again. */
int users_totp_reset(struct db *db, long long id, char *err, size_t errsize);

/* Clears failed sign-ins and the lockout. */
int users_unlock(struct db *db, long long id, char *err, size_t errsize);

/* Sets display name (when not NULL) and active (when >= 0). */
int users_update(struct db *db, long long id, const char *display_name, int active, char *err,
		 size_t errsize);

/* Deletes the account (its roles go with it; the audit log keeps names). */
int users_remove(struct db *db, long long id, char *err, size_t errsize);

/* The account's id for a username (any case), 0 if none. */
long long users_find(struct db *db, const char *username);

/* Every account as a JSON array of {id, username, display_name, employee
 * (external id or null), employee_name, roles: ["admin", "leader:UNIT"],
 * active, totp (enrolled), locked (bool), locked_until_ms, failed_logins,
 * last_login_ms, demo, created_ms}; with id > 0 just that one (an object,
 * or NULL when missing). New reference. */
json_t *users_json(struct db_conn *c, long long id);

#endif
