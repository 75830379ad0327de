/* test_validate.c: unit tests for lrs/validate.c, the xAPI statement rules
 * and the format checks (IRI, UUID, timestamp, duration, language tag). */
#include <jansson.h>
#include <string.h>

#include "unit.h"
#include "validate.h"

static struct lrs_verror e;

/* Validates a statement given as JSON text under version v. */
static int check(const char *text, enum lrs_version v)
{
	json_error_t je;
	json_t *s = json_loads(text, 0, &je);
	if (!s) {
		printf("#   bad test JSON: %s\n", je.text);
		return -2;
	}
	memset(&e, 0, sizeof(e));
	int rc = lrs_validate_statement(s, v, "", &e);
	json_decref(s);
	return rc;
}

#define ACTOR "\"actor\":{\"mbox\":\"mailto:kari@example.org\"}"
#define VERB "\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/completed\"}"
#define OBJ "\"object\":{\"id\":\"https://vern.example/a/1\"}"

static void test_minimal_statement_is_valid(void)
{
	CHECK(check("{" ACTOR "," VERB "," OBJ "}", LRS_V103) == 0);
	CHECK(check("{" ACTOR "," VERB "," OBJ "}", LRS_V200) == 0);
}

static void test_missing_parts_are_named(void)
{
	CHECK(check("{" VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(strstr(e.path, "actor") != NULL || strstr(e.rule, "actor") != NULL);
	CHECK(check("{" ACTOR "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{" ACTOR "," VERB "}", LRS_V103) == -1);
}

static void test_actor_needs_exactly_one_ifi(void)
{
	CHECK(check("{\"actor\":{\"name\":\"Kari\"}," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"actor\":{\"mbox\":\"mailto:a@b.no\",\"openid\":\"http://x.no/a\"}," VERB "," OBJ "}",
		    LRS_V103) == -1);
	CHECK(check("{\"actor\":{\"mbox\":\"a@b.no\"}," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK_STR(e.path, "actor.mbox");
	CHECK(check("{\"actor\":{\"account\":{\"homePage\":\"https://vern.example\",\"name\":\"e-17\"}},"
		    VERB "," OBJ "}", LRS_V103) == 0);
	CHECK(check("{\"actor\":{\"account\":{\"name\":\"e-17\"}}," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"actor\":{\"mbox_sha1sum\":\"not-hex\"}," VERB "," OBJ "}", LRS_V103) == -1);
}

static void test_groups(void)
{
	/* An anonymous group needs members; members are Agents only. */
	CHECK(check("{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@b.no\"}]},"
		    VERB "," OBJ "}", LRS_V103) == 0);
	CHECK(check("{\"actor\":{\"objectType\":\"Group\"}," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"objectType\":\"Group\","
		    "\"mbox\":\"mailto:g@b.no\"}]}," VERB "," OBJ "}", LRS_V103) == -1);
}

static void test_ids_and_formats(void)
{
	CHECK(check("{\"id\":\"not-a-uuid\"," ACTOR "," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK_STR(e.path, "id");
	CHECK(check("{\"id\":\"3f2a5c1e-8b1d-4c2e-9f3a-1b2c3d4e5f60\"," ACTOR "," VERB "," OBJ "}",
		    LRS_V103) == 0);
	CHECK(check("{" ACTOR ",\"verb\":{\"id\":\"completed\"}," OBJ "}", LRS_V103) == -1);
	CHECK_STR(e.path, "verb.id");
	CHECK(check("{" ACTOR ",\"verb\":{\"id\":\"http://x.no/v\",\"display\":{\"not a tag!\":\"x\"}},"
		    OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"timestamp\":\"2026-13-01T00:00:00Z\"," ACTOR "," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"timestamp\":\"2026-10-05T08:00:00.123+02:00\"," ACTOR "," VERB "," OBJ "}",
		    LRS_V103) == 0);
}

static void test_result_rules(void)
{
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"result\":{\"score\":{\"scaled\":0.8,\"raw\":8,\"min\":0,"
		    "\"max\":10},\"duration\":\"PT4M30S\",\"success\":true}}", LRS_V103) == 0);
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"result\":{\"score\":{\"scaled\":1.5}}}", LRS_V103) == -1);
	CHECK_STR(e.path, "result.score.scaled");
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"result\":{\"score\":{\"raw\":11,\"max\":10}}}", LRS_V103) == -1);
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"result\":{\"duration\":\"4 minutes\"}}", LRS_V103) == -1);
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"result\":{\"extensions\":{\"notiri\":1}}}", LRS_V103) == -1);
}

static void test_interactions(void)
{
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"id\":\"https://x.no/q1\",\"definition\":{"
		    "\"interactionType\":\"choice\",\"correctResponsesPattern\":[\"a\"],"
		    "\"choices\":[{\"id\":\"a\",\"description\":{\"nb\":\"Ja\"}},{\"id\":\"b\"}]}}}",
		    LRS_V103) == 0);
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"id\":\"https://x.no/q1\",\"definition\":{"
		    "\"interactionType\":\"essay\"}}}", LRS_V103) == -1);
	/* Components that do not belong to the interaction type. */
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"id\":\"https://x.no/q1\",\"definition\":{"
		    "\"interactionType\":\"true-false\",\"choices\":[{\"id\":\"a\"}]}}}", LRS_V103) == -1);
	/* Duplicate component ids. */
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"id\":\"https://x.no/q1\",\"definition\":{"
		    "\"interactionType\":\"choice\",\"choices\":[{\"id\":\"a\"},{\"id\":\"a\"}]}}}",
		    LRS_V103) == -1);
}

