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
 *                                       COMMIT  (writes the WAL, no fsync)
 *                                       hand the batch to the syncer
 *                                       ... and on to the next batch
 *                                    syncer thread (db_sync.c)
 *                                    -------------
 *                                       fdatasync the WAL
 *   wakes with fn's result   <-- post - each job's semaphore
 *
 * While one batch commits, new jobs queue up and form the next batch, so
 * under load many requests share one fsync (group commit), and while the
 * disk syncs one batch the writer already runs the next. A request is
 * answered only after its data is on disk; readers may see a commit
 * before that, so a thread that read waits for the sync before it answers
 * anyone (db_wait_reads). A job that fails is rolled back alone through
 * its savepoint; a failed COMMIT fails every job in the batch.
 * Jobs must only run SQL: parsing and validation happen before db_write().
 *
 * Checkpoints (copying the WAL back into the database file) never run
 * inside a commit: the writer's automatic checkpoint is off, and a
 * checkpointer thread with its own connection runs a PASSIVE checkpoint
 * each time the WAL has grown by CHECKPOINT_FRAMES pages. A
 * PASSIVE checkpoint waits for no one, so the writer keeps committing while
 * it runs (and when writes pause for IDLE_CHECKPOINT_MS, one more pass
 * empties the WAL); durability is unchanged (the syncer fsyncs the WAL
 * after every COMMIT, a checkpoint fsyncs the WAL before it copies frames
 * that may not be synced yet, and the database before the WAL is reused).
 *
 * Reads use a pool of separate connections (WAL lets them read a consistent
 * snapshot while the writer commits), opened on demand up to the configured
 * number, and handed out first come, first served. Every connection caches
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_sync.h"
#include "db_vfs.h"
#include "log.h"
#include "migrations.h"

#define STMT_CACHE_MAX 256
#define BATCH_MAX 4096
/* WAL growth (pages) that wakes the checkpointer: 32 MB. A pass copies each
 * page once however many commits rewrote it, so passes over a long stretch
 * of WAL write far less than the WAL itself. */
#define CHECKPOINT_FRAMES 8192
/* A writer that commits without pause never lets a concurrent checkpoint
 * finish, and the WAL is only reused once one has: past this length (128
 * MB) the writer waits, between two batches, for one checkpoint pass that
 * starts while it waits (most pages were copied by the passes before, so
 * the wait is short), and then starts the WAL afresh. */
#define WAL_PAUSE_FRAMES (4 * CHECKPOINT_FRAMES)
/* The writer thread's nice value, when the process may raise it (root, or
 * CAP_SYS_NICE, or a systemd LimitNICE): every write waits for this one
 * thread, so under load it should not queue for a CPU behind the request
 * threads that feed it (measured: a quarter of its time runnable but not
 * running at nice 0, and batch ingest 8% faster at -10; at -10 still 15%
 * of it, at -20 6%, and batch ingest 45,900 against 39,900 statements/s,
 * mean of four rounds each). Being one thread, it takes one core at most.
 * The syncer (db_sync.c) runs at the same value. */
#define WRITER_NICE (-20)
/* After this long without writes the WAL is checkpointed, so readers read
 * the database file alone and the next write starts the WAL afresh. */
#define IDLE_CHECKPOINT_MS 200
/* A WAL file longer than this is cut back when it is next reused. */
#define WAL_SIZE_LIMIT (160LL * 1024 * 1024)
#define DB_CONN_STATES 8
/* Slots for db_shared(). */
#define DB_SHARED_STATES 4
/* After this long without writes the idle job (db_set_idle_job) runs. */
#define IDLE_JOB_MS 20

struct stmt_entry {
	const char *ptr;          /* the pointer the caller passed (fast path) */
	char *sql;                /* our copy of the text */
	unsigned long hash;
	sqlite3_stmt *st;
	unsigned long long used;  /* tick of the last use, for eviction */
	int dirty;                /* handed out since the last reset */
};

struct db_conn {
	sqlite3 *h;
	struct stmt_entry *cache;  /* STMT_CACHE_MAX entries, more only while all are in use */
	int ncache, cap;
	unsigned long long tick;
	int *dirty;                /* cache slots handed out since the last reset */
	int ndirty;
	unsigned long epoch;       /* see db_conn_epoch() */
	long long data_version;    /* writer: PRAGMA data_version at the last batch */
	struct {                   /* see db_conn_state() */
		const char *key;
		void *state;
		void (*destroy)(void *);
	} states[DB_CONN_STATES];
	struct db_conn *next_free;
	struct db *owner;
};

