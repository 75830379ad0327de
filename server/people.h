/* people.h: the organisation model on the writer connection: org units (a
 * tree with materialised paths), employees and their roles, and the
 * employee's stable xAPI agent. Used by CSV import, SCIM, the demo and
 * plugins; every function runs inside a db_write job. */
#ifndef VERN_PEOPLE_H
#define VERN_PEOPLE_H

#include <jansson.h>
#include <stddef.h>

struct db_conn;

#define PEOPLE_MAX_ROLES 16

struct person {
	const char *external_id;   /* required, stable */
	const char *name;          /* required */
	const char *email;         /* may be NULL */
	const char *unit;          /* unit external id, may be NULL */
	const char *manager;       /* manager's external id, may be NULL */
	const char *start_date;    /* YYYY-MM-DD or NULL */
	int active;
	const char *roles[PEOPLE_MAX_ROLES]; /* role codes; "ansatt" is implied */
	int nroles;
};

/* What an upsert changed, for plugins' on_employee(e, change). */
enum person_change { PERSON_UNCHANGED = 0, PERSON_CREATED, PERSON_UPDATED, PERSON_DEACTIVATED };

/* Creates or updates a unit; parent may be NULL for a root. A unit moved
 * under a new parent gets its subtree's paths rewritten. Returns DB_OK,
 * DB_INVALID with err set (unknown parent, cycle), or DB_ERROR. */
int people_unit_upsert(struct db_conn *c, const char *external_id, const char *name,
		       const char *parent, int is_agency, char *err, size_t errsize);

/* Creates or updates an employee and replaces their roles. Unknown unit,
 * manager or role is DB_INVALID with err set. *change tells what happened. */
int people_employee_upsert(struct db_conn *c, const struct person *p,
			   enum person_change *change, char *err, size_t errsize);

/* Marks an employee inactive (never deleted: their history is proof). */
int people_employee_deactivate(struct db_conn *c, const char *external_id, int *changed);

/* Grants (on = 1) or takes away (on = 0) one role of an employee without
 * touching the others (SCIM groups that give a role). *changed, when not
 * NULL, tells whether anything changed. Unknown role: DB_INVALID. */
int people_employee_role_set(struct db_conn *c, long long employee_id, const char *role, int on,
			     int *changed);

/* 1 if s is YYYY-MM-DD with a real date. */
int people_is_date(const char *s);

/* The employee's xAPI agent: {"objectType":"Agent","name":N,"account":
 * {"homePage":home_page,"name":external_id}}. New reference. */
json_t *people_agent(const char *home_page, const char *external_id, const char *name);

#endif
