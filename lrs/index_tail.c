/* index_tail.c: the index rows of the newest statements, kept by the
 * writer (see index_tail.h). */
#include "index_tail.h"

#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "index.h"

/* A tail this long is dropped: passes keep it far shorter under load, so
 * it only grows when the index is not written (about 60 MB at most). */
#define TAIL_STATEMENTS (4 * LRS_INDEX_BULK)

struct tail {
	int active;
	long long from, last;    /* holds the statements (from, last] */
	struct lrs_key_queue keys, regs;
	size_t keys_at, regs_at; /* rows before these are taken */
	unsigned long epoch;
};

static const char tail_key[] = "lrs_index_tail";

static void tail_drop(struct tail *t)
{
	lrs_key_queue_free(&t->keys);
	lrs_key_queue_free(&t->regs);
	memset(t, 0, sizeof(*t));
}

static void tail_free(void *v)
{
	if (v)
		tail_drop(v);
	free(v);
}

/* The writer's tail, or NULL when out of memory. */
static struct tail *tail_of(struct db_conn *c)
{
	struct tail *t = db_conn_state_new(c, tail_key, sizeof(*t), tail_free);
	if (t && t->active && t->epoch != db_conn_epoch(c))
		tail_drop(t);
	return t;
}

void lrs_index_tail_sync(struct db_conn *c, long long mark, long long last)
{
	struct tail *t = tail_of(c);
	if (!t || (t->active && t->last == last))
		return;
	tail_drop(t);
	if (mark != last)
		return;
	t->active = 1;
	t->from = t->last = mark;
	t->epoch = db_conn_epoch(c);
}

void lrs_index_tail_note(struct db_conn *c, long long seq, const struct lrs_keyset *k,
			 const char *registration)
{
	struct tail *t = tail_of(c);
	if (!t || !t->active)
		return;
	if (seq != t->last + 1 || t->last - t->from >= TAIL_STATEMENTS) {
		tail_drop(t);
		return;
	}
	if (lrs_keys_queue(&t->keys, k, seq) != DB_OK ||
	    (registration && lrs_keys_queue_registration(&t->regs, registration, seq) != DB_OK)) {
		tail_drop(t);
		return;
	}
	t->last = seq;
}

/* Appends the rows [*at, ...) of from whose seq is at most upto to to, in
 * order (as arrivals of to); advances *at. Returns 0 or DB_ERROR. */
static int move_rows(struct lrs_key_queue *from, size_t *at, long long upto, struct lrs_key_queue *to)
{
	size_t end = *at;
	while (end < from->n && from->r[end].seq <= upto)
		end++;
	if (lrs_keys_queue_rows(to, from->r + *at, end - *at) != DB_OK)
		return DB_ERROR;
	*at = end;
	/* drop what was taken once it is most of the queue */
	if (*at > 4096 && *at * 2 > from->n) {
		memmove(from->r, from->r + *at, (from->n - *at) * sizeof(*from->r));
		from->n -= *at;
		*at = 0;
	}
	return DB_OK;
}

int lrs_index_tail_take(struct db_conn *c, long long *last, size_t *statements, size_t max,
			struct lrs_key_queue *keys, struct lrs_key_queue *regs)
{
	struct tail *t = tail_of(c);
	if (!t || !t->active || max == 0 || *last < t->from || *last >= t->last)
		return DB_OK;
	long long upto = t->last - *last > (long long)max ? *last + (long long)max : t->last;
	/* rows of statements the caller already has (it started before the
	 * tail did) are passed over */
	while (t->keys_at < t->keys.n && t->keys.r[t->keys_at].seq <= *last)
		t->keys_at++;
	while (t->regs_at < t->regs.n && t->regs.r[t->regs_at].seq <= *last)
		t->regs_at++;
	if (move_rows(&t->keys, &t->keys_at, upto, keys) != DB_OK ||
	    move_rows(&t->regs, &t->regs_at, upto, regs) != DB_OK) {
		tail_drop(t);
		return DB_ERROR;
	}
	*statements += (size_t)(upto - *last);
	*last = upto;
	t->from = upto;
	return DB_OK;
}
