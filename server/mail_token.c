/* mail_token.c: signing and checking lesson-link tokens, and the key table
 * (see mail_token.h). */
#include "mail_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "session.h"

#define TOKEN_VERSION 1
#define HEAD_BYTES 22 /* version kid employee campaign expires course_len */
#define MAC_BYTES crypto_auth_BYTES
#define RAW_MAX (HEAD_BYTES + MAIL_COURSE_MAX + MAC_BYTES)

static const char domain[] = "vern.link.v1";

int mail_token_course_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAIL_COURSE_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return 1;
}

static void put_be(unsigned char *p, unsigned long long v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static unsigned long long get_be(const unsigned char *p, int bytes)
{
	unsigned long long v = 0;
	for (int i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

static void mac(const struct mail_key *k, const unsigned char *msg, size_t len, unsigned char *out)
{
	crypto_auth_hmacsha512256_state st;
	crypto_auth_hmacsha512256_init(&st, k->secret, MAIL_KEY_BYTES);
	crypto_auth_hmacsha512256_update(&st, (const unsigned char *)domain, sizeof domain);
	crypto_auth_hmacsha512256_update(&st, msg, len);
	crypto_auth_hmacsha512256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

int mail_token_sign(const struct mail_keyring *ring, const struct mail_link *l, char *out,
		    size_t size)
{
	if (!ring || ring->signing < 0 || ring->signing >= ring->n || !mail_token_course_ok(l->course_id) ||
	    l->employee_id <= 0 || l->campaign_id < 0 || l->campaign_id > 0xffffffffLL ||
	    l->expires <= 0 || l->expires > 0xffffffffLL)
		return -1;
	const struct mail_key *k = &ring->keys[ring->signing];
	unsigned char raw[RAW_MAX];
	size_t clen = strlen(l->course_id);
	raw[0] = TOKEN_VERSION;
	put_be(raw + 1, k->id, 4);
	put_be(raw + 5, (unsigned long long)l->employee_id, 8);
	put_be(raw + 13, (unsigned long long)l->campaign_id, 4);
	put_be(raw + 17, (unsigned long long)l->expires, 4);
	raw[21] = (unsigned char)clen;
	memcpy(raw + HEAD_BYTES, l->course_id, clen);
	size_t body = HEAD_BYTES + clen;
	mac(k, raw, body, raw + body);
	size_t need = sodium_base64_ENCODED_LEN(body + MAC_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (size < need)
		return -1;
	sodium_bin2base64(out, size, raw, body + MAC_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int mail_token_verify(const struct mail_keyring *ring, const char *token, long long now,
		      struct mail_link *out)
{
	unsigned char raw[RAW_MAX];
	size_t len = 0, tlen = strnlen(token, MAIL_TOKEN_MAX);
	if (!ring || tlen == 0 || tlen >= MAIL_TOKEN_MAX)
		return MAIL_TOKEN_BAD;
	if (sodium_base642bin(raw, sizeof raw, token, tlen, NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return MAIL_TOKEN_BAD;
	if (len < HEAD_BYTES + 1 + MAC_BYTES || raw[0] != TOKEN_VERSION)
		return MAIL_TOKEN_BAD;
	size_t clen = raw[21];
	if (clen == 0 || clen > MAIL_COURSE_MAX || len != HEAD_BYTES + clen + MAC_BYTES)
		return MAIL_TOKEN_BAD;
	unsigned kid = (unsigned)get_be(raw + 1, 4);
	const struct mail_key *k = NULL;
	for (int i = 0; i < ring->n; i++)
		if (ring->keys[i].id == kid)
			k = &ring->keys[i];
	if (!k)
		return MAIL_TOKEN_BAD;
	unsigned char want[MAC_BYTES];
	size_t body = HEAD_BYTES + clen;
	mac(k, raw, body, want);
	if (sodium_memcmp(want, raw + body, MAC_BYTES) != 0)
		return MAIL_TOKEN_BAD;

	struct mail_link l;
	memset(&l, 0, sizeof l);
	l.kid = kid;
	l.employee_id = (long long)get_be(raw + 5, 8);
	l.campaign_id = (long long)get_be(raw + 13, 4);
	l.expires = (long long)get_be(raw + 17, 4);
	memcpy(l.course_id, raw + HEAD_BYTES, clen);
	l.course_id[clen] = '\0';
	/* Authentic tokens were made by mail_token_sign, but check anyway. */
	if (l.employee_id <= 0 || !mail_token_course_ok(l.course_id))
		return MAIL_TOKEN_BAD;
	*out = l;
	return now >= l.expires ? MAIL_TOKEN_EXPIRED : MAIL_TOKEN_OK;
}

/* ---- the key table ---- */

static int count_live(struct db_conn *c, int *n)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM mail_keys WHERE retired_ms IS NULL");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return DB_ERROR;
	*n = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return DB_OK;
}

struct add_key_job {
	int only_if_none;
	unsigned kid;
};

static int add_key(struct db_conn *c, void *arg)
{
	struct add_key_job *j = arg;
	int n = 0;
	if (count_live(c, &n) != DB_OK)
		return DB_ERROR;
	if (j->only_if_none && n > 0)
		return DB_OK;
	if (n >= MAIL_KEYS_MAX)
		return DB_INVALID;
	unsigned char secret[MAIL_KEY_BYTES];
	randombytes_buf(secret, sizeof secret);
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO mail_keys(secret, created_ms) VALUES(?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_blob(st, 1, secret, sizeof secret, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, session_now_ms());
	sodium_memzero(secret, sizeof secret);
	int rc = db_exec_stmt(c, st, "mail_key_insert");
	if (rc == DB_OK)
		j->kid = (unsigned)sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int mail_keys_load(struct db *db, struct mail_keyring *ring, char *err, size_t errsize)
{
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium could not start");
		return -1;
	}
	struct add_key_job j = { 1, 0 };
	if (db_write(db, add_key, &j) != DB_OK) {
		snprintf(err, errsize, "the link signing key could not be created");
		return -1;
	}
	memset(ring, 0, sizeof *ring);
	ring->signing = -1;
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, secret FROM mail_keys WHERE retired_ms IS NULL"
				      " ORDER BY id DESC LIMIT 16");
	int rc = st ? SQLITE_ROW : SQLITE_ERROR;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != MAIL_KEY_BYTES)
			continue;
		struct mail_key *k = &ring->keys[ring->n++];
		k->id = (unsigned)sqlite3_column_int64(st, 0);
		memcpy(k->secret, sqlite3_column_blob(st, 1), MAIL_KEY_BYTES);
	}
	db_reader_put(db, c);
	if (rc != SQLITE_DONE || ring->n == 0) {
		sodium_memzero(ring, sizeof *ring);
		ring->signing = -1;
		snprintf(err, errsize, "the link signing keys could not be read");
		return -1;
	}
	ring->signing = 0; /* newest first */
	return 0;
}

int mail_keys_rotate(struct db *db, unsigned *kid, char *err, size_t errsize)
{
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium could not start");
		return -1;
	}
	struct add_key_job j = { 0, 0 };
	int rc = db_write(db, add_key, &j);
	if (rc == DB_INVALID) {
		snprintf(err, errsize, "there are already %d keys in use; retire an old one first",
			 MAIL_KEYS_MAX);
		return -1;
	}
	if (rc != DB_OK) {
		snprintf(err, errsize, "the new key could not be stored");
		return -1;
	}
	*kid = j.kid;
	return 0;
}

struct retire_job {
	unsigned kid;
	int found;
};

static int retire_key(struct db_conn *c, void *arg)
{
	struct retire_job *j = arg;
	int n = 0;
	if (count_live(c, &n) != DB_OK)
		return DB_ERROR;
	sqlite3_stmt *st = db_stmt(c, "UPDATE mail_keys SET retired_ms = ? WHERE id = ? AND retired_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, session_now_ms());
	sqlite3_bind_int64(st, 2, j->kid);
	int rc = db_exec_stmt(c, st, "mail_key_retire");
	if (rc != DB_OK)
		return rc;
	j->found = sqlite3_changes(db_handle(c));
	if (j->found && n <= 1)
		return DB_INVALID; /* never leave no key */
	return DB_OK;
}

int mail_keys_retire(struct db *db, unsigned kid, char *err, size_t errsize)
{
	struct retire_job j = { kid, 0 };
	int rc = db_write(db, retire_key, &j);
	if (rc == DB_INVALID) {
		snprintf(err, errsize, "key %u is the only key in use; rotate first", kid);
		return -1;
	}
	if (rc != DB_OK) {
		snprintf(err, errsize, "the key could not be retired");
		return -1;
	}
	if (!j.found) {
		snprintf(err, errsize, "no key %u in use", kid);
		return -1;
	}
	return 0;
}
