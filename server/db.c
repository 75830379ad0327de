/* db.c: SQLite storage, the group-commit writer and the reader pool.
 *
 * Design
 * ------
 * SQLite allows one writer at a time. Instead of letting request threads
 * fight over the write lock (and pay one fsync each), every write is a job
 * handed to a single writer thread that owns the only read-write
 * connection:
 *
 *   request thread                      writer thread
 *   --------------                      -------------
 *   db_write(fn, arg)  -- enqueue -->   take every queued job (a batch)
 *   waits on its own semaphore          BEGIN IMMEDIATE
 *                                       for each job: SAVEPOINT; fn(); RELEASE
 *                                         (or ROLLBACK TO on the job's error)
 *                                       COMMIT  (WAL + synchronous=FULL: fsync)
 *   wakes with fn's result   <-- post - each job's semaphore
 *
 * While one batch commits, new jobs queue up and form the next batch, so
 * under load many requests share one fsync (group commit), and a request is
 * answered only after its data is on disk. A job that fails is rolled back
 * alone through its savepoint; a failed COMMIT fails every job in the batch.
 * Jobs must only run SQL: parsing and validation happen before db_write().
 *
 * Reads use a fixed pool of separate connections (WAL lets them read a
 * consistent snapshot while the writer commits). Every connection caches
 * its prepared statements, keyed by SQL text.
 *
 * Migrations are numbered SQL files in server/migrations/, compiled into
 * the binary (build/gen/migrations.c) and applied in order at open, each in
 * its own transaction, recorded in schema_version. */
#include "db.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "migrations.h"

#define STMT_CACHE_MAX 256
#define BATCH_MAX 4096

struct stmt_entry {
	const char *sql;
	sqlite3_stmt *st;
};

struct db_conn {
	sqlite3 *h;
	struct stmt_entry cache[STMT_CACHE_MAX];
	int ncache;
	struct db_conn *next_free;
};

struct db_job {
	db_write_fn fn;
	void *arg;
	int rc;
	sem_t done;
	struct db_job *next;
};

struct db {
	struct db_conn writer;
	pthread_t writer_thread;
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct db_job *qhead, *qtail;
	int stopping;

	struct db_conn *readers;
	int nreaders;
	struct db_conn *free_readers;
	pthread_mutex_t rlock;
	pthread_cond_t rcond;

	unsigned long long commits, jobs;
};

/* ---- connections and the statement cache ---- */

sqlite3 *db_handle(struct db_conn *c) { return c->h; }

sqlite3_stmt *db_stmt(struct db_conn *c, const char *sql)
{
	/* Callers pass literals: match by address first, by text only after. */
	int hit = -1;
	for (int i = 0; i < c->ncache && hit < 0; i++)
		if (c->cache[i].sql == sql)
			hit = i;
	for (int i = 0; i < c->ncache && hit < 0; i++)
		if (strcmp(c->cache[i].sql, sql) == 0)
			hit = i;
	for (int i = hit; i >= 0; i = -1) {
		{
			sqlite3_stmt *st = c->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		log_event(LOG_ERROR, "db_prepare_failed", "error=\"%s\"",
			  sqlite3_errmsg(c->h));
		return NULL;
	}
	if (c->ncache < STMT_CACHE_MAX) {
		c->cache[c->ncache].sql = sql;
		c->cache[c->ncache].st = st;
		c->ncache++;
	} else {
		/* Cache full: a caller builds SQL dynamically. Keep working, but
		 * evict the oldest entry so memory stays bounded. */
		sqlite3_finalize(c->cache[0].st);
		memmove(&c->cache[0], &c->cache[1],
			sizeof(c->cache[0]) * (STMT_CACHE_MAX - 1));
		c->cache[STMT_CACHE_MAX - 1].sql = sql;
		c->cache[STMT_CACHE_MAX - 1].st = st;
	}
	return st;
}

static void conn_reset_all(struct db_conn *c)
{
	for (int i = 0; i < c->ncache; i++)
		sqlite3_reset(c->cache[i].st);
}

static void conn_close(struct db_conn *c)
{
	for (int i = 0; i < c->ncache; i++)
		sqlite3_finalize(c->cache[i].st);
	c->ncache = 0;
	if (c->h)
		sqlite3_close(c->h);
	c->h = NULL;
}

int db_step_error(struct db_conn *c, int rc, const char *what)
{
	int primary = rc & 0xff;
	if (primary == SQLITE_CONSTRAINT)
		return DB_CONFLICT;
	log_event(LOG_ERROR, "db_error", "what=%s code=%d error=\"%s\"", what, rc,
		  sqlite3_errmsg(c->h));
	return DB_ERROR;
}

int db_exec_stmt(struct db_conn *c, sqlite3_stmt *st, const char *what)
{
	if (!st)
		return DB_ERROR;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	int out = rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, what);
	sqlite3_reset(st);
	return out;
}

