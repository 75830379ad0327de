/* rollup.h: when is a course done? After every change to an item's state
 * the course is evaluated, and the statements that record the course (and
 * cmi5 blocks) as done are made once per attempt.
 *
 * SCORM: every visible SCO is done (passed, or completed without a failed
 * success status) and every asset was opened. Then the course activity gets
 * "completed", and "passed" when its SCOs reported success; the attempt is
 * marked complete.
 *
 * cmi5 (and native courses): an AU is satisfied when its moveOn criterion
 * is met (NotApplicable from the start; waived AUs too). A block whose AUs
 * are all satisfied, and then the course, get the LMS's "satisfied"
 * statement (object: Vern's block and course activity ids, types
 * .../activitytype/block and .../course), in the AU session that triggered
 * it. Callers hold runtime_lock for the attempt. */
#ifndef VERN_COURSES_ROLLUP_H
#define VERN_COURSES_ROLLUP_H

struct launch;
struct server;

void rollup_scorm(struct server *srv, const struct launch *l);

/* session_id: the AU session that triggered the evaluation (a new one is
 * made when NULL, as for waivers). */
void rollup_cmi5(struct server *srv, const struct launch *l, const char *session_id);

#endif
