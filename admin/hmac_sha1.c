/* hmac_sha1.c: HMAC-SHA1 on lrs_sha1 (see hmac_sha1.h). */
#include "hmac_sha1.h"

#include <sodium.h>
#include <string.h>

#include "sha1.h"

#define BLOCK 64

void hmac_sha1(const unsigned char *key, size_t key_len, const unsigned char *msg,
	       size_t msg_len, unsigned char out[HMAC_SHA1_BYTES])
{
	unsigned char k[BLOCK] = { 0 }, pad[BLOCK], inner[HMAC_SHA1_BYTES];
	struct lrs_sha1 s;
	if (key_len > BLOCK) {
		lrs_sha1_init(&s);
		lrs_sha1_update(&s, key, key_len);
		lrs_sha1_final(&s, k);
	} else {
		memcpy(k, key, key_len);
	}
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	lrs_sha1_init(&s);
	lrs_sha1_update(&s, pad, BLOCK);
	lrs_sha1_update(&s, msg, msg_len);
	lrs_sha1_final(&s, inner);
	for (int i = 0; i < BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	lrs_sha1_init(&s);
	lrs_sha1_update(&s, pad, BLOCK);
	lrs_sha1_update(&s, inner, HMAC_SHA1_BYTES);
	lrs_sha1_final(&s, out);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&s, sizeof(s));
}
