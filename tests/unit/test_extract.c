/* test_extract.c: agent keys and the index rows a statement produces. */
#include <jansson.h>

#include "agent.h"
#include "extract.h"
#include "unit.h"

static json_t *parse(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);
	if (!v)
		printf("# bad test JSON: %s\n", text);
	return v;
}

static int has_row(const struct lrs_extract *e, int kind, const char *value, int direct)
{
	for (size_t i = 0; i < e->nrows; i++)
		if (e->rows[i].kind == kind && strcmp(e->rows[i].value, value) == 0)
			return e->rows[i].direct == direct;
	return 0;
}

static void agent_keys(void)
{
	char key[256];
	json_t *a = parse("{\"mbox\":\"mailto:a@b.no\",\"name\":\"A\"}");
	CHECK(lrs_agent_key(a, key, sizeof(key)) == 0);
	CHECK_STR(key, "mbox:mailto:a@b.no");
	json_decref(a);
	a = parse("{\"account\":{\"homePage\":\"https://k.no\",\"name\":\"42\"}}");
	CHECK(lrs_agent_key(a, key, sizeof(key)) == 0);
	CHECK_STR(key, "account:https://k.no 42");
	json_decref(a);
	a = parse("{\"mbox_sha1sum\":\"ABCDEF0123456789ABCDEF0123456789ABCDEF01\"}");
	CHECK(lrs_agent_key(a, key, sizeof(key)) == 0);
	CHECK_STR(key, "mbox_sha1sum:abcdef0123456789abcdef0123456789abcdef01");
	json_decref(a);
	a = parse("{\"mbox\":\"mailto:a@b.no\",\"openid\":\"https://x\"}");
	CHECK(lrs_agent_key(a, key, sizeof(key)) == -1);
	json_decref(a);
	a = parse("{\"objectType\":\"Group\",\"member\":[]}");
	CHECK(lrs_agent_key(a, key, sizeof(key)) == -1);
	json_decref(a);
	CHECK(lrs_agent_key(NULL, key, sizeof(key)) == -1);
	/* a key that fills the buffer exactly fits; one byte more does not */
	a = parse("{\"account\":{\"homePage\":\"https://k.no\",\"name\":\"42\"}}");
	size_t len = strlen("account:https://k.no 42");
	for (size_t size = len - 3; size <= len + 2; size++) {
		memset(key, 'x', sizeof(key));
		int rc = lrs_agent_key(a, key, size);
		CHECK(rc == (size > len ? 0 : -1));
		if (rc == 0)
			CHECK_STR(key, "account:https://k.no 42");
		CHECK(key[size] == 'x'); /* nothing written past the buffer */
	}
	json_decref(a);
	a = parse("{\"mbox\":\"mailto:a@b.no\"}");
	CHECK(lrs_agent_key(a, key, strlen("mbox:mailto:a@b.no")) == -1);
	CHECK(lrs_agent_key(a, key, strlen("mbox:mailto:a@b.no") + 1) == 0);
	json_decref(a);
}

static void statement_rows(void)
{
	json_t *s = parse(
		"{\"actor\":{\"objectType\":\"Group\",\"mbox\":\"mailto:g@b.no\","
		"  \"member\":[{\"mbox\":\"mailto:m@b.no\"}]},"
		" \"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/completed\"},"
		" \"object\":{\"id\":\"https://a/1\",\"definition\":{\"name\":{\"nb\":\"En\"}}},"
		" \"context\":{\"registration\":\"ec531277-b57b-4c15-8d91-d292c5b2b8f7\","
		"  \"instructor\":{\"mbox\":\"mailto:i@b.no\"},"
		"  \"contextActivities\":{\"parent\":{\"id\":\"https://a/course\"},"
		"   \"grouping\":[{\"id\":\"https://a/programme\"}]}}}");
	struct lrs_extract e;
	CHECK(lrs_extract(s, &e) == 0);
	CHECK(has_row(&e, LRS_IX_VERB, "http://adlnet.gov/expapi/verbs/completed", 1));
	CHECK(has_row(&e, LRS_IX_AGENT, "mbox:mailto:g@b.no", 1));
	CHECK(has_row(&e, LRS_IX_AGENT, "mbox:mailto:m@b.no", 0));
	CHECK(has_row(&e, LRS_IX_AGENT, "mbox:mailto:i@b.no", 0));
	CHECK(has_row(&e, LRS_IX_ACTIVITY, "https://a/1", 1));
	CHECK(has_row(&e, LRS_IX_ACTIVITY, "https://a/course", 0));
	CHECK(has_row(&e, LRS_IX_ACTIVITY, "https://a/programme", 0));
	CHECK(has_row(&e, LRS_IX_REGISTRATION, "ec531277-b57b-4c15-8d91-d292c5b2b8f7", 1));
	CHECK(e.nacts == 3);
	CHECK(e.acts[0].definition && strstr(e.acts[0].definition, "\"En\""));
	lrs_extract_free(&e);
	json_decref(s);
}

static void substatement_parts_are_related(void)
{
	json_t *s = parse(
		"{\"actor\":{\"mbox\":\"mailto:a@b.no\"},\"verb\":{\"id\":\"http://x/v\"},"
		" \"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:s@b.no\"},"
		"  \"verb\":{\"id\":\"http://x/sv\"},\"object\":{\"id\":\"https://a/sub\"}}}");
	struct lrs_extract e;
	CHECK(lrs_extract(s, &e) == 0);
	CHECK(has_row(&e, LRS_IX_AGENT, "mbox:mailto:a@b.no", 1));
	CHECK(has_row(&e, LRS_IX_AGENT, "mbox:mailto:s@b.no", 0));
	CHECK(has_row(&e, LRS_IX_ACTIVITY, "https://a/sub", 0));
	CHECK(!has_row(&e, LRS_IX_VERB, "http://x/sv", 1) && !has_row(&e, LRS_IX_VERB, "http://x/sv", 0));
	lrs_extract_free(&e);
	json_decref(s);
}

int main(void)
{
	UNIT_RUN(agent_keys);
	UNIT_RUN(statement_rows);
	UNIT_RUN(substatement_parts_are_related);
	return unit_done();
}
