/* json_arena.c: jansson's allocator with per-thread arenas (see
 * json_arena.h).
 *
 * Arena memory comes from one reservation of address space, cut into an
 * area per thread, so the free function tells arena blocks from malloc'd
 * ones by their address alone (callers free jansson's strings with plain
 * free(), so blocks carry no header). A thread takes an area the first
 * time it parses and gives it back when it ends. Releasing an arena moves
 * its area's mark back (pages beyond KEEP_BYTES go back to the system).
 * When the areas are all taken, or one is full, allocations fall back to
 * malloc, which the free function handles as before (and the arena notes
 * it: see json_arena_holds_all). Under
 * AddressSanitizer released memory is poisoned, so a value used after its
 * arena's release is reported. */
#include "json_arena.h"

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define AREA_BYTES ((size_t)64 << 20)
#define AREAS 256
#define KEEP_BYTES ((size_t)1 << 20)

static unsigned char *region; /* AREAS * AREA_BYTES of address space, or NULL */
static unsigned char taken[AREAS];
static pthread_mutex_t areas_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t area_key;

static __thread unsigned char *area;   /* this thread's area, or NULL */
static __thread size_t area_used;
static __thread int arena_on;
static __thread int fell_back; /* an allocation while arena_on came from malloc */

static int in_region(const void *p)
{
	return region && (const unsigned char *)p >= region &&
	       (const unsigned char *)p < region + (size_t)AREAS * AREA_BYTES;
}

/* At thread exit: the area back to the others, its pages to the system. */
static void give_back(void *base)
{
	size_t i = (size_t)((unsigned char *)base - region) / AREA_BYTES;
	(void)madvise(base, AREA_BYTES, MADV_DONTNEED);
	(void)mprotect(base, AREA_BYTES, PROT_NONE);
	pthread_mutex_lock(&areas_lock);
	taken[i] = 0;
	pthread_mutex_unlock(&areas_lock);
}

static int take_area(void)
{
	if (area)
		return 0;
	pthread_mutex_lock(&areas_lock);
	size_t i = 0;
	while (i < AREAS && taken[i])
		i++;
	if (i < AREAS)
		taken[i] = 1;
	pthread_mutex_unlock(&areas_lock);
	if (i == AREAS)
		return -1;
	unsigned char *base = region + i * AREA_BYTES;
	if (mprotect(base, AREA_BYTES, PROT_READ | PROT_WRITE) != 0 ||
	    pthread_setspecific(area_key, base) != 0) {
		pthread_mutex_lock(&areas_lock);
		taken[i] = 0;
		pthread_mutex_unlock(&areas_lock);
		return -1;
	}
	POISON(base, AREA_BYTES);
	area = base;
	area_used = 0;
	return 0;
}

static void *arena_malloc(size_t n)
{
	if (arena_on) {
		size_t need = (n + 15) & ~(size_t)15;
		if (need >= n && AREA_BYTES - area_used >= need) {
			unsigned char *p = area + area_used;
			area_used += need;
			UNPOISON(p, n);
			return p;
		}
		fell_back = 1;
	}
	return malloc(n);
}

static void arena_free(void *p)
{
	if (!in_region(p))
		free(p);
}

void json_arena_install(void)
{
	void *r = mmap(NULL, (size_t)AREAS * AREA_BYTES, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return;
	if (pthread_key_create(&area_key, give_back) != 0) {
		munmap(r, (size_t)AREAS * AREA_BYTES);
		return;
	}
	region = r;
	json_set_alloc_funcs(arena_malloc, arena_free);
}

void json_arena_begin(struct json_arena *a)
{
	if (a->used) {
		/* resumed: only while nothing else used the area since */
		if (!a->active && !arena_on && area_used == a->end) {
			a->active = 1;
			arena_on = 1;
			fell_back = 0;
		} else if (!a->active) {
			a->spilled = 1;
		}
		return;
	}
	if (a->tried)
		return; /* its first begin found no area: it stays unused */
	a->tried = 1;
	if (!region || arena_on || take_area() != 0)
		return;
	a->active = 1;
	a->used = 1;
	a->spilled = 0;
	a->start = area_used;
	arena_on = 1;
	fell_back = 0;
}

void json_arena_end(struct json_arena *a)
{
	if (!a->active)
		return;
	a->active = 0;
	a->end = area_used;
	a->spilled |= fell_back;
	arena_on = 0;
}

int json_arena_holds_all(const struct json_arena *a)
{
	return a && a->used && !a->spilled;
}

void json_arena_release(struct json_arena *a)
{
	json_arena_end(a);
	if (!a->used)
		return;
	a->used = 0;
	if (area_used != a->end)
		return; /* not the last arena used on this thread: left to it */
	POISON(area + a->start, area_used - a->start);
	area_used = a->start;
	if (a->end > KEEP_BYTES && a->start < KEEP_BYTES)
		(void)madvise(area + KEEP_BYTES, a->end - KEEP_BYTES, MADV_DONTNEED);
}