struct db_job {
	struct db_sync_item batch; /* the first job of a batch stands for it */
	db_write_fn fn;
	void *arg;
	int rc;
	sem_t done;
	struct db_job *next;
};

struct db {
	struct db_conn writer;
	pthread_t writer_thread;
	struct db_sync *sync;      /* makes the writer's commits durable */
	pthread_mutex_t qlock;
	pthread_cond_t qcond;
	struct db_job *qhead, *qtail;
	int stopping;
	pthread_mutex_t wlock;     /* held while a batch or db_write_now uses the writer */

	char *path;
	struct db_options opt;
	struct db_conn *readers;   /* max_readers slots, the first nreaders open */
	int nreaders, max_readers, opening;
	struct db_conn *free_readers;
	unsigned long long ticket_next, ticket_served; /* first come, first served */
	pthread_mutex_t rlock;
	pthread_cond_t rcond;

	sqlite3 *ckpt;             /* the checkpointer's connection */
	pthread_t ckpt_thread;
	int ckpt_started, ckpt_wanted, ckpt_stop;
	unsigned long long passes_begun, passes_done;
	int wal_frames;            /* writer: WAL length after its last commit */
	int ckpt_at;               /* writer: WAL length that wakes the checkpointer */
	int pause_at;              /* writer: WAL length that makes it wait */
	pthread_mutex_t clock;
	pthread_cond_t ccond;      /* wakes the checkpointer */
	pthread_cond_t cdone;      /* a pass finished */

	db_write_fn idle_fn;       /* see db_set_idle_job() */
	void *idle_arg;
	int idle_wanted;           /* a job asked for it (db_want_idle_job); atomic */

	unsigned long long commits, jobs, checkpoints;

	pthread_mutex_t slock;     /* taken to fill a slot of shared[] (see db_shared()) */
	struct {
		const char *key;
		void *state;
		void (*destroy)(void *);
	} shared[DB_SHARED_STATES];
};

/* ---- connections and the statement cache ---- */

sqlite3 *db_handle(struct db_conn *c) { return c->h; }

static unsigned long sql_hash(const char *sql)
{
	unsigned long h = 5381;
	for (const unsigned char *p = (const unsigned char *)sql; *p; p++)
		h = h * 33 + *p;
	return h;
}

static sqlite3_stmt *stmt_hand_out(struct db_conn *c, int i)
{
	struct stmt_entry *e = &c->cache[i];
	e->used = ++c->tick;
	if (e->dirty) {
		sqlite3_reset(e->st);
	} else {
		e->dirty = 1;
		c->dirty[c->ndirty++] = i;
	}
	sqlite3_clear_bindings(e->st);
	return e->st;
}

/* A slot for a new entry: the next free one, or the least recently used
 * entry not handed out since the last reset (finalized), or a new one
 * when a caller holds every cached statement at once. */
static int stmt_slot(struct db_conn *c)
{
	int victim = -1;
	if (c->ncache >= STMT_CACHE_MAX)
		for (int i = 0; i < c->ncache; i++)
			if (!c->cache[i].dirty && (victim < 0 || c->cache[i].used < c->cache[victim].used))
				victim = i;
	if (victim >= 0) {
		sqlite3_finalize(c->cache[victim].st);
		free(c->cache[victim].sql);
		memset(&c->cache[victim], 0, sizeof(c->cache[victim]));
		return victim;
	}
	if (c->ncache == c->cap) {
		int cap = c->cap ? c->cap * 2 : 32;
		struct stmt_entry *e = realloc(c->cache, (size_t)cap * sizeof(*e));
		if (!e)
			return -1;
		c->cache = e;
		int *d = realloc(c->dirty, (size_t)cap * sizeof(*d));
		if (!d)
			return -1;
		c->dirty = d;
		c->cap = cap;
	}
	return c->ncache++;
}

