/* test_scim_filter.c: the SCIM filter and path language (server/scim_filter.c):
 * parsing with RFC 7644 precedence, refusals with a position, nesting
 * limits, binding to the User and Group schemas, and matching resources
 * (case rules, multi-valued attributes, extension attributes, dates). */
#include <stdlib.h>
#include <string.h>

#include "scim_filter.h"
#include "unit.h"

/* Parses text and returns its canonical form (static buffer), or NULL. */
static const char *canon(const char *text)
{
	static char out[4096];
	char err[256];
	struct scim_filter *f = scim_filter_parse(text, err, sizeof(err));
	if (!f) {
		printf("#   parse failed: %s: %s\n", text, err);
		return NULL;
	}
	int n = scim_filter_format(f, out, sizeof(out));
	scim_filter_free(f);
	return n < 0 ? NULL : out;
}

static void parses_the_rfc_examples(void)
{
	CHECK_STR(canon("userName eq \"bjensen\""), "userName eq \"bjensen\"");
	CHECK_STR(canon("name.familyName co \"O'Malley\""), "name.familyName co \"O'Malley\"");
	CHECK_STR(canon("userName Sw \"J\""), "userName sw \"J\"");
	CHECK_STR(canon("urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\""),
		  "urn:ietf:params:scim:schemas:core:2.0:User:userName sw \"J\"");
	CHECK_STR(canon("title pr"), "title pr");
	CHECK_STR(canon("meta.lastModified gt \"2011-05-13T04:42:34Z\""),
		  "meta.lastModified gt \"2011-05-13T04:42:34Z\"");
	CHECK_STR(canon("title pr and userType eq \"Employee\""), "title pr and userType eq \"Employee\"");
	CHECK_STR(canon("title pr or userType eq \"Intern\""), "title pr or userType eq \"Intern\"");
	CHECK_STR(canon("schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\""),
		  "schemas eq \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\"");
	CHECK_STR(canon("userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")"),
		  "userType eq \"Employee\" and (emails co \"example.com\" or emails.value co \"example.org\")");
	CHECK_STR(canon("userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")"),
		  "userType ne \"Employee\" and not (emails co \"example.com\" or emails.value co \"example.org\")");
	CHECK_STR(canon("emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]"),
		  "emails[type eq \"work\" and value co \"@example.com\"] or ims[type eq \"xmpp\" and value co \"@foo.com\"]");
}

static void precedence_and_literals(void)
{
	CHECK_STR(canon("a pr or b pr and c pr"), "a pr or b pr and c pr");
	CHECK_STR(canon("a pr and b pr or c pr"), "a pr and b pr or c pr");
	CHECK_STR(canon("(a pr or b pr) and c pr"), "(a pr or b pr) and c pr");
	CHECK_STR(canon("a pr and (b pr and c pr)"), "a pr and (b pr and c pr)");
	CHECK_STR(canon("a pr or (b pr or c pr) or d pr"), "a pr or (b pr or c pr) or d pr");
	CHECK_STR(canon("((a pr or b pr) or c pr)"), "a pr or b pr or c pr");
	CHECK_STR(canon("not(a pr) AND b Pr"), "not (a pr) and b pr");
	CHECK_STR(canon("  ( a pr )  "), "a pr");
	CHECK_STR(canon("active eq TRUE"), "active eq true");
	CHECK_STR(canon("x eq false or y eq null"), "x eq false or y eq null");
	CHECK_STR(canon("n ge -1.5e3"), "n ge -1500.0");
	CHECK_STR(canon("n lt 42"), "n lt 42");
	CHECK_STR(canon("s eq \"a\\\"b \\u00e5\""), "s eq \"a\\\"b \xc3\xa5\"");
	CHECK_STR(canon("note pr"), "note pr");
	CHECK_STR(canon("$ref eq \"x\""), "$ref eq \"x\"");
	CHECK_STR(canon("members[value eq \"2819c223\"]"), "members[value eq \"2819c223\"]");
}

static void refuses_bad_filters(void)
{
	static const char *const bad[] = {
		"", "   ", "userName", "userName eq", "userName eq ", "userName xx \"a\"",
		"userName eq \"open", "userName eq 'single'", "userName eq bare", "(userName pr",
		"userName pr)", "userName pr and", "and userName pr", "userName pr or or b pr",
		"not userName pr", "emails[type eq \"work\"", "emails[type eq \"work\"]]",
		"emails[value[type eq \"x\"]]", "name.givenName[x pr]", "1abc pr", "a..b pr",
		"urn: pr", "notaurn:x pr", "a.b.c pr", "userName eq 1e999", "userName eq \"a\" \"b\"",
		"userName eq\"a\"", "userNamepr", "a pr and()", "a eq \"\\ud800\"", "a eq [1]", "a eq {}",
		"a eq \"x\x01\"", "a pr\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[256] = "";
		struct scim_filter *f = scim_filter_parse(bad[i], err, sizeof(err));
		if (f)
			printf("#   accepted: [%s]\n", bad[i]);
		CHECK(f == NULL);
		CHECK(strncmp(err, "at character ", 13) == 0);
		scim_filter_free(f);
	}
	char err[64];
	CHECK(scim_filter_parse(NULL, err, sizeof(err)) == NULL);
}

