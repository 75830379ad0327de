/* demo_org.h: the organisation of the demo municipality ("Demo kommune"):
 * sectors, about 40 agencies (virksomheter) with units in the larger ones,
 * and 2,000 employees with managers and roles, generated from a fixed
 * seed so every run gives the same people. */
#ifndef VERN_DEMO_ORG_H
#define VERN_DEMO_ORG_H

#include <stddef.h>

struct db;

#define DEMO_EMPLOYEES 2000
#define DEMO_MAX_ROLES 4

struct demo_unit {
	char ext[64];
	char name[96];
	int parent;          /* index, -1 for the municipality */
	int is_agency;
};

struct demo_person {
	char ext[16];        /* employee id, "100001" ... */
	char name[80];
	char email[112];
	int unit;            /* index into units */
	int manager;         /* index into people, -1 for none */
	long start_day;      /* days since 1970-01-01 */
	int active;
	const char *roles[DEMO_MAX_ROLES];
	int nroles;
};

struct demo_org {
	struct demo_unit *units;
	int nunits;
	struct demo_person *people;
	int npeople;
	int agencies;
};

/* Builds the organisation in memory. anchor_day (days since 1970) is the
 * demo's "today": start dates lie before it. Returns 0 or -1 (out of
 * memory). */
int demo_org_build(struct demo_org *org, long anchor_day);
void demo_org_free(struct demo_org *org);

/* Counts of one write: what changed in the people model. */
struct demo_org_result {
	int created, updated, unchanged;
};

/* Writes units and employees through server/people.h in one transaction:
 * idempotent, so a second run changes nothing. Returns 0, or -1 with err
 * set. */
int demo_org_write(struct db *db, const struct demo_org *org, struct demo_org_result *res,
		   char *err, size_t errsize);

/* 1 when p holds role (a role code). */
int demo_has_role(const struct demo_person *p, const char *role);

/* "YYYY-MM-DD" for a day number; buf of 11 bytes or more. */
const char *demo_day_text(long day, char *buf, size_t size);

#endif