sqlite3_stmt *db_stmt(struct db_conn *c, const char *sql)
{
	/* Most callers pass literals: match by address (and check the text,
	 * since a caller's buffer may hold other SQL at the same address),
	 * then by the text's hash. */
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].ptr == sql && strcmp(c->cache[i].sql, sql) == 0)
			return stmt_hand_out(c, i);
	unsigned long h = sql_hash(sql);
	for (int i = 0; i < c->ncache; i++)
		if (c->cache[i].hash == h && strcmp(c->cache[i].sql, sql) == 0) {
			c->cache[i].ptr = sql;
			return stmt_hand_out(c, i);
		}
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
	if (rc != SQLITE_OK) {
		log_event(LOG_ERROR, "db_prepare_failed", "error=\"%s\"",
			  sqlite3_errmsg(c->h));
		return NULL;
	}
	char *copy = strdup(sql);
	int i = copy ? stmt_slot(c) : -1;
	if (i < 0) {
		log_event(LOG_ERROR, "db_stmt_cache_failed", "error=\"out of memory\"");
		sqlite3_finalize(st);
		free(copy);
		return NULL;
	}
	c->cache[i] = (struct stmt_entry){ .ptr = sql, .sql = copy, .hash = h, .st = st };
	return stmt_hand_out(c, i);
}

/* Resets the statements handed out since the last reset (ending any read
 * transaction they hold). */
static void conn_reset_all(struct db_conn *c)
{
	for (int k = 0; k < c->ndirty; k++) {
		struct stmt_entry *e = &c->cache[c->dirty[k]];
		sqlite3_reset(e->st);
		e->dirty = 0;
	}
	c->ndirty = 0;
}

unsigned long db_conn_epoch(struct db_conn *c) { return c->epoch; }

struct db *db_conn_db(struct db_conn *c) { return c->owner; }

/* A slot's state is set before its key is published, and slots are only
 * filled, never emptied, until db_close: a reader finds a key without the
 * lock. */
static void *shared_find(struct db *db, const char *key, int *free_slot)
{
	int i = 0;
	for (; i < DB_SHARED_STATES; i++) {
		const char *k = __atomic_load_n(&db->shared[i].key, __ATOMIC_ACQUIRE);
		if (!k)
			break;
		if (k == key)
			return db->shared[i].state;
	}
	*free_slot = i;
	return NULL;
}

