/* outline.h: a course version's outline, the JSON form of its manifest that
 * the player, the run-time and cmi5 read (course_versions.outline).
 *
 * An outline is an array of items in tree order, each an object:
 *   id            SCORM item identifier or cmi5 block/AU id (publisher id)
 *   type          "sco", "asset", "cluster" (SCORM), "au", "block" (cmi5)
 *   title, depth
 *   activity_id   the activity Vern uses in xAPI for it: the course's
 *                 activity id + ":sco:", ":au:" or ":block:" + the id
 *                 percent-encoded (cmi5 requires LMS-generated ids)
 *   href          launch path in the package ("" for clusters and blocks),
 *                 external (cmi5: an absolute URL outside the package)
 *   visible (SCORM), launch_data, mastery (SCORM 1.2: 0-100; 2004 and
 *   cmi5: 0-1; absent when none), completion_threshold and
 *   completed_by_measure, scaled_passing (2004, when satisfied by measure)
 *   cmi5: move_on, launch_method, launch_parameters, entitlement_key,
 *   activity_type
 * Launchable items ("sco", "asset", "au") are the ones a learner opens. */
#ifndef VERN_COURSES_OUTLINE_H
#define VERN_COURSES_OUTLINE_H

#include <jansson.h>
#include <stddef.h>

struct manifest;

/* Builds the outline of m for a course whose activity id is course_activity.
 * Returns a new array, or NULL when out of memory. */
json_t *outline_from_manifest(const struct manifest *m, const char *course_activity);

/* 1 if the outline item is launchable (sco, asset, au). */
int outline_launchable(const json_t *item);

/* The item with identifier id, or NULL (borrowed). */
json_t *outline_find(const json_t *outline, const char *id);

/* Index of the item with identifier id, or -1. */
int outline_index(const json_t *outline, const char *id);

/* Writes "<prefix><kind>:<id percent-encoded>" into buf. Returns 0, or -1
 * when it does not fit. */
int outline_activity_id(const char *course_activity, const char *kind, const char *id,
			char *buf, size_t size);

#endif
