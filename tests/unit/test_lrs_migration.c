/* test_lrs_migration.c: migration 011 on a database stored by the earlier
 * schema (statement_index with text values): every row becomes a term and
 * a statement_keys row, registrations move to statements.registration,
 * each statement lists its rows, the statement_index view reads as the old
 * table did, and statements stored afterwards reuse the migrated terms.
 * Migration 015: the registration keys it computes in SQL are the ones
 * lrs_registration_key computes, for either case and every digit.
 * Migration 016: index rows move to the part of their seq (LRS_PART_OF,
 * the same shift in SQL and in C), and the view still finds them. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "extract.h"
#include "keys.h"
#include "lrs.h"
#include "migrations.h"
#include "server.h"
#include "unit.h"

static char path[256];

static int exec(sqlite3 *h, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		printf("#   %s\n", msg ? msg : sqlite3_errmsg(h));
	sqlite3_free(msg);
	return rc;
}

/* Brings the empty database h to the schema before migration version, as
 * an older Vern left it. Returns an SQLite code. */
static int migrate_before(sqlite3 *h, int version)
{
	int rc = exec(h, "PRAGMA journal_mode=WAL; CREATE TABLE schema_version(version INTEGER PRIMARY KEY,"
		      " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT '')");
	for (int i = 0; rc == SQLITE_OK && i < db_migrations_count && db_migrations[i].version < version; i++) {
		rc = exec(h, db_migrations[i].sql);
		char sql[200];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version, name) VALUES(%d, '%s')",
			 db_migrations[i].version, db_migrations[i].name);
		if (rc == SQLITE_OK)
			rc = exec(h, sql);
	}
	return rc;
}

/* A database at schema 10 holding two statements, the second a
 * StatementRef to the first (so it has the first's rows too). */
static int make_old_database(void)
{
	sqlite3 *h;
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return -1;
	int rc = migrate_before(h, 11);
	if (rc == SQLITE_OK)
		rc = exec(h,
			  "INSERT INTO statements(seq, id, stored_ms, verb, full) VALUES"
			  " (1, '00000000-0000-4000-8000-000000000001', 1, 'http://v/done',"
			  "  '{\"id\":\"00000000-0000-4000-8000-000000000001\",\"actor\":{\"mbox\":\"mailto:a@b.no\"},"
			  "\"verb\":{\"id\":\"http://v/done\"},\"object\":{\"id\":\"http://a/1\"},"
			  "\"context\":{\"registration\":\"00000000-0000-4000-8000-0000000000aa\"}}'),"
			  " (2, '00000000-0000-4000-8000-000000000002', 2, 'http://v/liked',"
			  "  '{\"id\":\"00000000-0000-4000-8000-000000000002\",\"actor\":{\"mbox\":\"mailto:c@b.no\"},"
			  "\"verb\":{\"id\":\"http://v/liked\"},\"object\":{\"objectType\":\"StatementRef\","
			  "\"id\":\"00000000-0000-4000-8000-000000000001\"}}');"
			  "UPDATE statements SET object_ref = '00000000-0000-4000-8000-000000000001' WHERE seq = 2;"
			  "INSERT INTO statement_index(kind, value, seq, direct) VALUES"
			  " (1, 'http://v/done', 1, 1), (2, 'http://a/1', 1, 1), (3, 'mbox:mailto:a@b.no', 1, 1),"
			  " (4, '00000000-0000-4000-8000-0000000000aa', 1, 1),"
			  " (5, 'http://v/done' || char(31) || 'http://a/1', 1, 1),"
			  " (1, 'http://v/liked', 2, 1), (3, 'mbox:mailto:c@b.no', 2, 1),"
			  " (1, 'http://v/done', 2, 1), (2, 'http://a/1', 2, 1), (3, 'mbox:mailto:a@b.no', 2, 1),"
			  " (5, 'http://v/done' || char(31) || 'http://a/1', 2, 1);");
	sqlite3_close(h);
	return rc == SQLITE_OK ? 0 : -1;
}

static long long scalar(struct db *db, const char *sql)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, sql);
	long long v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	db_reader_put(db, c);
	return v;
}

