/* demo_accounts.c: demo accounts for `vern demo` (see demo_accounts.h).
 * Each account belongs to one of the demo municipality's people who fits
 * (a plain employee with courses, a leader, HR, the ombud); when the demo
 * holds no such person, a person of our own is made, so the accounts work
 * whatever else the demo holds. An existing account is left as it is. */
#include "demo_accounts.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "password.h"
#include "people.h"
#include "users.h"

static const struct {
	const char *username, *employee, *name, *unit, *org_role, *account_role, *what;
} demo[] = {
	{ "ansatt", "demo-ansatt", "Kari Ansatt", "demo-skole", NULL, NULL, "ansatt: Min side" },
	{ "leder", "demo-leder", "Lars Leder", "demo-skole", "leder", NULL, "leder: sin enhet" },
	{ "hr", "demo-hr", "Hanne HR", "demo-kommune", "hr", NULL, "HR" },
	{ "ombud", "demo-ombud", "Olav Ombud", "demo-kommune", "personvernombud", NULL, "personvernombud" },
	{ "admin", NULL, "Ada Admin", NULL, NULL, "admin", "administrator" },
};
#define NDEMO (sizeof(demo) / sizeof(demo[0]))

struct people_job {
	char ext[NDEMO][64];   /* the employee each account belongs to ("" for none) */
	char err[256];
};

/* An active employee of the demo people without an account: for a role
 * code, one who holds it; for none, a plain employee with courses to show. */
static int pick_existing(struct db_conn *c, const char *role, char *ext, size_t size)
{
	sqlite3_stmt *st = role
		? db_stmt(c, "SELECT e.external_id FROM employees e JOIN employee_roles er ON er.employee_id = e.id"
			     " JOIN roles r ON r.id = er.role_id WHERE r.code = ?1 AND e.active = 1"
			     " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.id) ORDER BY e.id LIMIT 1")
		: db_stmt(c, "SELECT e.external_id FROM employees e WHERE e.active = 1 AND ?1 IS NULL"
			     " AND NOT EXISTS (SELECT 1 FROM employee_roles er JOIN roles r ON r.id = er.role_id"
			     "  WHERE er.employee_id = e.id AND r.code <> 'ansatt')"
			     " AND EXISTS (SELECT 1 FROM assignments a WHERE a.employee_id = e.id)"
			     " AND EXISTS (SELECT 1 FROM completions k WHERE k.employee_id = e.id)"
			     " AND NOT EXISTS (SELECT 1 FROM users u WHERE u.employee_id = e.id) ORDER BY e.id LIMIT 1");
	if (!st)
		return -1;
	if (role)
		sqlite3_bind_text(st, 1, role, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	if (found)
		snprintf(ext, size, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return found;
}

/* The units of the fallback people. */
static int write_units(struct db_conn *c, struct people_job *j)
{
	static const char *const units[][4] = {
		{ "demo-kommune", "Demo kommune", NULL, "0" },
		{ "demo-skole", "Demo skole", "demo-kommune", "1" },
	};
	for (size_t i = 0; i < 2; i++) {
		sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM org_units WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, units[i][0], -1, SQLITE_STATIC);
		int exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		int rc = exists ? DB_OK : people_unit_upsert(c, units[i][0], units[i][1], units[i][2],
							   units[i][3][0] == '1', j->err, sizeof(j->err));
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

/* For each account: the account's existing employee, else one of the demo
 * people, else a person of our own under the fallback units. */
static int write_people(struct db_conn *c, void *arg)
{
	struct people_job *j = arg;
	int units_done = 0;
	for (size_t i = 0; i < NDEMO; i++) {
		j->ext[i][0] = '\0';
		if (!demo[i].employee)
			continue;
		sqlite3_stmt *st = db_stmt(c, "SELECT e.external_id FROM users u JOIN employees e ON e.id = u.employee_id"
					      " WHERE u.username = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, demo[i].username, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(j->ext[i], sizeof(j->ext[i]), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		if (j->ext[i][0])
			continue;
		int found = pick_existing(c, demo[i].org_role, j->ext[i], sizeof(j->ext[i]));
		if (found < 0)
			return DB_ERROR;
		if (found)
			continue;
		if (!units_done++ && write_units(c, j) != DB_OK)
			return DB_INVALID;
		struct person p = { .external_id = demo[i].employee, .name = demo[i].name,
				    .unit = demo[i].unit, .active = 1 };
		char email[128];
		snprintf(email, sizeof(email), "%s@demo.kommune.invalid", demo[i].employee);
		p.email = email;
		if (demo[i].org_role)
			p.roles[p.nroles++] = demo[i].org_role;
		enum person_change change;
		int rc = people_employee_upsert(c, &p, &change, j->err, sizeof(j->err));
		if (rc != DB_OK)
			return rc;
		snprintf(j->ext[i], sizeof(j->ext[i]), "%s", demo[i].employee);
	}
	return DB_OK;
}

int demo_accounts(struct db *db, const struct config *cfg)
{
	struct people_job pj;
	memset(&pj, 0, sizeof(pj));
	if (db_write(db, write_people, &pj) != DB_OK) {
		fprintf(stderr, "vern demo: the demo people could not be written: %s\n", pj.err);
		return -1;
	}
	char hash[PASSWORD_HASH_MAX] = "";
	for (size_t i = 0; i < NDEMO; i++) {
		if (users_find(db, demo[i].username))
			continue;
		if (!hash[0] && password_hash(DEMO_PASSWORD, hash) != 0)
			return -1;
		struct user_new u = { .username = demo[i].username, .employee = pj.ext[i][0] ? pj.ext[i] : NULL,
				      .password_hash = hash, .demo = 1 };
		if (!u.employee)
			u.display_name = demo[i].name;
		if (demo[i].account_role)
			u.roles[u.nroles++] = demo[i].account_role;
		long long id;
		char err[256];
		if (users_create(db, &u, &id, err, sizeof(err)) != 0) {
			fprintf(stderr, "vern demo: account %s: %s\n", demo[i].username, err);
			return -1;
		}
	}
	char base[CONFIG_STR_MAX + 8];
	if (cfg->public_url[0])
		snprintf(base, sizeof(base), "%s", cfg->public_url);
	else
		snprintf(base, sizeof(base), "http://%s", cfg->listen);
	printf("Demo accounts, password \"%s\" (they sign in only when the server runs with "
	       "demo_mode = true, as `make run` does):\n", DEMO_PASSWORD);
	for (size_t i = 0; i < NDEMO; i++)
		printf("  %s/logg-inn?bruker=%-8s %s\n", base, demo[i].username, demo[i].what);
	log_event(LOG_INFO, "demo_accounts", "accounts=%zu", NDEMO);
	return 0;
}
