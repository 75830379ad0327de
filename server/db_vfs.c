/* db_vfs.c: the SQLite VFS Vern's connections use: the system's own VFS
 * with writes gathered (see db_vfs.h).
 *
 * SQLite writes a WAL frame as two calls (a 24-byte header, then the
 * page), and a checkpoint writes the database one page per call. Each call
 * is a system call, and on virtualised hosts a system call can cost more
 * than the copy it makes. This VFS keeps the bytes a file handle writes at
 * consecutive offsets in a buffer and hands them to the real file in one
 * write when anything else happens to the file: a sync, a read, a write
 * elsewhere, a size query, a truncation, a lock change or the close. So
 * everything SQLite reads back, and everything a sync makes durable, has
 * been written first: SQLite sees the same file, only in fewer calls. A
 * write error comes back from the call that flushes (a sync at the latest,
 * which fails the commit).
 *
 * Other connections read the WAL through their own handles, so frames must
 * reach the file before a commit makes them visible: Vern's writer commits
 * with synchronous=FULL, which syncs (and so flushes) the WAL before SQLite
 * publishes the new frames in the WAL index. A commit without a sync
 * (db_write_now) turns gathering off for its thread while it runs.
 *
 * The writer thread's WAL syncs are deferred (db_vfs_defer_sync): its
 * COMMIT flushes what is gathered, so readers find the frames in the
 * file, and the syncer thread (db_sync.c) makes them durable.
 *
 * The database file is only written by checkpoints (WAL mode), which copy
 * pages in page order: most of them follow the one before (new pages are
 * added at the end), so they are gathered too. A checkpoint syncs the
 * database (and so flushes) before it marks the frames as copied, which is
 * when other connections start reading those pages from the database file;
 * every connection that checkpoints has synchronous=FULL (none runs with
 * OFF, which would skip that sync). The checkpointer reads the frames it
 * copies mostly in file order too, and reads ahead (db_vfs_read_ahead). */
#include "db_vfs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define GATHER_BYTES (1 << 20)
/* What one read of a WAL file fetches for a thread that reads ahead. In a
 * checkpoint under batch ingest, 32 KB serve 3.1 frames per system call
 * (16 KB: 2.1, 256 KB: 4.2 but 62 KB copied per frame). */
#define READ_AHEAD_BYTES (32 * 1024)
/* The unix VFS writes at most 128 KB - 1 per call (it masks the length with
 * 0x1ffff, so a write of exactly 128 KB would write nothing). */
#define WRITE_CHUNK 0x1f000

struct gfile {
	sqlite3_file base;    /* our methods */
	sqlite3_file *real;   /* the system VFS's file, allocated right after us */
	int wal;              /* a WAL file */
	int gather;           /* a WAL or main database file: its writes are gathered */
	char *buf;
	size_t len, cap;
	sqlite3_int64 off;    /* file offset of buf[0] */
};

static sqlite3_vfs gvfs;
static sqlite3_io_methods gmethods;
static __thread int write_through; /* see db_vfs_write_through */
static __thread int defer_sync;    /* see db_vfs_defer_sync */

/* The calling thread's read-ahead of one WAL file (see db_vfs_read_ahead):
 * bytes [off, off + len) of file f, and the file's size when last asked. */
static __thread struct {
	int on;
	const struct gfile *f;
	sqlite3_int64 off, size;
	size_t len;
	char *buf;
} ahead;

void db_vfs_write_through(int on)
{
	write_through = on;
}

void db_vfs_defer_sync(int on)
{
	defer_sync = on;
}

void db_vfs_read_ahead(int on)
{
	free(ahead.buf);
	memset(&ahead, 0, sizeof(ahead));
	ahead.on = on;
}

static int flush(struct gfile *f)
{
	int rc = SQLITE_OK;
	for (size_t done = 0; done < f->len && rc == SQLITE_OK;) {
		size_t n = f->len - done < WRITE_CHUNK ? f->len - done : WRITE_CHUNK;
		rc = f->real->pMethods->xWrite(f->real, f->buf + done, (int)n,
					       f->off + (sqlite3_int64)done);
		done += n;
	}
	f->len = 0;
	return rc;
}

