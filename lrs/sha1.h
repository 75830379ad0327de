/* sha1.h: SHA-1 (FIPS 180-4), used for the ETags of xAPI documents.
 *
 * xAPI 1.0.3 asks for ETags computed as the SHA-1 of the content, and the
 * conformance suite checks for 40 hex digits; libsodium has no SHA-1, so
 * this is a small self-contained implementation. Not for security use. */
#ifndef VERN_LRS_SHA1_H
#define VERN_LRS_SHA1_H

#include <stddef.h>
#include <stdint.h>

struct lrs_sha1 {
	uint32_t h[5];
	uint64_t len;          /* bytes hashed so far */
	unsigned char buf[64];
	size_t nbuf;
};

void lrs_sha1_init(struct lrs_sha1 *s);
void lrs_sha1_update(struct lrs_sha1 *s, const void *data, size_t len);
void lrs_sha1_final(struct lrs_sha1 *s, unsigned char digest[20]);

/* One call: the digest of data as 40 lowercase hex digits and a NUL into
 * hex (41 bytes). */
void lrs_sha1_hex(const void *data, size_t len, char hex[41]);

#endif
