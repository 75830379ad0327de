/* retention.h: storage limitation (GDPR art. 5(1)(e)).
 *
 * After retention_statement_days, raw xAPI statements are pseudonymised
 * (the people in them replaced by a keyed pseudonym, free-text answers,
 * extensions and attachments removed) or, with retention_delete_statements,
 * deleted; per-person xAPI documents (state, agent profiles: where courses
 * keep attempt data) are deleted. retention_inactive_days after an employee
 * left, the same happens to all their raw data at once; their open
 * assignments, appraisal learning goals, e-mails and campaign places,
 * sessions and e-mail address go, and the employee row is kept only as the
 * "who" of their completions and attendance. Completions (who, what, when,
 * result) are never touched: they are the proof of training.
 *
 * The job runs daily inside `vern serve` (retention_job = true, at
 * retention_hour) and by `vern retention run [--now YYYY-MM-DD]`; each run
 * is recorded in retention_runs. */
#ifndef VERN_RETENTION_H
#define VERN_RETENTION_H

#include <jansson.h>
#include <stddef.h>

struct config;
struct db;
struct db_conn;
struct http_request;
struct server;

struct retention_counts {
	long long pseudonymised, deleted, documents, attempts, employees, sessions;
};

/* Applies the policy as if it were now_ms. home_page is the homePage of
 * employees' xAPI accounts (the public URL). Returns 0 and fills out, or
 * -1 (storage failed; what was done in earlier batches stays done). */
int retention_run(struct db *db, const struct config *cfg, const char *home_page, long long now_ms,
		  struct retention_counts *out);

/* The policy as JSON: {statement_days, inactive_days, action
 * ("pseudonymise"|"delete"), text (Norwegian), last_run (or null)}. New
 * reference; c may be NULL (then no last_run). */
json_t *retention_policy(const struct config *cfg, struct db_conn *c);

/* GET /api/oppbevaring: the policy, for every signed-in person. */
void retention_policy_get(struct http_request *req);

/* ---- pseudonyms (retention_pseudonym.c) ---- */

#define RETENTION_KEY_BYTES 32

/* Rewrites a statement in place: actor, agent objects and sub-statements'
 * people become pseudonyms keyed by key; result.response, extensions,
 * context.instructor/team and attachments are removed. */
void retention_pseudonymise(json_t *statement, const unsigned char key[RETENTION_KEY_BYTES]);

/* Reads the pseudonym key from meta, creating it on first use (writer
 * connection). Returns 0 or -1. */
int retention_key(struct db_conn *c, unsigned char key[RETENTION_KEY_BYTES]);

/* ---- the daily job and the command (retention_job.c) ---- */

struct retention_job;

/* Starts the thread that runs the policy once a day; NULL when disabled or
 * on failure (logged). Stop joins it. */
struct retention_job *retention_job_start(struct server *srv);
void retention_job_stop(struct retention_job *job);

/* `vern retention run [--now YYYY-MM-DD]` and `vern retention policy`. */
int retention_command(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
