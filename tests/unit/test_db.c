/* test_db.c: storage (server/db.c): migrations, group commit, rollback of a
 * failing job, readers, backup, the statement cache with built SQL, the
 * epoch writer-side caches watch, checkpoints off the writer and the WAL
 * reused, gathered WAL writes read back intact, the idle job, state
 * shared between threads (db_shared) made once, and commits made durable
 * by the syncer: a writer is answered, and a reader may answer, only after
 * the sync. A checkpoint's gathered writes and read-ahead through the VFS
 * are tested in test_db_vfs.c. */
#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "migrations.h"
#include "unit.h"

static char dir[64];
static char path[128];

static struct db *open_temp(void)
{
	struct db *db = NULL;
	char err[256];
	struct db_options opt = { 5000, 4 };
	if (db_open(&db, path, &opt, err, sizeof(err)) != 0)
		printf("# open failed: %s\n", err);
	return db;
}

static int insert(struct db_conn *c, void *arg)
{
	long *v = arg;
	if (*v < 0)
		return DB_INVALID; /* this job refuses: only it is rolled back */
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO test_writes(client, seq) VALUES(?, ?)");
	sqlite3_bind_int64(st, 1, 1);
	sqlite3_bind_int64(st, 2, *v);
	return db_exec_stmt(c, st, "insert");
}

static long count_rows(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM test_writes");
	long n = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	db_reader_put(db, c);
	return n;
}

static void test_migrations(void)
{
	struct db *db = open_temp();
	CHECK(db != NULL);
	if (!db)
		return;
	CHECK(db_schema_version_known() >= 1);
	CHECK(db_ping(db) == 0);
	db_close(db);
	db = open_temp(); /* reopening applies nothing and succeeds */
	CHECK(db != NULL);
	db_close(db);
}

/* A database that has every migration but one in the middle (branches
 * merged in another order) gets the missing one at the next open. */
static void test_migration_gap(void)
{
	if (db_migrations_count < 3)
		return;
	char gap_path[200], err[512];
	snprintf(gap_path, sizeof(gap_path), "%s/gap.db", dir);
	sqlite3 *h = NULL;
	CHECK(sqlite3_open(gap_path, &h) == SQLITE_OK);
	int skip = db_migrations[1].version;
	CHECK(sqlite3_exec(h, "CREATE TABLE schema_version(version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			      " applied_at TEXT NOT NULL DEFAULT '')", NULL, NULL, NULL) == SQLITE_OK);
	/* Apply all but the second, in order; the second's tables must not
	 * be needed by the later ones for this test, so stop at the third. */
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			continue;
		CHECK(sqlite3_exec(h, db_migrations[i].sql, NULL, NULL, NULL) == SQLITE_OK);
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO schema_version(version, name) VALUES(%d, 'x')",
			 db_migrations[i].version);
		CHECK(sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK);
	}
	int applied = db_migrate(h, err, sizeof(err));
	CHECK(applied == db_migrations_count - 2);
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(h, "SELECT count(*) FROM schema_version WHERE version = ?", -1, &st, NULL);
	sqlite3_bind_int(st, 1, skip);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1);
	sqlite3_finalize(st);
	sqlite3_close(h);
}

struct writer_arg {
	struct db *db;
	int base;
	int failures;
};

static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	for (int i = 0; i < 200; i++) {
		long v = a->base + i;
		if (db_write(a->db, insert, &v) != DB_OK)
			a->failures++;
	}
	return NULL;
}

static void test_group_commit(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long before = count_rows(db);
	pthread_t t[16];
	struct writer_arg args[16];
	for (int i = 0; i < 16; i++) {
		args[i] = (struct writer_arg){ db, i * 1000, 0 };
		pthread_create(&t[i], NULL, writer_thread, &args[i]);
	}
	int failures = 0;
	for (int i = 0; i < 16; i++) {
		pthread_join(t[i], NULL);
		failures += args[i].failures;
	}
	CHECK(failures == 0);
	CHECK(count_rows(db) == before + 3200);
	struct db_stats st;
	db_get_stats(db, &st);
	CHECK(st.jobs >= 3200);
	/* Group commit: concurrent writers share commits. */
	printf("# %llu jobs in %llu commits\n", st.jobs, st.commits);
	CHECK(st.commits < st.jobs);
	db_close(db);
}

static void test_failing_job_alone_rolled_back(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long before = count_rows(db);
	long bad = -1, good = 5;
	CHECK(db_write(db, insert, &bad) == DB_INVALID);
	CHECK(db_write(db, insert, &good) == DB_OK);
	CHECK(count_rows(db) == before + 1);
	db_close(db);
}

/* db_write_now: its own transaction on the calling thread, rolled back
 * alone on failure, and interleaved safely with queued batches. */
