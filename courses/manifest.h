/* manifest.h: what a course package says about itself. Reads a SCORM
 * package's imsmanifest.xml (SCORM 1.2 or 2004, told apart by
 * <schemaversion> and, failing that, by the namespaces declared) or a cmi5
 * package's cmi5.xml into one flat outline.
 *
 * The XML is read with expat and namespaces, so any prefix works (adlcp:,
 * imsss:, or none with a default namespace). A DOCTYPE is refused outright,
 * which also refuses entity declarations (XXE, billion laughs); external
 * entities and parameter entities are off as well.
 *
 * Only the default organization of a SCORM manifest is read (the first one
 * when no default is named); <metadata> other than schema/schemaversion,
 * sub-manifests, sequencing collections and rules, and cmi5 objectives and
 * descriptions are skipped. Launch paths are checked: relative, no `..`
 * component (also when percent-encoded), no backslash, no scheme; a cmi5
 * AU may instead name an absolute http(s) URL (cmi5 allows AUs hosted
 * elsewhere), which is marked external. */
#ifndef VERN_COURSES_MANIFEST_H
#define VERN_COURSES_MANIFEST_H

#include <stddef.h>

#define MANIFEST_MAX_BYTES (16 * 1024 * 1024) /* manifest file size */
#define MANIFEST_MAX_ITEMS 10000               /* items, blocks and AUs */
#define MANIFEST_MAX_RESOURCES 20000
#define MANIFEST_MAX_DEPTH 128                 /* XML element nesting */
#define MANIFEST_MAX_TEXT (64 * 1024)          /* one element's text or attribute */

enum manifest_kind {
	MANIFEST_SCORM12 = 1,
	MANIFEST_SCORM2004,
	MANIFEST_CMI5,
};

/* Which file a buffer holds (the kind_hint of manifest_parse_buffer). */
enum manifest_file {
	MANIFEST_FILE_IMS,    /* imsmanifest.xml: SCORM 1.2 or 2004 */
	MANIFEST_FILE_CMI5,   /* cmi5.xml */
};

enum manifest_node {
	MANIFEST_NODE_ITEM,   /* SCORM <item> */
	MANIFEST_NODE_BLOCK,  /* cmi5 <block> */
	MANIFEST_NODE_AU,     /* cmi5 <au> */
};

enum manifest_scormtype {
	MANIFEST_TYPE_NONE,   /* no resource (a SCORM cluster or label), cmi5 nodes */
	MANIFEST_TYPE_SCO,
	MANIFEST_TYPE_ASSET,  /* also a resource without adlcp:scormtype */
};

enum manifest_launch_method {
	MANIFEST_LAUNCH_ANY_WINDOW,   /* cmi5 default */
	MANIFEST_LAUNCH_OWN_WINDOW,
};

enum manifest_move_on {
	MANIFEST_MOVEON_NOT_APPLICABLE,   /* cmi5 default */
	MANIFEST_MOVEON_PASSED,
	MANIFEST_MOVEON_COMPLETED,
	MANIFEST_MOVEON_COMPLETED_AND_PASSED,
	MANIFEST_MOVEON_COMPLETED_OR_PASSED,
};

/* One node of the outline. Strings are never NULL ("" when absent) and are
 * owned by the manifest. */
struct manifest_item {
	enum manifest_node node;
	int depth;                  /* 0 for the top level, parent's + 1 below */
	int line;                   /* line of its start tag */
	const char *identifier;     /* SCORM item identifier, cmi5 block/AU id */
	const char *title;          /* whitespace collapsed */
	/* Launch path relative to the package root: for a SCORM item its
	 * resource's xml:base + href with the item's parameters added as SCORM
	 * specifies; a cmi5 AU's url. "" for clusters and blocks. */
	const char *href;
	int href_external;          /* cmi5 only: href is an absolute http(s) URL */

	/* SCORM */
	int visible;                /* isvisible, default 1 */
	const char *resource;       /* identifierref */
	enum manifest_scormtype scormtype;
	const char *launch_data;    /* adlcp:datafromlms (1.2) / adlcp:dataFromLMS (2004) */
	int has_mastery_score;      /* SCORM 1.2 adlcp:masteryscore, 0-100; cmi5 masteryScore, 0-1 */
	double mastery_score;
	/* SCORM 2004 adlcp:completionThreshold: completed_by_measure says the
	 * SCO's progress measure decides completion against the threshold
	 * (minProgressMeasure; the 3rd edition's element text). 1.0 when absent. */
	int completed_by_measure;
	double completion_threshold;
	/* SCORM 2004 imsss:primaryObjective satisfiedByMeasure and its
	 * imsss:minNormalizedMeasure (-1 to 1; 1.0 when absent). */
	int satisfied_by_measure;
	double min_normalized_measure;

	/* cmi5 AU */
	enum manifest_launch_method launch_method;
	enum manifest_move_on move_on;
	const char *activity_type;
	const char *launch_parameters;
	const char *entitlement_key;
};

struct manifest {
	enum manifest_kind kind;
	const char *identifier;     /* SCORM manifest identifier, cmi5 course id */
	const char *title;          /* SCORM default organization's title, cmi5 course title */
	const char *version;        /* SCORM manifest version attribute; "" for cmi5 */
	const char *schemaversion;  /* SCORM <schemaversion> as written, "" if absent */
	struct manifest_item *items;   /* in document (tree) order */
	int nitems;
	void *mem;                  /* private: the strings */
};

/* Reads dir/cmi5.xml when the package has one, else dir/imsmanifest.xml
 * (neither followed through a symbolic link, at most MANIFEST_MAX_BYTES).
 * Returns 0 with *m filled (free it with manifest_free), or -1 with err set
 * to "FILE:LINE: message" (or "FILE: message" when no line applies) and *m
 * left empty. */
int manifest_parse_dir(const char *dir, struct manifest *m, char *err, size_t errlen);

/* Parses len bytes of XML as the file kind_hint says; for
 * MANIFEST_FILE_IMS the SCORM version is detected from the content.
 * Returns and fills as manifest_parse_dir. */
int manifest_parse_buffer(enum manifest_file kind_hint, const char *buf, size_t len,
			  struct manifest *m, char *err, size_t errlen);

/* Frees what a successful parse allocated and empties *m; safe on an
 * emptied or zeroed manifest. */
void manifest_free(struct manifest *m);

/* Names for logs and JSON: "scorm12", "scorm2004", "cmi5". */
const char *manifest_kind_name(enum manifest_kind kind);

#endif