void *db_shared(struct db *db, const char *key, void *(*make)(void), void (*destroy)(void *))
{
	int i = DB_SHARED_STATES;
	void *state = shared_find(db, key, &i);
	if (state)
		return state;
	pthread_mutex_lock(&db->slock);
	state = shared_find(db, key, &i); /* made while we waited? */
	if (!state && i < DB_SHARED_STATES && (state = make()) != NULL) {
		db->shared[i].state = state;
		db->shared[i].destroy = destroy;
		__atomic_store_n(&db->shared[i].key, key, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&db->slock);
	return state;
}

void *db_conn_state(struct db_conn *c, const char *key)
{
	for (int i = 0; i < DB_CONN_STATES; i++)
		if (c->states[i].key == key)
			return c->states[i].state;
	return NULL;
}

void *db_conn_state_new(struct db_conn *c, const char *key, size_t size, void (*destroy)(void *))
{
	void *state = db_conn_state(c, key);
	if (state)
		return state;
	if (!(state = calloc(1, size)))
		return NULL;
	if (db_conn_set_state(c, key, state, destroy) != 0) {
		free(state);
		return NULL;
	}
	return state;
}

int db_conn_set_state(struct db_conn *c, const char *key, void *state, void (*destroy)(void *))
{
	for (int i = 0; i < DB_CONN_STATES; i++)
		if (!c->states[i].key) {
			c->states[i].key = key;
			c->states[i].state = state;
			c->states[i].destroy = destroy;
			return 0;
		}
	return DB_ERROR;
}

static void conn_close(struct db_conn *c)
{
	for (int i = 0; i < c->ncache; i++) {
		sqlite3_finalize(c->cache[i].st);
		free(c->cache[i].sql);
	}
	free(c->cache);
	free(c->dirty);
	c->cache = NULL;
	c->dirty = NULL;
	c->ncache = c->cap = 0;
	c->ndirty = 0;
	for (int i = 0; i < DB_CONN_STATES; i++) {
		if (c->states[i].key && c->states[i].destroy)
			c->states[i].destroy(c->states[i].state);
		c->states[i].key = NULL;
	}
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

int db_step_int(struct db_conn *c, sqlite3_stmt *st, long long *out, const char *what)
{
	*out = 0;
	if (!st)
		return DB_ERROR;
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, what);
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
	if (db_vfs_register() != SQLITE_OK) {
		snprintf(err, errsize, "cannot set up SQLite's file layer");
		return -1;
	}
	if (sqlite3_open_v2(path, &c->h, flags, DB_VFS_NAME) != SQLITE_OK) {
		snprintf(err, errsize, "cannot open database %s: %s", path,
			 c->h ? sqlite3_errmsg(c->h) : "out of memory");
		conn_close(c);
		return -1;
	}
	sqlite3_busy_timeout(c->h, opt->busy_timeout_ms);
	sqlite3_extended_result_codes(c->h, 1);
	/* Readers keep 8 MB of pages each (a server may open threads + 4 of
	 * them; the system's page cache holds the file for all). Connections
	 * read pages with pread into their own cache rather than mapping the
	 * file: SQLite maps the file once per connection, so every
	 * connection would fault each page in again, and again after the file
	 * grows (on virtualised hosts a page fault costs tens of microseconds;
	 * the fault storms showed as the slow tail of queries and as a third
	 * of the writer's time). */
	const char *pragmas = readonly
		? "PRAGMA foreign_keys=ON; PRAGMA query_only=ON; PRAGMA cache_size=-8192;"
		  " PRAGMA mmap_size=0;"
		: "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
		  " PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"
		  /* The writer keeps the hot index pages in memory: 64 MB page
		   * cache. */
		  " PRAGMA cache_size=-65536; PRAGMA mmap_size=0;";
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

static int version_recorded(sqlite3 *h, int version, int *out)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "SELECT 1 FROM schema_version WHERE version = ?", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, version);
	int rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
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
		/* Every migration not yet recorded, not only those above the
		 * highest: branches merged in another order may leave gaps. */
		int done = 0;
		if (m->version <= have && version_recorded(h, m->version, &done) != 0) {
			snprintf(err, errsize, "cannot read schema_version: %s", sqlite3_errmsg(h));
			return -1;
		}
		if (m->version <= have && done)
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

/* Runs one transaction-control statement (BEGIN, SAVEPOINT, ...), prepared
 * once and cached like any other. */
static int control(struct db_conn *w, const char *sql)
{
	sqlite3_stmt *st = db_stmt(w, sql);
	return st ? db_exec_stmt(w, st, sql) : DB_ERROR;
}

/* Called inside BEGIN IMMEDIATE: if another connection (another vern
 * process) committed since our last batch, callers' caches of what the
 * database holds may be stale. */
static void notice_outside_writes(struct db_conn *w)
{
	sqlite3_stmt *st = db_stmt(w, "PRAGMA data_version");
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		long long v = sqlite3_column_int64(st, 0);
		if (v != w->data_version)
			w->epoch++;
		w->data_version = v;
	}
	if (st)
		sqlite3_reset(st);
}

/* Syncer thread: the WAL is synced past batch (or failed to be). */
static void release_batch(struct db_sync_item *item, int ok)
{
	struct db_job *next;
	for (struct db_job *j = (struct db_job *)item; j; j = next) {
		next = j->next; /* j lives on the waiter's stack: read before posting */
		if (!ok && j->rc == 0)
			j->rc = DB_ERROR;
		sem_post(&j->done);
	}
}

static void run_batch(struct db *db, struct db_job *batch)
{
	struct db_conn *w = &db->writer;
	/* After a failed sync nothing more is taken: it might not last. */
	int begun = !db_sync_failed(db->sync) && control(w, "BEGIN IMMEDIATE") == DB_OK;
	if (begun)
		notice_outside_writes(w);
	int any_ok = 0;
	for (struct db_job *j = batch; j; j = j->next) {
		if (!begun || control(w, "SAVEPOINT job") != DB_OK) {
			j->rc = DB_ERROR;
			continue;
		}
		j->rc = j->fn(w, j->arg);
		conn_reset_all(w);
		if (j->rc != 0) {
			(void)control(w, "ROLLBACK TO job");
			w->epoch++;
		} else {
			any_ok = 1;
		}
		(void)control(w, "RELEASE job");
	}
	if (begun) {
		if (any_ok)
			db_sync_commit_begins(db->sync);
		if (control(w, any_ok ? "COMMIT" : "ROLLBACK") != DB_OK) {
			log_event(LOG_ERROR, "db_commit_failed", "error=\"%s\"", sqlite3_errmsg(w->h));
			(void)control(w, "ROLLBACK");
			w->epoch++;
			for (struct db_job *j = batch; j; j = j->next)
				if (j->rc == 0)
					j->rc = DB_ERROR;
		}
	}
	conn_reset_all(w);
	unsigned long n = 0;
	for (struct db_job *j = batch; j; j = j->next)
		n++;
	/* Counted before anyone wakes, so a waiter sees its own job counted. */
	__atomic_add_fetch(&db->commits, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&db->jobs, n, __ATOMIC_RELAXED);
	db_sync_hand_over(db->sync, &batch->batch);
}

