/* test_csv.c: unit tests for the CSV reader (server/csv.c). */
#include <string.h>

#include "csv.h"
#include "unit.h"

static struct csv r;

static void test_quotes_separators_and_lines(void)
{
	const char *t = "\xef\xbb\xbf" "id;name;note\r\n1;\"Kari; Nordmann\";\"sa \"\"hei\"\"\"\r\n\r\n"
			"2;Ola;\"two\nlines\"\n3; Per ;\n";
	csv_init(&r, t, strlen(t));
	CHECK(r.sep == ';');
	CHECK(csv_next(&r) == 1 && r.nfields == 3);
	CHECK_STR(r.fields[0], "id");
	CHECK(csv_next(&r) == 1 && r.line == 2);
	CHECK_STR(r.fields[1], "Kari; Nordmann");
	CHECK_STR(r.fields[2], "sa \"hei\"");
	CHECK(csv_next(&r) == 1 && r.line == 4);
	CHECK_STR(r.fields[2], "two\nlines");
	CHECK(csv_next(&r) == 1 && r.line == 6);
	CHECK_STR(r.fields[1], "Per");
	CHECK(r.nfields == 3 && r.fields[2][0] == '\0');
	CHECK(csv_next(&r) == 0);
}

static void test_malformed_is_refused_with_line(void)
{
	const char *cases[] = { "a,b\n1,\"open\n", "a,b\n1,x\"y\n", "a,b\n1,\"x\"y\n", "a,b\n1,\xff\xfe\n" };
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		csv_init(&r, cases[i], strlen(cases[i]));
		CHECK(csv_next(&r) == 1);
		CHECK(csv_next(&r) == -1);
		CHECK(r.line == 2);
		CHECK(r.err[0] != '\0');
	}
}

static void test_limits(void)
{
	static char big[CSV_MAX_FIELD + 100];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	csv_init(&r, big, strlen(big));
	CHECK(csv_next(&r) == -1);
	static char many[CSV_MAX_FIELDS * 2 + 10];
	memset(many, ',', CSV_MAX_FIELDS + 5);
	csv_init(&r, many, CSV_MAX_FIELDS + 5);
	CHECK(csv_next(&r) == -1);
}

int main(void)
{
	UNIT_RUN(test_quotes_separators_and_lines);
	UNIT_RUN(test_malformed_is_refused_with_line);
	UNIT_RUN(test_limits);
	return unit_done();
}
