/* fuzz_manifest.c: libFuzzer target for the manifest parser
 * (courses/manifest.c). The input is parsed both as imsmanifest.xml and as
 * cmi5.xml. A refusal must say why, prefixed with the file name; a success
 * must give a well-formed outline: every string set, depths that start at
 * 0 and grow by at most one, and launch paths that are relative and never
 * start with or contain a ".." component. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_dotdot(const char *href)
{
	size_t n = strcspn(href, "?#");
	for (size_t i = 0; i + 1 < n; i++)
		if (href[i] == '.' && href[i + 1] == '.' && (i == 0 || href[i - 1] == '/') &&
		    (i + 2 == n || href[i + 2] == '/'))
			return 1;
	return 0;
}

static void check(enum manifest_file file, const char *buf, size_t len)
{
	struct manifest m;
	char err[300];
	const char *name = file == MANIFEST_FILE_CMI5 ? "cmi5.xml:" : "imsmanifest.xml:";
	if (manifest_parse_buffer(file, buf, len, &m, err, sizeof(err)) != 0) {
		if (strncmp(err, name, strlen(name)) != 0 || m.items || m.nitems || m.mem)
			abort();
		return;
	}
	if (!m.identifier || !m.title || !m.version || !m.schemaversion || m.nitems < 1 ||
	    m.nitems > MANIFEST_MAX_ITEMS)
		abort();
	if ((file == MANIFEST_FILE_CMI5) != (m.kind == MANIFEST_CMI5))
		abort();
	int prev = -1;
	for (int i = 0; i < m.nitems; i++) {
		const struct manifest_item *it = &m.items[i];
		if (!it->identifier[0] || !it->title || !it->href || !it->resource || !it->launch_data ||
		    !it->activity_type || !it->launch_parameters || !it->entitlement_key)
			abort();
		if (it->depth < 0 || it->depth > prev + 1)
			abort();
		prev = it->depth;
		if (!it->href_external && (it->href[0] == '/' || strchr(it->href, '\\') || has_dotdot(it->href)))
			abort();
		if (it->href_external && file != MANIFEST_FILE_CMI5)
			abort();
		if (it->node == MANIFEST_NODE_AU && !it->href[0])
			abort();
	}
	manifest_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* In its own allocation, so ASan sees any read past the end. */
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check(MANIFEST_FILE_IMS, buf, size);
	check(MANIFEST_FILE_CMI5, buf, size);
	free(buf);
	return 0;
}
