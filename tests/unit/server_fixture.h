/* server_fixture.h: for unit tests of modules that take a struct server:
 * srv on a fresh, migrated database in a temporary folder (public_url
 * http://vern.test), and helpers to store statements and to read one
 * number back.
 *
 *   int main(void) {
 *           if (fixture_open("lrs-keys") != 0)
 *                   return 1;
 *           UNIT_RUN(...);
 *           return fixture_close();
 *   } */
#ifndef VERN_SERVER_FIXTURE_H
#define VERN_SERVER_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "config.h"
#include "db.h"
#include "lrs.h"
#include "server.h"
#include "unit.h"

static struct server srv;
static char fixture_dir[96];

/* Opens srv on a new database in /tmp/vern-NAME-XXXXXX. Returns 0, or -1
 * after saying why. */
static int fixture_open(const char *name)
{
	char path[160], err[256];
	snprintf(fixture_dir, sizeof(fixture_dir), "/tmp/vern-%.40s-XXXXXX", name);
	if (!mkdtemp(fixture_dir)) {
		perror("mkdtemp");
		return -1;
	}
	snprintf(path, sizeof(path), "%s/vern.db", fixture_dir);
	config_defaults(&srv.cfg);
	snprintf(srv.cfg.public_url, sizeof(srv.cfg.public_url), "http://vern.test");
	struct db_options opt = { 5000, 2 };
	if (db_open(&srv.db, path, &opt, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

/* Closes srv and removes its folder; returns the test program's exit
 * code. */
static int fixture_close(void)
{
	db_close(srv.db);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fixture_dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}

/* The first column of the first row of sql (with ?1 = arg when arg is not
 * NULL), or -1. */
__attribute__((unused)) static long long fixture_scalar(const char *sql, const char *arg)
{
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, sql);
	long long v = -1;
	if (st) {
		if (arg)
			sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
	}
	db_reader_put(srv.db, c);
	return v;
}

/* Stores statements (taken) as Vern's own code does; says why when it
 * fails. Returns lrs_store_internal's status (0: stored). */
__attribute__((unused)) static int fixture_store(json_t *statements)
{
	char err[300];
	int rc = lrs_store_internal(&srv, statements, NULL, err, sizeof(err));
	if (rc != 0)
		printf("#   store: %d %s\n", rc, err);
	json_decref(statements);
	return rc;
}

#endif