/* ---- the checkpointer ---- */

/* SQLite calls this on the writer thread after each commit with the WAL's
 * length in pages. Installing it also turns off the automatic checkpoint
 * that would otherwise run inside the commit. */
static int wal_committed(void *arg, sqlite3 *h, const char *name, int frames)
{
	(void)h;
	(void)name;
	struct db *db = arg;
	if (frames < db->wal_frames) { /* the WAL started afresh */
		db->ckpt_at = CHECKPOINT_FRAMES;
		db->pause_at = WAL_PAUSE_FRAMES;
	}
	db->wal_frames = frames;
	if (frames >= db->ckpt_at) {
		db->ckpt_at = frames + CHECKPOINT_FRAMES;
		pthread_mutex_lock(&db->clock);
		db->ckpt_wanted = 1;
		pthread_cond_signal(&db->ccond);
		pthread_mutex_unlock(&db->clock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	struct db *db = arg;
	pthread_setname_np(pthread_self(), "vern-checkpoint");
	pthread_mutex_lock(&db->clock);
	for (;;) {
		while (!db->ckpt_wanted && !db->ckpt_stop)
			pthread_cond_wait(&db->ccond, &db->clock);
		if (db->ckpt_stop)
			break;
		db->ckpt_wanted = 0;
		unsigned long long pass = ++db->passes_begun;
		pthread_mutex_unlock(&db->clock);
		int log_frames = 0, copied = 0;
		db_vfs_read_ahead(1); /* frames are read mostly in file order */
		int rc = sqlite3_wal_checkpoint_v2(db->ckpt, NULL, SQLITE_CHECKPOINT_PASSIVE,
						   &log_frames, &copied);
		db_vfs_read_ahead(0);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_event(LOG_WARN, "db_checkpoint_failed", "error=\"%s\"", sqlite3_errmsg(db->ckpt));
		else
			log_event(LOG_DEBUG, "db_checkpoint", "wal_frames=%d copied=%d", log_frames, copied);
		__atomic_add_fetch(&db->checkpoints, 1, __ATOMIC_RELAXED);
		pthread_mutex_lock(&db->clock);
		db->passes_done = pass;
		pthread_cond_broadcast(&db->cdone);
	}
	pthread_mutex_unlock(&db->clock);
	return NULL;
}

/* Writer thread, between batches: see WAL_PAUSE_FRAMES. */
static void let_checkpoint_finish(struct db *db)
{
	if (!db->ckpt_started || db->wal_frames < db->pause_at)
		return;
	pthread_mutex_lock(&db->clock);
	unsigned long long want = db->passes_begun + 1;
	db->ckpt_wanted = 1;
	pthread_cond_signal(&db->ccond);
	while (db->passes_done < want && !db->ckpt_stop)
		pthread_cond_wait(&db->cdone, &db->clock);
	pthread_mutex_unlock(&db->clock);
	/* If a long reader (a backup) kept the pass from finishing, the WAL
	 * goes on growing: wait again only after as much more. */
	db->pause_at = db->wal_frames + WAL_PAUSE_FRAMES;
}

static int start_checkpointer(struct db *db, char *err, size_t errsize)
{
	if (sqlite3_open_v2(db->path, &db->ckpt, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    DB_VFS_NAME) != SQLITE_OK ||
	    exec_sql(db->ckpt, "PRAGMA synchronous=FULL", err, errsize) != 0) {
		snprintf(err, errsize, "cannot open the checkpointer's connection: %s",
			 db->ckpt ? sqlite3_errmsg(db->ckpt) : "out of memory");
		return -1;
	}
	if (pthread_create(&db->ckpt_thread, NULL, checkpointer_main, db) != 0) {
		snprintf(err, errsize, "cannot start the checkpointer thread");
		return -1;
	}
	db->ckpt_started = 1;
	db->ckpt_at = CHECKPOINT_FRAMES;
	db->pause_at = WAL_PAUSE_FRAMES;
	sqlite3_wal_hook(db->writer.h, wal_committed, db);
	return 0;
}

static void stop_checkpointer(struct db *db)
{
	if (db->ckpt_started) {
		sqlite3_wal_hook(db->writer.h, NULL, NULL);
		pthread_mutex_lock(&db->clock);
		db->ckpt_stop = 1;
		pthread_cond_signal(&db->ccond);
		pthread_mutex_unlock(&db->clock);
		pthread_join(db->ckpt_thread, NULL);
		db->ckpt_started = 0;
	}
	if (db->ckpt)
		sqlite3_close(db->ckpt);
	db->ckpt = NULL;
}

/* Wakes the checkpointer for one pass. */
static void request_checkpoint(struct db *db)
{
	pthread_mutex_lock(&db->clock);
	db->ckpt_wanted = 1;
	pthread_cond_signal(&db->ccond);
	pthread_mutex_unlock(&db->clock);
}

/* Writer thread, qlock held: waits on qcond for at most ms. */
static int wait_ms(struct db *db, long ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	return pthread_cond_timedwait(&db->qcond, &db->qlock, &until);
}

/* Writer thread: the idle job, in a batch of its own. */
static void run_idle_job(struct db *db)
{
	struct db_job job = { .fn = db->idle_fn, .arg = db->idle_arg, .rc = DB_ERROR, .next = NULL };
	sem_init(&job.done, 0, 0);
	pthread_mutex_lock(&db->wlock);
	run_batch(db, &job);
	pthread_mutex_unlock(&db->wlock);
	while (sem_wait(&job.done) != 0 && errno == EINTR)
		; /* the syncer answers it */
	if (job.rc != DB_OK)
		log_event(LOG_WARN, "db_idle_job_failed", "rc=%d", job.rc);
	sem_destroy(&job.done);
}

void db_set_idle_job(struct db *db, db_write_fn fn, void *arg)
{
	pthread_mutex_lock(&db->qlock);
	db->idle_fn = fn;
	db->idle_arg = arg;
	pthread_mutex_unlock(&db->qlock);
}

void db_want_idle_job(struct db_conn *c)
{
	if (c->owner)
		__atomic_store_n(&c->owner->idle_wanted, 1, __ATOMIC_RELEASE);
}

int db_jobs_waiting(struct db_conn *c)
{
	struct db *db = c->owner;
	if (!db || c != &db->writer)
		return 0;
	pthread_mutex_lock(&db->qlock);
	int waiting = db->qhead != NULL;
	pthread_mutex_unlock(&db->qlock);
	return waiting;
}

static void *writer_main(void *arg)
{
	struct db *db = arg;
	pthread_setname_np(pthread_self(), "vern-writer");
	db_vfs_defer_sync(1); /* the syncer makes commits durable */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), WRITER_NICE) != 0)
		log_event(LOG_DEBUG, "db_writer_priority", "nice=0 error=\"%s\"", strerror(errno));
	int idle_checkpointed = 1, idle_job_due = 0;
	for (;;) {
		int go_idle = 0;
		pthread_mutex_lock(&db->qlock);
		while (!db->qhead && !db->stopping && !go_idle) {
			if (idle_job_due && db->idle_fn) {
				if (wait_ms(db, IDLE_JOB_MS) == ETIMEDOUT && !db->qhead) {
					idle_job_due = 0;
					pthread_mutex_unlock(&db->qlock);
					run_idle_job(db);
					pthread_mutex_lock(&db->qlock);
				}
				continue;
			}
			idle_job_due = 0;
			if (idle_checkpointed || db->wal_frames == 0 || !db->ckpt_started) {
				pthread_cond_wait(&db->qcond, &db->qlock);
				continue;
			}
			if (wait_ms(db, IDLE_CHECKPOINT_MS) == ETIMEDOUT && !db->qhead)
				go_idle = 1;
		}
		if (go_idle) {
			pthread_mutex_unlock(&db->qlock);
			idle_checkpointed = 1;
			request_checkpoint(db);
			continue;
		}
		if (!db->qhead && db->stopping) {
			pthread_mutex_unlock(&db->qlock);
			if (idle_job_due && db->idle_fn)
				run_idle_job(db); /* what waited for a pause is not left for the next start */
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
		let_checkpoint_finish(db);
		pthread_mutex_lock(&db->wlock);
		run_batch(db, batch);
		pthread_mutex_unlock(&db->wlock);
		idle_checkpointed = 0;
		if (__atomic_exchange_n(&db->idle_wanted, 0, __ATOMIC_ACQ_REL))
			idle_job_due = 1; /* stays due until it runs */
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

int db_write_now(struct db *db, db_write_fn fn, void *arg)
{
	struct db_conn *w = &db->writer;
	pthread_mutex_lock(&db->wlock);
	pthread_mutex_lock(&db->qlock);
	int stopping = db->stopping;
	pthread_mutex_unlock(&db->qlock);
	if (stopping) {
		pthread_mutex_unlock(&db->wlock);
		return DB_STOPPED;
	}
	/* No sync at COMMIT, so no flush of gathered writes either: this
	 * thread writes straight through (see db_vfs.h). */
	db_vfs_write_through(1);
	int rc = control(w, "PRAGMA synchronous=NORMAL");
	if (rc == DB_OK && (rc = control(w, "BEGIN IMMEDIATE")) == DB_OK) {
		notice_outside_writes(w);
		rc = fn(w, arg);
		conn_reset_all(w);
		if (rc != 0 || control(w, "COMMIT") != DB_OK) {
			if (rc == 0) {
				log_event(LOG_ERROR, "db_commit_failed", "error=\"%s\"", sqlite3_errmsg(w->h));
				rc = DB_ERROR;
			}
			(void)control(w, "ROLLBACK");
			w->epoch++;
		}
		conn_reset_all(w);
		__atomic_add_fetch(&db->commits, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&db->jobs, 1, __ATOMIC_RELAXED);
	}
	if (control(w, "PRAGMA synchronous=FULL") != DB_OK)
		log_event(LOG_ERROR, "db_synchronous_reset_failed", "error=\"%s\"", sqlite3_errmsg(w->h));
	db_vfs_write_through(0);
	pthread_mutex_unlock(&db->wlock);
	return rc;
}

/* ---- the meta table ---- */

int db_meta_get_int(struct db_conn *c, const char *key, long long *out)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?");
	if (st)
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	return db_step_int(c, st, out, "meta_read");
}

int db_meta_set_int(struct db_conn *c, const char *key, long long v)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO meta(key, value) VALUES(?1, CAST(?2 AS TEXT))"
				      " ON CONFLICT(key) DO UPDATE SET value = excluded.value");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return db_exec_stmt(c, st, "meta_write");
}

