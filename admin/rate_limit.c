/* rate_limit.c: fixed-window counters in an open-addressed table (see
 * rate_limit.h). One mutex: the work under it is a few comparisons. */
#include "rate_limit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_MAX 64
#define PROBES 8

struct slot {
	char key[KEY_MAX];
	long long start_ms;
	long count;
};

struct rate_limit {
	pthread_mutex_t lock;
	int nslots;
	struct slot *slots;
};

struct rate_limit *rate_limit_new(int slots)
{
	struct rate_limit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->slots = calloc((size_t)slots, sizeof(struct slot));
	if (!rl->slots) {
		free(rl);
		return NULL;
	}
	rl->nslots = slots;
	pthread_mutex_init(&rl->lock, NULL);
	return rl;
}

void rate_limit_free(struct rate_limit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

int rate_limit_hit(struct rate_limit *rl, const char *key, long limit, long long window_ms,
		   long long now_ms, long *retry_s)
{
	char k[KEY_MAX];
	snprintf(k, sizeof(k), "%s", key);
	pthread_mutex_lock(&rl->lock);
	unsigned long h = hash(k);
	struct slot *hit = NULL, *oldest = NULL;
	for (int i = 0; i < PROBES && !hit; i++) {
		struct slot *s = &rl->slots[(h + (unsigned long)i) % (unsigned long)rl->nslots];
		if (strcmp(s->key, k) == 0)
			hit = s;
		else if (!oldest || s->start_ms < oldest->start_ms)
			oldest = s;
	}
	if (!hit) {
		hit = oldest;
		memcpy(hit->key, k, sizeof(k));
		hit->start_ms = now_ms;
		hit->count = 0;
	}
	if (now_ms - hit->start_ms >= window_ms) {
		hit->start_ms = now_ms;
		hit->count = 0;
	}
	hit->count++;
	int rc = hit->count <= limit ? 0 : -1;
	if (rc != 0)
		*retry_s = (long)((hit->start_ms + window_ms - now_ms + 999) / 1000);
	pthread_mutex_unlock(&rl->lock);
	return rc;
}
