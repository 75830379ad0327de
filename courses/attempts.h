/* attempts.h: learners' attempts at courses, the state of each SCO or AU in
 * an attempt, and launches (one per SCO/AU session), on top of the tables
 * of migration 007. Also the learner's xAPI agent and the outline of a
 * course version, which every run-time handler needs.
 *
 * Launch tokens are 256-bit random values (base64url, 43 characters) that
 * travel in the run-time URLs on the content origin; only their BLAKE2b
 * hash is stored. */
#ifndef VERN_COURSES_ATTEMPTS_H
#define VERN_COURSES_ATTEMPTS_H

#include <jansson.h>
#include <stddef.h>

#include "import.h"

struct db;
struct db_conn;
struct server;

#define ATTEMPT_TOKEN_LEN 43
#define LAUNCH_TTL_MS (12LL * 3600 * 1000)

/* A course as the player sees it, with the version an attempt runs on. */
struct course_ref {
	char course_id[COURSE_ID_MAX + 1];
	char activity_id[512];
	char title[256];
	char kind[16];             /* scorm12, scorm2004, cmi5, native */
	long long version_id;
	int version;
	char dir[17];              /* content directory of the version */
	char publisher_id[512];    /* manifest identifier / cmi5 course id */
	json_t *outline;           /* owned; free with course_ref_free */
};

/* An attempt (registration). */
struct attempt {
	long long id, employee_id, version_id;
	char registration[37];
	char current_item[256];
	long long completed_ms;    /* 0: not complete */
};

/* A launch joined with its attempt and course version. */
struct launch {
	long long id, attempt_id, employee_id;
	char item[256];
	char session_id[37];
	char launch_mode[16];
	char verbs[256];
	long long launched_ms, expires_ms, initialized_ms, terminated_ms, abandoned_ms, last_seen_ms;
	int fetched;
	struct attempt attempt;
	struct course_ref course;
};

void course_ref_free(struct course_ref *c);

/* 1 if the kind is played through cmi5 (cmi5 and native courses). */
int course_kind_is_cmi5(const char *kind);

/* Loads a course with version version_id (0: the newest). Returns 0, or
 * DB_NOTFOUND / DB_ERROR. */
int course_load(struct db *db, const char *course_id, long long version_id, struct course_ref *out);

/* The learner's newest attempt at the course. Returns 0, DB_NOTFOUND or
 * DB_ERROR. */
int attempt_latest(struct db *db, long long employee_id, const char *course_id, struct attempt *out);

/* Starts an attempt on the version in c (a new random registration).
 * cmi5 AUs whose moveOn is NotApplicable start satisfied. */
int attempt_start(struct db *db, long long employee_id, const struct course_ref *c,
		  struct attempt *out);

/* The item states of an attempt: object item id -> {completion, success,
 * score_scaled, score_raw, satisfied, waived, location, exit}. New ref. */
json_t *attempt_item_states(struct db *db, long long attempt_id);

/* One item's stored state, or an empty default when none. Fields are as in
 * attempt_items; cmi is a new JSON object. */
struct item_state {
	json_t *cmi;
	char completion[16], success[16];
	int has_scaled, has_raw;
	double score_scaled, score_raw;
	char *location, *suspend_data; /* malloc'd */
	char exit[16];
	long long total_ms;
	int sessions, satisfied, waived;
	json_t *answered;              /* array of strings */
	long long updated_ms;
};
int item_state_load(struct db_conn *c, long long attempt_id, const char *item, struct item_state *s);
int item_state_save(struct db_conn *c, long long attempt_id, const char *item,
		    const struct item_state *s);
void item_state_free(struct item_state *s);

/* Records where the learner is (resume point). Runs its own write. */
int attempt_set_current(struct db *db, long long attempt_id, const char *item);

/* Creates a launch of item in the attempt. token receives the new token
 * (ATTEMPT_TOKEN_LEN + 1 bytes), session_id a new UUID (37 bytes).
 * Returns 0 or -1. */
int launch_create(struct db *db, long long attempt_id, const char *item, const char *launch_mode,
		  char *token, char *session_id, long long *launch_id);

/* Finds the live launch named by a token (not expired). 0, DB_NOTFOUND or
 * DB_ERROR; free with launch_free. */
int launch_by_token(struct db *db, const char *token, struct launch *out);
/* The same by launch id (expired ones too). */
int launch_by_id(struct db *db, long long id, struct launch *out);
void launch_free(struct launch *l);

/* The learner's agent (people_agent on public_url). New ref or NULL. */
json_t *learner_agent(struct db *db, const char *public_url, long long employee_id);

/* A random RFC 4122 version 4 UUID, lowercase (37 bytes with NUL). */
void attempts_uuid(char *out);

/* A random token: 43 characters of base64url (44 bytes with NUL). */
void attempts_token(char *out);
/* BLAKE2b-256 of a token. */
void attempts_token_hash(const char *token, unsigned char out[32]);

/* Milliseconds since the epoch. */
long long attempts_now_ms(void);

#endif