/* Opens the database at p as the server does (applying the migrations
 * still due); NULL, with a failed check, when that fails. */
static struct db *open_migrated(const char *p)
{
	struct db *db;
	char err[256];
	struct db_options opt = { 5000, 2 };
	if (db_open(&db, p, &opt, err, sizeof(err)) != 0) {
		printf("#   %s\n", err);
		CHECK(0);
		return NULL;
	}
	return db;
}

static void migrates_old_rows(void)
{
	CHECK(make_old_database() == 0);
	struct server srv;
	memset(&srv, 0, sizeof(srv));
	config_defaults(&srv.cfg);
	snprintf(srv.cfg.public_url, sizeof(srv.cfg.public_url), "http://vern.test");
	char err[256];
	struct db_options opt = { 5000, 2 };
	if (db_open(&srv.db, path, &opt, err, sizeof(err)) != 0) {
		printf("#   %s\n", err);
		CHECK(0);
		return;
	}
	CHECK(scalar(srv.db, "SELECT count(*) FROM lrs_terms") == 6);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statement_keys") == 10);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statement_index") == 10);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statements WHERE registration = "
			     "'00000000-0000-4000-8000-0000000000aa' AND seq = 1") == 1);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statements WHERE registration IS NULL") == 1);
	CHECK(scalar(srv.db, "SELECT reg FROM statement_registrations WHERE seq = 1") ==
	      lrs_registration_key("00000000-0000-4000-8000-0000000000aa"));
	/* every statement lists its rows */
	CHECK(scalar(srv.db, "SELECT length(index_keys) - length(replace(index_keys, ' ', '')) + 1 "
			     "FROM statements WHERE seq = 1") == 4);
	CHECK(scalar(srv.db, "SELECT length(index_keys) - length(replace(index_keys, ' ', '')) + 1 "
			     "FROM statements WHERE seq = 2") == 6);
	/* the view answers the old queries */
	CHECK(scalar(srv.db, "SELECT count(*) FROM statement_index WHERE kind = 3 AND value = "
			     "'mbox:mailto:a@b.no' AND direct = 1") == 2);
	CHECK(scalar(srv.db, "SELECT sum(seq) FROM statement_index WHERE kind = 5 AND value = "
			     "'http://v/done' || char(31) || 'http://a/1'") == 3);
	/* a new statement reuses the migrated terms and inherits through the list */
	json_t *s = json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}}", "id",
			      "00000000-0000-4000-8000-000000000003", "actor", "mbox", "mailto:a@b.no", "verb",
			      "id", "http://v/done", "object", "objectType", "StatementRef", "id",
			      "00000000-0000-4000-8000-000000000002");
	CHECK(lrs_store_internal(&srv, s, NULL, err, sizeof(err)) == 0);
	json_decref(s);
	CHECK(scalar(srv.db, "SELECT count(*) FROM lrs_terms WHERE value = 'http://v/done'") == 1);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statement_index WHERE kind = 1 AND value = "
			     "'http://v/liked' AND seq = 3") == 1);
	CHECK(scalar(srv.db, "SELECT count(*) FROM statement_index WHERE kind = 2 AND value = "
			     "'http://a/1' AND seq = 3") == 1);
	db_close(srv.db);
}

