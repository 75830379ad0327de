/* rate_limit.h: counts events per key (a client's IP address) in fixed
 * windows, in memory, for the per-address limit on sign-in attempts. The
 * table has a fixed size; when it is full the key whose window started
 * longest ago is forgotten, so memory never grows with an attack. */
#ifndef VERN_RATE_LIMIT_H
#define VERN_RATE_LIMIT_H

struct rate_limit;

/* A table of slots entries. NULL when out of memory. */
struct rate_limit *rate_limit_new(int slots);
void rate_limit_free(struct rate_limit *rl);

/* Counts one event for key at now_ms. Returns 0 when the key has made at
 * most limit events in its current window of window_ms, else -1 with
 * *retry_s set to the seconds until its window ends. */
int rate_limit_hit(struct rate_limit *rl, const char *key, long limit, long long window_ms,
		   long long now_ms, long *retry_s);

#endif