/* ---- readers ---- */

/* Opens reader slot i (outside the lock). */
static int open_reader(struct db *db, int i)
{
	char err[256];
	if (open_conn(&db->readers[i], db->path, 1, &db->opt, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "db_reader_open_failed", "error=\"%s\"", err);
		return -1;
	}
	return 0;
}

struct db_conn *db_reader_get(struct db *db)
{
	db_sync_read_begins(db->sync);
	pthread_mutex_lock(&db->rlock);
	unsigned long long ticket = db->ticket_next++;
	for (;;) {
		if (ticket == db->ticket_served && db->free_readers) {
			struct db_conn *c = db->free_readers;
			db->free_readers = c->next_free;
			db->ticket_served++;
			if (db->free_readers && db->ticket_served != db->ticket_next)
				pthread_cond_broadcast(&db->rcond);
			pthread_mutex_unlock(&db->rlock);
			return c;
		}
		if (ticket == db->ticket_served && db->nreaders < db->max_readers) {
			/* None free, room for one more: open it. */
			int slot = db->nreaders++;
			db->ticket_served++;
			if (db->ticket_served != db->ticket_next)
				pthread_cond_broadcast(&db->rcond);
			pthread_mutex_unlock(&db->rlock);
			if (open_reader(db, slot) == 0)
				return &db->readers[slot];
			pthread_mutex_lock(&db->rlock);
			db->max_readers = db->nreaders; /* open no more; wait for one */
			ticket = db->ticket_next++;
			continue;
		}
		pthread_cond_wait(&db->rcond, &db->rlock);
	}
}

