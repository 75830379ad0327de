/* test_http_route.c: route pattern matching (server/http.c) and log quoting. */
#include "http.h"
#include "log.h"
#include "unit.h"

static void test_exact(void)
{
	const char *p[HTTP_MAX_PARAMS];
	int n;
	char buf[256];
	CHECK(http_route_match("/healthz", "/healthz", p, &n, buf, sizeof(buf)) == 1);
	CHECK(n == 0);
	CHECK(http_route_match("/healthz", "/healthz/", p, &n, buf, sizeof(buf)) == 0);
	CHECK(http_route_match("/healthz", "/health", p, &n, buf, sizeof(buf)) == 0);
}

static void test_wildcards(void)
{
	const char *p[HTTP_MAX_PARAMS];
	int n;
	char buf[256];
	CHECK(http_route_match("/learn/*/item/*", "/learn/abc/item/7", p, &n, buf, sizeof(buf)) == 1);
	CHECK(n == 2);
	CHECK_STR(p[0], "abc");
	CHECK_STR(p[1], "7");
	CHECK(http_route_match("/learn/*", "/learn/", p, &n, buf, sizeof(buf)) == 0);
	CHECK(http_route_match("/learn/*", "/learn/a/b", p, &n, buf, sizeof(buf)) == 0);
	CHECK(http_route_match("/content/**", "/content/pkg/a/b.html", p, &n, buf, sizeof(buf)) == 1);
	CHECK_STR(p[0], "pkg/a/b.html");
	char tiny[4];
	CHECK(http_route_match("/x/*", "/x/longer-than-buf", p, &n, tiny, sizeof(tiny)) == 0);
}

static void test_log_quote(void)
{
	char buf[64];
	CHECK_STR(log_quote(buf, sizeof(buf), "plain"), "plain");
	CHECK_STR(log_quote(buf, sizeof(buf), "two words"), "\"two words\"");
	CHECK_STR(log_quote(buf, sizeof(buf), "a\"b\nc"), "\"a\\\"b\\x0ac\"");
	CHECK_STR(log_quote(buf, sizeof(buf), ""), "\"\"");
	char small[6];
	log_quote(small, sizeof(small), "a b c d e f g");
	CHECK(strlen(small) < sizeof(small));
}

int main(void)
{
	UNIT_RUN(test_exact);
	UNIT_RUN(test_wildcards);
	UNIT_RUN(test_log_quote);
	return unit_done();
}
