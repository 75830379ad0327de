/* test_lrs_index.c: the query index written in bulk behind the statements
 * (lrs/index.c): a small batch on a quiet writer is indexed as it is
 * stored, a larger one waits until a reader needs it (lrs_index_ensure),
 * writes pause (the idle job) or LRS_INDEX_BULK statements wait (then in
 * parts, by the batches that follow); rows lost
 * with the mark (a crash) are rebuilt from the statements' lists; a seq
 * given again after its statement was deleted is indexed. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "index.h"
#include "keys.h"
#include "lrs.h"
#include "server.h"
#include "server_fixture.h"
#include "unit.h"

static int made;

#define VERB "http://adlnet.gov/expapi/verbs/experienced"

/* n statements by different learners, each with its own registration. */
static json_t *batch(int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++, made++) {
		char who[64], reg[40], act[64];
		snprintf(who, sizeof(who), "mailto:l%d@vern.test", made);
		snprintf(reg, sizeof(reg), "00000000-0000-4000-8000-%012d", made);
		snprintf(act, sizeof(act), "https://vern.test/a/%d", made % 7);
		json_array_append_new(arr, json_pack("{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "actor", "mbox",
						     who, "verb", "id", VERB, "object", "id", act, "context",
						     "registration", reg));
	}
	return arr;
}

static long long mark(void)
{
	return fixture_scalar("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through'", NULL);
}

static long long max_seq(void)
{
	return fixture_scalar("SELECT max(seq) FROM statements", NULL);
}

/* Every statement up to the mark has exactly the rows its list names, and
 * its registration row (a statement after it may have some of its rows:
 * a pass being written in parts). */
static void check_index_matches_lists(void)
{
	long long listed = 0, through = mark();
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT index_keys FROM statements WHERE seq <= ?");
	sqlite3_bind_int64(st, 1, through);
	while (st && sqlite3_step(st) == SQLITE_ROW)
		for (const char *p = (const char *)sqlite3_column_text(st, 0); p && *p;) {
			char *end;
			(void)strtoll(p, &end, 10);
			if (end == p)
				break;
			listed++;
			p = end;
		}
	db_reader_put(srv.db, c);
	CHECK(listed == fixture_scalar("SELECT count(*) FROM statement_keys WHERE seq <= "
		     "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through')", NULL));
	CHECK(fixture_scalar("SELECT count(*) FROM statement_registrations WHERE seq <= "
		     "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through')", NULL) ==
	      fixture_scalar("SELECT count(*) FROM statements WHERE registration IS NOT NULL AND seq <= "
		     "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through')", NULL));
	/* each row's key is its statement's registration's */
	c = db_reader_get(srv.db);
	st = db_stmt(c, "SELECT r.reg, s.registration FROM statement_registrations r "
			"JOIN statements s ON s.seq = r.seq");
	long long rows = 0, wrong = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		const char *reg = (const char *)sqlite3_column_text(st, 1);
		rows++;
		wrong += !reg || lrs_registration_key(reg) != sqlite3_column_int64(st, 0);
	}
	db_reader_put(srv.db, c);
	CHECK(rows > 0);
	CHECK(wrong == 0);
}

static void small_batch_indexed_at_once(void)
{
	CHECK(fixture_store(batch(3)) == 0);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
}

static void large_batch_waits_for_a_reader(void)
{
	long long before = max_seq();
	CHECK(fixture_store(batch(200)) == 0);
	CHECK(max_seq() == before + 200);
	CHECK(mark() == before);
	CHECK(fixture_scalar("SELECT count(*) FROM statement_keys WHERE seq > "
		     "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through')", NULL) == 0);
	long long seen = 0;
	CHECK(lrs_index_ensure(srv.db, &seen) == DB_OK);
	CHECK(seen == before + 200);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
	/* the view other modules read finds them */
	CHECK(fixture_scalar("SELECT count(*) FROM statement_index WHERE kind = 1 AND value = '" VERB "'", NULL) == 203);
}

static int exec_job(struct db_conn *c, void *arg)
{
	return sqlite3_exec(db_handle(c), arg, NULL, NULL, NULL) == SQLITE_OK ? DB_OK : DB_ERROR;
}

static void rebuilt_after_losing_rows(void)
{
	/* as after a crash: rows after seq 100 were never written */
	CHECK(db_write(srv.db, exec_job,
		       "DELETE FROM statement_keys WHERE seq > 100;"
		       "DELETE FROM statement_registrations WHERE seq > 100;"
		       "UPDATE meta SET value = '100' WHERE key = 'lrs_indexed_through'") == DB_OK);
	CHECK(mark() == 100);
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
}

static int forget_last(struct db_conn *c, void *arg)
{
	long long seq = *(long long *)arg;
	int rc = lrs_keys_forget(c, seq);
	sqlite3_stmt *st = rc == DB_OK ? db_stmt(c, "DELETE FROM statements WHERE seq = ?") : NULL;
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, seq);
	return db_exec_stmt(c, st, "test_delete");
}

