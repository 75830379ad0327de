/* test_scim_patch.c: PATCH operations and POST/PUT bodies on SCIM documents
 * (server/scim_patch.c), in the RFC 7644 forms and the shapes Microsoft
 * Entra ID sends. */
#include <stdlib.h>
#include <string.h>

#include "scim_patch.h"
#include "unit.h"

#define ENT "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

/* Applies ops (a JSON array text) to doc text; returns the result as
 * compact sorted JSON (static), or "ERR:<scimType>". */
static const char *run(const struct scim_resource_type *rt, const char *doc_text, const char *ops)
{
	static char out[4096];
	json_t *doc = json_loads(doc_text, 0, NULL);
	char body_text[4096];
	snprintf(body_text, sizeof(body_text),
		 "{\"schemas\":[\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"],\"Operations\":%s}", ops);
	json_t *body = json_loads(body_text, 0, NULL);
	if (!doc || !body) {
		printf("#   bad test JSON\n");
		snprintf(out, sizeof(out), "BADTEST");
	} else {
		const char *type = NULL;
		char err[300];
		int rc = scim_patch_apply(rt, doc, body, &type, err, sizeof(err));
		if (rc) {
			snprintf(out, sizeof(out), "ERR:%s", type ? type : "?");
		} else {
			char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
			snprintf(out, sizeof(out), "%s", s);
			free(s);
		}
	}
	json_decref(doc);
	json_decref(body);
	return out;
}

static const char *user(const char *doc, const char *ops)
{
	return run(&scim_user_type, doc, ops);
}

static void replaces_as_entra_does(void)
{
	const char *doc = "{\"userName\":\"a@x\",\"emails\":[{\"type\":\"work\",\"value\":\"a@x\",\"primary\":true}],"
			  "\"name\":{\"givenName\":\"A\",\"familyName\":\"B\"}}";
	CHECK_STR(user(doc, "[{\"op\":\"Replace\",\"path\":\"emails[type eq \\\"work\\\"].value\",\"value\":\"n@x\"},"
			     "{\"op\":\"Replace\",\"path\":\"name.familyName\",\"value\":\"C\"}]"),
		  "{\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"n@x\"}],"
		  "\"name\":{\"familyName\":\"C\",\"givenName\":\"A\"},\"userName\":\"a@x\"}");
	/* "False" as a string, capitalised op names */
	CHECK_STR(user("{\"userName\":\"a\",\"active\":true}",
		       "[{\"op\":\"Replace\",\"path\":\"active\",\"value\":\"False\"}]"),
		  "{\"active\":false,\"userName\":\"a\"}");
	/* path-less replace whose keys are paths */
	CHECK_STR(user("{\"userName\":\"a\",\"name\":{\"givenName\":\"A\"}}",
		       "[{\"op\":\"replace\",\"value\":{\"displayName\":\"D\",\"name.familyName\":\"F\","
		       "\"" ENT ":department\":\"Helse\",\"active\":\"True\"}}]"),
		  "{\"active\":true,\"displayName\":\"D\",\"name\":{\"familyName\":\"F\",\"givenName\":\"A\"},"
		  "\"" ENT "\":{\"department\":\"Helse\"},\"userName\":\"a\"}");
	/* an extension given as an object */
	CHECK_STR(user("{\"userName\":\"a\"}",
		       "[{\"op\":\"add\",\"value\":{\"" ENT "\":{\"employeeNumber\":7}}}]"),
		  "{\"" ENT "\":{\"employeeNumber\":\"7\"},\"userName\":\"a\"}");
	/* the manager as a bare id, then removed */
	CHECK_STR(user("{\"userName\":\"a\"}",
		       "[{\"op\":\"Add\",\"path\":\"" ENT ":manager\",\"value\":\"m-1\"}]"),
		  "{\"" ENT "\":{\"manager\":{\"value\":\"m-1\"}},\"userName\":\"a\"}");
	CHECK_STR(user("{\"userName\":\"a\",\"" ENT "\":{\"manager\":{\"value\":\"m\"}}}",
		       "[{\"op\":\"Remove\",\"path\":\"" ENT ":manager\"}]"),
		  "{\"userName\":\"a\"}");
}

static void adds_to_multi_valued(void)
{
	/* no element matches a plain eq filter: one is added */
	CHECK_STR(user("{\"userName\":\"a\"}",
		       "[{\"op\":\"Add\",\"path\":\"phoneNumbers[type eq \\\"mobile\\\"].value\",\"value\":\"9\"}]"),
		  "{\"phoneNumbers\":[{\"type\":\"mobile\",\"value\":\"9\"}],\"userName\":\"a\"}");
	/* add appends, the same value is not repeated, a new primary wins */
	CHECK_STR(user("{\"userName\":\"a\",\"emails\":[{\"value\":\"a@x\",\"primary\":true}]}",
		       "[{\"op\":\"add\",\"path\":\"emails\",\"value\":[{\"value\":\"a@x\"},"
		       "{\"value\":\"b@x\",\"primary\":true}]}]"),
		  "{\"emails\":[{\"value\":\"a@x\"},{\"primary\":true,\"value\":\"b@x\"}],\"userName\":\"a\"}");
	/* replace without a filter replaces them all */
	CHECK_STR(user("{\"userName\":\"a\",\"emails\":[{\"value\":\"a@x\"},{\"value\":\"b@x\"}]}",
		       "[{\"op\":\"replace\",\"path\":\"emails\",\"value\":[{\"value\":\"c@x\"}]}]"),
		  "{\"emails\":[{\"value\":\"c@x\"}],\"userName\":\"a\"}");
	/* remove by filter; the last one leaves no empty list */
	CHECK_STR(user("{\"userName\":\"a\",\"emails\":[{\"value\":\"a@x\",\"type\":\"work\"}]}",
		       "[{\"op\":\"remove\",\"path\":\"emails[type eq \\\"work\\\"]\"}]"),
		  "{\"userName\":\"a\"}");
	/* replace with a filter that matches nothing and cannot be added */
	CHECK_STR(user("{\"userName\":\"a\"}",
		       "[{\"op\":\"replace\",\"path\":\"emails[value co \\\"x\\\"]\",\"value\":{\"value\":\"q\"}}]"),
		  "ERR:noTarget");
}

