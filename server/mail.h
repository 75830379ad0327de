/* mail.h: email lessons, the public face of the mail subsystem.
 *
 * Any part of Vern (views, plugins, campaigns, the link pages) queues
 * email here; mail_start() runs the delivery: one scheduler thread that
 * checks campaigns every mail_tick_seconds (due lessons, reminders, leader
 * digests) and mail_connections worker threads that take due rows from
 * the outbox and deliver them over SMTP, at most mail_rate_per_minute,
 * retrying with backoff. See mail_outbox.h for the exactly-once rule.
 *
 * Files: mail_queue.c (queueing), mail_compose.c (rendering),
 * mail_template.c, mail_mime.c, mail_smtp.c, mail_token.c (links),
 * mail_link.c (the pages behind links), campaign.c, api_campaigns.c,
 * api_mail.c, mail_cli.c, mail_demo.c. */
#ifndef VERN_MAIL_H
#define VERN_MAIL_H

#include <stddef.h>

struct config;
struct db;
struct db_conn;
struct server;
struct mail_keyring;

/* Starts the scheduler and the workers (after http_start, so public_url
 * is known). Mail is only queued, not sent, when smtp_host is empty.
 * Returns 0 or -1 with err (a bad smtp_tls or mail_from). */
int mail_start(struct server *srv, char *err, size_t errsize);

/* Stops the threads: transfers that have not reached their final dot are
 * abandoned (the rows stay queued), the rest finish. Safe when not
 * started. */
void mail_stop(struct server *srv);

/* Tells the workers that mail was queued (no-op when not started). */
void mail_wake(struct server *srv);

/* Copies the current link keys. Returns 0 or -1. */
int mail_keyring_get(struct server *srv, struct mail_keyring *ring);

/* Queues a lesson email with a fresh link for employee_id and course_id,
 * rendered from template_name (a template of kind lesson: "leksjon",
 * "paminnelse", "ny-lenke" or one an admin made). The deadline is the
 * employee's assignment or campaign deadline, else 14 days from now. An
 * identical email queued in the last 10 minutes is not queued again (0 is
 * returned). Returns 0, or -1 with err in Norwegian (unknown or inactive
 * employee, no email address, unknown course or template). */
int mail_enqueue_lesson(struct server *srv, long long employee_id, const char *course_id,
			const char *template_name, char *err, size_t errsize);

/* Queues an email with its own subject, plain text and (optional, NULL)
 * HTML fragment; Vern adds its layout and the contact line. Returns 0, or
 * -1 with err (bad address, subject with a line break, not UTF-8, too
 * long). */
int mail_enqueue(struct server *srv, const char *to, const char *subject, const char *text,
		 const char *html, char *err, size_t errsize);

/* The same two on a write connection, for use inside a db_write job (the
 * plugin host's commit): they do not wake the workers (they find the row
 * within mail_tick_seconds; call mail_wake after the commit when a server
 * is at hand). Return DB_OK, DB_INVALID with err (Norwegian; roll the job
 * back or go on) or DB_ERROR. *queued (may be NULL) is 0 when an identical
 * lesson email went out in the last 10 minutes. Do not call mail_enqueue*
 * from inside a db_write job: they run their own. */
int mail_queue_lesson_in(struct db_conn *c, const struct config *cfg, long long employee_id,
			 const char *course_id, const char *template_name, long long now_ms, int *queued,
			 char *err, size_t errsize);
int mail_queue_in(struct db_conn *c, const struct config *cfg, const char *to, const char *subject,
		  const char *text, const char *html, long long now_ms, char *err, size_t errsize);

/* Checks an email of its own before it is queued: to (NULL: not known
 * yet, an employee's address read when it is queued) is an address we
 * send to, subject one line of UTF-8 (1..300 bytes, no control bytes),
 * text 1..256 KB of UTF-8, html (NULL: none) as long at most. Returns 0,
 * or -1 with err in Norwegian. mail_queue_in and mail_enqueue check the
 * same. */
int mail_generic_check(const char *to, const char *subject, const char *text, const char *html,
		       char *err, size_t errsize);

/* Queues one email to the employee with fresh links to every campaign
 * lesson they have not completed (the "send me a new link" form). At most
 * one such email per employee every 10 minutes. Returns 1 if queued, 0 if
 * there was nothing to send (or it was sent just now), -1 on error. */
int mail_enqueue_open_links(struct server *srv, long long employee_id);

/* Asks the scheduler thread to run the campaign step now (after a
 * campaign is started), instead of at its next tick. */
void mail_schedule_now(struct server *srv);

/* Runs the campaign scheduler once as if the time were now_ms (the
 * scheduler thread calls it; tests call it through /api/test/mail-tick).
 * Returns the number of emails queued or -1. */
int mail_tick(struct server *srv, long long now_ms);

/* Counts of outbox rows by status, for `vern mail status` and the admin
 * API. */
struct mail_counts {
	long long queued, sent, failed, cancelled, due;
};
int mail_counts_get(struct db *db, long long now_ms, struct mail_counts *out);

#endif
