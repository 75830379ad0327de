/* demo.c: `vern demo`, the demo municipality.
 *
 * Writes the demo municipality's settings through the ordinary writer so
 * `make run` has something to show. It is idempotent: running it again
 * refreshes the same rows. The people, courses and campaigns of the demo
 * are added by the folders that own them, from here. */
#include "demo.h"

#include <sqlite3.h>

#include "db.h"
#include "log.h"

static const char *const demo_meta[][2] = {
	{ "municipality_name", "Demo kommune" },
	{ "municipality_number", "9999" },
	{ "demo", "true" },
};

static int write_meta(struct db_conn *c, void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(demo_meta) / sizeof(demo_meta[0]); i++) {
		sqlite3_stmt *st = db_stmt(c,
			"INSERT INTO meta(key, value) VALUES(?, ?)"
			" ON CONFLICT(key) DO UPDATE SET value = excluded.value");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, demo_meta[i][0], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, demo_meta[i][1], -1, SQLITE_STATIC);
		int rc = db_exec_stmt(c, st, "demo_meta");
		if (rc != DB_OK)
			return rc;
	}
	return DB_OK;
}

int demo_create(struct db *db)
{
	int rc = db_write(db, write_meta, NULL);
	if (rc != DB_OK)
		return -1;
	log_event(LOG_INFO, "demo_created", "municipality=\"Demo kommune\"");
	return 0;
}
