/*
 * tests/bench/bare_insert.c - the "physical limit" baseline for the LRS
 * benchmark: bare CivetWeb + jansson + SQLite, no validation, no index
 * rows, no auth. POST /xapi/statements parses the JSON body (one statement
 * or an array), inserts each statement's text into one table inside one
 * transaction per request on a single mutex-guarded connection (WAL,
 * synchronous=FULL, the same durability as Vern's writer: an answer means fsynced) and answers
 * 200 with the ids.
 *
 * Usage: bare_insert LISTEN THREADS DBPATH
 * Prints "event=listening url=http://127.0.0.1:PORT" on stderr when ready.
 */
#include <civetweb.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sqlite3 *db;
static sqlite3_stmt *ins;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long counter;

static int reply(struct mg_connection *conn, int status, const char *body)
{
	mg_printf(conn, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
		  status, strlen(body), body);
	return status;
}

static int statements_handler(struct mg_connection *conn, void *cbdata)
{
	(void)cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (strcmp(ri->request_method, "POST") != 0 || ri->content_length <= 0 ||
	    ri->content_length > 16 * 1024 * 1024)
		return reply(conn, 400, "{\"error\":\"bad request\"}");
	size_t len = (size_t)ri->content_length, got = 0;
	char *body = malloc(len);
	while (body && got < len) {
		int n = mg_read(conn, body + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	json_t *doc = body && got == len ? json_loadb(body, len, 0, NULL) : NULL;
	free(body);
	if (!doc)
		return reply(conn, 400, "{\"error\":\"bad json\"}");
	size_t n = json_is_array(doc) ? json_array_size(doc) : 1;
	char *out = malloc(n * 40 + 8);
	size_t o = 0;
	out[o++] = '[';
	pthread_mutex_lock(&lock);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_is_array(doc) ? json_array_get(doc, i) : doc;
		char id[40];
		snprintf(id, sizeof id, "00000000-0000-4000-8000-%012llx", ++counter);
		char *text = json_dumps(s, JSON_COMPACT);
		sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, text, -1, free);
		sqlite3_step(ins);
		sqlite3_reset(ins);
		o += (size_t)sprintf(out + o, "%s\"%s\"", i ? "," : "", id);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	pthread_mutex_unlock(&lock);
	json_decref(doc);
	out[o++] = ']';
	out[o] = '\0';
	reply(conn, 200, out);
	free(out);
	return 200;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: bare_insert LISTEN THREADS DBPATH\n");
		return 2;
	}
	if (sqlite3_open(argv[3], &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			     "CREATE TABLE IF NOT EXISTS statements(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, full TEXT)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO statements(id, full) VALUES(?, ?)", -1, &ins, NULL) != SQLITE_OK) {
		fprintf(stderr, "bare_insert: database: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);
	mg_init_library(0);
	const char *options[] = { "listening_ports", argv[1], "num_threads", argv[2],
				  "enable_keep_alive", "yes", "keep_alive_timeout_ms", "5000", NULL, NULL };
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	struct mg_context *ctx = mg_start(&cb, NULL, options);
	if (!ctx) {
		fprintf(stderr, "bare_insert: mg_start failed\n");
		return 1;
	}
	mg_set_request_handler(ctx, "/xapi/statements$", statements_handler, NULL);
	struct mg_server_port ports[4];
	memset(ports, 0, sizeof ports);
	if (mg_get_server_ports(ctx, 4, ports) < 1) {
		mg_stop(ctx);
		return 1;
	}
	fprintf(stderr, "level=info event=listening url=http://127.0.0.1:%d\n", ports[0].port);
	fflush(stderr);
	int sig = 0;
	while (sigwait(&stop, &sig) != 0) {
	}
	mg_stop(ctx);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return 0;
}