static void limits_nesting_and_length(void)
{
	char text[SCIM_FILTER_MAX_LEN + 64];
	char err[256];
	int depth = SCIM_FILTER_MAX_DEPTH;
	snprintf(text, sizeof(text), "%.*sa pr%.*s", depth, "((((((((((((((((((((((((((((((((((((((((",
		 depth, "))))))))))))))))))))))))))))))))))))))))");
	struct scim_filter *f = scim_filter_parse(text, err, sizeof(err));
	CHECK(f != NULL);
	scim_filter_free(f);
	snprintf(text, sizeof(text), "%.*sa pr%.*s", depth + 1, "((((((((((((((((((((((((((((((((((((((((",
		 depth + 1, "))))))))))))))))))))))))))))))))))))))))");
	CHECK(scim_filter_parse(text, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "nests deeper") != NULL);
	memset(text, 0, sizeof(text));
	for (size_t i = 0; i + 8 < SCIM_FILTER_MAX_LEN; i += 8)
		memcpy(text + i, "a pr or ", 8);
	strcat(text, "b pr");
	CHECK(strlen(text) <= SCIM_FILTER_MAX_LEN);
	f = scim_filter_parse(text, err, sizeof(err));
	CHECK(f != NULL);
	scim_filter_free(f);
	memset(text, 'a', SCIM_FILTER_MAX_LEN + 1);
	text[SCIM_FILTER_MAX_LEN + 1] = '\0';
	CHECK(scim_filter_parse(text, err, sizeof(err)) == NULL);
}

static struct scim_filter *bound(const struct scim_resource_type *rt, const char *text)
{
	char err[256];
	struct scim_filter *f = scim_filter_parse(text, err, sizeof(err));
	if (f && scim_filter_bind(f, rt, NULL, err, sizeof(err)) != 0) {
		scim_filter_free(f);
		return NULL;
	}
	return f;
}

static void binds_to_the_schema(void)
{
	static const char *const good[] = {
		"userName eq \"x\"", "USERNAME eq \"x\"", "externalId eq \"x\"", "id eq \"x\"",
		"emails[type eq \"work\"]", "emails.value co \"@\"", "emails co \"@\"", "name.givenName pr",
		"active eq false", "active ne true", "meta.created gt \"2020-01-01T00:00:00+01:00\"",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Helse\"",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m\"",
		"department eq \"x\"", "urn:ietf:params:scim:schemas:core:2.0:User:id eq \"x\"",
		"groups.display eq \"x\"", "userName eq null",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct scim_filter *f = bound(&scim_user_type, good[i]);
		if (!f)
			printf("#   did not bind: %s\n", good[i]);
		CHECK(f != NULL);
		scim_filter_free(f);
	}
	static const char *const bad[] = {
		"nope eq \"x\"", "ims[type eq \"x\"]", "name eq \"x\"", "name.nope pr", "active gt true",
		"active eq \"true\"", "userName eq 1", "userName eq true", "emails[nope eq \"x\"]",
		"userName[x pr]", "meta.created gt \"yesterday\"", "urn:x:y:userName eq \"a\"",
		"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq \"x\"", "active co \"t\"",
		"emails[urn:a:b:type eq \"x\"]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct scim_filter *f = bound(&scim_user_type, bad[i]);
		if (f)
			printf("#   bound: %s\n", bad[i]);
		CHECK(f == NULL);
		scim_filter_free(f);
	}
	struct scim_filter *f = bound(&scim_group_type, "displayName eq \"x\" and members[value eq \"u\"]");
	CHECK(f != NULL);
	scim_filter_free(f);
	CHECK(bound(&scim_group_type, "userName eq \"x\"") == NULL);
}

static int matches(const char *text, const json_t *res)
{
	struct scim_filter *f = bound(&scim_user_type, text);
	if (!f) {
		printf("#   could not bind %s\n", text);
		return -1;
	}
	int m = scim_filter_match(f, res);
	scim_filter_free(f);
	return m;
}

