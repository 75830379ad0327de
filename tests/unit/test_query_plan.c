/* test_query_plan.c: every shape of statement query (lrs/query.c) is
 * answered through indexes: EXPLAIN QUERY PLAN on a migrated database must
 * show no full scan of statement_keys, no scan of statements when a
 * filter (or a registration) is given, and no sort (results come in seq
 * order from the index); a client's walk of its own statements goes
 * through statements_client. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "query.h"
#include "unit.h"

static char db_path[256];

static void plan_of(sqlite3 *h, const char *sql, char *out, size_t size)
{
	char explain[2300];
	snprintf(explain, sizeof(explain), "EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *st;
	out[0] = '\0';
	if (sqlite3_prepare_v2(h, explain, -1, &st, NULL) != SQLITE_OK) {
		printf("#   prepare failed: %s\n#   %s\n", sqlite3_errmsg(h), sql);
		snprintf(out, size, "ERROR");
		return;
	}
	size_t o = 0;
	while (sqlite3_step(st) == SQLITE_ROW && o < size)
		o += (size_t)snprintf(out + o, size - o, "%s; ", (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

static void test_every_shape_uses_indexes(void)
{
	sqlite3 *h;
	CHECK(sqlite3_open_v2(db_path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	int shapes = 0;
	for (int nf = 0; nf <= 4; nf++)
		for (int bits = 0; bits < 256; bits++) {
			struct lrs_query_shape q = { .nfilters = nf, .ascending = bits & 1, .cursor = (bits >> 1) & 1,
						     .since = (bits >> 2) & 1, .until = (bits >> 3) & 1,
						     .mine_only = (bits >> 4) & 1,
						     .registration = (bits >> 6) & 1,
						     .by_client = (bits >> 7) & 1 };
			for (int i = 0; i < 4; i++)
				q.direct_only[i] = (bits >> 5) & 1;
			char sql[2048], plan[4096];
			CHECK(lrs_query_sql(&q, sql, sizeof(sql)) == 0);
			plan_of(h, sql, plan, sizeof(plan));
			shapes++;
			int bad = strstr(plan, "ERROR") || strstr(plan, "TEMP B-TREE") ||
				  strstr(plan, "SCAN d") || strstr(plan, "SCAN i") || strstr(plan, "SCAN r") ||
				  ((nf > 0 || q.registration) && strstr(plan, "SCAN s"));
			/* a client's own statements: through its index, each filter
			 * by the full primary key of its row */
			if (q.by_client && q.mine_only && (nf > 0 || q.registration))
				bad = bad || !strstr(plan, "USING INDEX statements_client") ||
				      (nf > 0 && !strstr(plan, "(part=? AND term=? AND seq=?)"));
			if (bad) {
				printf("#   nf=%d bits=%d: %s\n", nf, bits, plan);
				CHECK(!bad);
				sqlite3_close(h);
				return;
			}
		}
	printf("#   %d query shapes checked\n", shapes);
	sqlite3_close(h);
}

int main(void)
{
	char dir[] = "/tmp/vern-plan-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/v.db", dir);
	struct db *db;
	char err[256];
	struct db_options opt = { .busy_timeout_ms = 1000, .read_connections = 1 };
	if (db_open(&db, db_path, &opt, err, sizeof(err)) != 0) {
		printf("Bail out! %s\n", err);
		return 1;
	}
	db_close(db);
	UNIT_RUN(test_every_shape_uses_indexes);
	unlink(db_path);
	char p[300];
	snprintf(p, sizeof(p), "%s/v.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/v.db-shm", dir);
	unlink(p);
	rmdir(dir);
	return unit_done();
}
