/* api_test.c: /api/test/writes, used by the durability and backup tests.
 *
 * POST {"client": c, "seq": s} stores one row through the group-commit
 * writer and answers 201 only once it is durable; GET lists every row.
 * The route answers 404 unless test_endpoints = true, so production
 * servers expose nothing of it. */
#include "api_test.h"

#include <jansson.h>

#include "db.h"
#include "server.h"

struct test_write {
	json_int_t client, seq, id;
};

static int insert_write(struct db_conn *c, void *arg)
{
	struct test_write *w = arg;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO test_writes(client, seq) VALUES(?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, w->client);
	sqlite3_bind_int64(st, 2, w->seq);
	int rc = db_exec_stmt(c, st, "test_write_insert");
	if (rc == DB_OK)
		w->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

static void post_write(struct http_request *req)
{
	json_t *body = http_body_json(req);
	if (!body)
		return;
	json_t *client = json_object_get(body, "client"), *seq = json_object_get(body, "seq");
	if (!json_is_integer(client) || !json_is_integer(seq)) {
		json_decref(body);
		http_send_error(req, 400, "invalid", "client and seq must be integers");
		return;
	}
	struct test_write w = { json_integer_value(client), json_integer_value(seq), 0 };
	json_decref(body);
	int rc = db_write(req->srv->db, insert_write, &w);
	if (rc != DB_OK) {
		http_send_error(req, 503, "storage_failed", "the write was not stored");
		return;
	}
	json_t *out = json_pack("{s:I}", "id", (json_int_t)w.id);
	http_send_json(req, 201, out);
	json_decref(out);
}

static void list_writes(struct http_request *req)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT client, seq FROM test_writes ORDER BY id");
	json_t *items = json_array();
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I, s:I}",
			"client", (json_int_t)sqlite3_column_int64(st, 0),
			"seq", (json_int_t)sqlite3_column_int64(st, 1)));
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(items);
		http_send_error(req, 500, "storage_failed", "the rows could not be read");
		return;
	}
	json_t *out = json_pack("{s:I, s:o}", "count", (json_int_t)json_array_size(items),
				"items", items);
	http_send_json(req, 200, out);
	json_decref(out);
}

void api_test_writes(struct http_request *req)
{
	if (!req->srv->cfg.test_endpoints) {
		http_send_error(req, 404, "not_found", "no such resource");
		return;
	}
	if (req->method == HTTP_POST)
		post_write(req);
	else
		list_writes(req);
}
