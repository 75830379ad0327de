/* test_lrs_internal.c: lrs_store_internal(), the way Vern's own code (course
 * player, demo, plugins) stores statements: same validation and atomicity
 * as POST /xapi/statements, Vern as the authority. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "db.h"
#include "lrs.h"
#include "server.h"
#include "server_fixture.h"
#include "unit.h"


static json_t *statement(const char *verb)
{
	return json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", "actor", "mbox", "mailto:a@example.com",
			 "verb", "id", verb, "object", "id", "urn:vern:kurs:test");
}

static long long count_statements(void)
{
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM statements");
	long long n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	db_reader_put(srv.db, c);
	return n;
}

static void stores_with_vern_authority(void)
{
	char err[300];
	json_t *ids = NULL;
	json_t *one = statement("http://adlnet.gov/expapi/verbs/completed");
	CHECK(lrs_store_internal(&srv, one, &ids, err, sizeof(err)) == 0);
	CHECK(json_array_size(ids) == 1);
	CHECK(count_statements() == 1);

	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT full FROM statements");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	json_t *stored = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	db_reader_put(srv.db, c);
	CHECK_STR(json_string_value(json_object_get(
			  json_object_get(json_object_get(stored, "authority"), "account"), "name")),
		  "vern");
	json_decref(stored);
	json_decref(ids);
	json_decref(one);
}

static void refuses_a_bad_batch_whole(void)
{
	char err[300];
	json_t *batch = json_array();
	json_array_append_new(batch, statement("http://adlnet.gov/expapi/verbs/passed"));
	json_array_append_new(batch, statement("not an iri"));
	long long before = count_statements();
	CHECK(lrs_store_internal(&srv, batch, NULL, err, sizeof(err)) == 400);
	CHECK(strstr(err, "verb") != NULL);
	CHECK(count_statements() == before);
	json_t *not_statements = json_string("x");
	CHECK(lrs_store_internal(&srv, not_statements, NULL, err, sizeof(err)) == 400);
	json_decref(not_statements);
	json_decref(batch);
}

int main(void)
{
	if (fixture_open("lrs-internal") != 0)
		return 1;
	UNIT_RUN(stores_with_vern_authority);
	UNIT_RUN(refuses_a_bad_batch_whole);
	return fixture_close();
}
