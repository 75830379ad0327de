/* retention_job.c: the daily retention run inside `vern serve`, and the
 * `vern retention` command (see retention.h). The thread wakes every
 * minute; once the local hour has reached retention_hour and no run has
 * been recorded for today, it runs. A restart never skips a day nor runs
 * twice on one. */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "log.h"
#include "server.h"
#include "session.h"

struct retention_job {
	struct server *srv;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stopping;
};

static void today(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

/* 1 when today's run is due and not yet done. */
static int due(struct server *srv)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	if (tm.tm_hour < srv->cfg.retention_hour)
		return 0;
	char day[16];
	today(day, sizeof(day));
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM retention_runs WHERE as_of = ? AND finished = 1");
	int done = 1;
	if (st) {
		sqlite3_bind_text(st, 1, day, -1, SQLITE_STATIC);
		done = sqlite3_step(st) == SQLITE_ROW;
	}
	db_reader_put(srv->db, c);
	return !done;
}

static void *job_main(void *arg)
{
	struct retention_job *job = arg;
	pthread_mutex_lock(&job->lock);
	/* Not at once: a server that just started has other work first. */
	struct timespec first;
	clock_gettime(CLOCK_REALTIME, &first);
	first.tv_sec += job->srv->cfg.retention_start_delay_seconds;
	while (!job->stopping && pthread_cond_timedwait(&job->wake, &job->lock, &first) != ETIMEDOUT)
		;
	while (!job->stopping) {
		pthread_mutex_unlock(&job->lock);
		if (due(job->srv)) {
			struct retention_counts n;
			(void)retention_run(job->srv->db, &job->srv->cfg, job->srv->cfg.public_url,
					    session_now_ms(), &n);
		}
		pthread_mutex_lock(&job->lock);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 60;
		while (!job->stopping && pthread_cond_timedwait(&job->wake, &job->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&job->lock);
	return NULL;
}

struct retention_job *retention_job_start(struct server *srv)
{
	if (!srv->cfg.retention_job)
		return NULL;
	struct retention_job *job = calloc(1, sizeof(*job));
	if (!job)
		return NULL;
	job->srv = srv;
	pthread_mutex_init(&job->lock, NULL);
	pthread_cond_init(&job->wake, NULL);
	if (pthread_create(&job->thread, NULL, job_main, job) != 0) {
		log_event(LOG_ERROR, "retention_job_failed", "error=\"thread could not start\"");
		pthread_cond_destroy(&job->wake);
		pthread_mutex_destroy(&job->lock);
		free(job);
		return NULL;
	}
	return job;
}

void retention_job_stop(struct retention_job *job)
{
	if (!job)
		return;
	pthread_mutex_lock(&job->lock);
	job->stopping = 1;
	pthread_cond_signal(&job->wake);
	pthread_mutex_unlock(&job->lock);
	pthread_join(job->thread, NULL);
	pthread_cond_destroy(&job->wake);
	pthread_mutex_destroy(&job->lock);
	free(job);
}

/* Local noon of a YYYY-MM-DD date in ms, or -1 when it is not a date. */
static long long date_ms(const char *s)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char *end = strptime(s, "%Y-%m-%d", &tm);
	if (!end || *end || strlen(s) != 10)
		return -1;
	int mday = tm.tm_mday, mon = tm.tm_mon;
	tm.tm_hour = 12;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != mday || tm.tm_mon != mon)
		return -1;
	return (long long)t * 1000;
}

int retention_command(const struct config *cfg, struct db *db, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "policy") == 0) {
		struct db_conn *c = db_reader_get(db);
		json_t *p = retention_policy(cfg, c);
		db_reader_put(db, c);
		if (!p)
			return 1;
		printf("%s\n", json_string_value(json_object_get(p, "text")));
		json_decref(p);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "run") == 0 && (argc == 1 || (argc == 3 && strcmp(argv[1], "--now") == 0))) {
		long long now = session_now_ms();
		if (argc == 3 && (now = date_ms(argv[2])) < 0) {
			fprintf(stderr, "vern retention run: --now needs a date YYYY-MM-DD\n");
			return 2;
		}
		if (!cfg->public_url[0])
			fprintf(stderr, "vern retention: public_url is not set; leavers' statements are found "
					"by the employee agent's homePage, so set it as for `vern serve`\n");
		struct retention_counts n;
		int rc = retention_run(db, cfg, cfg->public_url, now, &n);
		printf("statements pseudonymised: %lld\nstatements deleted: %lld\ndocuments deleted: %lld\n"
		       "course attempts deleted: %lld\nleavers processed: %lld\nexpired sessions deleted: %lld\n",
		       n.pseudonymised, n.deleted, n.documents, n.attempts, n.employees, n.sessions);
		if (rc != 0) {
			fprintf(stderr, "vern retention run: storage failed; the run stopped part way\n");
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "Usage: vern retention run [--now YYYY-MM-DD]\n"
			"       vern retention policy\n");
	return 2;
}
