/* test_course_helpers.c: the small pure pieces of the course run-time:
 * SCORM durations both ways, activity ids, media types, course ids. */
#include <string.h>

#include "import.h"
#include "mime.h"
#include "outline.h"
#include "stmt.h"
#include "unit.h"

static void test_parse_duration(void)
{
	CHECK(stmt_parse_duration("PT1H2M3S") == 3723000);
	CHECK(stmt_parse_duration("PT0.5S") == 500);
	CHECK(stmt_parse_duration("P1DT1S") == 86401000);
	CHECK(stmt_parse_duration("PT") == -1);
	CHECK(stmt_parse_duration("P1X") == -1);
	CHECK(stmt_parse_duration("0001:02:03.45") == 3723450);
	CHECK(stmt_parse_duration("00:00:12") == 12000);
	CHECK(stmt_parse_duration("00:61:00") == -1);
	CHECK(stmt_parse_duration("") == -1);
	CHECK(stmt_parse_duration(NULL) == -1);
	CHECK(stmt_parse_duration("-PT1S") == -1);
}

static void test_format_duration(void)
{
	char b[40];
	CHECK_STR(stmt_duration(3723450, b, sizeof(b)), "PT1H2M3.45S");
	CHECK_STR(stmt_duration(0, b, sizeof(b)), "PT0S");
	CHECK_STR(stmt_duration(60000, b, sizeof(b)), "PT1M0S");
	CHECK_STR(stmt_timespan12(3723450, b, sizeof(b)), "0001:02:03.45");
	CHECK_STR(stmt_timespan12(-5, b, sizeof(b)), "0000:00:00.00");
}

static void test_activity_id(void)
{
	char b[128];
	CHECK(outline_activity_id("urn:vern:kurs:x", "sco", "del-1_a.b~", b, sizeof(b)) == 0);
	CHECK_STR(b, "urn:vern:kurs:x:sco:del-1_a.b~");
	CHECK(outline_activity_id("urn:vern:kurs:x", "au", "https://e.no/a b", b, sizeof(b)) == 0);
	CHECK_STR(b, "urn:vern:kurs:x:au:https%3A%2F%2Fe.no%2Fa%20b");
	CHECK(outline_activity_id("urn:vern:kurs:x", "au", "æ", b, sizeof(b)) == 0);
	CHECK_STR(b, "urn:vern:kurs:x:au:%C3%A6");
	CHECK(outline_activity_id("urn:vern:kurs:x", "au", "abcdefghij", b, 24) == -1);
}

static void test_mime(void)
{
	CHECK_STR(mime_type("a/b/index.HTML"), "text/html; charset=utf-8");
	CHECK_STR(mime_type("x.js"), "text/javascript; charset=utf-8");
	CHECK_STR(mime_type("video.mp4"), "video/mp4");
	CHECK_STR(mime_type("noext"), "application/octet-stream");
	CHECK_STR(mime_type("dir.html/file"), "application/octet-stream");
	CHECK(mime_is_active("image/svg+xml"));
	CHECK(mime_is_active("text/html; charset=utf-8"));
	CHECK(!mime_is_active("image/png"));
}

static void test_course_id(void)
{
	CHECK(course_id_valid("personvern-grunnkurs"));
	CHECK(course_id_valid("a1"));
	CHECK(!course_id_valid(""));
	CHECK(!course_id_valid("-a"));
	CHECK(!course_id_valid("A"));
	CHECK(!course_id_valid("a/b"));
	char long_id[80];
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	CHECK(!course_id_valid(long_id));
}

int main(void)
{
	UNIT_RUN(test_parse_duration);
	UNIT_RUN(test_format_duration);
	UNIT_RUN(test_activity_id);
	UNIT_RUN(test_mime);
	UNIT_RUN(test_course_id);
	return unit_done();
}
