/*
 * tests/bench/bare_hello.c - the "physical limit" baseline for the Vern benchmark.
 *
 * A bare CivetWeb server with no application logic: one handler on /healthz
 * that answers 200 with {"status":"ok"} (Content-Length, keep-alive), no
 * document_root, no access log, no database. tests/bench/run.sh measures
 * build/vern against this binary; Vern's target is >= 90% of its throughput.
 *
 * Usage: bare_hello [LISTEN [THREADS]]
 *   LISTEN  CivetWeb listening_ports value, default "127.0.0.1:0" (free port)
 *   THREADS num_threads, default 16
 * Once listening it prints "event=listening url=http://127.0.0.1:PORT" on
 * stderr. SIGTERM/SIGINT stop it cleanly (exit 0).
 */
#include <civetweb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char k_body[] = "{\"status\":\"ok\"}";

static int healthz_handler(struct mg_connection *conn, void *cbdata)
{
	(void)cbdata;
	const struct mg_request_info *ri = mg_get_request_info(conn);
	int head = (ri && ri->request_method && strcmp(ri->request_method, "HEAD") == 0);
	char buf[256];
	int n = snprintf(buf, sizeof buf,
	                 "HTTP/1.1 200 OK\r\n"
	                 "Content-Type: application/json\r\n"
	                 "Content-Length: %zu\r\n"
	                 "Connection: keep-alive\r\n"
	                 "\r\n%s",
	                 sizeof k_body - 1, head ? "" : k_body);
	/* One write for headers and body: the cheapest possible response. */
	mg_write(conn, buf, (size_t)n);
	return 200;
}

int main(int argc, char **argv)
{
	const char *listen = argc > 1 ? argv[1] : "127.0.0.1:0";
	const char *threads = argc > 2 ? argv[2] : "16";
	if (atoi(threads) <= 0) {
		fprintf(stderr, "bare_hello: bad thread count '%s'\n", threads);
		return 2;
	}

	/* Block the stop signals before any thread exists so that every CivetWeb
	 * thread inherits the mask; main then waits for them with sigwait(). */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	mg_init_library(0);
	const char *options[] = {
		"listening_ports", listen,
		"num_threads", threads,
		"enable_keep_alive", "yes",
		"keep_alive_timeout_ms", "5000",
		NULL, NULL,
	};
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof cb);
	struct mg_context *ctx = mg_start(&cb, NULL, options);
	if (!ctx) {
		fprintf(stderr, "bare_hello: mg_start failed for listen=%s\n", listen);
		mg_exit_library();
		return 1;
	}
	mg_set_request_handler(ctx, "/healthz$", healthz_handler, NULL);

	struct mg_server_port ports[4];
	memset(ports, 0, sizeof ports);
	int np = mg_get_server_ports(ctx, 4, ports);
	if (np < 1 || ports[0].port <= 0) {
		fprintf(stderr, "bare_hello: could not learn the listening port\n");
		mg_stop(ctx);
		mg_exit_library();
		return 1;
	}
	fprintf(stderr, "level=info event=listening url=http://127.0.0.1:%d threads=%s\n",
	        ports[0].port, threads);
	fflush(stderr);

	int sig = 0;
	while (sigwait(&stop, &sig) != 0) {
	}
	fprintf(stderr, "level=info event=stopping signal=%d\n", sig);
	mg_stop(ctx);
	mg_exit_library();
	return 0;
}
