/* cache.c: the writer's bounded (kind, text) map (see cache.h). */
#include "cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* An entry: its key, then its value when there is one. */
struct entry {
	int kind;
	struct lrs_cache_entry e;
	char key[];
};

/* One way of a set: the key's hash (0 = empty) and its entry. */
struct way {
	uint64_t hash;
	struct entry *entry;
};

/* Four ways fill one 64-byte cache line: a lookup reads one line of the
 * table and then the entry it finds. */
#define WAYS 4

struct lrs_cache {
	struct way *ways;
	size_t set_mask;
	size_t used;
};

uint64_t lrs_cache_hash(int kind, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)kind;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	h ^= h >> 29;
	return h ? h : 1;
}

static struct way *set_of(const struct lrs_cache *c, uint64_t h)
{
	return &c->ways[(h & c->set_mask) * WAYS];
}

void lrs_cache_prefetch(const struct lrs_cache *c, uint64_t h)
{
	__builtin_prefetch(set_of(c, h));
}

struct lrs_cache *lrs_cache_new(unsigned bits)
{
	if (bits < 2)
		bits = 2;
	struct lrs_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	size_t n = (size_t)1 << bits;
	c->ways = aligned_alloc(64, n * sizeof(*c->ways));
	if (!c->ways) {
		free(c);
		return NULL;
	}
	memset(c->ways, 0, n * sizeof(*c->ways));
	c->set_mask = n / WAYS - 1;
	return c;
}

void lrs_cache_clear(struct lrs_cache *c)
{
	if (!c->used)
		return;
	size_t n = (c->set_mask + 1) * WAYS;
	for (size_t i = 0; i < n; i++) {
		free(c->ways[i].entry);
		c->ways[i] = (struct way){ 0, NULL };
	}
	c->used = 0;
}

void lrs_cache_free(void *cache)
{
	struct lrs_cache *c = cache;
	if (!c)
		return;
	lrs_cache_clear(c);
	free(c->ways);
	free(c);
}

static struct way *find(const struct lrs_cache *c, uint64_t h, int kind, const char *key)
{
	struct way *set = set_of(c, h);
	for (int i = 0; i < WAYS; i++)
		if (set[i].hash == h && set[i].entry->kind == kind && strcmp(set[i].entry->key, key) == 0)
			return &set[i];
	return NULL;
}

const struct lrs_cache_entry *lrs_cache_get_hashed(struct lrs_cache *c, uint64_t h, int kind,
						   const char *key)
{
	const struct way *w = find(c, h, kind, key);
	return w ? &w->entry->e : NULL;
}

const struct lrs_cache_entry *lrs_cache_get(struct lrs_cache *c, int kind, const char *key)
{
	return lrs_cache_get_hashed(c, lrs_cache_hash(kind, key), kind, key);
}

int lrs_cache_put(struct lrs_cache *c, int kind, const char *key, long long id, const char *value)
{
	return lrs_cache_put_hashed(c, lrs_cache_hash(kind, key), kind, key, id, value);
}

int lrs_cache_put_hashed(struct lrs_cache *c, uint64_t h, int kind, const char *key, long long id,
			 const char *value)
{
	/* the same key's way, else an empty one, else one chosen by the hash
	 * (the set is full: some entry has to go) */
	struct way *at = find(c, h, kind, key);
	struct way *set = set_of(c, h);
	for (int i = 0; !at && i < WAYS; i++)
		if (!set[i].entry)
			at = &set[i];
	if (!at)
		at = &set[(h >> 32) % WAYS];
	if (at->entry) {
		free(at->entry);
		*at = (struct way){ 0, NULL };
		c->used--;
	}
	size_t klen = strlen(key) + 1, vlen = value ? strlen(value) + 1 : 0;
	struct entry *e = malloc(sizeof(*e) + klen + vlen);
	if (!e)
		return -1;
	e->kind = kind;
	e->e.id = id;
	memcpy(e->key, key, klen);
	e->e.value = NULL;
	if (value) {
		memcpy(e->key + klen, value, vlen);
		e->e.value = e->key + klen;
	}
	*at = (struct way){ h, e };
	c->used++;
	return 0;
}