void db_reader_put(struct db *db, struct db_conn *c)
{
	if (!c)
		return;
	conn_reset_all(c); /* ends the read transaction so checkpoints can run */
	db_sync_read_ends(db->sync);
	pthread_mutex_lock(&db->rlock);
	c->next_free = db->free_readers;
	db->free_readers = c;
	if (db->ticket_served != db->ticket_next)
		pthread_cond_broadcast(&db->rcond);
	pthread_mutex_unlock(&db->rlock);
}

void db_wait_reads(struct db *db)
{
	if (db)
		db_sync_wait_reads(db->sync);
}

void db_hold_syncs(struct db *db, int on)
{
	db_sync_hold(db->sync, on);
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
	pthread_mutex_init(&db->wlock, NULL);
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&db->qcond, &monotonic);
	pthread_condattr_destroy(&monotonic);
	pthread_mutex_init(&db->rlock, NULL);
	pthread_cond_init(&db->rcond, NULL);
	pthread_mutex_init(&db->clock, NULL);
	pthread_mutex_init(&db->slock, NULL);
	pthread_cond_init(&db->ccond, NULL);
	pthread_cond_init(&db->cdone, NULL);
	db->opt = *opt;
	db->path = strdup(path);
	if (!db->path) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	if (open_conn(&db->writer, path, 0, opt, err, errsize) != 0)
		goto fail;
	if (db_migrate(db->writer.h, err, errsize) < 0)
		goto fail;
	{
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA journal_size_limit=%lld", WAL_SIZE_LIMIT);
		if (exec_sql(db->writer.h, pragma, err, errsize) != 0)
			goto fail;
	}
	notice_outside_writes(&db->writer);
	db->writer.epoch = 0;
	db->writer.owner = db;
	/* Readers open on demand; the first one now, so a database that
	 * cannot be read fails here. */
	db->max_readers = opt->read_connections > 0 ? opt->read_connections : 4;
	db->readers = calloc((size_t)db->max_readers, sizeof(*db->readers));
	if (!db->readers) {
		snprintf(err, errsize, "out of memory");
		goto fail;
	}
	if (open_conn(&db->readers[0], path, 1, opt, err, errsize) != 0)
		goto fail;
	db->nreaders = 1;
	db->free_readers = &db->readers[0];
	if (start_checkpointer(db, err, errsize) != 0)
		goto fail;
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(db->writer.h, "main"));
	if (!wal || !(db->sync = db_sync_start(wal, release_batch, err, errsize)))
		goto fail;
	if (pthread_create(&db->writer_thread, NULL, writer_main, db) != 0) {
		snprintf(err, errsize, "cannot start the writer thread");
		goto fail;
	}
	*out = db;
	return 0;