struct now_args {
	struct db *db;
	int failures;
};

static void *write_now_loop(void *arg)
{
	struct now_args *a = arg;
	for (long i = 0; i < 200; i++) {
		long v = 1000 + i;
		if (db_write_now(a->db, insert, &v) != DB_OK)
			a->failures++;
	}
	return NULL;
}

static void test_write_now(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long before = count_rows(db);
	long bad = -1, good = 7;
	CHECK(db_write_now(db, insert, &bad) == DB_INVALID);
	CHECK(db_write_now(db, insert, &good) == DB_OK);
	CHECK(count_rows(db) == before + 1);
	struct now_args a = { db, 0 };
	pthread_t t;
	pthread_create(&t, NULL, write_now_loop, &a);
	int failures = 0;
	for (long i = 0; i < 200; i++) {
		long v = 5000 + i;
		failures += db_write(db, insert, &v) != DB_OK;
	}
	pthread_join(t, NULL);
	CHECK(failures == 0 && a.failures == 0);
	CHECK(count_rows(db) == before + 401);
	db_close(db);
}

static void test_backup(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long n = count_rows(db);
	char dest[160], err[256];
	snprintf(dest, sizeof(dest), "%s/backup.db", dir);
	CHECK(db_backup(path, dest, err, sizeof(err)) == 0);
	db_close(db);
	sqlite3 *h = NULL;
	CHECK(sqlite3_open_v2(dest, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(h, "SELECT count(*) FROM test_writes", -1, &st, NULL);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == n);
	sqlite3_finalize(st);
	sqlite3_close(h);
	CHECK(db_backup("/nonexistent/vern.db", dest, err, sizeof(err)) == -1);
}

/* SQL built in one buffer is cached by its text, not by the buffer. */
static void test_stmt_cache_built_sql(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	struct db_conn *c = db_reader_get(db);
	char sql[64];
	int ok = 1;
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 300; i++) { /* more than the cache holds */
			snprintf(sql, sizeof(sql), "SELECT %d", i);
			sqlite3_stmt *st = db_stmt(c, sql);
			ok &= st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == i;
		}
	CHECK(ok);
	db_reader_put(db, c);
	db_close(db);
}

struct epoch_arg {
	unsigned long epoch;
	int fail;
};

static int note_epoch(struct db_conn *c, void *arg)
{
	struct epoch_arg *a = arg;
	a->epoch = db_conn_epoch(c);
	return a->fail ? DB_INVALID : DB_OK;
}

/* A rolled-back job moves the epoch; a good one does not. */
static void test_epoch(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	struct epoch_arg a = { 0, 0 }, b = { 0, 0 }, bad = { 0, 1 }, c = { 0, 0 };
	CHECK(db_write(db, note_epoch, &a) == DB_OK);
	CHECK(db_write(db, note_epoch, &b) == DB_OK);
	CHECK(a.epoch == b.epoch);
	CHECK(db_write(db, note_epoch, &bad) == DB_INVALID);
	CHECK(db_write(db, note_epoch, &c) == DB_OK);
	CHECK(c.epoch != b.epoch);
	db_close(db);
}

static int insert_blob(struct db_conn *c, void *arg)
{
	int *n = arg;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO test_writes(client, seq, created_at) VALUES(?, ?, ?)");
	char text[2000];
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (int i = 0; i < 50; i++) {
		sqlite3_bind_int64(st, 1, 2);
		sqlite3_bind_int64(st, 2, (*n)++);
		sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
		if (db_exec_stmt(c, st, "blob") != DB_OK)
			return DB_ERROR;
	}
	return DB_OK;
}

static long long file_size(const char *suffix)
{
	char p[200];
	snprintf(p, sizeof(p), "%s%s", path, suffix);
	struct stat sb;
	return stat(p, &sb) == 0 ? (long long)sb.st_size : 0;
}

/* Well past the checkpoint and pause lengths: the checkpointer runs, the
 * WAL is started afresh rather than growing without end, and what was
 * written (in gathered writes) reads back intact after reopening. */
static void test_checkpoints_and_wal_reuse(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long before = count_rows(db);
	int n = 0;
	for (int i = 0; i < 2000; i++) /* about 200 MB of WAL frames */
		if (db_write(db, insert_blob, &n) != DB_OK)
			break;
	CHECK(n == 100000);
	struct db_stats st;
	db_get_stats(db, &st);
	printf("# %llu checkpoints, WAL %lld bytes\n", st.checkpoints, file_size("-wal"));
	CHECK(st.checkpoints > 0);
	CHECK(file_size("-wal") < 200LL * 1024 * 1024);
	CHECK(count_rows(db) == before + 100000);
	db_close(db);
	CHECK(file_size("-wal") == 0);
	sqlite3 *h = NULL;
	CHECK(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_stmt *q = NULL;
	sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &q, NULL);
	CHECK(q && sqlite3_step(q) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0);
	sqlite3_finalize(q);
	sqlite3_prepare_v2(h, "SELECT count(*), sum(length(created_at)) FROM test_writes WHERE client = 2", -1, &q, NULL);
	CHECK(q && sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 0) == 100000 &&
	      sqlite3_column_int64(q, 1) == 100000LL * 1999);
	sqlite3_finalize(q);
	sqlite3_close(h);
}

