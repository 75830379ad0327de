/* hmac_sha1.h: HMAC-SHA1 (RFC 2104), the MAC behind TOTP codes (RFC 6238).
 * libsodium has no SHA-1, so this builds on lrs/sha1.c. SHA-1's collision
 * weakness does not affect HMAC-SHA1 as TOTP uses it. */
#ifndef VERN_HMAC_SHA1_H
#define VERN_HMAC_SHA1_H

#include <stddef.h>

#define HMAC_SHA1_BYTES 20

/* out = HMAC-SHA1(key, msg). */
void hmac_sha1(const unsigned char *key, size_t key_len, const unsigned char *msg,
	       size_t msg_len, unsigned char out[HMAC_SHA1_BYTES]);

#endif
