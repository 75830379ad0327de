/* test_documents.c: SHA-1, ETag matching, HTTP dates and the JSON Document
 * Merge of the xAPI document resources (lrs/documents.c, lrs/sha1.c). */
#include <jansson.h>
#include <stdlib.h>

#include "documents.h"
#include "sha1.h"
#include "unit.h"

static void sha1_vectors(void)
{
	char hex[41];
	lrs_sha1_hex("", 0, hex);
	CHECK_STR(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	lrs_sha1_hex("abc", 3, hex);
	CHECK_STR(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	lrs_sha1_hex(m, strlen(m), hex);
	CHECK_STR(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

	/* A million 'a' fed in uneven pieces crosses every buffer boundary. */
	static char a[1000000];
	memset(a, 'a', sizeof(a));
	lrs_sha1_hex(a, sizeof(a), hex);
	CHECK_STR(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	struct lrs_sha1 s;
	unsigned char d[20];
	lrs_sha1_init(&s);
	size_t at = 0, step = 1;
	while (at < sizeof(a)) {
		size_t n = step < sizeof(a) - at ? step : sizeof(a) - at;
		lrs_sha1_update(&s, a + at, n);
		at += n;
		step = step * 7 % 193 + 1;
	}
	lrs_sha1_final(&s, d);
	CHECK(d[0] == 0x34 && d[1] == 0xaa && d[19] == 0x6f);

	/* Lengths around the padding edge (55, 56, 63, 64 bytes). */
	lrs_sha1_hex(a, 55, hex);
	CHECK_STR(hex, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
	lrs_sha1_hex(a, 56, hex);
	CHECK_STR(hex, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
	lrs_sha1_hex(a, 64, hex);
	CHECK_STR(hex, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

static void etag_lists(void)
{
	const char *tag = "\"a9993e364706816aba3e25717850c26c9cd0d89d\"";
	CHECK(lrs_etag_list_matches(tag, tag));
	CHECK(lrs_etag_list_matches("*", tag));
	CHECK(lrs_etag_list_matches(" * ", tag));
	CHECK(lrs_etag_list_matches("\"1111\", \"a9993e364706816aba3e25717850c26c9cd0d89d\"", tag));
	CHECK(lrs_etag_list_matches("W/\"a9993e364706816aba3e25717850c26c9cd0d89d\"", tag));
	CHECK(lrs_etag_list_matches("A9993E364706816ABA3E25717850C26C9CD0D89D", tag));
	CHECK(!lrs_etag_list_matches("\"1111111111111111111111111111111111111111\"", tag));
	CHECK(!lrs_etag_list_matches("\"1234\"", tag));
	CHECK(!lrs_etag_list_matches("", tag));
	CHECK(!lrs_etag_list_matches(",,, ,", tag));
	CHECK(!lrs_etag_list_matches("\"a9993e364706816aba3e25717850c26c9cd0d89\"", tag));
	CHECK(!lrs_etag_list_matches(NULL, tag));
}

static void http_dates(void)
{
	char buf[40];
	CHECK_STR(lrs_http_date(0, buf, sizeof(buf)), "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_STR(lrs_http_date(784111777999LL, buf, sizeof(buf)), "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_STR(lrs_http_date(1772323200000LL, buf, sizeof(buf)), "Sun, 01 Mar 2026 00:00:00 GMT");
}

static int merge(const char *stored, const char *update, char **out)
{
	size_t len = 0;
	int rc = lrs_document_merge(stored, strlen(stored), update, strlen(update), out, &len);
	if (rc == 0 && *out && strlen(*out) != len)
		return 99;
	return rc;
}

/* The merge as a JSON value equals expected (compared by jansson). */
static int merged_equals(const char *stored, const char *update, const char *expected)
{
	char *out = NULL;
	if (merge(stored, update, &out) != 0)
		return 0;
	json_t *a = json_loads(out, JSON_DECODE_INT_AS_REAL, NULL);
	json_t *b = json_loads(expected, JSON_DECODE_INT_AS_REAL, NULL);
	int eq = a && b && json_equal(a, b);
	if (!eq)
		printf("#   merged %s, expected %s\n", out, expected);
	json_decref(a);
	json_decref(b);
	free(out);
	return eq;
}

static void document_merge(void)
{
	char *out = NULL;
	CHECK(merged_equals("{\"car\":\"Honda\"}", "{\"type\":\"Civic\"}",
			    "{\"car\":\"Honda\",\"type\":\"Civic\"}"));
	CHECK(merged_equals("{\"car\":\"MKX\"}", "{\"car\":\"MKZ\"}", "{\"car\":\"MKZ\"}"));
	/* One level deep: a nested object is replaced whole. */
	CHECK(merged_equals("{\"car\":{\"make\":\"Ford\",\"model\":\"Escape\"},\"driver\":\"Dale\"}",
			    "{\"car\":{\"make\":\"Dodge\"}}",
			    "{\"car\":{\"make\":\"Dodge\"},\"driver\":\"Dale\"}"));
	CHECK(merged_equals("{}", "{}", "{}"));
	CHECK(merged_equals(" { } ", "{\"a\":[1,{\"b\":\"}]\"}]}", "{\"a\":[1,{\"b\":\"}]\"}]}"));
	CHECK(merged_equals("{\"a\":1}", " {\n\"\\u0061\" : 2 }\n", "{\"a\":2}"));
	CHECK(merged_equals("{\"q\\\"x\":1,\"b\":true}", "{\"c\":null}",
			    "{\"q\\\"x\":1,\"b\":true,\"c\":null}"));

	/* Values are kept byte for byte: no reformatting of numbers. */
	CHECK(merge("{\"a\":0.1,\"n\":12345678901234567890}", "{\"b\":1.50}", &out) == 0);
	CHECK_STR(out, "{\"a\":0.1,\"n\":12345678901234567890,\"b\":1.50}");
	free(out);
	/* Stored order kept, replaced keys stay in place, new ones follow. */
	CHECK(merge("{\"x\":1,\"y\":2,\"z\":3}", "{\"w\":0,\"y\":\"new\"}", &out) == 0);
	CHECK_STR(out, "{\"x\":1,\"y\":\"new\",\"z\":3,\"w\":0}");
	free(out);

	out = NULL;
	CHECK(merge("[1,2]", "{\"a\":1}", &out) == -1 && out == NULL);
	CHECK(merge("abc", "{\"a\":1}", &out) == -1);
	CHECK(merge("", "{\"a\":1}", &out) == -1);
	CHECK(merge("{\"a\":1,\"a\":2}", "{\"b\":1}", &out) == -1);
	CHECK(merge("{\"a\":1}", "\"str\"", &out) == -2);
	CHECK(merge("{\"a\":1}", "{\"a\":1", &out) == -2);
	CHECK(merge("{\"a\":1}", "{\"a\":1}{", &out) == -2);
	CHECK(merge("{\"a\":1}", "{\"b\":1,\"b\":2}", &out) == -2);
	CHECK(out == NULL);
}

int main(void)
{
	UNIT_RUN(sha1_vectors);
	UNIT_RUN(etag_lists);
	UNIT_RUN(http_dates);
	UNIT_RUN(document_merge);
	return unit_done();
}
