/* test_db_vfs.c: the gathering VFS (server/db_vfs.c) under a checkpoint:
 * database pages written by a checkpoint are gathered, and WAL frames are
 * read ahead, and what reaches the database file is exactly what was
 * committed. Rows of known content are written in many transactions (new
 * pages in order, and old pages changed again, so the frames are read both
 * in order and out of it), checkpointed through the VFS with read-ahead on,
 * and then read back from the database file alone with SQLite's own VFS. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_vfs.h"
#include "unit.h"

#define ROWS 3000
#define ROW_BYTES 700

static char dir[64], path[128];

/* The content of row i in its version v: bytes from a small generator. */
static void row_bytes(int i, int v, unsigned char *out)
{
	unsigned x = (unsigned)i * 2654435761u + (unsigned)v * 40503u + 1u;
	for (int k = 0; k < ROW_BYTES; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[k] = (unsigned char)x;
	}
}

static int exec(sqlite3 *h, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		printf("# %s: %s\n", sql, err ? err : "?");
	sqlite3_free(err);
	return rc;
}

static int put_row(sqlite3 *h, int i, int v)
{
	unsigned char b[ROW_BYTES];
	row_bytes(i, v, b);
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO t(i, v, b) VALUES(?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int(st, 1, i);
	sqlite3_bind_int(st, 2, v);
	sqlite3_bind_blob(st, 3, b, ROW_BYTES, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void test_checkpoint_through_vfs(void)
{
	CHECK(db_vfs_register() == SQLITE_OK);
	sqlite3 *w = NULL;
	CHECK(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, DB_VFS_NAME) == SQLITE_OK);
	CHECK(exec(w, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;"
		      "PRAGMA cache_size=50;"
		      "CREATE TABLE t(i INTEGER PRIMARY KEY, v INTEGER NOT NULL, b BLOB NOT NULL);") == SQLITE_OK);
	/* new rows, 50 per transaction; then every seventh row again, out of
	 * page order, so later frames hold old pages */
	for (int i = 0; i < ROWS; i += 50) {
		CHECK(exec(w, "BEGIN") == SQLITE_OK);
		for (int k = i; k < i + 50; k++)
			CHECK(put_row(w, k, 0) == 0);
		CHECK(exec(w, "COMMIT") == SQLITE_OK);
	}
	for (int i = ROWS - 1; i >= 0; i -= 7) {
		CHECK(put_row(w, i, 1) == 0);
	}
	/* a second connection checkpoints, reading ahead, as the server's
	 * checkpointer does */
	sqlite3 *ck = NULL;
	CHECK(sqlite3_open_v2(path, &ck, SQLITE_OPEN_READWRITE, DB_VFS_NAME) == SQLITE_OK);
	CHECK(exec(ck, "PRAGMA synchronous=FULL") == SQLITE_OK);
	int log = -1, copied = -1;
	db_vfs_read_ahead(1);
	CHECK(sqlite3_wal_checkpoint_v2(ck, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK);
	db_vfs_read_ahead(0);
	CHECK(log > 100 && copied == log);
	/* keep the WAL: copy the database file alone and read it with the
	 * system's VFS, so only what the checkpoint wrote is seen */
	char copy[160];
	snprintf(copy, sizeof(copy), "%s.copy", path);
	FILE *in = fopen(path, "rb"), *out = fopen(copy, "wb");
	CHECK(in && out);
	char buf[65536];
	size_t n;
	while (in && out && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	if (in)
		fclose(in);
	if (out)
		fclose(out);
	sqlite3 *r = NULL;
	CHECK(sqlite3_open_v2(copy, &r, SQLITE_OPEN_READWRITE, "unix") == SQLITE_OK);
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_prepare_v2(r, "SELECT i, v, b FROM t ORDER BY i", -1, &st, NULL) == SQLITE_OK);
	int rows = 0, bad = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		int i = sqlite3_column_int(st, 0), v = sqlite3_column_int(st, 1);
		unsigned char want[ROW_BYTES];
		row_bytes(i, v, want);
		int changed = (ROWS - 1 - i) % 7 == 0;
		if (i != rows || v != changed || sqlite3_column_bytes(st, 2) != ROW_BYTES ||
		    memcmp(sqlite3_column_blob(st, 2), want, ROW_BYTES) != 0)
			bad++;
		rows++;
	}
	sqlite3_finalize(st);
	CHECK(rows == ROWS);
	CHECK(bad == 0);
	st = NULL;
	CHECK(sqlite3_prepare_v2(r, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0);
	sqlite3_finalize(st);
	sqlite3_close(r);
	unlink(copy);
	sqlite3_close(ck);
	sqlite3_close(w);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vern-test-vfs-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/t.db", dir);
	UNIT_RUN(test_checkpoint_through_vfs);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 1;
	return unit_done();
}
