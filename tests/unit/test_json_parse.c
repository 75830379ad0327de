/* test_json_parse.c: the statement requests' JSON parser (lrs/json_parse.c):
 * the values it builds, what it refuses (and where it says the fault is),
 * and agreement with jansson's json_loadb on the same texts. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "json_parse.h"
#include "unit.h"

/* Parses text (n bytes, or strlen when n is 0) with both parsers; returns
 * ours, after checking jansson agrees. */
static json_t *both(const char *text, size_t n)
{
	if (!n)
		n = strlen(text);
	json_error_t je, me;
	json_t *theirs = json_loadb(text, n, JSON_REJECT_DUPLICATES, &je);
	json_t *ours = lrs_json_parse(text, n, &me);
	if (!theirs != !ours || (theirs && !json_equal(theirs, ours))) {
		printf("#   differs from jansson on %.*s\n", (int)n, text);
		unit_current_failed = 1;
	}
	if (!ours && !me.text[0]) {
		printf("#   no reason given for %.*s\n", (int)n, text);
		unit_current_failed = 1;
	}
	json_decref(theirs);
	return ours;
}

static void builds_values(void)
{
	json_t *v = both("{\"actor\":{\"mbox\":\"mailto:a@b.no\"},\"n\":[1,-0,2.5,1e3,-9223372036854775808,"
			 "true,false,null,\"\",{},[]],\"s\":\"tab\\there \\u00e6\\ud83d\\ude00 \\\"q\\\" \\/\"}",
			 0);
	CHECK(v != NULL);
	const json_t *n = json_object_get(v, "n");
	CHECK(json_array_size(n) == 11);
	CHECK(json_is_integer(json_array_get(n, 0)) && json_integer_value(json_array_get(n, 0)) == 1);
	CHECK(json_is_integer(json_array_get(n, 1)));
	CHECK(json_is_real(json_array_get(n, 2)) && json_real_value(json_array_get(n, 2)) == 2.5);
	CHECK(json_is_real(json_array_get(n, 3)) && json_real_value(json_array_get(n, 3)) == 1000.0);
	CHECK(json_integer_value(json_array_get(n, 4)) == -9223372036854775807LL - 1);
	CHECK(json_is_true(json_array_get(n, 5)) && json_is_false(json_array_get(n, 6)));
	CHECK(json_is_null(json_array_get(n, 7)));
	CHECK_STR(json_string_value(json_object_get(v, "s")), "tab\there \xc3\xa6\xf0\x9f\x98\x80 \"q\" /");
	CHECK_STR(json_string_value(json_object_get(json_object_get(v, "actor"), "mbox")), "mailto:a@b.no");
	json_decref(v);
	/* whitespace around, UTF-8 as is, members in their order */
	v = both(" \r\n\t[ \"caf\xc3\xa9\" , {\"b\":1,\"a\":2} ] \n", 0);
	CHECK(v && strcmp(json_string_value(json_array_get(v, 0)), "caf\xc3\xa9") == 0);
	CHECK_STR(json_object_iter_key(json_object_iter(json_array_get(v, 1))), "b");
	json_decref(v);
}

static void refuses(void)
{
	static const char *const bad[] = {
		"", " ", "1", "\"s\"", "null", "[", "]", "{", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\" 1}",
		"{a:1}", "{'a':1}", "[01]", "[1.]", "[.5]", "[-]", "[+1]", "[1e]", "[1e+]", "[0x10]",
		"[tru]", "[truex]", "[nul]", "[True]", "[1 2]", "{} {}", "[] x", "[\"\\x\"]",
		"[\"\\u12\"]", "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\u0000\"]",
		"[\"a\tb\"]", "[\"a\nb\"]", "[\"open]", "[\"\xc3\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]",
		"[\"\xf4\x90\x80\x80\"]", "[\"\xff\"]", "\xef\xbb\xbf[]", "[9223372036854775808]",
		"[-9223372036854775809]", "[1e400]", "[-1e400]", "{\"a\":1,\"a\":1}", "[\"a\\\"]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *v = both(bad[i], 0);
		if (v) {
			printf("#   accepted %s\n", bad[i]);
			unit_current_failed = 1;
		}
		json_decref(v);
	}
	/* NUL bytes outside strings (jansson skips one after a number) */
	json_error_t e;
	CHECK(lrs_json_parse("[84\0]", 5, &e) == NULL);
	CHECK(lrs_json_parse("[1]\0", 4, &e) == NULL);
}