static int g_close(sqlite3_file *p)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

/* A read of a WAL file by a thread that reads ahead: served from the bytes
 * read before when it lies within them, else from READ_AHEAD_BYTES read at
 * off (no further than the file's end). A read past the end is left to
 * the system VFS, which answers it as SQLite expects. */
static int read_ahead(struct gfile *f, void *out, int n, sqlite3_int64 off)
{
	if (ahead.f != f || off < ahead.off || off + n > ahead.off + (sqlite3_int64)ahead.len) {
		int rc;
		if (ahead.f != f || off + n > ahead.size) {
			if ((rc = f->real->pMethods->xFileSize(f->real, &ahead.size)) != SQLITE_OK)
				return rc;
		}
		ahead.f = NULL;
		if (off + n > ahead.size || (!ahead.buf && !(ahead.buf = malloc(READ_AHEAD_BYTES))))
			return f->real->pMethods->xRead(f->real, out, n, off);
		size_t len = ahead.size - off < READ_AHEAD_BYTES ? (size_t)(ahead.size - off)
								 : READ_AHEAD_BYTES;
		if ((rc = f->real->pMethods->xRead(f->real, ahead.buf, (int)len, off)) != SQLITE_OK)
			return rc == SQLITE_IOERR_SHORT_READ ? f->real->pMethods->xRead(f->real, out, n, off)
							     : rc;
		ahead.f = f;
		ahead.off = off;
		ahead.len = len;
	}
	memcpy(out, ahead.buf + (off - ahead.off), (size_t)n);
	return SQLITE_OK;
}

static int g_read(sqlite3_file *p, void *out, int n, sqlite3_int64 off)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	if (rc != SQLITE_OK)
		return rc;
	if (ahead.on && f->wal && n > 0 && n <= READ_AHEAD_BYTES / 4)
		return read_ahead(f, out, n, off);
	return f->real->pMethods->xRead(f->real, out, n, off);
}

static int g_write(sqlite3_file *p, const void *data, int n, sqlite3_int64 off)
{
	struct gfile *f = (struct gfile *)p;
	if (!f->gather || n <= 0 || write_through) {
		int rc = flush(f);
		return rc != SQLITE_OK ? rc : f->real->pMethods->xWrite(f->real, data, n, off);
	}
	if (f->len && off != f->off + (sqlite3_int64)f->len) {
		int rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
	}
	if (f->len + (size_t)n > GATHER_BYTES) {
		int rc = flush(f);
		if (rc != SQLITE_OK)
			return rc;
		if ((size_t)n > WRITE_CHUNK)
			return f->real->pMethods->xWrite(f->real, data, n, off);
	}
	if (!f->buf) {
		f->buf = malloc(GATHER_BYTES);
		if (!f->buf)
			return f->real->pMethods->xWrite(f->real, data, n, off);
		f->cap = GATHER_BYTES;
	}
	if (!f->len)
		f->off = off;
	memcpy(f->buf + f->len, data, (size_t)n);
	f->len += (size_t)n;
	return SQLITE_OK;
}

static int g_truncate(sqlite3_file *p, sqlite3_int64 size)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int g_sync(sqlite3_file *p, int flags)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	if (rc != SQLITE_OK || (defer_sync && f->wal))
		return rc;
	return f->real->pMethods->xSync(f->real, flags);
}

static int g_file_size(sqlite3_file *p, sqlite3_int64 *size)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int g_lock(sqlite3_file *p, int level)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int g_unlock(sqlite3_file *p, int level)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xUnlock(f->real, level);
}

static int g_check_reserved(sqlite3_file *p, int *out)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int g_file_control(sqlite3_file *p, int op, void *arg)
{
	struct gfile *f = (struct gfile *)p;
	int rc = flush(f);
	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int g_sector_size(sqlite3_file *p)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xSectorSize(f->real);
}

static int g_device_characteristics(sqlite3_file *p)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int g_shm_map(sqlite3_file *p, int page, int size, int extend, void volatile **out)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xShmMap(f->real, page, size, extend, out);
}

static int g_shm_lock(sqlite3_file *p, int offset, int n, int flags)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xShmLock(f->real, offset, n, flags);
}