fail:
	db_sync_stop(db->sync);
	stop_checkpointer(db);
	for (int i = 0; db->readers && i < db->nreaders; i++)
		conn_close(&db->readers[i]);
	free(db->readers);
	conn_close(&db->writer);
	free(db->path);
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
	db_sync_stop(db->sync); /* the last batches are synced and answered */
	stop_checkpointer(db);
	for (int i = 0; i < db->nreaders; i++)
		conn_close(&db->readers[i]);
	free(db->readers);
	char err[256];
	pthread_mutex_lock(&db->wlock); /* a db_write_now under way finishes first */
	if (exec_sql(db->writer.h, "PRAGMA wal_checkpoint(TRUNCATE)", err, sizeof(err)) != 0)
		log_event(LOG_WARN, "db_checkpoint_failed", "error=\"%s\"", err);
	conn_close(&db->writer);
	pthread_mutex_unlock(&db->wlock);
	pthread_mutex_destroy(&db->qlock);
	pthread_mutex_destroy(&db->wlock);
	pthread_cond_destroy(&db->qcond);
	pthread_mutex_destroy(&db->rlock);
	pthread_cond_destroy(&db->rcond);
	pthread_mutex_destroy(&db->clock);
	pthread_cond_destroy(&db->ccond);
	pthread_cond_destroy(&db->cdone);
	for (int i = 0; i < DB_SHARED_STATES && db->shared[i].key; i++)
		if (db->shared[i].destroy)
			db->shared[i].destroy(db->shared[i].state);
	pthread_mutex_destroy(&db->slock);
	free(db->path);
	free(db);
}

void db_get_stats(struct db *db, struct db_stats *out)
{
	out->commits = __atomic_load_n(&db->commits, __ATOMIC_RELAXED);
	out->jobs = __atomic_load_n(&db->jobs, __ATOMIC_RELAXED);
	out->checkpoints = __atomic_load_n(&db->checkpoints, __ATOMIC_RELAXED);
	db_sync_counts(db->sync, &out->commits_begun, &out->commits_durable, &out->syncs);
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