/* A repeated key in a large object (found by lookup, not by scanning). */
static void duplicate_in_large_object(void)
{
	char text[2048] = "{";
	for (int i = 0; i < 40; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "\"k%d\":%d,", i, i);
	strcat(text, "\"k17\":0}");
	json_error_t e;
	CHECK(both(text, 0) == NULL);
	CHECK(lrs_json_parse(text, strlen(text), &e) == NULL && strstr(e.text, "duplicate"));
	text[strlen(text) - 6] = '9'; /* "k17" -> "k99": no longer repeated */
	text[strlen(text) - 5] = '9';
	json_t *v = lrs_json_parse(text, strlen(text), &e);
	CHECK(v && json_object_size(v) == 41);
	json_decref(v);
}

static void says_where(void)
{
	json_error_t e;
	CHECK(lrs_json_parse("{\"a\":1,\n \"b\":tru}", 17, &e) == NULL);
	CHECK(e.line == 2);
	CHECK(e.position == 6 + 1 + 6);
	CHECK(strstr(e.text, "invalid token") != NULL);
}

/* Deep nesting: up to jansson's limit, and refused beyond it. */
static void depth_limit(void)
{
	static char text[2 * (LRS_JSON_MAX_DEPTH + 1) + 1];
	for (int d = LRS_JSON_MAX_DEPTH; d <= LRS_JSON_MAX_DEPTH + 1; d++) {
		memset(text, '[', (size_t)d);
		memset(text + d, ']', (size_t)d);
		text[2 * d] = '\0';
		json_t *v = both(text, 0);
		CHECK((v != NULL) == (d == LRS_JSON_MAX_DEPTH));
		json_decref(v);
	}
}

/* A caller's lower limit: 64 levels read, 65 refused with the depth text
 * (the LRS answers that as "nests deeper"), mixing objects and arrays. */
static void caller_depth_limit(void)
{
	static char text[4 * 65 + 8];
	for (int d = 63; d <= 65; d++) {
		size_t o = 0;
		for (int i = 0; i < d; i++) {
			if (i % 2) {
				memcpy(text + o, "{\"k\":", 5);
				o += 5;
			} else {
				text[o++] = '[';
			}
		}
		text[o++] = '1';
		for (int i = d - 1; i >= 0; i--)
			text[o++] = i % 2 ? '}' : ']';
		json_error_t e;
		json_t *v = lrs_json_parse_depth(text, o, 64, &e);
		CHECK((v != NULL) == (d <= 64));
		if (!v)
			CHECK(strcmp(e.text, LRS_JSON_TOO_DEEP) == 0);
		json_decref(v);
		v = lrs_json_parse(text, o, &e);
		CHECK(v != NULL);
		json_decref(v);
	}
	/* a limit above the parser's own is the parser's own */
	json_error_t e;
	json_t *v = lrs_json_parse_depth("[[1]]", 5, 1 << 30, &e);
	CHECK(v != NULL);
	json_decref(v);
	CHECK(lrs_json_parse_depth("[[1]]", 5, 1, &e) == NULL);
}

/* Strings are passed over 8 bytes at a time: every byte that ends the fast
 * path (a quote, an escape, a control character, a UTF-8 sequence, bad
 * UTF-8, the end of the input) is tried at each offset of two words, and
 * both parsers must agree on each text. */
static void string_bytes_at_every_offset(void)
{
	const char *pieces[] = { "\\\"", "\\n", "\\u00e6", "\xc3\xb8", "\xf0\x9f\x98\x80",
				 "\x01", "\x1f", "\x7f", "\xc3", "\xff", "~" };
	char text[64];
	for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++)
		for (int at = 0; at <= 17; at++) {
			int n = snprintf(text, sizeof(text), "[\"%.*s%s%.*s\"]", at,
					 "abcdefghijklmnopqrstuvwxyz", pieces[p], 17 - at,
					 "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
			json_decref(both(text, (size_t)n));
		}
	/* an unterminated string ending at each offset */
	for (int len = 0; len <= 17; len++) {
		int n = snprintf(text, sizeof(text), "[\"%.*s", len, "abcdefghijklmnopqrstuvwxyz");
		json_t *v = both(text, (size_t)n);
		CHECK(v == NULL);
	}
}

int main(void)
{
	UNIT_RUN(builds_values);
	UNIT_RUN(refuses);
	UNIT_RUN(duplicate_in_large_object);
	UNIT_RUN(says_where);
	UNIT_RUN(depth_limit);
	UNIT_RUN(caller_depth_limit);
	UNIT_RUN(string_bytes_at_every_offset);
	return unit_done();
}
