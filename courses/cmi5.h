/* cmi5.h: the LMS side of cmi5 (and of native courses, which are cmi5
 * packages built by native.c).
 *
 * Launch: before an AU opens, the open sessions of the same registration
 * are abandoned (an "abandoned" statement each, their tokens revoked), the
 * LMS.LaunchData state document is written (contextTemplate with the
 * session id and the AU's publisher id, launchMode, moveOn, returnURL,
 * masteryScore, launchParameters, entitlementKey) and the "launched"
 * statement stored; the AU gets endpoint, fetch, actor, registration and
 * activityId in its URL.
 *
 * Fetch: POST /api/cmi5/fetch/<token> answers {"auth-token": ...} once
 * (later calls get error-code 1). The token is HTTP Basic credentials of a
 * client that exists only for this AU session: the LRS (lrs/auth.c) maps
 * keys starting with "cmi5-" here, and lrs.c asks cmi5_lrs_check before and
 * cmi5_lrs_after after each request it serves for such a client.
 *
 * The check holds the AU to its session: statements by the launched
 * learner in the launched registration only; no voiding and none of the
 * LMS's verbs (launched, satisfied, waived, abandoned); the cmi5 defined
 * statements in order (initialized first and once, terminated last, at
 * most one completed and one passed per registration, no failed after
 * passed, passed/failed consistent with masteryScore, no completion in
 * Browse or Review mode); state only for its own activity, registration
 * and learner, never writing LMS.LaunchData; profiles read-only.
 *
 * After statements are stored, the AU's state is updated, its moveOn
 * evaluated, and blocks and the course are satisfied (rollup.c). */
#ifndef VERN_COURSES_CMI5_H
#define VERN_COURSES_CMI5_H

#include <stddef.h>

#include "lrs.h"

#define CMI5_KEY_PREFIX "cmi5-"

struct attempt;
struct course_ref;
struct http_request;
struct server;

/* Prepares the launch of AU item in attempt a (see above). On success
 * returns 0 with *url a malloc'd launch URL; else -1 with err set. */
int cmi5_launch(struct http_request *req, const struct course_ref *c, const struct attempt *a,
		const char *item, char **url, char *err, size_t errsize);

/* POST (and OPTIONS) /api/cmi5/fetch/<token>. */
void cmi5_fetch(struct http_request *req);

/* Authenticates a cmi5 auth token's key and secret; fills out as
 * lrs_auth_basic does. Returns 0 or -1. */
int cmi5_auth(struct server *srv, const char *key, const char *secret, struct lrs_client *out);

/* Called by lrs_dispatch for cmi5 clients. check answers 403 itself and
 * returns -1 when the request is outside the AU session's rights. */
int cmi5_lrs_check(struct lrs_ctx *x);
void cmi5_lrs_after(struct lrs_ctx *x);

/* Waives AU au_id for the employee in the course (an admin's decision):
 * a "waived" statement with reason (Tested Out, Equivalent AU, Equivalent
 * Outside Activity or Administrative), the AU counts as satisfied. Returns
 * 0, or an HTTP status with err set. */
int cmi5_waive(struct server *srv, const char *course_id, long long employee_id,
	       const char *au_id, const char *reason, char *err, size_t errsize);

#endif
