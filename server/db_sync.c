/* db_sync.c: the WAL syncer thread and the wait for durable reads (see
 * db_sync.h). */
#include "db_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

/* Like the writer's: every write waits for this thread too. */
#define SYNC_NICE (-20)

struct db_sync {
	unsigned long long id;        /* tells this syncer from one freed at the same address */
	char *wal_path;
	int fd;                       /* the WAL, opened at the first sync */
	void (*release)(struct db_sync_item *batch, int ok);
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* batches handed over, or stop */
	pthread_cond_t moved;         /* durable moved */
	struct db_sync_item *head, *tail; /* batches handed over, oldest first */
	unsigned long long handed;    /* commits begun when the last batch was handed over */
	unsigned long long begun;     /* atomic: commits begun */
	unsigned long long durable;   /* atomic: commits synced */
	unsigned long long syncs;     /* atomic */
	int failed;                   /* atomic */
	int hold;                     /* tests: no sync until released */
	int stop;
};

static unsigned long long next_id = 1; /* atomic */

/* The syncer this thread read from last, how many commits had begun when
 * it gave the reader back, and the readers it holds now. */
static __thread unsigned long long read_from;
static __thread unsigned long long read_need;
static __thread int readers_held;

/* The directory entry of a WAL file created since the last start must be
 * durable too. */
static int sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* Makes everything written to the WAL so far durable. */
static int sync_wal(struct db_sync *s)
{
	struct stat st;
	if (s->fd >= 0 && fstat(s->fd, &st) == 0 && st.st_nlink == 0) {
		close(s->fd); /* the WAL was deleted and made afresh */
		s->fd = -1;
	}
	if (s->fd < 0) {
		s->fd = open(s->wal_path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0)
			return errno == ENOENT ? 0 : -1; /* no WAL: nothing was written */
		if (sync_dir_of(s->wal_path) != 0)
			return -1;
	}
	__atomic_add_fetch(&s->syncs, 1, __ATOMIC_RELAXED);
	return fdatasync(s->fd);
}

static void *sync_main(void *arg)
{
	struct db_sync *s = arg;
	pthread_setname_np(pthread_self(), "vern-sync");
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), SYNC_NICE);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while ((!s->head || s->hold) && !s->stop)
			pthread_cond_wait(&s->wake, &s->lock);
		if (!s->head)
			break;
		struct db_sync_item *batches = s->head;
		unsigned long long target = s->handed;
		s->head = s->tail = NULL;
		pthread_mutex_unlock(&s->lock);

		int ok = !__atomic_load_n(&s->failed, __ATOMIC_ACQUIRE);
		if (ok && sync_wal(s) != 0) {
			log_event(LOG_ERROR, "db_sync_failed", "error=\"%s\"", strerror(errno));
			__atomic_store_n(&s->failed, 1, __ATOMIC_RELEASE);
			ok = 0;
		}
		/* Readers are let go even after a failure: they would wait
		 * forever, and the failure is logged. */
		pthread_mutex_lock(&s->lock);
		__atomic_store_n(&s->durable, target, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&s->moved);
		pthread_mutex_unlock(&s->lock);
		for (struct db_sync_item *b = batches, *next; b; b = next) {
			next = b->next; /* b may be gone once released */
			s->release(b, ok);
		}
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct db_sync *db_sync_start(const char *wal_path,
			      void (*release)(struct db_sync_item *batch, int ok),
			      char *err, size_t errsize)
{
	struct db_sync *s = calloc(1, sizeof(*s));
	if (!s || !(s->wal_path = strdup(wal_path))) {
		free(s);
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	s->id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
	s->fd = -1;
	s->release = release;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	pthread_cond_init(&s->moved, NULL);
	if (pthread_create(&s->thread, NULL, sync_main, s) != 0) {
		snprintf(err, errsize, "cannot start the syncer thread");
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		pthread_cond_destroy(&s->moved);
		free(s->wal_path);
		free(s);
		return NULL;
	}
	return s;
}

void db_sync_stop(struct db_sync *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	pthread_cond_destroy(&s->moved);
	free(s->wal_path);
	free(s);
}

void db_sync_commit_begins(struct db_sync *s)
{
	__atomic_add_fetch(&s->begun, 1, __ATOMIC_SEQ_CST);
}

void db_sync_hand_over(struct db_sync *s, struct db_sync_item *batch)
{
	batch->next = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = batch;
	else
		s->head = batch;
	s->tail = batch;
	s->handed = __atomic_load_n(&s->begun, __ATOMIC_RELAXED);
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

void db_sync_hold(struct db_sync *s, int on)
{
	pthread_mutex_lock(&s->lock);
	s->hold = on;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

int db_sync_failed(struct db_sync *s)
{
	return __atomic_load_n(&s->failed, __ATOMIC_ACQUIRE);
}

void db_sync_read_begins(struct db_sync *s)
{
	if (read_from != s->id) {
		read_from = s->id;
		read_need = 0;
		readers_held = 0;
	}
	readers_held++;
}

void db_sync_read_ends(struct db_sync *s)
{
	if (read_from != s->id)
		return;
	if (readers_held > 0)
		readers_held--;
	read_need = __atomic_load_n(&s->begun, __ATOMIC_SEQ_CST);
}

void db_sync_wait_reads(struct db_sync *s)
{
	if (!s || read_from != s->id)
		return;
	/* a reader still held may have read anything begun until now */
	unsigned long long need = readers_held ? __atomic_load_n(&s->begun, __ATOMIC_SEQ_CST)
					       : read_need;
	if (__atomic_load_n(&s->durable, __ATOMIC_ACQUIRE) >= need)
		return;
	pthread_mutex_lock(&s->lock);
	while (__atomic_load_n(&s->durable, __ATOMIC_ACQUIRE) < need && !s->stop)
		pthread_cond_wait(&s->moved, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void db_sync_counts(struct db_sync *s, unsigned long long *begun, unsigned long long *durable,
		    unsigned long long *syncs)
{
	*begun = __atomic_load_n(&s->begun, __ATOMIC_ACQUIRE);
	*durable = __atomic_load_n(&s->durable, __ATOMIC_ACQUIRE);
	*syncs = __atomic_load_n(&s->syncs, __ATOMIC_RELAXED);
}
