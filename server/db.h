/* db.h: Vern's storage: one SQLite database, one writer, many readers.
 *
 * Writes go through db_write(): the caller hands over a function that runs
 * SQL on the writer connection; it returns only after the transaction that
 * holds that work has been committed durably (see the design note in db.c).
 * Reads borrow a connection from a pool with db_reader_get() and give it
 * back with db_reader_put(). Statements are prepared once per connection
 * and cached (db_stmt()). Functions return 0 or a negative DB_E* code. */
#ifndef VERN_DB_H
#define VERN_DB_H

#include <sqlite3.h>
#include <stddef.h>

enum {
	DB_OK = 0,
	DB_ERROR = -1,    /* SQLite failed; message logged */
	DB_CONFLICT = -2, /* constraint violation the caller may map to 409 */
	DB_NOTFOUND = -3,
	DB_STOPPED = -4,  /* the writer is shutting down */
	DB_INVALID = -5,  /* the caller's job refused its input */
};

struct db;

/* A connection with its cache of prepared statements. Used by one thread at
 * a time: the writer thread, or the reader that borrowed it. */
struct db_conn;

struct db_options {
	int busy_timeout_ms;
	int read_connections; /* most reader connections, opened on demand */
};

/* Opens (creating if needed) the database at path and its directory, sets
 * WAL mode and the pragmas, applies pending migrations, starts the writer
 * thread and opens the reader pool. On failure returns -1 with err set. */
int db_open(struct db **out, const char *path, const struct db_options *opt,
	    char *err, size_t errsize);

/* Finishes every queued write, stops the writer, checkpoints and closes all
 * connections. Safe on NULL. */
void db_close(struct db *db);

/* Work run on the writer connection inside the shared transaction. Return 0
 * to keep the work, or a negative code to have just this job rolled back
 * (its savepoint) while the other jobs in the batch commit. */
typedef int (*db_write_fn)(struct db_conn *c, void *arg);

/* Queues fn and waits until the batch holding it is durably committed.
 * Returns fn's result, DB_ERROR if the commit failed, or DB_STOPPED. */
int db_write(struct db *db, db_write_fn fn, void *arg);

/* Runs fn in a transaction of its own on the writer connection, on the
 * calling thread (after the batch under way), and commits without an
 * fsync. For the rare write whose delay matters more than its surviving a
 * power cut: the mail sender's "sent" mark just before the final dot of an
 * SMTP transfer, where each millisecond between the commit and the dot is
 * a millisecond in which a killed server loses an email. The commit
 * survives the process being killed at once, and a power cut from the
 * writer's next (fsynced) commit on. Returns fn's result, DB_ERROR or
 * DB_STOPPED. */
int db_write_now(struct db *db, db_write_fn fn, void *arg);

/* Sets the job the writer runs, in a transaction of its own, once writes
 * have paused for a moment (20 ms) after a job asked for it with
 * db_want_idle_job (and at shutdown, when still due): work that can wait
 * for a quiet moment, such as the LRS's bulk indexing. One job per
 * database; fn NULL removes it. */
void db_set_idle_job(struct db *db, db_write_fn fn, void *arg);

/* Inside a job on the writer connection c: the idle job is to run at the
 * next pause. */
void db_want_idle_job(struct db_conn *c);

/* Inside a job on the writer connection c: true when more jobs are queued
 * behind the current batch (the writer is busy). 0 on other connections. */
int db_jobs_waiting(struct db_conn *c);

/* The integer under key in the meta table (0 when there is none), and
 * setting it (inside a writer job). Both return 0 or a DB_E* code. */
int db_meta_get_int(struct db_conn *c, const char *key, long long *out);
int db_meta_set_int(struct db_conn *c, const char *key, long long v);

/* Borrow and return a read connection (blocks while all are in use;
 * waiters are served in arrival order). */
struct db_conn *db_reader_get(struct db *db);
void db_reader_put(struct db *db, struct db_conn *c);