static int exec_sql(sqlite3 *h, const char *sql, char *err, size_t errsize)
{
	char *msg = NULL;
	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsize, "%s", msg ? msg : sqlite3_errmsg(h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int open_conn(struct db_conn *c, const char *path, int readonly,
		     const struct db_options *opt, char *err, size_t errsize)
{
	memset(c, 0, sizeof(*c));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (!readonly)
		flags |= SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &c->h, flags, NULL) != SQLITE_OK) {
		snprintf(err, errsize, "cannot open database %s: %s", path,
			 c->h ? sqlite3_errmsg(c->h) : "out of memory");
		conn_close(c);
		return -1;
	}
	sqlite3_busy_timeout(c->h, opt->busy_timeout_ms);
	sqlite3_extended_result_codes(c->h, 1);
	const char *pragmas = readonly
		? "PRAGMA foreign_keys=ON; PRAGMA query_only=ON; PRAGMA cache_size=-16384;"
		  " PRAGMA mmap_size=268435456;"
		: "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		  " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
		  /* The writer keeps the hot index pages (statement_index grows by
		   * several rows per statement) in memory: 64 MB page cache. */
		  " PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;";
	if (exec_sql(c->h, pragmas, err, errsize) != 0) {
		conn_close(c);
		return -1;
	}
	if (!readonly) {
		sqlite3_stmt *st = NULL;
		int wal = 0;
		if (sqlite3_prepare_v2(c->h, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
		sqlite3_finalize(st);
		if (!wal) {
			snprintf(err, errsize, "database %s could not be put in WAL mode", path);
			conn_close(c);
			return -1;
		}
	}
	return 0;
}

/* ---- migrations ---- */

int db_schema_version_known(void)
{
	return db_migrations_count > 0 ? db_migrations[db_migrations_count - 1].version : 0;
}

static int current_version(sqlite3 *h, int *out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT coalesce(max(version), 0) FROM schema_version",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

int db_migrate(sqlite3 *h, char *err, size_t errsize)
{
	if (exec_sql(h,
		     "CREATE TABLE IF NOT EXISTS schema_version("
		     " version INTEGER PRIMARY KEY,"
		     " name TEXT NOT NULL,"
		     " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
		     err, errsize) != 0)
		return -1;
	int have = 0;
	if (current_version(h, &have) != 0) {
		snprintf(err, errsize, "cannot read schema_version: %s", sqlite3_errmsg(h));
		return -1;
	}
	if (have > db_schema_version_known()) {
		snprintf(err, errsize,
			 "database schema version %d is newer than this program knows (%d)",
			 have, db_schema_version_known());
		return -1;
	}
	int applied = 0;
	for (int i = 0; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];
		if (m->version <= have)
			continue;
		char msg[512];
		if (exec_sql(h, "BEGIN IMMEDIATE", msg, sizeof(msg)) != 0 ||
		    exec_sql(h, m->sql, msg, sizeof(msg)) != 0) {
			snprintf(err, errsize, "migration %03d_%s failed: %s", m->version,
				 m->name, msg);
			(void)exec_sql(h, "ROLLBACK", msg, sizeof(msg));
			return -1;
		}
		sqlite3_stmt *st = NULL;
		int ok = sqlite3_prepare_v2(h, "INSERT INTO schema_version(version, name) VALUES(?, ?)",
					    -1, &st, NULL) == SQLITE_OK;
		if (ok) {
			sqlite3_bind_int(st, 1, m->version);
			sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
			ok = sqlite3_step(st) == SQLITE_DONE;
		}
		sqlite3_finalize(st);
		if (!ok || exec_sql(h, "COMMIT", msg, sizeof(msg)) != 0) {
			snprintf(err, errsize, "migration %03d_%s could not be recorded: %s",
				 m->version, m->name, sqlite3_errmsg(h));
			(void)exec_sql(h, "ROLLBACK", msg, sizeof(msg));
			return -1;
		}
		log_event(LOG_INFO, "migration_applied", "version=%d name=%s", m->version, m->name);
		applied++;
	}
	return applied;
}

/* ---- the writer ---- */

static void run_batch(struct db *db, struct db_job *batch)
{
	struct db_conn *w = &db->writer;
	char err[256];
	int begun = exec_sql(w->h, "BEGIN IMMEDIATE", err, sizeof(err)) == 0;
	if (!begun)
		log_event(LOG_ERROR, "db_begin_failed", "error=\"%s\"", err);
	int any_ok = 0;
	for (struct db_job *j = batch; j; j = j->next) {
		if (!begun) {
			j->rc = DB_ERROR;
			continue;
		}
		if (exec_sql(w->h, "SAVEPOINT job", err, sizeof(err)) != 0) {
			j->rc = DB_ERROR;
			continue;
		}
		j->rc = j->fn(w, j->arg);
		conn_reset_all(w);
		if (j->rc != 0)
			(void)exec_sql(w->h, "ROLLBACK TO job", err, sizeof(err));
		else
			any_ok = 1;
		(void)exec_sql(w->h, "RELEASE job", err, sizeof(err));
	}
	if (begun) {
		if (exec_sql(w->h, any_ok ? "COMMIT" : "ROLLBACK", err, sizeof(err)) != 0) {
			log_event(LOG_ERROR, "db_commit_failed", "error=\"%s\"", err);
			(void)exec_sql(w->h, "ROLLBACK", err, sizeof(err));
			for (struct db_job *j = batch; j; j = j->next)
				if (j->rc == 0)
					j->rc = DB_ERROR;
		}
	}
	unsigned long n = 0;
	struct db_job *next;
	for (struct db_job *j = batch; j; j = next) {
		next = j->next; /* j lives on the waiter's stack: read before posting */
		n++;
		sem_post(&j->done);
	}
	__atomic_add_fetch(&db->commits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&db->jobs, n, __ATOMIC_RELAXED);
}

static void *writer_main(void *arg)
{
	struct db *db = arg;
	for (;;) {
		pthread_mutex_lock(&db->qlock);
		while (!db->qhead && !db->stopping)
			pthread_cond_wait(&db->qcond, &db->qlock);
		if (!db->qhead && db->stopping) {
			pthread_mutex_unlock(&db->qlock);
			break;
		}
		/* Take up to BATCH_MAX jobs; the rest wait for the next commit. */
		struct db_job *batch = db->qhead, *last = batch;
		int n = 1;
		while (last->next && n < BATCH_MAX) {
			last = last->next;
			n++;
		}
		db->qhead = last->next;
		if (!db->qhead)
			db->qtail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&db->qlock);
		run_batch(db, batch);
	}
	return NULL;
}

int db_write(struct db *db, db_write_fn fn, void *arg)
{
	struct db_job job = { .fn = fn, .arg = arg, .rc = DB_ERROR, .next = NULL };
	sem_init(&job.done, 0, 0);
	pthread_mutex_lock(&db->qlock);
	if (db->stopping) {
		pthread_mutex_unlock(&db->qlock);
		sem_destroy(&job.done);
		return DB_STOPPED;
	}
	if (db->qtail)
		db->qtail->next = &job;
	else
		db->qhead = &job;
	db->qtail = &job;
	pthread_cond_signal(&db->qcond);
	pthread_mutex_unlock(&db->qlock);
	while (sem_wait(&job.done) != 0 && errno == EINTR)
		;
	sem_destroy(&job.done);
	return job.rc;
}

/* ---- readers ---- */

struct db_conn *db_reader_get(struct db *db)
{
	pthread_mutex_lock(&db->rlock);
	while (!db->free_readers)
		pthread_cond_wait(&db->rcond, &db->rlock);
	struct db_conn *c = db->free_readers;
	db->free_readers = c->next_free;
	pthread_mutex_unlock(&db->rlock);
	return c;
}

void db_reader_put(struct db *db, struct db_conn *c)
{
	if (!c)
		return;
	conn_reset_all(c); /* ends the read transaction so checkpoints can run */
	pthread_mutex_lock(&db->rlock);
	c->next_free = db->free_readers;
	db->free_readers = c;
	pthread_cond_signal(&db->rcond);
	pthread_mutex_unlock(&db->rlock);
}

int db_ping(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT 1");
	int ok = st && sqlite3_step(st) == SQLITE_ROW;
	db_reader_put(db, c);
	return ok ? 0 : -1;
}

/* ---- open and close ---- */

static int make_parent_dir(const char *path, char *err, size_t errsize)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errsize, "cannot create directory %s: %s", dir, strerror(errno));
	return -1;
}