/* Registrations at schema 14 (text rows), then migration 015. */
static void migrates_registration_keys(void)
{
	static const char *const regs[] = {
		"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
		"FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF", "0123abcd-4567-89ef-0123-456789abcdef",
		"0123ABCD-4567-89EF-0123-456789ABCDEF", "80000000-0000-4000-8000-000000000001",
		"7fffffff-ffff-4fff-8fff-fffffffffffe", "deadbeef-0000-4000-8000-0000cafe0000",
	};
	char p2[300];
	snprintf(p2, sizeof(p2), "%s.keys", path);
	sqlite3 *h;
	CHECK(sqlite3_open(p2, &h) == SQLITE_OK);
	int rc = migrate_before(h, 15);
	size_t n = sizeof(regs) / sizeof(regs[0]);
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "INSERT INTO statement_registrations(registration, seq) "
			 "VALUES('%s', %zu)", regs[i], i + 1);
		rc = exec(h, sql);
	}
	sqlite3_close(h);
	CHECK(rc == SQLITE_OK);
	struct db *db = open_migrated(p2);
	if (!db)
		return;
	for (size_t i = 0; i < n; i++) {
		char sql[100];
		snprintf(sql, sizeof(sql), "SELECT reg FROM statement_registrations WHERE seq = %zu", i + 1);
		long long got = scalar(db, sql);
		if (got != lrs_registration_key(regs[i]))
			printf("#   %s: %lld in SQL, %lld in C\n", regs[i], got, lrs_registration_key(regs[i]));
		CHECK(got == lrs_registration_key(regs[i]));
	}
	/* either case, the same key; the halves XORed */
	CHECK(lrs_registration_key(regs[3]) == lrs_registration_key(regs[4]));
	CHECK(lrs_registration_key(regs[0]) == 0 && lrs_registration_key(regs[1]) == 0);
	CHECK(lrs_registration_key(regs[5]) == (long long)(0x8000000000004000ULL ^ 0x8000000000000001ULL));
	db_close(db);
}

/* Rows in parts 0, 1 and 3 before migration 016, and at the edges of a
 * part, are where LRS_PART_OF says after it. */
static void migrates_into_parts(void)
{
	static const long long seqs[] = { 1, (1LL << LRS_PART_SHIFT) - 1, 1LL << LRS_PART_SHIFT,
					  (1LL << LRS_PART_SHIFT) + 5, 3LL << LRS_PART_SHIFT };
	size_t n = sizeof(seqs) / sizeof(seqs[0]);
	char p3[300];
	snprintf(p3, sizeof(p3), "%s.parts", path);
	sqlite3 *h;
	CHECK(sqlite3_open(p3, &h) == SQLITE_OK);
	int rc = migrate_before(h, 16);
	if (rc == SQLITE_OK)
		rc = exec(h, "INSERT INTO lrs_terms(id, kind, value) VALUES(7, 3, 'mbox:mailto:p@vern.test')");
	for (size_t i = 0; rc == SQLITE_OK && i < n; i++) {
		char sql[300];
		snprintf(sql, sizeof(sql),
			 "INSERT INTO statements(seq, id, stored_ms, verb, full) VALUES(%lld, 'id-%zu', 0, 'v', '{}');"
			 "INSERT INTO statement_keys(term, seq, direct) VALUES(7, %lld, 1);"
			 "INSERT INTO statement_registrations(reg, seq) VALUES(-%zu, %lld)",
			 seqs[i], i, seqs[i], i + 1, seqs[i]);
		rc = exec(h, sql);
	}
	sqlite3_close(h);
	CHECK(rc == SQLITE_OK);
	struct db *db = open_migrated(p3);
	if (!db)
		return;
	for (size_t i = 0; i < n; i++) {
		char sql[200];
		snprintf(sql, sizeof(sql), "SELECT part FROM statement_keys WHERE term = 7 AND seq = %lld", seqs[i]);
		CHECK(scalar(db, sql) == LRS_PART_OF(seqs[i]));
		snprintf(sql, sizeof(sql), "SELECT part FROM statement_registrations WHERE reg = -%zu AND seq = %lld",
			 i + 1, seqs[i]);
		CHECK(scalar(db, sql) == LRS_PART_OF(seqs[i]));
	}
	CHECK(scalar(db, "SELECT count(*) FROM statement_keys") == (long long)n);
	CHECK(scalar(db, "SELECT count(*) FROM statement_index WHERE kind = 3 AND "
			 "value = 'mbox:mailto:p@vern.test'") == (long long)n);
	CHECK(scalar(db, "SELECT max(seq) FROM statement_index WHERE kind = 3") == seqs[n - 1]);
	db_close(db);
}

int main(void)
{
	char dir[] = "/tmp/vern-lrs-migration-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/vern.db", dir);
	UNIT_RUN(migrates_old_rows);
	UNIT_RUN(migrates_registration_keys);
	UNIT_RUN(migrates_into_parts);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