static void matches_resources(void)
{
	json_t *res = json_loads(
		"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"id\":\"2819c223\","
		"\"externalId\":\"AbC-1\",\"userName\":\"\xc3\x85se.Berg@Demo.no\",\"title\":\"\","
		"\"name\":{\"givenName\":\"\xc3\x85se\",\"familyName\":\"Berg\"},\"active\":true,"
		"\"emails\":[{\"value\":\"ase@demo.no\",\"type\":\"work\",\"primary\":true},"
		"{\"value\":\"ase@privat.no\",\"type\":\"home\"}],"
		"\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"Helse\","
		"\"manager\":{\"value\":\"m-1\"}},"
		"\"meta\":{\"created\":\"2026-03-01T10:00:00.000Z\"}}", 0, NULL);
	CHECK(res != NULL);
	CHECK(matches("userName eq \"\xc3\xa5se.berg@demo.no\"", res) == 1);
	CHECK(matches("userName eq \"ase.berg@demo.no\"", res) == 0);
	CHECK(matches("externalId eq \"AbC-1\"", res) == 1);
	CHECK(matches("externalId eq \"abc-1\"", res) == 0);
	CHECK(matches("id eq \"2819c223\"", res) == 1);
	CHECK(matches("emails co \"privat\"", res) == 1);
	CHECK(matches("emails[type eq \"work\" and value ew \"@demo.no\"]", res) == 1);
	CHECK(matches("emails[type eq \"work\" and value co \"privat\"]", res) == 0);
	CHECK(matches("emails.type eq \"home\"", res) == 1);
	CHECK(matches("emails[primary eq true]", res) == 1);
	CHECK(matches("name.givenName sw \"\xc3\xa5\"", res) == 1);
	CHECK(matches("name.familyName ne \"Berg\"", res) == 0);
	CHECK(matches("nickName ne \"x\"", res) == 1);
	CHECK(matches("nickName pr", res) == 0);
	CHECK(matches("title pr", res) == 0);
	CHECK(matches("nickName eq null", res) == 1);
	CHECK(matches("active eq true and not (active eq false)", res) == 1);
	CHECK(matches("department eq \"helse\"", res) == 1);
	CHECK(matches("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"m-1\"", res) == 1);
	CHECK(matches("meta.created gt \"2026-03-01T10:59:59+01:00\"", res) == 1);
	CHECK(matches("meta.created lt \"2026-03-01T10:00:00Z\"", res) == 0);
	CHECK(matches("meta.created ge \"2026-03-01T10:00:00Z\"", res) == 1);
	CHECK(matches("userName gt \"a\" and userName lt \"\xc3\xb8\"", res) == 1);
	CHECK(matches("groups pr or emails[value sw \"ASE@\"]", res) == 1);
	json_decref(res);
}

static void parses_patch_paths(void)
{
	struct scim_path p;
	char err[256];
	CHECK(scim_path_parse("emails[type eq \"work\"].value", &p, err, sizeof(err)) == 0);
	CHECK_STR(p.attr, "emails");
	CHECK_STR(p.sub, "value");
	CHECK(p.filter && p.filter->op == SCIM_F_EQ);
	CHECK(scim_path_bind(&p, &scim_user_type, NULL, err, sizeof(err)) == 0);
	CHECK(p.s && strcmp(p.s->name, "value") == 0);
	scim_path_clear(&p);

	CHECK(scim_path_parse("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", &p, err,
			      sizeof(err)) == 0);
	CHECK_STR(p.uri, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User");
	CHECK_STR(p.attr, "manager");
	CHECK(scim_path_bind(&p, &scim_user_type, NULL, err, sizeof(err)) == 0);
	CHECK(p.in_extension);
	scim_path_clear(&p);

	CHECK(scim_path_parse("name.givenName", &p, err, sizeof(err)) == 0);
	CHECK_STR(p.sub, "givenName");
	scim_path_clear(&p);
	CHECK(scim_path_parse("members[value eq \"x\"]", &p, err, sizeof(err)) == 0);
	CHECK(scim_path_bind(&p, &scim_group_type, NULL, err, sizeof(err)) == 0);
	scim_path_clear(&p);

	static const char *const bad[] = {
		"", "emails[type eq \"work\"", "emails[type eq \"work\"]x", "emails[type eq \"work\"].",
		"name.givenName.x", ".x", "1abc", "name.givenName[x pr]", "a b", "emails[]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = scim_path_parse(bad[i], &p, err, sizeof(err));
		if (rc == 0)
			printf("#   accepted path: [%s]\n", bad[i]);
		CHECK(rc != 0);
		CHECK(p.attr == NULL && p.filter == NULL);
	}
	CHECK(scim_path_parse("name[givenName pr]", &p, err, sizeof(err)) == 0);
	CHECK(scim_path_bind(&p, &scim_user_type, NULL, err, sizeof(err)) != 0);
	scim_path_clear(&p);
}

int main(void)
{
	UNIT_RUN(parses_the_rfc_examples);
	UNIT_RUN(precedence_and_literals);
	UNIT_RUN(refuses_bad_filters);
	UNIT_RUN(limits_nesting_and_length);
	UNIT_RUN(binds_to_the_schema);
	UNIT_RUN(matches_resources);
	UNIT_RUN(parses_patch_paths);
	return unit_done();
}