int db_open(struct db **out, const char *path, const struct db_options *opt,
	    char *err, size_t errsize)
{
	*out = NULL;
	if (make_parent_dir(path, err, errsize) != 0)
		return -1;
	struct db *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	pthread_mutex_init(&db->qlock, NULL);
	pthread_cond_init(&db->qcond, NULL);
	pthread_mutex_init(&db->rlock, NULL);
	pthread_cond_init(&db->rcond, NULL);
	if (open_conn(&db->writer, path, 0, opt, err, errsize) != 0)
		goto fail;
	if (db_migrate(db->writer.h, err, errsize) < 0)
		goto fail;
	db->nreaders = opt->read_connections > 0 ? opt->read_connections : 4;
	db->readers = calloc((size_t)db->nreaders, sizeof(*db->readers));
	if (!db->readers) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	for (int i = 0; i < db->nreaders; i++) {
		if (open_conn(&db->readers[i], path, 1, opt, err, errsize) != 0)
			goto fail;
		db->readers[i].next_free = db->free_readers;
		db->free_readers = &db->readers[i];
	}
	if (pthread_create(&db->writer_thread, NULL, writer_main, db) != 0) {
		snprintf(err, errsize, "cannot start the writer thread");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	for (int i = 0; db->readers && i < db->nreaders; i++)
		conn_close(&db->readers[i]);
	free(db->readers);
	conn_close(&db->writer);
	free(db);
	return -1;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&db->qlock);
	db->stopping = 1;
	pthread_cond_signal(&db->qcond);
	pthread_mutex_unlock(&db->qlock);
	pthread_join(db->writer_thread, NULL);
	for (int i = 0; i < db->nreaders; i++)
		conn_close(&db->readers[i]);
	free(db->readers);
	char err[256];
	if (exec_sql(db->writer.h, "PRAGMA wal_checkpoint(TRUNCATE)", err, sizeof(err)) != 0)
		log_event(LOG_WARN, "db_checkpoint_failed", "error=\"%s\"", err);
	conn_close(&db->writer);
	pthread_mutex_destroy(&db->qlock);
	pthread_cond_destroy(&db->qcond);
	pthread_mutex_destroy(&db->rlock);
	pthread_cond_destroy(&db->rcond);
	free(db);
}