static void test_context_rules(void)
{
	/* revision and platform are not allowed when the object is an Agent. */
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"objectType\":\"Agent\",\"mbox\":\"mailto:o@x.no\"},"
		    "\"context\":{\"platform\":\"Vern\"}}", LRS_V103) == -1);
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"context\":{\"registration\":\"nope\"}}", LRS_V103) == -1);
	CHECK_STR(e.path, "context.registration");
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"context\":{\"contextActivities\":{\"parent\":"
		    "{\"id\":\"https://x.no/c\"}}}}", LRS_V103) == 0);
	CHECK(check("{" ACTOR "," VERB "," OBJ ",\"context\":{\"contextActivities\":{\"cousin\":"
		    "[{\"id\":\"https://x.no/c\"}]}}}", LRS_V103) == -1);
}

static void test_substatement_restrictions(void)
{
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACTOR "," VERB ","
		    OBJ "}}", LRS_V103) == 0);
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"objectType\":\"SubStatement\","
		    "\"id\":\"3f2a5c1e-8b1d-4c2e-9f3a-1b2c3d4e5f60\"," ACTOR "," VERB "," OBJ "}}",
		    LRS_V103) == -1);
	CHECK(check("{" ACTOR "," VERB ",\"object\":{\"objectType\":\"SubStatement\"," ACTOR "," VERB ","
		    "\"object\":{\"objectType\":\"SubStatement\"," ACTOR "," VERB "," OBJ "}}}",
		    LRS_V103) == -1);
}

static void test_voiding_needs_statement_ref(void)
{
	CHECK(check("{" ACTOR ",\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/voided\"}," OBJ "}",
		    LRS_V103) == -1);
	CHECK(check("{" ACTOR ",\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/voided\"},"
		    "\"object\":{\"objectType\":\"StatementRef\",\"id\":\"3f2a5c1e-8b1d-4c2e-9f3a-1b2c3d4e5f60\"}}",
		    LRS_V103) == 0);
}

static void test_version_and_unknown_keys(void)
{
	CHECK(check("{\"version\":\"1.0.3\"," ACTOR "," VERB "," OBJ "}", LRS_V103) == 0);
	CHECK(check("{\"version\":\"0.95\"," ACTOR "," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK(check("{\"foo\":1," ACTOR "," VERB "," OBJ "}", LRS_V103) == -1);
	CHECK_STR(e.path, "foo");
}

/* Paths name array indexes, and a path longer than the buffer is cut,
 * never overrun. */
static void test_paths(void)
{
	json_t *s = json_loads("{" ACTOR "," VERB "," OBJ ",\"context\":{\"contextActivities\":"
			       "{\"grouping\":[{\"id\":\"https://x.no/g\"},{\"id\":\"no iri\"}]}}}",
			       0, NULL);
	memset(&e, 0, sizeof(e));
	CHECK(lrs_validate_statement(s, LRS_V103, "[12]", &e) == -1);
	CHECK_STR(e.path, "[12].context.contextActivities.grouping[1].id");
	json_decref(s);

	char key[400];
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	char text[600];
	snprintf(text, sizeof(text), "{" ACTOR "," VERB "," OBJ ",\"result\":{\"extensions\":"
		 "{\"%s\":1}}}", key);
	CHECK(check(text, LRS_V103) == -1);
	CHECK(strncmp(e.path, "result.extensions.kkk", 21) == 0);
	CHECK(strlen(e.path) < sizeof(e.path));
}

static void test_format_checks(void)
{
	CHECK(lrs_is_iri("https://vern.example/a?b=c#d"));
	CHECK(lrs_is_iri("urn:uuid:3f2a5c1e-8b1d-4c2e-9f3a-1b2c3d4e5f60"));
	CHECK(!lrs_is_iri("no-scheme"));
	CHECK(!lrs_is_iri(""));
	CHECK(lrs_is_uuid("3F2A5C1E-8B1D-4C2E-9F3A-1B2C3D4E5F60"));
	CHECK(!lrs_is_uuid("3f2a5c1e8b1d4c2e9f3a1b2c3d4e5f60"));
	CHECK(lrs_is_duration("P1Y2M3DT4H5M6.5S"));
	CHECK(lrs_is_duration("P3W"));
	CHECK(!lrs_is_duration("P"));
	CHECK(!lrs_is_duration("PT"));
	CHECK(lrs_is_language_tag("nb-NO"));
	CHECK(lrs_is_language_tag("zh-Hant-TW"));
	CHECK(!lrs_is_language_tag("nb_NO"));
	CHECK(lrs_is_mailto("mailto:kari@example.org"));
	CHECK(!lrs_is_mailto("kari@example.org"));
	long long ms = 0;
	CHECK(lrs_parse_timestamp("1970-01-01T00:00:01.500Z", &ms) == 0 && ms == 1500);
	CHECK(lrs_parse_timestamp("1970-01-01T01:00:00+01:00", &ms) == 0 && ms == 0);
	CHECK(lrs_parse_timestamp("1970-01-01", &ms) == -1);
	CHECK(!lrs_is_timestamp("2026-02-30T00:00:00Z"));
}

int main(void)
{
	UNIT_RUN(test_minimal_statement_is_valid);
	UNIT_RUN(test_missing_parts_are_named);
	UNIT_RUN(test_actor_needs_exactly_one_ifi);
	UNIT_RUN(test_groups);
	UNIT_RUN(test_ids_and_formats);
	UNIT_RUN(test_result_rules);
	UNIT_RUN(test_interactions);
	UNIT_RUN(test_context_rules);
	UNIT_RUN(test_substatement_restrictions);
	UNIT_RUN(test_voiding_needs_statement_ref);
	UNIT_RUN(test_version_and_unknown_keys);
	UNIT_RUN(test_paths);
	UNIT_RUN(test_format_checks);
	return unit_done();
}
