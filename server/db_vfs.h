/* db_vfs.h: the SQLite VFS Vern's own connections use ("vern"): the
 * system's VFS, with the writes SQLite makes at consecutive offsets of the
 * WAL and the database file gathered into one system call each. */
#ifndef VERN_DB_VFS_H
#define VERN_DB_VFS_H

#include <sqlite3.h>

#define DB_VFS_NAME "vern"

/* Registers the VFS (once per process; safe to call again). Returns
 * SQLITE_OK or an SQLite error code. */
int db_vfs_register(void);

/* on: writes made by the calling thread go to the file at once (after
 * anything gathered before), for commits that do not sync (a sync is what
 * otherwise flushes the WAL before other connections may read it). */
void db_vfs_write_through(int on);

/* on: a sync of a WAL file asked for by the calling thread (the writer,
 * at COMMIT) only writes out what is gathered; the syncer makes it
 * durable afterwards (see db_sync.h). */
void db_vfs_defer_sync(int on);

/* on: the calling thread's reads of WAL files fetch 32 KB at a time and
 * serve the next reads from it; off drops what was fetched. Only for the
 * span of one checkpoint: the frames it copies do not change while it
 * runs, but the WAL is written again after it. */
void db_vfs_read_ahead(int on);

#endif