void db_get_stats(struct db *db, struct db_stats *out)
{
	out->commits = __atomic_load_n(&db->commits, __ATOMIC_RELAXED);
	out->jobs = __atomic_load_n(&db->jobs, __ATOMIC_RELAXED);
}

/* ---- backup ---- */

int db_backup(const char *src, const char *dest, char *err, size_t errsize)
{
	if (access(src, R_OK) != 0) {
		snprintf(err, errsize, "cannot read database %s: %s", src, strerror(errno));
		return -1;
	}
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dest, (long)getpid()) >= (int)sizeof(tmp)) {
		snprintf(err, errsize, "destination path too long");
		return -1;
	}
	sqlite3 *from = NULL, *to = NULL;
	int rc = -1;
	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errsize, "cannot open %s: %s", src, sqlite3_errmsg(from));
		goto out;
	}
	sqlite3_busy_timeout(from, 10000);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		snprintf(err, errsize, "cannot create %s: %s", tmp, sqlite3_errmsg(to));
		goto out;
	}
	/* One step copies every page under one read transaction: a consistent
	 * snapshot. In WAL mode this does not block the server's writer. */
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	if (!b) {
		snprintf(err, errsize, "backup failed: %s", sqlite3_errmsg(to));
		goto out;
	}
	int step;
	while ((step = sqlite3_backup_step(b, -1)) == SQLITE_BUSY || step == SQLITE_LOCKED)
		sqlite3_sleep(50);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(err, errsize, "backup failed: %s", sqlite3_errstr(step));
		goto out;
	}
	/* Check the copy and sync it before it takes the final name, so DEST
	 * is either the previous file or a complete, verified backup. */
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(to, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
		 sqlite3_step(st) == SQLITE_ROW &&
		 strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		snprintf(err, errsize, "backup copy failed its integrity check");
		goto out;
	}
	sqlite3_close(to);
	to = NULL;
	int fd = open(tmp, O_RDONLY);
	if (fd < 0 || fsync(fd) != 0) {
		snprintf(err, errsize, "cannot sync %s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (rename(tmp, dest) != 0) {
		snprintf(err, errsize, "cannot rename into %s: %s", dest, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (to)
		sqlite3_close(to);
	if (from)
		sqlite3_close(from);
	if (rc != 0)
		unlink(tmp);
	return rc;
}
