/* cache.c: the writer's bounded (kind, text) map (see cache.h). */
#include "cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	uint64_t hash;
	int kind;
	struct lrs_cache_entry e;
	char key[]; /* the key, then the value when there is one */
};

struct lrs_cache {
	struct slot **slots;
	size_t mask;
	size_t used;
};

static uint64_t key_hash(int kind, const char *key)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)(unsigned)kind;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (h >> 29);
}

struct lrs_cache *lrs_cache_new(unsigned bits)
{
	struct lrs_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->slots = calloc((size_t)1 << bits, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->mask = ((size_t)1 << bits) - 1;
	return c;
}

void lrs_cache_clear(struct lrs_cache *c)
{
	if (!c->used)
		return;
	for (size_t i = 0; i <= c->mask; i++) {
		free(c->slots[i]);
		c->slots[i] = NULL;
	}
	c->used = 0;
}

void lrs_cache_free(void *cache)
{
	struct lrs_cache *c = cache;
	if (!c)
		return;
	lrs_cache_clear(c);
	free(c->slots);
	free(c);
}

const struct lrs_cache_entry *lrs_cache_get(struct lrs_cache *c, int kind, const char *key)
{
	uint64_t h = key_hash(kind, key);
	const struct slot *s = c->slots[h & c->mask];
	if (s && s->hash == h && s->kind == kind && strcmp(s->key, key) == 0)
		return &s->e;
	return NULL;
}

int lrs_cache_put(struct lrs_cache *c, int kind, const char *key, long long id, const char *value)
{
	uint64_t h = key_hash(kind, key);
	struct slot **at = &c->slots[h & c->mask];
	if (*at) {
		free(*at);
		*at = NULL;
		c->used--;
	}
	size_t klen = strlen(key) + 1, vlen = value ? strlen(value) + 1 : 0;
	struct slot *s = malloc(sizeof(*s) + klen + vlen);
	if (!s)
		return -1;
	s->hash = h;
	s->kind = kind;
	s->e.id = id;
	memcpy(s->key, key, klen);
	s->e.value = NULL;
	if (value) {
		memcpy(s->key + klen, value, vlen);
		s->e.value = s->key + klen;
	}
	*at = s;
	c->used++;
	return 0;
}
