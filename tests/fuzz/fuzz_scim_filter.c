/* fuzz_scim_filter.c: libFuzzer target for the SCIM filter and path
 * language (server/scim_filter.c). The input is parsed as a filter and as
 * a PATCH path. A refusal must say where; an accepted filter must print in
 * canonical form, parse again from that form to the same form, bind or be
 * refused against the User and Group schemas, and match a sample resource
 * without crashing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scim_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static json_t *sample;

static void check_filter(const char *text)
{
	char err[300] = "", a[8192], b[8192];
	struct scim_filter *f = scim_filter_parse(text, err, sizeof(err));
	if (!f) {
		if (strncmp(err, "at character ", 13) != 0)
			abort();
		return;
	}
	int n = scim_filter_format(f, a, sizeof(a));
	if (n >= 0) {
		struct scim_filter *again = scim_filter_parse(a, err, sizeof(err));
		/* The canonical form may exceed the length limit (it adds
		 * parentheses); otherwise it must parse to itself. */
		if (!again && strlen(a) <= SCIM_FILTER_MAX_LEN)
			abort();
		if (again && (scim_filter_format(again, b, sizeof(b)) < 0 || strcmp(a, b) != 0))
			abort();
		scim_filter_free(again);
	}
	const struct scim_resource_type *types[] = { &scim_user_type, &scim_group_type };
	for (int i = 0; i < 2; i++) {
		if (scim_filter_bind(f, types[i], NULL, err, sizeof(err)) == 0) {
			int m = scim_filter_match(f, sample);
			if (m != 0 && m != 1)
				abort();
		} else if (!err[0]) {
			abort();
		}
	}
	scim_filter_free(f);
}

static void check_path(const char *text)
{
	struct scim_path p;
	char err[300] = "";
	if (scim_path_parse(text, &p, err, sizeof(err)) != 0) {
		if (p.attr || p.uri || p.sub || p.filter || strncmp(err, "at character ", 13) != 0)
			abort();
		return;
	}
	if (!p.attr || !*p.attr)
		abort();
	if (scim_path_bind(&p, &scim_user_type, NULL, err, sizeof(err)) == 0) {
		if (!p.a || (p.sub && !p.s))
			abort();
		(void)scim_path_get(&p, sample);
	}
	scim_path_clear(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!sample)
		sample = json_loads(
			"{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"id\":\"u1\","
			"\"externalId\":\"E\",\"userName\":\"\xc3\x85se@demo.no\",\"active\":true,"
			"\"name\":{\"givenName\":\"\xc3\x85se\",\"familyName\":\"Berg\"},"
			"\"emails\":[{\"value\":\"a@demo.no\",\"type\":\"work\",\"primary\":true},{\"value\":\"b\"}],"
			"\"members\":[{\"value\":\"u2\"}],\"displayName\":\"G\","
			"\"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User\":{\"department\":\"H\","
			"\"manager\":{\"value\":\"m\"}},\"meta\":{\"created\":\"2026-01-01T00:00:00.000Z\"}}",
			0, NULL);
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_filter(text);
	check_path(text);
	free(text);
	return 0;
}