static void reused_seq_is_indexed(void)
{
	long long last = max_seq();
	CHECK(mark() == last);
	CHECK(db_write(srv.db, forget_last, &last) == DB_OK);
	CHECK(max_seq() == last - 1);
	check_index_matches_lists();
	CHECK(fixture_store(batch(100)) == 0); /* the first of them is given seq last again */
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
	CHECK(fixture_scalar("SELECT count(*) FROM statement_keys WHERE seq = (SELECT max(seq) - 99 FROM statements)", NULL) > 0);
}

static void idle_writer_catches_up(void)
{
	db_set_idle_job(srv.db, lrs_index_idle, NULL);
	CHECK(fixture_store(batch(150)) == 0);
	for (int i = 0; i < 200 && mark() != max_seq(); i++)
		usleep(10000);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
	db_set_idle_job(srv.db, NULL, NULL);
}

static long long rows_after_mark(void)
{
	return fixture_scalar("SELECT count(*) FROM statement_keys WHERE seq > "
			      "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'lrs_indexed_through')", NULL);
}

/* Stores batches of 500 until LRS_INDEX_BULK statements wait: the batch
 * that stores the last of them starts the pass. It takes the rows the
 * writer kept (index_tail.h) at once, so the next batch writes the first
 * part (read_batches 1); without them it reads the statements' lists, a
 * quarter per batch, and the batch after that writes (read_batches 4). */
static void fill_backlog(int read_batches)
{
	long long start = mark();
	while (max_seq() - start < LRS_INDEX_BULK)
		CHECK(fixture_store(batch(500)) == 0);
	int batches = 0;
	while (rows_after_mark() == 0 && batches < 10) {
		CHECK(fixture_store(batch(500)) == 0);
		batches++;
	}
	printf("# the pass was read in %d batches\n", batches);
	CHECK(batches == read_batches);
	CHECK(mark() == start);
	CHECK(rows_after_mark() > 0);
}

/* The pass is written in parts by the batches that follow; the last part
 * moves the mark. */
static void bulk_when_many_wait(void)
{
	long long start = mark();
	fill_backlog(1);
	int batches = 0;
	while (mark() == start && batches < 100) {
		CHECK(fixture_store(batch(500)) == 0);
		batches++;
	}
	printf("# the pass took %d more batches of 500\n", batches);
	CHECK(batches > 1);
	CHECK(mark() > start);
	CHECK(max_seq() - mark() < LRS_INDEX_BULK);
	check_index_matches_lists();
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
}

/* A query in the middle of a pass finishes it and indexes the rest. */
static void reader_finishes_a_pass(void)
{
	fill_backlog(1);
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	CHECK(rows_after_mark() == 0);
	check_index_matches_lists();
}

/* A batch refused after a part was written (a rollback in the writer)
 * drops the pass in memory; the next catch-up writes everything after the
 * mark again, keeping the rows already there. */
static void rollback_drops_the_pass(void)
{
	fill_backlog(1);
	json_t *dup = batch(2);
	json_t *first = json_array_get(dup, 0);
	json_object_set_new(first, "id", json_string("2b0c6a8e-7f3e-4d8e-9a6b-0e1f2a3b4c5d"));
	CHECK(fixture_store(json_pack("[O]", first)) == 0);
	json_object_set_new(first, "verb", json_pack("{s:s}", "id", "https://vern.test/other-verb"));
	char err[300];
	CHECK(lrs_store_internal(&srv, dup, NULL, err, sizeof(err)) != 0); /* a conflict */
	json_decref(dup);
	CHECK(fixture_store(batch(500)) == 0);
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
}

static int insert_outside(struct db_conn *c, void *arg)
{
	(void)arg;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO statements(id, stored_ms, verb, full) "
				      "VALUES('stored-outside-the-lrs', 0, 'x', '{}')");
	return st ? db_exec_stmt(c, st, "test_outside_insert") : DB_ERROR;
}

/* A statement the LRS did not store (another program wrote it) leaves the
 * writer's rows with a gap: the passes read the statements' lists until
 * the index has caught up again, and then keep rows again. */
static void pass_reads_lists_after_a_gap(void)
{
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(db_write(srv.db, insert_outside, NULL) == DB_OK);
	long long start = mark();
	fill_backlog(4);
	int batches = 0;
	while (mark() == start && batches < 100) {
		CHECK(fixture_store(batch(500)) == 0);
		batches++;
	}
	CHECK(mark() > start);
	check_index_matches_lists();
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(mark() == max_seq());
	check_index_matches_lists();
	/* caught up: the next pass takes kept rows again */
	fill_backlog(1);
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	check_index_matches_lists();
}

int main(void)
{
	if (fixture_open("lrs-index") != 0)
		return 1;
	UNIT_RUN(small_batch_indexed_at_once);
	UNIT_RUN(large_batch_waits_for_a_reader);
	UNIT_RUN(rebuilt_after_losing_rows);
	UNIT_RUN(reused_seq_is_indexed);
	UNIT_RUN(idle_writer_catches_up);
	UNIT_RUN(bulk_when_many_wait);
	UNIT_RUN(reader_finishes_a_pass);
	UNIT_RUN(rollback_drops_the_pass);
	UNIT_RUN(pass_reads_lists_after_a_gap);
	return fixture_close();
}
