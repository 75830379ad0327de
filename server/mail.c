/* mail.c: the delivery threads (see mail.h).
 *
 * The scheduler thread wakes every mail_tick_seconds: it reloads the link
 * keys, runs the campaign step (campaign.c) and purges old rows. Worker w
 * of N delivers the queued rows whose id % N == w, so workers never race
 * for a row. Before each message a worker books the next slot of the rate
 * limit; after trouble with the server itself (cannot connect, TLS, login)
 * every worker pauses with a growing backoff, while a refusal of one
 * message only delays that message (4xx) or fails it (5xx). */
#include "mail.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "campaign.h"
#include "db.h"
#include "log.h"
#include "mail_compose.h"
#include "mail_mime.h"
#include "mail_outbox.h"
#include "mail_smtp.h"
#include "mail_token.h"
#include "server.h"
#include "session.h"

#define MAX_WORKERS 16
#define BATCH 32
#define PURGE_EVERY_MS (3600LL * 1000)

struct mail;

struct worker_arg {
	struct mail *m;
	int index;
};

struct mail {
	struct server *srv;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	volatile int stopping;
	unsigned long long wakes;
	pthread_t scheduler;
	int scheduler_started;
	pthread_t workers[MAX_WORKERS];
	struct worker_arg args[MAX_WORKERS];
	int nworkers;
	struct smtp_settings smtp;
	int sending;               /* smtp_host set */
	char from_name[MAIL_NAME_MAX + 1], from_addr[MAIL_ADDR_MAX + 1];
	double next_slot_ms;       /* rate limit: earliest start of the next message */
	long long pause_until_ms;  /* server trouble: nobody sends before this */
	int trouble;               /* consecutive server troubles */
	int tick_now;              /* mail_schedule_now() was called */
	pthread_mutex_t tick_lock; /* one campaign step at a time */
	struct mail_keyring ring;
};


/* Waits on the condition until abs_ms (wall clock) or a wake/stop. */
static void wait_until(struct mail *m, long long abs_ms)
{
	struct timespec ts = { (time_t)(abs_ms / 1000), (long)(abs_ms % 1000) * 1000000L };
	pthread_cond_timedwait(&m->cond, &m->lock, &ts);
}

