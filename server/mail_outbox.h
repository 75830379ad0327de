/* mail_outbox.h: the outbox table (mail_outbox, migration 009): queueing,
 * picking due rows, and recording each delivery's outcome.
 *
 * Rows are queued inside db_write jobs (so a campaign step and its emails
 * commit together) and change state only through these functions:
 * queued -> sent (committed just before the final dot of the SMTP DATA),
 * queued -> queued later (temporary failure, with backoff),
 * queued -> failed (permanent failure or too many attempts),
 * queued -> cancelled (a campaign paused or finished, or the employee
 * has left). */
#ifndef VERN_MAIL_OUTBOX_H
#define VERN_MAIL_OUTBOX_H

#include <stddef.h>

struct db;
struct db_conn;

#define MAIL_MESSAGE_ID_MAX 160

/* A row to queue. Either template (+ vars, a JSON object text) or subject
 * and text (+ html). dedup_key, when not NULL, makes the insert a no-op if
 * a row with that key exists. */
struct outbox_new {
	const char *dedup_key;
	const char *kind;
	const char *to_addr, *to_name;
	long long employee_id, campaign_id; /* 0: none */
	const char *course_id;              /* NULL: none */
	const char *template, *vars;
	const char *subject, *text, *html;
	long long now_ms;
	const char *domain;                 /* for the Message-ID */
};

/* Queues n inside a write job. *queued (may be NULL) is 1 when a row was
 * added, 0 when the dedup key already existed. Returns DB_OK or DB_ERROR. */
int outbox_insert(struct db_conn *c, const struct outbox_new *n, int *queued);

/* A Message-ID "hex32@domain" into buf (MAIL_MESSAGE_ID_MAX). */
void outbox_message_id(const char *domain, char *buf, size_t size);

struct outbox_row {
	long long id;
	char kind[16];
	char to_addr[256], to_name[256];
	long long employee_id, campaign_id;
	char course_id[128];
	char template[72];
	char *vars, *subject, *text, *html; /* owned, may be NULL */
	char message_id[MAIL_MESSAGE_ID_MAX];
	int attempts;
	int recipient_active;  /* 0 when the row's employee has left since */
};

/* Ids of queued rows due at now whose id % parts == part, oldest first, at
 * most max. Returns the count (>= 0) or -1. *next_ms gets the earliest due
 * time of a later row in that part (0 when none). */
int outbox_due(struct db *db, long long now, int part, int parts, long long *ids, int max,
	       long long *next_ms);

/* Loads a row that is still queued. Returns 0, DB_NOTFOUND or DB_ERROR. */
int outbox_load(struct db *db, long long id, struct outbox_row *r);
void outbox_row_free(struct outbox_row *r);

/* queued -> sent. *changed is 0 when the row was no longer queued (then
 * it must not be sent). Committed with db_write_now, on the sender's own
 * thread and without an fsync, so the final dot follows the commit within
 * microseconds: a server killed between the two loses that one email, and
 * the window is kept as short as the machine allows (a commit through the
 * group-commit writer kept it open for the fsync and a thread switch,
 * milliseconds, and SIGKILL tests lost an email in about one run of three). */
int outbox_mark_sent(struct db *db, long long id, long long now, int *changed);

/* After a failure: back to queued at next_ms with error, counting the
 * attempt when count is set; failed instead when final is set. A row that
 * was already marked sent (the failure came after the final dot) is put
 * back the same way. */
int outbox_mark_failed(struct db *db, long long id, long long next_ms, int count, int final,
		       const char *error);

/* queued -> cancelled, with why as the reason (the employee has left). */
int outbox_mark_cancelled(struct db *db, long long id, const char *why);

/* Deletes sent, failed and cancelled rows older than before_ms. Returns
 * the number removed or -1. */
int outbox_purge(struct db *db, long long before_ms);

#endif
