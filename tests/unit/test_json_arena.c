/* test_json_arena.c: jansson's per-thread arena (lrs/json_arena.c): values
 * parsed inside an arena live until its release and the next parse reuses
 * the memory; values made outside it, strings jansson hands out and values
 * freed after the arena ended are all handled; a second arena on the same
 * thread stays unused; an arena resumed later in a request still holds
 * every value, unless something came between; threads parse in their own
 * areas at once. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json_arena.h"
#include "unit.h"

static const char doc[] = "{\"actor\":{\"mbox\":\"mailto:kari@vern.test\"},\"verb\":{\"id\":"
			  "\"http://adlnet.gov/expapi/verbs/completed\"},\"object\":{\"id\":"
			  "\"https://vern.test/a/1\",\"definition\":{\"name\":{\"nb-NO\":\"Leksjon\"}}}}";

static void values_live_until_release(void)
{
	json_t *before = json_string("made before"); /* from malloc */
	struct json_arena a = { 0 };
	json_arena_begin(&a);
	json_t *v = json_loads(doc, 0, NULL);
	json_arena_end(&a);
	CHECK(v != NULL);
	json_t *added = json_string("made after"); /* from malloc, into an arena object */
	CHECK(json_object_set_new(v, "extra", added) == 0);
	char *text = json_dumps(v, JSON_SORT_KEYS);
	CHECK(text && strstr(text, "Leksjon") && strstr(text, "made after"));
	free(text); /* callers free jansson's strings with free() */
	const char *name = json_string_value(json_object_get(json_object_get(
		json_object_get(json_object_get(v, "object"), "definition"), "name"), "nb-NO"));
	CHECK(name && strcmp(name, "Leksjon") == 0);
	json_decref(v);
	json_arena_release(&a);
	json_decref(before);

	/* the next parse on this thread reuses the same memory */
	struct json_arena b = { 0 };
	json_arena_begin(&b);
	json_t *w = json_loads(doc, 0, NULL);
	json_arena_end(&b);
	CHECK(w != NULL);
	struct json_arena c = { 0 };
	json_arena_begin(&c);
	json_t *x = json_loads(doc, 0, NULL);
	json_arena_end(&c);
	CHECK(x != NULL && (char *)x > (char *)w);
	json_decref(x);
	json_arena_release(&c);
	json_decref(w);
	json_arena_release(&b);
	struct json_arena d = { 0 };
	json_arena_begin(&d);
	json_t *y = json_loads(doc, 0, NULL);
	json_arena_end(&d);
	CHECK(y == w); /* same place as b's first value */
	json_decref(y);
	json_arena_release(&d);
}

/* An arena whose first begin found no area (another arena was active on
 * the thread) stays unused when begun again later, so a tree parsed from
 * malloc is never taken for the arena's. */
static void unused_arena_stays_unused(void)
{
	struct json_arena outer = { 0 }, late = { 0 };
	json_arena_begin(&outer);
	json_arena_begin(&late); /* no area for it now */
	json_t *v = json_loads(doc, 0, NULL); /* in outer */
	json_arena_end(&late);
	json_arena_end(&outer);
	json_decref(v); /* a no-op: outer's */
	json_arena_release(&outer);
	struct json_arena other = { 0 };
	json_arena_begin(&other);
	json_t *w = json_loads(doc, 0, NULL);
	json_arena_end(&other);
	json_arena_begin(&late); /* the area is free now, but late stays unused */
	json_t *x = json_string("from malloc");
	json_arena_end(&late);
	CHECK(!json_arena_holds_all(&late));
	json_decref(x);
	json_decref(w);
	json_arena_release(&other);
	json_arena_release(&late);
}

static void nested_arena_unused(void)
{
	struct json_arena outer = { 0 }, inner = { 0 };
	json_arena_begin(&outer);
	json_arena_begin(&inner); /* one at a time: this one stays unused */
	json_t *v = json_loads(doc, 0, NULL);
	json_arena_end(&inner);
	json_arena_release(&inner);
	json_t *w = json_loads(doc, 0, NULL); /* still in outer */
	json_arena_end(&outer);
	CHECK(v && w && json_equal(v, w));
	json_decref(v);
	json_decref(w);
	json_arena_release(&outer);
}

/* Resumed later in the request, an arena keeps holding everything made
 * while it is active; when something else used the thread's area in
 * between, or a value came from malloc, it says so (then the tree must be
 * freed value by value). */
static void holds_all_when_resumed(void)
{
	struct json_arena a = { 0 };
	CHECK(!json_arena_holds_all(&a)); /* never used */
	json_arena_begin(&a);
	json_t *v = json_loads(doc, 0, NULL);
	json_arena_end(&a);
	json_arena_begin(&a); /* resumed */
	json_object_set_new(v, "stored", json_string("2026-11-23T10:00:00.000Z"));
	json_t *copy = json_copy(v);
	json_arena_end(&a);
	CHECK(copy && json_object_size(copy) == 4);
	CHECK(json_arena_holds_all(&a));
	json_arena_release(&a); /* no json_decref: the whole tree goes */

	struct json_arena b = { 0 }, other = { 0 };
	json_arena_begin(&b);
	json_t *w = json_loads(doc, 0, NULL);
	json_arena_end(&b);
	json_arena_begin(&other); /* another use of the area in between */
	json_t *x = json_loads(doc, 0, NULL);
	json_arena_end(&other);
	json_arena_begin(&b); /* cannot resume: values come from malloc */
	json_t *added = json_string("from malloc");
	json_object_set_new(w, "extra", added);
	json_arena_end(&b);
	CHECK(!json_arena_holds_all(&b));
	json_decref(w); /* frees the malloc'd value */
	json_decref(x);
	json_arena_release(&other);
	json_arena_release(&b);
}

static void *parse_many(void *arg)
{
	int *ok = arg;
	*ok = 1;
	for (int i = 0; i < 2000; i++) {
		struct json_arena a = { 0 };
		json_arena_begin(&a);
		json_t *v = json_loads(doc, 0, NULL);
		json_arena_end(&a);
		char *text = v ? json_dumps(v, 0) : NULL;
		if (!text || !strstr(text, "kari@vern.test"))
			*ok = 0;
		free(text);
		json_decref(v);
		json_arena_release(&a);
	}
	return NULL;
}

static void threads_parse_at_once(void)
{
	pthread_t t[4];
	int ok[4];
	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&t[i], NULL, parse_many, &ok[i]) == 0);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(ok[i]);
	}
}

int main(void)
{
	json_arena_install();
	UNIT_RUN(values_live_until_release);
	UNIT_RUN(nested_arena_unused);
	UNIT_RUN(holds_all_when_resumed);
	UNIT_RUN(unused_arena_stays_unused);
	UNIT_RUN(threads_parse_at_once);
	return unit_done();
}
