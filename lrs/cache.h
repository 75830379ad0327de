/* cache.h: a bounded in-memory map from (kind, text) to an integer and an
 * optional text, for the writer's caches (terms.c, definitions.c).
 *
 * Set-associative: each key may sit in one of the four slots of its set,
 * and a new entry in a full set replaces one of them, so memory stays
 * bounded (at most 2^bits entries) and a key is lost only when five keys
 * in use share a set (a direct-mapped table lost about a third of its keys
 * at half load). Lookups compare the whole key, so a
 * hit is always exact. Not thread-safe: it has one owner (the writer). */
#ifndef VERN_LRS_CACHE_H
#define VERN_LRS_CACHE_H

#include <stdint.h>

struct lrs_cache;

struct lrs_cache_entry {
	long long id;
	const char *value; /* NULL when none was stored */
};

/* A cache of 2^bits slots, or NULL when out of memory. */
struct lrs_cache *lrs_cache_new(unsigned bits);

/* Frees the cache and its entries (a void * for db_conn_set_state). */
void lrs_cache_free(void *cache);

/* Forgets every entry. */
void lrs_cache_clear(struct lrs_cache *c);

/* The entry for (kind, key), or NULL. Valid until the next put or clear. */
const struct lrs_cache_entry *lrs_cache_get(struct lrs_cache *c, int kind, const char *key);

/* Stores (kind, key) -> id, value (copied; value may be NULL). Returns 0,
 * or -1 when out of memory (the slot is then empty). */
int lrs_cache_put(struct lrs_cache *c, int kind, const char *key, long long id, const char *value);

/* The hash of (kind, key) that places it (never 0), and get and put with
 * it given, for callers that spread keys over several caches by hash. */
uint64_t lrs_cache_hash(int kind, const char *key);
/* Starts loading the table line a lookup of hash reads (no lock needed:
 * the table itself never moves), so several lookups overlap their waits
 * for memory. */
void lrs_cache_prefetch(const struct lrs_cache *c, uint64_t hash);
const struct lrs_cache_entry *lrs_cache_get_hashed(struct lrs_cache *c, uint64_t hash, int kind,
						   const char *key);
int lrs_cache_put_hashed(struct lrs_cache *c, uint64_t hash, int kind, const char *key, long long id,
			 const char *value);

#endif
