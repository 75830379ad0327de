/* db_sync.h: the WAL syncer: makes the writer's commits durable on a
 * thread of its own, so the writer goes on with the next batch while the
 * disk syncs the last one.
 *
 * The writer commits with its WAL syncs deferred (db_vfs_defer_sync): a
 * COMMIT writes its frames to the file and publishes them, without
 * waiting for the disk. It then hands the batch to the syncer, which
 * fdatasyncs the WAL (everything written so far, so every commit handed
 * over before the sync began) and only then releases the batch: a job's
 * caller is answered only after its data is on disk, as before.
 *
 * Readers can see a commit before it is durable. So that nothing a power
 * cut could take back ever leaves the server, a thread that read from the
 * database waits, before it answers anyone (db_sync_wait_reads, called by
 * the HTTP layer and the mail sender), until every commit that had begun
 * when it last gave back a reader is durable. Under write load that is at
 * most one sync; without writes it costs nothing. */
#ifndef VERN_DB_SYNC_H
#define VERN_DB_SYNC_H

#include <stddef.h>

struct db_sync;

/* A batch handed over: the writer's struct embeds one. */
struct db_sync_item {
	struct db_sync_item *next;
};

/* Starts the syncer of the WAL file wal_path. release(batch, ok) is called
 * on the syncer thread for every batch handed over, in order, once the WAL
 * is synced past it (ok 1) or the sync failed (ok 0). Returns NULL with
 * err set on failure. */
struct db_sync *db_sync_start(const char *wal_path,
			      void (*release)(struct db_sync_item *batch, int ok),
			      char *err, size_t errsize);

/* Releases every batch handed over (syncing first), stops the thread and
 * frees s. Safe on NULL. */
void db_sync_stop(struct db_sync *s);

/* Writer, just before COMMIT: counts the commit that may now become
 * visible to readers. */
void db_sync_commit_begins(struct db_sync *s);

/* Writer, after COMMIT (or its failure): batch is released after the next
 * sync. */
void db_sync_hand_over(struct db_sync *s, struct db_sync_item *batch);

/* 1 once a sync has failed: what was written since may not be durable, so
 * the writer takes no more work. */
int db_sync_failed(struct db_sync *s);

/* Reader side: a reader connection is taken, and given back (when the
 * calling thread may have read every commit begun so far). A thread's
 * reads are tracked for one database at a time: the one it read last. */
void db_sync_read_begins(struct db_sync *s);
void db_sync_read_ends(struct db_sync *s);

/* Waits until everything the calling thread may have read from s is
 * durable: what had begun when it gave its last reader back, or, while it
 * still holds one, everything begun so far. Safe on NULL. */
void db_sync_wait_reads(struct db_sync *s);

/* Tests: on, the syncer syncs nothing (so commits stay visible but not
 * durable) until called again with off. */
void db_sync_hold(struct db_sync *s, int on);

/* Commits begun, and commits known durable (for tests and stats). */
void db_sync_counts(struct db_sync *s, unsigned long long *begun, unsigned long long *durable,
		    unsigned long long *syncs);

#endif
