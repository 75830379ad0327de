/* test_json_text.c: lrs_json_dumps writes what json_dumps(JSON_COMPACT)
 * writes, except that reals take the fewest digits that read back exactly
 * (a score of 0.97 is stored and answered as 0.97). */
#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_text.h"
#include "unit.h"

/* lrs_json_dumps(v) is what json_dumps writes; takes v's reference. */
static void check_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	char *got = lrs_json_dumps(v);
	CHECK_STR(got, want);
	free(want);
	free(got);
	json_decref(v);
}

static void same_as_jansson_without_reals(void)
{
	const char *samples[] = {
		"{\"actor\":{\"objectType\":\"Agent\",\"account\":{\"homePage\":\"https://k.no\",\"name\":\"42\"}},"
		"\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/completed\",\"display\":{\"nb-NO\":\"fullf\\u00f8rte\"}},"
		"\"result\":{\"completion\":true,\"success\":false,\"response\":null,\"score\":{\"raw\":-7}}}",
		"{\"s\":\"quote \\\" backslash \\\\ slash / controls \\b\\f\\n\\r\\t\\u0001\\u001f del \\u007f\"}",
		"{\"u\":\"\\u2028 \\u00e6\\u00f8\\u00e5 \\ud83d\\ude00\",\"k\\\"ey\":[],\"e\":{}}",
		"[1,-2,9223372036854775807,-9223372036854775808,[[[]]],{\"a\":{\"b\":{}}}]",
		"\"\"", "0", "true", "false", "null",
	};
	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		json_t *v = json_loads(samples[i], JSON_DECODE_ANY, NULL);
		CHECK(v != NULL);
		check_as_jansson(v);
	}
}

static void reals_shortest_and_exact(void)
{
	const struct {
		double d;
		const char *text;
	} cases[] = {
		{ 0.97, "0.97" }, { 0.1, "0.1" }, { 1.0, "1.0" }, { -0.5, "-0.5" }, { 100.0, "100.0" },
		{ 0.1 + 0.2, "0.30000000000000004" }, { 1e-7, "1e-7" }, { 1.5e300, "1.5e300" },
		{ -0.0, "-0.0" }, { 123456789012345.6, "123456789012345.6" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *v = json_real(cases[i].d);
		char *got = lrs_json_dumps(v);
		CHECK_STR(got, cases[i].text);
		free(got);
		json_decref(v);
	}
	/* Random doubles: the text reads back as exactly the same number. */
	uint64_t x = 88172645463325252ULL;
	int bad = 0;
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double d;
		memcpy(&d, &x, sizeof(d));
		if (!isfinite(d))
			continue;
		json_t *v = json_real(d);
		char *text = lrs_json_dumps(v);
		json_t *back = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
		if (!back || !json_is_real(back) || json_real_value(back) != d)
			bad++;
		free(text);
		json_decref(v);
		json_decref(back);
	}
	CHECK(bad == 0);
}

static void a_statement_keeps_its_score(void)
{
	json_t *s = json_loads("{\"result\":{\"score\":{\"scaled\":0.97,\"raw\":97.5,\"min\":0,\"max\":100}}}",
			       0, NULL);
	char *text = lrs_json_dumps(s);
	CHECK_STR(text, "{\"result\":{\"score\":{\"scaled\":0.97,\"raw\":97.5,\"min\":0,\"max\":100}}}");
	free(text);
	json_decref(s);
}

/* Strings are scanned 8 bytes at a time: each byte that must be escaped
 * (and some that must not) at every offset of two words. */
static void escapes_at_every_offset(void)
{
	const char marks[] = { '"', '\\', '\n', 1, 31, 127, '/', (char)0xc3 };
	char s[24];
	for (size_t m = 0; m < sizeof(marks); m++)
		for (size_t len = 1; len < sizeof(s); len++)
			for (size_t at = 0; at < len; at++) {
				for (size_t i = 0; i < len; i++)
					s[i] = (char)('a' + i);
				s[at] = marks[m];
				if (marks[m] == (char)0xc3 && at + 1 < len)
					s[at + 1] = (char)0xb8; /* "ø" */
				else if (marks[m] == (char)0xc3)
					s[at] = 'z';
				check_as_jansson(json_stringn_nocheck(s, len));
			}
}

int main(void)
{
	UNIT_RUN(same_as_jansson_without_reals);
	UNIT_RUN(reals_shortest_and_exact);
	UNIT_RUN(a_statement_keeps_its_score);
	UNIT_RUN(escapes_at_every_offset);
	return unit_done();
}
