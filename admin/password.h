/* password.h: account passwords, hashed with libsodium's crypto_pwhash
 * (argon2id, the "interactive" limits: 64 MiB, 2 passes), verified in the
 * same time whether or not the account exists, and generated for new
 * accounts. At most PASSWORD_MAX_PARALLEL hashes run at once, so a burst
 * of sign-ins cannot take all memory. */
#ifndef VERN_PASSWORD_H
#define VERN_PASSWORD_H

#include <sodium.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX crypto_pwhash_STRBYTES
#define PASSWORD_MIN_CHARS 12
#define PASSWORD_MAX_BYTES 1024
#define PASSWORD_MAX_PARALLEL 4

/* Hashes pw into out (PASSWORD_HASH_MAX bytes). Returns 0 or -1. */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);

/* 1 when pw matches hash. With hash NULL (no such account, or one without
 * a password) it checks pw against a hash of a random password, so the
 * answer takes as long as for a real account, and returns 0. */
int password_verify(const char *hash, const char *pw);

/* 1 when hash was made with other limits than today's (rehash on sign-in). */
int password_needs_rehash(const char *hash);

/* 0 when pw may be used: valid UTF-8, at least PASSWORD_MIN_CHARS
 * characters, at most PASSWORD_MAX_BYTES bytes. Else -1 with a Norwegian
 * reason in err. */
int password_acceptable(const char *pw, char *err, size_t errsize);

/* A new random password, 4 groups of 5 unambiguous letters and digits
 * ("k7tqz-...", about 100 bits), into out (at least 24 bytes). */
void password_generate(char *out, size_t size);

#endif