static void group_members(void)
{
	const char *g = "{\"displayName\":\"G\",\"members\":[{\"value\":\"u1\"},{\"value\":\"u2\"},{\"value\":\"u3\"}]}";
	CHECK_STR(run(&scim_group_type, g,
		      "[{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"u4\"},{\"value\":\"u1\"}]}]"),
		  "{\"displayName\":\"G\",\"members\":[{\"value\":\"u1\"},{\"value\":\"u2\"},{\"value\":\"u3\"},{\"value\":\"u4\"}]}");
	CHECK_STR(run(&scim_group_type, g,
		      "[{\"op\":\"Remove\",\"path\":\"members\",\"value\":[{\"$ref\":null,\"value\":\"u2\"}]}]"),
		  "{\"displayName\":\"G\",\"members\":[{\"value\":\"u1\"},{\"value\":\"u3\"}]}");
	CHECK_STR(run(&scim_group_type, g,
		      "[{\"op\":\"remove\",\"path\":\"members[value eq \\\"u3\\\"]\"},"
		      "{\"op\":\"replace\",\"path\":\"displayName\",\"value\":\"H\"}]"),
		  "{\"displayName\":\"H\",\"members\":[{\"value\":\"u1\"},{\"value\":\"u2\"}]}");
	CHECK_STR(run(&scim_group_type, g, "[{\"op\":\"remove\",\"path\":\"members\"}]"),
		  "{\"displayName\":\"G\"}");
}

static void refuses(void)
{
	const char *doc = "{\"userName\":\"a\"}";
	CHECK_STR(user(doc, "[{\"op\":\"move\",\"path\":\"title\",\"value\":\"x\"}]"), "ERR:invalidSyntax");
	CHECK_STR(user(doc, "[]"), "ERR:invalidSyntax");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"path\":\"title\"}]"), "ERR:invalidSyntax");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"path\":7,\"value\":\"x\"}]"), "ERR:invalidSyntax");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"value\":\"x\"}]"), "ERR:invalidSyntax");
	CHECK_STR(user(doc, "[{\"op\":\"remove\"}]"), "ERR:noTarget");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"path\":\"password\",\"value\":\"x\"}]"), "ERR:invalidPath");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"path\":\"name.nope\",\"value\":\"x\"}]"), "ERR:invalidPath");
	CHECK_STR(user(doc, "[{\"op\":\"replace\",\"path\":\"meta.created\",\"value\":\"x\"}]"), "ERR:mutability");
	CHECK_STR(user(doc, "[{\"op\":\"replace\",\"path\":\"" ENT ":manager.displayName\",\"value\":\"x\"}]"),
		  "ERR:mutability");
	CHECK_STR(user(doc, "[{\"op\":\"replace\",\"path\":\"active\",\"value\":3}]"), "ERR:invalidValue");
	CHECK_STR(user(doc, "[{\"op\":\"replace\",\"path\":\"name\",\"value\":\"x\"}]"), "ERR:invalidValue");
	CHECK_STR(user(doc, "[{\"op\":\"add\",\"path\":\"emails\",\"value\":[\"x\"]}]"), "ERR:invalidValue");
}

static void builds_documents_from_bodies(void)
{
	json_t *body = json_loads(
		"{\"schemas\":[\"x\"],\"id\":\"mine\",\"meta\":{\"a\":1},\"USERNAME\":\"u\",\"password\":\"p\","
		"\"groups\":[{\"value\":\"g\"}],\"roles\":[],\"Active\":\"true\","
		"\"name\":{\"GivenName\":\"G\",\"nope\":1},\"" ENT "\":{\"department\":\"D\",\"manager\":{\"value\":\"m\","
		"\"displayName\":\"ignored\"}},\"emails\":[null,{\"value\":\"e\"}]}", 0, NULL);
	const char *type = NULL;
	char err[200];
	json_t *doc = scim_doc_from_body(&scim_user_type, body, &type, err, sizeof(err));
	CHECK(doc != NULL);
	char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	CHECK_STR(s, "{\"active\":true,\"emails\":[{\"value\":\"e\"}],\"name\":{\"givenName\":\"G\"},"
		     "\"" ENT "\":{\"department\":\"D\",\"manager\":{\"value\":\"m\"}},\"userName\":\"u\"}");
	free(s);
	json_decref(doc);
	json_decref(body);
	body = json_loads("{\"userName\":\"u\",\"active\":\"sometimes\"}", 0, NULL);
	CHECK(scim_doc_from_body(&scim_user_type, body, &type, err, sizeof(err)) == NULL);
	CHECK_STR(type, "invalidValue");
	json_decref(body);
}

int main(void)
{
	UNIT_RUN(replaces_as_entra_does);
	UNIT_RUN(adds_to_multi_valued);
	UNIT_RUN(group_members);
	UNIT_RUN(refuses);
	UNIT_RUN(builds_documents_from_bodies);
	return unit_done();
}