static void g_shm_barrier(sqlite3_file *p)
{
	struct gfile *f = (struct gfile *)p;
	f->real->pMethods->xShmBarrier(f->real);
}

static int g_shm_unmap(sqlite3_file *p, int delete_flag)
{
	struct gfile *f = (struct gfile *)p;
	return f->real->pMethods->xShmUnmap(f->real, delete_flag);
}

static int g_fetch(sqlite3_file *p, sqlite3_int64 off, int n, void **out)
{
	struct gfile *f = (struct gfile *)p;
	*out = NULL;
	int rc = flush(f);
	if (rc != SQLITE_OK || f->real->pMethods->iVersion < 3)
		return rc; /* no mapping: SQLite reads instead */
	return f->real->pMethods->xFetch(f->real, off, n, out);
}

static int g_unfetch(sqlite3_file *p, sqlite3_int64 off, void *ptr)
{
	struct gfile *f = (struct gfile *)p;
	if (f->real->pMethods->iVersion < 3)
		return SQLITE_OK;
	return f->real->pMethods->xUnfetch(f->real, off, ptr);
}

static int g_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *p, int flags, int *out_flags)
{
	sqlite3_vfs *sys = vfs->pAppData;
	struct gfile *f = (struct gfile *)p;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	int rc = sys->xOpen(sys, name, f->real, flags, out_flags);
	if (rc != SQLITE_OK || !f->real->pMethods) {
		f->base.pMethods = NULL; /* SQLite will not close what did not open */
		return rc;
	}
	f->wal = (flags & SQLITE_OPEN_WAL) != 0;
	f->gather = (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0;
	f->base.pMethods = &gmethods;
	return SQLITE_OK;
}

static int g_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xDelete(s, name, sync_dir);
}

static int g_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xAccess(s, name, flags, out);
}

static int g_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xFullPathname(s, name, n, out);
}

static void *g_dlopen(sqlite3_vfs *v, const char *name)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xDlOpen(s, name);
}

static void g_dlerror(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *s = v->pAppData;
	s->xDlError(s, n, out);
}

static void (*g_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xDlSym(s, h, sym);
}

static void g_dlclose(sqlite3_vfs *v, void *h)
{
	sqlite3_vfs *s = v->pAppData;
	s->xDlClose(s, h);
}

static int g_randomness(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xRandomness(s, n, out);
}

static int g_sleep(sqlite3_vfs *v, int us)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xSleep(s, us);
}

static int g_current_time(sqlite3_vfs *v, double *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xCurrentTime(s, out);
}

static int g_last_error(sqlite3_vfs *v, int n, char *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xGetLastError ? s->xGetLastError(s, n, out) : 0;
}

static int g_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	sqlite3_vfs *s = v->pAppData;
	return s->xCurrentTimeInt64(s, out);
}

int db_vfs_register(void)
{
	static int done;
	if (__atomic_load_n(&done, __ATOMIC_ACQUIRE))
		return SQLITE_OK;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&lock);
	int rc = SQLITE_OK;
	if (!done) {
		sqlite3_vfs *sys = sqlite3_vfs_find(NULL);
		if (!sys || sys->iVersion < 2) {
			rc = SQLITE_ERROR;
		} else {
			gmethods = (sqlite3_io_methods){
				3, g_close, g_read, g_write, g_truncate, g_sync, g_file_size, g_lock,
				g_unlock, g_check_reserved, g_file_control, g_sector_size,
				g_device_characteristics, g_shm_map, g_shm_lock, g_shm_barrier,
				g_shm_unmap, g_fetch, g_unfetch };
			gvfs = (sqlite3_vfs){ 2, (int)sizeof(struct gfile) + sys->szOsFile,
				sys->mxPathname, NULL, DB_VFS_NAME, sys, g_open, g_delete, g_access,
				g_full_pathname, g_dlopen, g_dlerror, g_dlsym, g_dlclose, g_randomness,
				g_sleep, g_current_time, g_last_error, g_current_time64, NULL, NULL, NULL };
			rc = sqlite3_vfs_register(&gvfs, 0);
		}
		if (rc == SQLITE_OK)
			__atomic_store_n(&done, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&lock);
	return rc;
}
