/* demo_accounts.c: demo accounts for `vern demo` (see demo_accounts.h).
 * The people they belong to are upserted under the demo municipality, so
 * the accounts work whatever else the demo holds; an existing account is
 * left as it is. */
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
	{ "leder", "demo-leder", "Lars Leder", "demo-skole", "leder", NULL, "leder for Demo skole" },
	{ "hr", "demo-hr", "Hanne HR", "demo-kommune", "hr", NULL, "HR" },
	{ "ombud", "demo-ombud", "Olav Ombud", "demo-kommune", "personvernombud", NULL, "personvernombud" },
	{ "admin", NULL, "Ada Admin", NULL, NULL, "admin", "administrator" },
};
#define NDEMO (sizeof(demo) / sizeof(demo[0]))

struct people_job {
	char err[256];
};

/* Upserts the units and the employees the accounts need. */
static int write_people(struct db_conn *c, void *arg)
{
	struct people_job *j = arg;
	int rc = DB_OK;
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM org_units WHERE external_id = 'demo-kommune'");
	if (!st)
		return DB_ERROR;
	int have_root = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	if (!have_root)
		rc = people_unit_upsert(c, "demo-kommune", "Demo kommune", NULL, 0, j->err, sizeof(j->err));
	st = db_stmt(c, "SELECT 1 FROM org_units WHERE external_id = 'demo-skole'");
	if (rc == DB_OK && st && sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		rc = people_unit_upsert(c, "demo-skole", "Demo skole", "demo-kommune", 1, j->err,
					sizeof(j->err));
	} else if (st) {
		sqlite3_reset(st);
	}
	for (size_t i = 0; rc == DB_OK && i < NDEMO; i++) {
		if (!demo[i].employee)
			continue;
		st = db_stmt(c, "SELECT 1 FROM employees WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, demo[i].employee, -1, SQLITE_STATIC);
		int exists = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (exists)
			continue;
		struct person p = { .external_id = demo[i].employee, .name = demo[i].name,
				    .unit = demo[i].unit, .active = 1 };
		char email[128];
		snprintf(email, sizeof(email), "%s@demo.kommune.invalid", demo[i].employee);
		p.email = email;
		if (demo[i].org_role)
			p.roles[p.nroles++] = demo[i].org_role;
		enum person_change change;
		rc = people_employee_upsert(c, &p, &change, j->err, sizeof(j->err));
	}
	return rc;
}

int demo_accounts(struct db *db, const struct config *cfg)
{
	struct people_job pj = { "" };
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
		struct user_new u = { .username = demo[i].username, .display_name = demo[i].name,
				      .employee = demo[i].employee, .password_hash = hash, .demo = 1 };
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