/* Before the calling thread answers anyone (an HTTP response, an email)
 * with what it read: waits until every commit it may have read is
 * durable. A reader can see a commit while the disk still syncs it (see
 * db_sync.h); this is at most one sync, and nothing when no write is
 * under way. Safe on NULL. */
void db_wait_reads(struct db *db);

/* Tests: on, commits stay unsynced (visible, not durable, their writers
 * unanswered) until called with off. */
void db_hold_syncs(struct db *db, int on);

/* The cached prepared statement for sql on c, reset and with bindings
 * cleared, or NULL (error logged). The cache is keyed by the text (a
 * literal is found by its address first), so SQL built at run time from a
 * bounded set of shapes is cached too; the least recently used entry goes
 * when 256 are cached. Statements are reset again when the connection is
 * returned (or the write job ends), so callers need not reset them. */
sqlite3_stmt *db_stmt(struct db_conn *c, const char *sql);

/* A number that changes whenever data on the writer connection may differ
 * from what a cache built from earlier jobs believes: a job was rolled
 * back, a commit failed, or another process committed. Writer-side caches
 * (ids of interned rows, say) compare it and start afresh when it moved. */
unsigned long db_conn_epoch(struct db_conn *c);

/* State a module keeps beside one connection (the writer's caches), found
 * by the address of a key string the module owns. db_conn_set_state
 * returns 0, or DB_ERROR when the few slots are taken; destroy (may be
 * NULL) runs when the connection closes. */
void *db_conn_state(struct db_conn *c, const char *key);
int db_conn_set_state(struct db_conn *c, const char *key, void *state, void (*destroy)(void *));

/* The state under key, made (size bytes, zeroed, calloc'd, destroy then
 * frees it) the first time; NULL when out of memory or slots. */
void *db_conn_state_new(struct db_conn *c, const char *key, size_t size, void (*destroy)(void *));

/* The database a writer connection belongs to (NULL for readers). */
struct db *db_conn_db(struct db_conn *c);

/* State a module shares between request threads and the writer (a cache of
 * committed ids, say), one per open database, found by the address of a
 * key string the module owns: made by make() on first use, destroyed by
 * destroy at db_close. The module guards it itself. NULL when make()
 * failed or the few slots are taken. */
void *db_shared(struct db *db, const char *key, void *(*make)(void), void (*destroy)(void *));

/* The raw handle, for sqlite3_changes(), last_insert_rowid() and errmsg. */
sqlite3 *db_handle(struct db_conn *c);

/* Maps a failed sqlite3_step() result to a DB_E* code and logs it. */
int db_step_error(struct db_conn *c, int rc, const char *what);

/* Runs a statement that returns no rows to completion. */
int db_exec_stmt(struct db_conn *c, sqlite3_stmt *st, const char *what);

/* Runs a statement for one integer: *out is column 0 of its first row (0
 * when it has no row or the value is NULL). Returns 0 or a DB_E* code. */
int db_step_int(struct db_conn *c, sqlite3_stmt *st, long long *out, const char *what);

/* 0 if the database answers a trivial query. */
int db_ping(struct db *db);

/* Applies pending numbered migrations on an open handle. Returns the number
 * applied (>= 0) or -1 with err set. Refuses a database newer than us. */
int db_migrate(sqlite3 *h, char *err, size_t errsize);

/* Latest schema version this binary knows. */
int db_schema_version_known(void);

/* Online backup of the database at src into dest via the SQLite backup API
 * (a consistent snapshot; writers are not blocked in WAL mode). Writes to a
 * temporary file, checks it, then renames it into place. */
int db_backup(const char *src, const char *dest, char *err, size_t errsize);

/* Counters for tests and benchmarks. */
struct db_stats {
	unsigned long long commits;
	unsigned long long jobs;
	unsigned long long checkpoints; /* PASSIVE checkpoints run */
	unsigned long long commits_begun, commits_durable, syncs; /* see db_sync.h */
};
void db_get_stats(struct db *db, struct db_stats *out);

#endif
