/* campaign.h: email campaigns: who gets which lessons when, reminders and
 * the weekly leader digest.
 *
 * A campaign (tables campaigns, campaign_lessons, campaign_recipients,
 * migration 009) has an audience (units and roles), lessons each sent at
 * a time, a deadline (due_days after sending), reminders every
 * reminder_days up to max_reminders while a lesson is not completed, and
 * optionally a weekly digest to each leader listing their staff who are
 * past the deadline. campaign_tick() does what is due; every step is
 * idempotent (recipients and outbox rows have keys), so a step repeated
 * after a crash queues nothing twice.
 *
 * campaign_def.c reads, checks and stores definitions (JSON, for the API
 * and the demo); campaign.c runs them. */
#ifndef VERN_CAMPAIGN_H
#define VERN_CAMPAIGN_H

#include <jansson.h>
#include <stddef.h>

struct db;
struct db_conn;
struct server;

#define CAMPAIGN_MAX_LESSONS 52

/* Runs due lesson sends, reminders, digests and finishing for every active
 * campaign as of now_ms. Returns the number of emails queued or -1. */
int campaign_tick(struct server *srv, long long now_ms);

/* Done: the employee holds a completion of the recipient row's course that
 * is still valid and, unless skip_completed, was made after the lesson was
 * sent. r names the campaign_recipients row, now and skip are SQL
 * parameters. */
#define CAMPAIGN_SQL_DONE(r, now, skip)                                                        \
	" EXISTS (SELECT 1 FROM completions cp WHERE cp.employee_id = " r ".employee_id"        \
	" AND cp.course_id = " r ".course_id AND (cp.expires_ms IS NULL OR cp.expires_ms > " now \
	") AND (" skip " OR cp.completed_ms >= " r ".queued_ms))"

/* The audience: employee e is active, has an email address, sits in one of
 * the units' subtrees (any unit when none are named) and holds one of the
 * roles (anyone when none are named; "ansatt" is everyone). aud is the SQL
 * parameter holding the audience JSON. */
#define CAMPAIGN_SQL_AUDIENCE(aud)                                                              \
	" e.active = 1 AND coalesce(e.email, '') <> ''"                                          \
	" AND (coalesce(json_array_length(" aud ", '$.units'), 0) = 0 OR EXISTS ("               \
	"SELECT 1 FROM json_each(" aud ", '$.units') a JOIN org_units root ON root.id = a.value" \
	" JOIN org_units u ON u.id = e.unit_id"                                                  \
	" WHERE u.path >= root.path AND u.path < root.path || '~'))"                             \
	" AND (coalesce(json_array_length(" aud ", '$.roles'), 0) = 0"                           \
	" OR EXISTS (SELECT 1 FROM json_each(" aud ", '$.roles') rr WHERE rr.value = 'ansatt')"  \
	" OR EXISTS (SELECT 1 FROM employee_roles er JOIN roles ro ON ro.id = er.role_id"        \
	" JOIN json_each(" aud ", '$.roles') rr ON rr.value = ro.code WHERE er.employee_id = e.id))"

/* ---- definitions (campaign_def.c) ---- */

/* Checks a definition (the API's JSON, see api_campaigns.c) against the
 * database (units, roles, courses, templates) and returns a normalised
 * copy (unit ids, send_at in ms) in *out. Returns 0, or -1 with err in
 * Norwegian. partial: fields not given keep their value in base (an
 * update); base may be NULL. */
int campaign_def_check(struct db *db, const json_t *in, const json_t *base, json_t **out, char *err,
		       size_t errsize);

/* Stores a checked definition as a new draft campaign. Fills *id. Returns
 * 0 or -1. */
int campaign_def_create(struct db *db, const json_t *def, long long *id);

/* Replaces the definition of campaign id (draft or paused). Lessons whose
 * email has been queued cannot change. Returns 0, DB_NOTFOUND, DB_CONFLICT
 * (wrong state or a sent lesson changed; err says which) or DB_ERROR. */
int campaign_def_update(struct db *db, long long id, const json_t *def, char *err, size_t errsize);

/* The stored definition of campaign id as JSON (with status, times and
 * each lesson's queued time), or NULL when there is none. */
json_t *campaign_def_load(struct db *db, long long id);

/* "YYYY-MM-DD", "YYYY-MM-DDTHH:MM" (local time, 08:00 when no time given)
 * -> ms since the epoch. Returns 0 or -1. */
int campaign_parse_time(const char *s, long long *ms);
/* ms -> "YYYY-MM-DDTHH:MM" local time. */
void campaign_format_time(long long ms, char *buf, size_t size);

#endif
