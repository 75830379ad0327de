/* test_lrs_cache.c: the writer's bounded (kind, text) map (lrs/cache.c):
 * exact hits, replacement, values, the bound, and clearing. */
#include <stdio.h>

#include "cache.h"
#include "unit.h"

static void hits_are_exact(void)
{
	struct lrs_cache *c = lrs_cache_new(8);
	CHECK(c != NULL);
	CHECK(lrs_cache_put(c, 1, "https://x.no/a", 10, NULL) == 0);
	CHECK(lrs_cache_put(c, 2, "https://x.no/a", 20, NULL) == 0);
	const struct lrs_cache_entry *e = lrs_cache_get(c, 1, "https://x.no/a");
	CHECK(e && e->id == 10 && e->value == NULL);
	e = lrs_cache_get(c, 2, "https://x.no/a");
	CHECK(e && e->id == 20);
	CHECK(lrs_cache_get(c, 3, "https://x.no/a") == NULL);
	CHECK(lrs_cache_get(c, 1, "https://x.no/b") == NULL);
	CHECK(lrs_cache_get(c, 1, "") == NULL);
	lrs_cache_free(c);
}

static void put_replaces_the_same_key(void)
{
	struct lrs_cache *c = lrs_cache_new(4);
	CHECK(lrs_cache_put(c, 0, "k", 1, "old definition") == 0);
	CHECK(lrs_cache_put(c, 0, "k", 2, "new definition") == 0);
	const struct lrs_cache_entry *e = lrs_cache_get(c, 0, "k");
	CHECK(e && e->id == 2);
	CHECK_STR(e ? e->value : NULL, "new definition");
	/* the key took one slot, not two: three more keys all fit the one set */
	struct lrs_cache *one_set = lrs_cache_new(2);
	CHECK(lrs_cache_put(one_set, 0, "k", 1, NULL) == 0);
	CHECK(lrs_cache_put(one_set, 0, "k", 2, NULL) == 0);
	CHECK(lrs_cache_put(one_set, 0, "l", 3, NULL) == 0);
	CHECK(lrs_cache_put(one_set, 0, "m", 4, NULL) == 0);
	CHECK(lrs_cache_put(one_set, 0, "n", 5, NULL) == 0);
	CHECK(lrs_cache_get(one_set, 0, "k") && lrs_cache_get(one_set, 0, "l") &&
	      lrs_cache_get(one_set, 0, "m") && lrs_cache_get(one_set, 0, "n"));
	lrs_cache_free(one_set);
	lrs_cache_free(c);
}

/* At most 2^bits entries: a fifth key in a four-slot cache pushes one out,
 * and what is found is always right. */
static void memory_is_bounded(void)
{
	struct lrs_cache *c = lrs_cache_new(2);
	char key[32];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		CHECK(lrs_cache_put(c, 0, key, i, NULL) == 0);
	}
	int found = 0;
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		const struct lrs_cache_entry *e = lrs_cache_get(c, 0, key);
		if (e) {
			found++;
			CHECK(e->id == i);
		}
	}
	CHECK(found == 4);
	CHECK(lrs_cache_get(c, 0, "key-4") != NULL); /* the newest is kept */
	lrs_cache_free(c);
}

/* At half load, almost every key stays (a direct-mapped table kept about
 * two thirds). */
static void half_load_keeps_keys(void)
{
	struct lrs_cache *c = lrs_cache_new(12);
	char key[64];
	for (int i = 0; i < 2048; i++) {
		snprintf(key, sizeof(key), "https://vern.example/activities/a%d", i);
		CHECK(lrs_cache_put(c, 3, key, i, NULL) == 0);
	}
	int found = 0;
	for (int i = 0; i < 2048; i++) {
		snprintf(key, sizeof(key), "https://vern.example/activities/a%d", i);
		const struct lrs_cache_entry *e = lrs_cache_get(c, 3, key);
		found += e && e->id == i;
	}
	printf("# kept %d of 2048 at half load\n", found);
	CHECK(found > 2048 * 9 / 10);
	lrs_cache_free(c);
}

static void clear_forgets(void)
{
	struct lrs_cache *c = lrs_cache_new(6);
	CHECK(lrs_cache_put(c, 1, "a", 1, "v") == 0);
	lrs_cache_clear(c);
	CHECK(lrs_cache_get(c, 1, "a") == NULL);
	CHECK(lrs_cache_put(c, 1, "a", 7, NULL) == 0);
	const struct lrs_cache_entry *e = lrs_cache_get(c, 1, "a");
	CHECK(e && e->id == 7);
	lrs_cache_free(c);
}

int main(void)
{
	UNIT_RUN(hits_are_exact);
	UNIT_RUN(put_replaces_the_same_key);
	UNIT_RUN(memory_is_bounded);
	UNIT_RUN(half_load_keeps_keys);
	UNIT_RUN(clear_forgets);
	return unit_done();
}
