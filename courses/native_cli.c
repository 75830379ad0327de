/* native_cli.c: `vern course build SRC_DIR OUT_DIR`, for authors of native
 * courses: builds the folder into a cmi5 package exactly as an import
 * would, reads the result back with the manifest parser, and prints what
 * a learner will get (or the first mistake, with file and line). */
#include "native.h"

#include <stdio.h>

#include "manifest.h"

static const char *move_on_name(enum manifest_move_on m)
{
	switch (m) {
	case MANIFEST_MOVEON_PASSED: return "Passed";
	case MANIFEST_MOVEON_COMPLETED: return "Completed";
	case MANIFEST_MOVEON_COMPLETED_AND_PASSED: return "CompletedAndPassed";
	case MANIFEST_MOVEON_COMPLETED_OR_PASSED: return "CompletedOrPassed";
	default: return "NotApplicable";
	}
}

int native_build_command(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "Usage: vern course build SRC_DIR OUT_DIR\n\n"
				"Builds the native course in SRC_DIR (course.json and its pages) into a\n"
				"cmi5 package in OUT_DIR (created; must be new or empty). Open\n"
				"OUT_DIR/<module>.html in a browser to preview a module.\n");
		return 2;
	}
	char err[2048];
	if (native_build(argv[0], argv[1], err, sizeof(err)) != 0) {
		fprintf(stderr, "vern course build: %s\n", err);
		return 1;
	}
	struct manifest m;
	if (manifest_parse_dir(argv[1], &m, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern course build: the built package does not read back: %s\n", err);
		return 1;
	}
	printf("built %s into %s\ncourse %s: %s\n", argv[0], argv[1], m.identifier, m.title);
	for (int i = 0; i < m.nitems; i++) {
		const struct manifest_item *it = &m.items[i];
		if (it->node != MANIFEST_NODE_AU)
			continue;
		printf("  %-28s %s (moveOn %s", it->href, it->title, move_on_name(it->move_on));
		if (it->has_mastery_score)
			printf(", pass mark %.0f %%", it->mastery_score * 100);
		printf(")\n");
	}
	manifest_free(&m);
	return 0;
}