void mail_wake(struct server *srv)
{
	struct mail *m = srv->mail;
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->wakes++;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

int mail_keyring_get(struct server *srv, struct mail_keyring *ring)
{
	struct mail *m = srv->mail;
	if (!m) {
		char err[256];
		return mail_keys_load(srv->db, ring, err, sizeof err);
	}
	pthread_mutex_lock(&m->lock);
	*ring = m->ring;
	pthread_mutex_unlock(&m->lock);
	return ring->n > 0 ? 0 : -1;
}

/* The municipality's name for "{{kommune}}". */
static void municipality(struct db *db, char *buf, size_t size)
{
	snprintf(buf, size, "kommunen");
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'municipality_name'");
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
}

/* Books the next rate-limit slot and sleeps until it. Returns -1 when
 * stopping. */
static int rate_wait(struct mail *m)
{
	long rate = m->srv->cfg.mail_rate_per_minute;
	pthread_mutex_lock(&m->lock);
	double now = (double)session_now_ms();
	double slot = m->next_slot_ms > now ? m->next_slot_ms : now;
	if (rate > 0)
		m->next_slot_ms = slot + 60000.0 / (double)rate;
	while (!m->stopping && (double)session_now_ms() < slot)
		wait_until(m, (long long)slot + 1);
	int stop = m->stopping;
	pthread_mutex_unlock(&m->lock);
	return stop ? -1 : 0;
}

static long long backoff_ms(int attempt, long long base, long long cap)
{
	long long d = base;
	for (int i = 1; i < attempt && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	/* +-20% so retries of many rows do not arrive together. */
	long long jitter = d / 5;
	return d - jitter + (long long)randombytes_uniform((uint32_t)(2 * jitter + 1));
}

struct sent_job {
	struct mail *m;
	long long id;
};

/* before_end: commit the row as sent before the final dot. */
static int commit_sent(void *arg)
{
	struct sent_job *j = arg;
	int changed = 0;
	if (outbox_mark_sent(j->m->srv->db, j->id, session_now_ms(), &changed) != DB_OK)
		return -1;
	return changed ? 0 : -1; /* cancelled meanwhile: do not send */
}

static void server_trouble(struct mail *m, const char *error)
{
	pthread_mutex_lock(&m->lock);
	m->trouble++;
	long long wait = backoff_ms(m->trouble, 2000, 300000);
	m->pause_until_ms = session_now_ms() + wait;
	int n = m->trouble;
	pthread_mutex_unlock(&m->lock);
	char q[600];
	log_event(LOG_WARN, "mail_server_unavailable", "attempt=%d retry_ms=%lld error=%s", n, wait,
		  log_quote(q, sizeof q, error));
}

static void deliver(struct mail *m, struct smtp_client *client, const struct compose_ctx *x, long long id)
{
	struct server *srv = m->srv;
	struct outbox_row r;
	if (outbox_load(srv->db, id, &r) != DB_OK)
		return; /* sent, failed or cancelled meanwhile */
	char err[600], q[700];
	char *msg = NULL;
	size_t len = 0;
	long long now = session_now_ms();
	if (!r.recipient_active) {
		/* Queued before the employee left: nothing goes to leavers. */
		outbox_mark_cancelled(srv->db, id, "the employee is no longer active");
		log_event(LOG_INFO, "mail_cancelled", "id=%lld kind=%s reason=employee_inactive", id, r.kind);
		outbox_row_free(&r);
		return;
	}
	if (mail_compose(x, &r, (time_t)(now / 1000), &msg, &len, err, sizeof err) != 0) {
		/* Nothing to retry: the row itself is bad (address, template). */
		outbox_mark_failed(srv->db, id, now, 1, 1, err);
		log_event(LOG_WARN, "mail_failed", "id=%lld kind=%s error=%s", id, r.kind,
			  log_quote(q, sizeof q, err));
		outbox_row_free(&r);
		return;
	}
	struct sent_job j = { m, id };
	int reached_end = 0;
	db_wait_reads(srv->db); /* what the email says is on disk */
	enum smtp_result res = smtp_send(client, r.to_addr, msg, len, commit_sent, &j, &reached_end, err, sizeof err);
	free(msg);
	now = session_now_ms();
	switch (res) {
	case SMTP_OK:
		pthread_mutex_lock(&m->lock);
		m->trouble = 0;
		pthread_mutex_unlock(&m->lock);
		log_event(LOG_DEBUG, "mail_sent", "id=%lld kind=%s campaign=%lld", id, r.kind, r.campaign_id);
		break;
	case SMTP_ABORTED:
		break; /* stopping, or no longer queued: the row stays as it is */
	case SMTP_CONNFAIL:
		/* Not this message's fault: no attempt is counted. */
		if (reached_end)
			outbox_mark_failed(srv->db, id, now, 0, 0, err);
		server_trouble(m, err);
		break;
	case SMTP_TEMPFAIL:
	case SMTP_PERMFAIL: {
		int final = res == SMTP_PERMFAIL || r.attempts + 1 >= srv->cfg.mail_max_attempts;
		long long next = now + backoff_ms(r.attempts + 1, srv->cfg.mail_retry_seconds * 1000, 6 * 3600000LL);
		outbox_mark_failed(srv->db, id, next, 1, final, err);
		log_event(final ? LOG_WARN : LOG_INFO, final ? "mail_failed" : "mail_deferred",
			  "id=%lld kind=%s attempts=%d error=%s", id, r.kind, r.attempts + 1,
			  log_quote(q, sizeof q, err));
		break;
	}
	}
	outbox_row_free(&r);
}

static void *worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	struct mail *m = wa->m;
	struct server *srv = m->srv;
	struct smtp_client *client = smtp_client_new(&m->smtp, &m->stopping);
	if (!client) {
		log_event(LOG_ERROR, "mail_worker_failed", "worker=%d error=\"curl could not start\"", wa->index);
		return NULL;
	}
	char town[256];
	long long ids[BATCH];
	for (;;) {
		pthread_mutex_lock(&m->lock);
		while (!m->stopping && session_now_ms() < m->pause_until_ms)
			wait_until(m, m->pause_until_ms);
		int stop = m->stopping;
		unsigned long long seen = m->wakes;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;

		long long now = session_now_ms(), next = 0;
		int n = outbox_due(srv->db, now, wa->index, m->nworkers, ids, BATCH, &next);
		if (n > 0) {
			struct mail_keyring ring;
			mail_keyring_get(srv, &ring);
			municipality(srv->db, town, sizeof town);
			struct compose_ctx x = { srv->db, &ring, srv->cfg.public_url, town,
						 srv->cfg.mail_contact_line, m->from_name, m->from_addr, 0 };
			for (int i = 0; i < n; i++) {
				if (rate_wait(m) != 0)
					break;
				pthread_mutex_lock(&m->lock);
				int paused = session_now_ms() < m->pause_until_ms;
				pthread_mutex_unlock(&m->lock);
				if (paused)
					break;
				deliver(m, client, &x, ids[i]);
			}
			continue;
		}
		/* Nothing due: sleep until the next due row, a wake or a tick. */
		long long until = session_now_ms() + srv->cfg.mail_tick_seconds * 1000;
		if (n == 0 && next > 0 && next < until)
			until = next;
		pthread_mutex_lock(&m->lock);
		if (!m->stopping && m->wakes == seen)
			wait_until(m, until);
		pthread_mutex_unlock(&m->lock);
	}
	smtp_client_free(client);
	return NULL;
}

static void *scheduler_main(void *arg)
{
	struct mail *m = arg;
	struct server *srv = m->srv;
	long long last_purge = 0;
	for (;;) {
		long long now = session_now_ms();
		struct mail_keyring ring;
		char err[256];
		if (mail_keys_load(srv->db, &ring, err, sizeof err) == 0) {
			pthread_mutex_lock(&m->lock);
			m->ring = ring;
			pthread_mutex_unlock(&m->lock);
		}
		mail_tick(srv, now);
		if (now - last_purge >= PURGE_EVERY_MS) {
			int n = outbox_purge(srv->db, now - srv->cfg.mail_keep_days * 86400000LL);
			if (n > 0)
				log_event(LOG_INFO, "mail_purged", "rows=%d", n);
			last_purge = now;
		}
		pthread_mutex_lock(&m->lock);
		long long until = now + srv->cfg.mail_tick_seconds * 1000;
		while (!m->stopping && !m->tick_now && session_now_ms() < until)
			wait_until(m, until);
		m->tick_now = 0;
		int stop = m->stopping;
		pthread_mutex_unlock(&m->lock);
		if (stop)
			break;
	}
	return NULL;
}

void mail_schedule_now(struct server *srv)
{
	struct mail *m = srv->mail;
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->tick_now = 1;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
}

int mail_tick(struct server *srv, long long now_ms)
{
	struct mail *m = srv->mail;
	if (m)
		pthread_mutex_lock(&m->tick_lock);
	int n = campaign_tick(srv, now_ms);
	if (m)
		pthread_mutex_unlock(&m->tick_lock);
	if (n > 0)
		mail_wake(srv);
	return n;
}

int mail_start(struct server *srv, char *err, size_t errsize)
{
	err[0] = '\0';
	struct mail *m = calloc(1, sizeof *m);
	if (!m) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	m->srv = srv;
	int rc = smtp_settings_from_config(&srv->cfg, &m->smtp, err, errsize);
	if (rc < 0) {
		free(m);
		return -1;
	}
	m->sending = rc == 0;
	if (mail_parse_mailbox(srv->cfg.mail_from, m->from_name, sizeof m->from_name, m->from_addr,
			       sizeof m->from_addr) != 0 ||
	    mail_keys_load(srv->db, &m->ring, err, errsize) != 0) {
		if (!err[0])
			snprintf(err, errsize, "config key mail_from: not an address");
		free(m);
		return -1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsize, "libcurl could not start");
		free(m);
		return -1;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_mutex_init(&m->tick_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_REALTIME);
	pthread_cond_init(&m->cond, &ca);
	pthread_condattr_destroy(&ca);
	srv->mail = m;

	if (pthread_create(&m->scheduler, NULL, scheduler_main, m) != 0) {
		snprintf(err, errsize, "the mail scheduler could not start");
		srv->mail = NULL;
		free(m);
		return -1;
	}
	m->scheduler_started = 1;
	if (m->sending) {
		for (int i = 0; i < srv->cfg.mail_connections && i < MAX_WORKERS; i++) {
			m->args[i] = (struct worker_arg){ m, i };
			m->nworkers = i + 1; /* read by workers for the partition */
		}
		int started = 0;
		for (int i = 0; i < m->nworkers; i++)
			if (pthread_create(&m->workers[i], NULL, worker_main, &m->args[i]) == 0)
				started++;
			else
				break;
		if (started < m->nworkers) {
			snprintf(err, errsize, "the mail workers could not start");
			m->nworkers = started;
			mail_stop(srv);
			return -1;
		}
		char q[700];
		log_event(LOG_INFO, "mail_started", "smtp=%s connections=%d rate_per_minute=%ld",
			  log_quote(q, sizeof q, m->smtp.url), m->nworkers, srv->cfg.mail_rate_per_minute);
	} else {
		log_event(LOG_WARN, "mail_not_sending", "reason=\"smtp_host is not set: email is queued, not sent\"");
	}
	return 0;
}

void mail_stop(struct server *srv)
{
	struct mail *m = srv->mail;
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->stopping = 1;
	pthread_cond_broadcast(&m->cond);
	pthread_mutex_unlock(&m->lock);
	for (int i = 0; i < m->nworkers; i++)
		pthread_join(m->workers[i], NULL);
	if (m->scheduler_started)
		pthread_join(m->scheduler, NULL);
	srv->mail = NULL;
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	pthread_mutex_destroy(&m->tick_lock);
	sodium_memzero(&m->ring, sizeof m->ring);
	sodium_memzero(&m->smtp, sizeof m->smtp);
	free(m);
	curl_global_cleanup();
}

int mail_counts_get(struct db *db, long long now_ms, struct mail_counts *out)
{
	memset(out, 0, sizeof *out);
	struct db_conn *c = db_reader_get(db);
	int rc = -1;
	sqlite3_stmt *st = db_stmt(c, "SELECT status, count(*), sum(status = 'queued' AND next_attempt_ms <= ?)"
				      " FROM mail_outbox GROUP BY status");
	if (st) {
		sqlite3_bind_int64(st, 1, now_ms);
		int s;
		while ((s = sqlite3_step(st)) == SQLITE_ROW) {
			const char *status = (const char *)sqlite3_column_text(st, 0);
			long long n = sqlite3_column_int64(st, 1);
			if (strcmp(status, "queued") == 0) {
				out->queued = n;
				out->due = sqlite3_column_int64(st, 2);
			} else if (strcmp(status, "sent") == 0) {
				out->sent = n;
			} else if (strcmp(status, "failed") == 0) {
				out->failed = n;
			} else if (strcmp(status, "cancelled") == 0) {
				out->cancelled = n;
			}
		}
		rc = s == SQLITE_DONE ? 0 : -1;
	}
	db_reader_put(db, c);
	return rc;
}
