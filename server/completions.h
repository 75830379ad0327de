/* completions.h: course completions and starts derived from LRS statements.
 *
 * A statement counts for an employee when its actor is the employee's agent
 * (account homePage = public_url, name = external_id; see people_agent).
 *   - completed, passed or cmi5 satisfied with the course's activity as the
 *     object: a completion (completion_history gets a row; completions
 *     keeps the newest, expiring after the course's valid_months);
 *   - any statement with the course's activity as object, context parent
 *     or grouping: the employee has started the course (course_starts).
 * Voiding a statement removes what it counted and recomputes. Runs on the
 * writer connection, inside the transaction that stores the statement. */
#ifndef VERN_COMPLETIONS_H
#define VERN_COMPLETIONS_H

#include <jansson.h>

struct db_conn;

#define COMPLETIONS_VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define COMPLETIONS_VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define COMPLETIONS_VERB_SATISFIED "https://w3id.org/xapi/adl/verbs/satisfied"

/* Derives from one statement just inserted (not a duplicate). statement is
 * the statement as received, id its lowercase id, voided_id the target
 * when it is a voiding statement (else NULL), stored_ms its stored time,
 * home_page the configured public_url. Returns DB_OK or a DB_E* code (an
 * error rolls the statement back with everything else in its batch). */
int completions_on_store(struct db_conn *c, const char *home_page, const json_t *statement,
			 const char *id, const char *voided_id, long long stored_ms);

/* Any thread, no database: 0 when statement cannot count for any employee
 * (its actor is not an account on home_page), so a statement that voids
 * nothing needs no completions_on_store; else 1. Lets request threads
 * spare the writer that look. */
int completions_may_count(const char *home_page, const json_t *statement);

/* In a writer job, after the admin marked (counts = 1) or unmarked course
 * as satisfiable by attendance: attendance statements stored before now
 * count as completions of it, or stop counting. Returns DB_OK or a DB_E*
 * code. */
int completions_attendance_recount(struct db_conn *c, const char *home_page, const char *course,
				   int counts);

/* completed_ms plus months calendar months (UTC; a day past the end of the
 * month rolls over as in SQLite's date functions). */
long long completions_expiry_ms(long long completed_ms, int months);

#endif