/* The idle job runs once writes pause after a job asked for it, not after
 * every batch, and at shutdown when still due. */
static int idle_runs;

static int count_idle(struct db_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	__atomic_add_fetch(&idle_runs, 1, __ATOMIC_RELAXED);
	return DB_OK;
}

static int insert_wanting_idle(struct db_conn *c, void *arg)
{
	db_want_idle_job(c);
	return insert(c, arg);
}

static int idle_count(void)
{
	return __atomic_load_n(&idle_runs, __ATOMIC_RELAXED);
}

static void test_idle_job(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	db_set_idle_job(db, count_idle, NULL);
	long v = 1;
	CHECK(db_write(db, insert, &v) == DB_OK);
	usleep(150 * 1000);
	CHECK(idle_count() == 0); /* nobody asked */
	CHECK(db_write(db, insert_wanting_idle, &v) == DB_OK);
	for (int i = 0; i < 200 && idle_count() == 0; i++)
		usleep(10 * 1000);
	CHECK(idle_count() == 1);
	CHECK(db_write(db, insert, &v) == DB_OK);
	usleep(150 * 1000);
	CHECK(idle_count() == 1); /* ran once, not again */
	db_set_idle_job(db, NULL, NULL);
	db_set_idle_job(db, count_idle, NULL);
	CHECK(db_write(db, insert_wanting_idle, &v) == DB_OK);
	db_close(db); /* still due: runs before the writer stops */
	CHECK(idle_count() == 2);
}

/* The nice value of this process's thread named name, or 99 when none. */
static int thread_nice(const char *name)
{
	char p[300], comm[32], stat[1024];
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		snprintf(p, sizeof(p), "/proc/self/task/%s/comm", de->d_name);
		FILE *f = fopen(p, "r");
		if (!f)
			continue;
		int same = fgets(comm, sizeof(comm), f) && strncmp(comm, name, strlen(name)) == 0 &&
			   comm[strlen(name)] == '\n';
		fclose(f);
		if (!same)
			continue;
		snprintf(p, sizeof(p), "/proc/self/task/%s/stat", de->d_name);
		closedir(d);
		if (!(f = fopen(p, "r")))
			return 99;
		size_t n = fread(stat, 1, sizeof(stat) - 1, f);
		fclose(f);
		stat[n] = '\0';
		/* after "(comm) ": state is field 3, nice field 19 */
		const char *q = strrchr(stat, ')');
		int nice = 99, field = 2;
		for (; q && *q; q++)
			if (*q == ' ' && ++field == 19) {
				nice = atoi(q + 1);
				break;
			}
		return nice;
	}
	if (d)
		closedir(d);
	return 99;
}

/* The writer runs at a higher priority than the request threads when the
 * process may raise it, and at the normal one otherwise. */
static void test_writer_priority(void)
{
	struct db *db = open_temp();
	if (!db)
		return;
	long v = 1;
	CHECK(db_write(db, insert, &v) == DB_OK);
	int nice = thread_nice("vern-writer");
	/* may this process raise a thread's priority? (root without
	 * CAP_SYS_NICE, as in some containers, may not) */
	int may = setpriority(PRIO_PROCESS, (id_t)gettid(), -1) == 0;
	if (may)
		(void)setpriority(PRIO_PROCESS, (id_t)gettid(), 0);
	printf("# writer nice %d (may raise: %d)\n", nice, may);
	CHECK(nice == (may ? -20 : 0));
	db_close(db);
}

static int shared_made, shared_destroyed;
static const char shared_key[] = "test_shared";

static void *make_shared(void)
{
	__atomic_add_fetch(&shared_made, 1, __ATOMIC_SEQ_CST);
	usleep(2000); /* the others arrive while it is being made */
	return malloc(16);
}

static void destroy_shared(void *p)
{
	__atomic_add_fetch(&shared_destroyed, 1, __ATOMIC_SEQ_CST);
	free(p);
}

static void *get_shared(void *db)
{
	return db_shared(db, shared_key, make_shared, destroy_shared);
}

static void test_shared_state(void)
{
	struct db *db = open_temp();
	CHECK(db != NULL);
	if (!db)
		return;
	pthread_t t[8];
	void *got[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, get_shared, db);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], &got[i]);
	CHECK(shared_made == 1);
	for (int i = 0; i < 8; i++)
		CHECK(got[i] != NULL && got[i] == got[0]);
	CHECK(get_shared(db) == got[0]);
	db_close(db);
	CHECK(shared_destroyed == 1);
}

