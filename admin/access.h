/* access.h: who may do what, checked in one place for every admin and
 * learner endpoint, and the audit log of views of a person's data.
 *
 * Roles: employee (an account tied to an employee: Min side), leader (the
 * subtree of their own unit when they hold leder, virksomhetsleder or
 * kommunaldirektor, plus units granted in user_roles), HR, ombud and admin.
 * A learn-scope session (from an email link) holds ACCESS_LEARN only. */
#ifndef VERN_ACCESS_H
#define VERN_ACCESS_H

#include "session.h"

struct db_conn;
struct http_request;
struct server;

enum access_role {
	ACCESS_EMPLOYEE = 1 << 0,
	ACCESS_LEADER = 1 << 1,
	ACCESS_HR = 1 << 2,
	ACCESS_OMBUD = 1 << 3,
	ACCESS_ADMIN = 1 << 4,
	ACCESS_LEARN = 1 << 5, /* may play courses (any signed-in employee has it) */
};

#define ACCESS_MAX_UNITS 16

struct principal {
	struct session s;
	long long user_id, employee_id;
	unsigned roles;                 /* enum access_role bits */
	char name[256];                 /* for the audit log and page headers */
	long long leader_units[ACCESS_MAX_UNITS]; /* roots of the subtrees a leader sees */
	int nleader_units;
};

/* Loads the signed-in principal and checks it holds one of roles. For any
 * method other than GET, HEAD and OPTIONS it also checks the CSRF token.
 * On failure it answers (401 not_signed_in, 403 forbidden or csrf) and
 * returns -1; on success fills out and returns 0. */
int access_require(struct http_request *req, unsigned roles, struct principal *out);

/* The same without answering: 0 and out filled when signed in, else -1. */
int access_load(struct http_request *req, struct principal *out);

/* The principal an account (or employee) would be with a session of the
 * given scope, without a request: for sign-in, which must know the roles
 * (two-factor needed?) before any session exists. Returns 0, or -1 when the
 * account or employee is gone or inactive. */
int access_principal_of(struct db_conn *c, long long user_id, long long employee_id,
			const char *scope, struct principal *out);

/* 1 if the leader (or HR/admin, who see everyone) may see the unit or the
 * employee: the unit lies in a subtree they lead. */
int access_sees_unit(struct db_conn *c, const struct principal *p, long long unit_id);
int access_sees_employee(struct db_conn *c, const struct principal *p, long long employee_id);

/* Appends to the audit log: p viewed or exported subject's data (0 for a
 * group view), action a short code, detail free text. Returns 0 or -1. The
 * caller must not send the data when this fails. */
int audit_record(struct server *srv, const struct principal *p, long long subject_employee_id,
		 const char *action, const char *detail);

#endif
