/* mail_token.h: the signed tokens in lesson links.
 *
 * A link is PUBLIC_URL/e/TOKEN. The token names the employee, the course,
 * the campaign (0: none) and an expiry, and carries a MAC over them made
 * with a server secret (crypto_auth, HMAC-SHA512-256) and the key's id, so
 * checking a link needs no database lookup of a guessable id and keys can
 * be rotated. Layout before base64url (no padding):
 *
 *   version(1)=1 kid(4) employee(8) campaign(4) expires(4, unix s)
 *   course_len(1) course(course_len) mac(32)
 *
 * The MAC covers "vern.link.v1" NUL and every byte before it. Keys live in
 * the mail_keys table (generated with randombytes, never logged). */
#ifndef VERN_MAIL_TOKEN_H
#define VERN_MAIL_TOKEN_H

#include <stddef.h>

struct db;

#define MAIL_KEY_BYTES 32
#define MAIL_KEYS_MAX 16
#define MAIL_COURSE_MAX 127
#define MAIL_TOKEN_MAX 256 /* base64url text incl. NUL, for the longest course id */

struct mail_key {
	unsigned id;
	unsigned char secret[MAIL_KEY_BYTES];
};

/* The keys that verify (every unretired key) and the one that signs (the
 * newest). */
struct mail_keyring {
	struct mail_key keys[MAIL_KEYS_MAX];
	int n;
	int signing; /* index into keys, -1 when empty */
};

struct mail_link {
	long long employee_id;
	long long campaign_id;   /* 0: sent outside a campaign */
	char course_id[MAIL_COURSE_MAX + 1];
	long long expires;       /* unix seconds */
	unsigned kid;            /* set by verify */
};

enum {
	MAIL_TOKEN_OK = 0,
	MAIL_TOKEN_BAD = -1,     /* malformed, unknown key or wrong MAC */
	MAIL_TOKEN_EXPIRED = -2, /* authentic but expired: out is filled */
};

/* Writes the token for l, signed with the ring's signing key, into out
 * (MAIL_TOKEN_MAX bytes). Returns 0, or -1 for an empty ring or bad input
 * (course id empty, too long or not [A-Za-z0-9._-], ids out of range). */
int mail_token_sign(const struct mail_keyring *ring, const struct mail_link *l, char *out,
		    size_t size);

/* Checks token at time now (unix seconds). Returns MAIL_TOKEN_OK with out
 * filled, MAIL_TOKEN_EXPIRED with out filled, or MAIL_TOKEN_BAD. Constant
 * time in the MAC comparison. */
int mail_token_verify(const struct mail_keyring *ring, const char *token, long long now,
		      struct mail_link *out);

/* 1 if s is a course id a token can carry. */
int mail_token_course_ok(const char *s);

/* Loads the unretired keys; creates the first key when there is none.
 * Returns 0 or -1 with err set. */
int mail_keys_load(struct db *db, struct mail_keyring *ring, char *err, size_t errsize);

/* Adds a new signing key (older keys keep verifying). Fills *kid. */
int mail_keys_rotate(struct db *db, unsigned *kid, char *err, size_t errsize);

/* Retires key kid: links signed with it stop working. Refuses the last
 * unretired key. */
int mail_keys_retire(struct db *db, unsigned kid, char *err, size_t errsize);

#endif