struct durable_arg {
	struct db *db;
	int read, done; /* atomic */
	long seen;
};

static void *write_one(void *arg)
{
	struct durable_arg *a = arg;
	long v = 77;
	CHECK(db_write(a->db, insert, &v) == DB_OK);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *read_then_answer(void *arg)
{
	struct durable_arg *a = arg;
	a->seen = count_rows(a->db);
	__atomic_store_n(&a->read, 1, __ATOMIC_RELEASE);
	db_wait_reads(a->db);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *answer_holding_reader(void *arg)
{
	struct durable_arg *a = arg;
	struct db_conn *c = db_reader_get(a->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM test_writes WHERE seq = 77");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		a->seen = sqlite3_column_int64(st, 0);
	__atomic_store_n(&a->read, 1, __ATOMIC_RELEASE);
	db_wait_reads(a->db); /* the reader is still held */
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	db_reader_put(a->db, c);
	return NULL;
}

static void *answer_without_reading(void *arg)
{
	struct durable_arg *a = arg;
	db_wait_reads(a->db);
	__atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_durable_before_answers(void)
{
	struct db *db = open_temp();
	CHECK(db != NULL);
	if (!db)
		return;
	long before = count_rows(db);
	db_hold_syncs(db, 1);
	struct durable_arg w = { db, 0, 0, 0 }, r = { db, 0, 0, 0 }, quiet = { db, 0, 0, 0 };
	struct durable_arg h = { db, 0, 0, 0 };
	pthread_t tw, tr, tq, th;
	pthread_create(&tw, NULL, write_one, &w);
	/* The commit becomes visible while its sync is held... */
	long n = before;
	for (int i = 0; i < 500 && n == before; i++) {
		usleep(2000);
		n = count_rows(db);
	}
	CHECK(n == before + 1);
	pthread_create(&tr, NULL, read_then_answer, &r);
	pthread_create(&th, NULL, answer_holding_reader, &h);
	pthread_create(&tq, NULL, answer_without_reading, &quiet);
	pthread_join(tq, NULL);
	for (int i = 0; i < 5000 && !(__atomic_load_n(&r.read, __ATOMIC_ACQUIRE) &&
				      __atomic_load_n(&h.read, __ATOMIC_ACQUIRE)); i++)
		usleep(2000);
	CHECK(r.read && h.read);
	usleep(100 * 1000);
	/* ... but neither its writer nor a reader that saw it is answered,
	 * whether it gave its reader back or still holds it. */
	CHECK(!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE));
	CHECK(!__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
	CHECK(!__atomic_load_n(&h.done, __ATOMIC_ACQUIRE));
	CHECK(quiet.done); /* read nothing: waits for nothing */
	struct db_stats st;
	db_get_stats(db, &st);
	CHECK(st.commits_durable < st.commits_begun);
	db_hold_syncs(db, 0);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	pthread_join(th, NULL);
	CHECK(w.done && r.done && h.done);
	CHECK(r.seen == before + 1 && h.seen >= 1);
	db_get_stats(db, &st);
	CHECK(st.commits_durable == st.commits_begun);
	CHECK(st.syncs >= 1);
	db_close(db);

	/* What this thread read from the closed database does not hold up
	 * answers about the next one (even at the same address). */
	db = open_temp();
	CHECK(db != NULL);
	if (!db)
		return;
	db_hold_syncs(db, 1);
	struct durable_arg w2 = { db, 0, 0, 0 };
	pthread_t tw2;
	pthread_create(&tw2, NULL, write_one, &w2);
	usleep(50 * 1000);
	db_wait_reads(db); /* read nothing from this one: returns at once */
	CHECK(!__atomic_load_n(&w2.done, __ATOMIC_ACQUIRE));
	db_hold_syncs(db, 0);
	pthread_join(tw2, NULL);
	CHECK(w2.done);
	db_close(db);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vern-unit-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/sub/vern.db", dir);
	UNIT_RUN(test_migrations);
	UNIT_RUN(test_migration_gap);
	UNIT_RUN(test_group_commit);
	UNIT_RUN(test_failing_job_alone_rolled_back);
	UNIT_RUN(test_write_now);
	UNIT_RUN(test_backup);
	UNIT_RUN(test_stmt_cache_built_sql);
	UNIT_RUN(test_epoch);
	UNIT_RUN(test_checkpoints_and_wal_reuse);
	UNIT_RUN(test_idle_job);
	UNIT_RUN(test_writer_priority);
	UNIT_RUN(test_shared_state);
	UNIT_RUN(test_durable_before_answers);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
