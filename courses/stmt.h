/* stmt.h: the xAPI statements the player makes for learners, built
 * here and stored with lrs_store_internal.
 *
 * SCORM follows the ADL xAPI SCORM profile: the SCO is an activity of type
 * lesson whose parent is the course; the attempt is in the grouping; the
 * category holds the profile (https://w3id.org/xapi/scorm); verbs
 * initialized, resumed, suspended, terminated, completed, passed, failed,
 * scored, and answered for each interaction (object: the interaction, type
 * cmi.interaction). cmi5 statements follow the cmi5 specification. */
#ifndef VERN_COURSES_STMT_H
#define VERN_COURSES_STMT_H

#include <jansson.h>

#define VERB_INITIALIZED "http://adlnet.gov/expapi/verbs/initialized"
#define VERB_RESUMED "http://adlnet.gov/expapi/verbs/resumed"
#define VERB_SUSPENDED "http://adlnet.gov/expapi/verbs/suspended"
#define VERB_TERMINATED "http://adlnet.gov/expapi/verbs/terminated"
#define VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define VERB_FAILED "http://adlnet.gov/expapi/verbs/failed"
#define VERB_SCORED "http://adlnet.gov/expapi/verbs/scored"
#define VERB_ANSWERED "http://adlnet.gov/expapi/verbs/answered"
#define VERB_LAUNCHED "http://adlnet.gov/expapi/verbs/launched"
#define VERB_VOIDED "http://adlnet.gov/expapi/verbs/voided"
#define VERB_SATISFIED "https://w3id.org/xapi/adl/verbs/satisfied"
#define VERB_WAIVED "https://w3id.org/xapi/adl/verbs/waived"
#define VERB_ABANDONED "https://w3id.org/xapi/adl/verbs/abandoned"

#define ACT_COURSE "http://adlnet.gov/expapi/activities/course"
#define ACT_LESSON "http://adlnet.gov/expapi/activities/lesson"
#define ACT_ATTEMPT "http://adlnet.gov/expapi/activities/attempt"
#define ACT_INTERACTION "http://adlnet.gov/expapi/activities/cmi.interaction"
#define SCORM_PROFILE "https://w3id.org/xapi/scorm"

#define CMI5_CATEGORY "https://w3id.org/xapi/cmi5/context/categories/cmi5"
#define CMI5_MOVEON_CATEGORY "https://w3id.org/xapi/cmi5/context/categories/moveon"
#define CMI5_EXT "https://w3id.org/xapi/cmi5/context/extensions/"
#define CMI5_SESSION_EXT CMI5_EXT "sessionid"
#define CMI5_TYPE_COURSE "https://w3id.org/xapi/cmi5/activitytype/course"
#define CMI5_TYPE_BLOCK "https://w3id.org/xapi/cmi5/activitytype/block"
#define CMI5_REASON_EXT "https://w3id.org/xapi/cmi5/result/extensions/reason"

/* {"id": id, "display": {"en-US": word}} for a verb IRI above. */
json_t *stmt_verb(const char *id);

/* An Activity object with a definition of type (NULL: none) and a name in
 * nb-NO (NULL: none). */
json_t *stmt_activity(const char *id, const char *type, const char *name);

/* A statement with a fresh id and the current timestamp; steals verb,
 * object, context and result (each may be NULL except verb and object). */
json_t *stmt_new(const json_t *actor, json_t *verb, json_t *object, json_t *context,
		 json_t *result);

/* ISO 8601 duration for milliseconds: "PT1H2M3.45S". buf needs 40 bytes. */
const char *stmt_duration(long long ms, char *buf, size_t size);

/* Parses a SCORM 2004 duration (ISO 8601, "PT1H2M3S") or a SCORM 1.2 time
 * span ("HHHH:MM:SS.SS"). Returns milliseconds, or -1 when malformed. */
long long stmt_parse_duration(const char *s);

/* SCORM 1.2 CMITimespan for milliseconds: "0001:02:03.45". */
const char *stmt_timespan12(long long ms, char *buf, size_t size);

#endif
