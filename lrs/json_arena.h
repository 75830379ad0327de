/* json_arena.h: a per-thread bump allocator for the JSON values jansson
 * makes while it parses a statement request.
 *
 * Parsing a batch of statements makes about a hundred small values per
 * statement; from malloc, allocating and freeing them again is a large
 * part of a request thread's time. Between json_arena_begin and
 * json_arena_end, jansson's allocations on the calling thread come from
 * the thread's arena instead (freeing them is a no-op); json_arena_release
 * gives the memory back at once. Every value made from the arena must be
 * gone by then: the caller keeps its parse within one request. Everything
 * else jansson allocates, on any thread, comes from malloc as before.
 *
 * json_arena_install runs first thing in main(), before other threads
 * exist. Without it (unit tests, fuzzers) no arena is ever used. A thread
 * uses one arena at a time. */
#ifndef VERN_LRS_JSON_ARENA_H
#define VERN_LRS_JSON_ARENA_H

#include <stddef.h>

struct json_arena {
	size_t start, end; /* the part of the thread's area it holds */
	int active, used;
	int tried;         /* begun once (used stays 0 when that found no area) */
	int spilled;       /* some value made while active came from malloc */
};

void json_arena_install(void);

/* This thread's jansson allocations come from a (zeroed, or released
 * since) until json_arena_end. Beginning a again, later in the same
 * request, resumes it. */
void json_arena_begin(struct json_arena *a);
void json_arena_end(struct json_arena *a);

/* Whether every value made while a was active came from it (none from
 * malloc: the area was full, no area was free, or another use of the
 * thread's area came between). Then a tree made only while a was active
 * need not be freed value by value: json_arena_release frees it whole,
 * and its owner may skip json_decref (a tree with any other value in it
 * must still be given back with json_decref). */
int json_arena_holds_all(const struct json_arena *a);

/* Gives back what a holds; no value made from it may be used again. */
void json_arena_release(struct json_arena *a);

#endif
