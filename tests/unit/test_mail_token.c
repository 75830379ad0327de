/* test_mail_token.c: lesson-link tokens (server/mail_token.c): round trip,
 * every single-byte change refused, splicing two tokens refused, expiry,
 * unknown and retired keys, rotation, and the key table. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "mail_token.h"
#include "unit.h"

static struct db *db;

static void ring_of(struct mail_keyring *r, unsigned id, unsigned char fill)
{
	memset(r, 0, sizeof *r);
	r->n = 1;
	r->signing = 0;
	r->keys[0].id = id;
	memset(r->keys[0].secret, fill, MAIL_KEY_BYTES);
}

static struct mail_link link_of(long long emp, const char *course, long long campaign, long long exp)
{
	struct mail_link l;
	memset(&l, 0, sizeof l);
	l.employee_id = emp;
	l.campaign_id = campaign;
	l.expires = exp;
	snprintf(l.course_id, sizeof l.course_id, "%s", course);
	return l;
}

static void round_trip(void)
{
	struct mail_keyring r;
	ring_of(&r, 7, 0x11);
	struct mail_link l = link_of(123456789012LL, "personvern-grunnkurs", 42, 2000000000LL), out;
	char tok[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0);
	CHECK(strlen(tok) < 140);
	CHECK(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(tok));
	CHECK(mail_token_verify(&r, tok, 1900000000LL, &out) == MAIL_TOKEN_OK);
	CHECK(out.employee_id == 123456789012LL);
	CHECK(out.campaign_id == 42);
	CHECK(out.expires == 2000000000LL);
	CHECK(out.kid == 7);
	CHECK_STR(out.course_id, "personvern-grunnkurs");
	/* The same inputs sign to the same token (an outbox row resent after a
	 * crash carries the same link). */
	char again[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&r, &l, again, sizeof again) == 0);
	CHECK_STR(again, tok);
}

static void expired_is_told_apart(void)
{
	struct mail_keyring r;
	ring_of(&r, 1, 0x22);
	struct mail_link l = link_of(5, "phishing", 0, 1000), out;
	char tok[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0);
	CHECK(mail_token_verify(&r, tok, 999, &out) == MAIL_TOKEN_OK);
	memset(&out, 0, sizeof out);
	CHECK(mail_token_verify(&r, tok, 1000, &out) == MAIL_TOKEN_EXPIRED);
	CHECK(out.employee_id == 5);
	CHECK_STR(out.course_id, "phishing");
}

static void every_change_is_refused(void)
{
	struct mail_keyring r;
	ring_of(&r, 3, 0x33);
	struct mail_link l = link_of(77, "taushetsplikt", 9, 2000000000LL), out;
	char tok[MAIL_TOKEN_MAX], bad[MAIL_TOKEN_MAX + 2];
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0);
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(tok);
	int accepted = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < sizeof alphabet - 1; a++) {
			if (alphabet[a] == tok[i])
				continue;
			memcpy(bad, tok, n + 1);
			bad[i] = alphabet[a];
			accepted += mail_token_verify(&r, bad, 0, &out) != MAIL_TOKEN_BAD;
		}
	CHECK(accepted == 0);
	/* Cut, extended, padded, empty, garbage. */
	memcpy(bad, tok, n + 1);
	bad[n - 1] = '\0';
	CHECK(mail_token_verify(&r, bad, 0, &out) == MAIL_TOKEN_BAD);
	snprintf(bad, sizeof bad, "%sA", tok);
	CHECK(mail_token_verify(&r, bad, 0, &out) == MAIL_TOKEN_BAD);
	snprintf(bad, sizeof bad, "%s=", tok);
	CHECK(mail_token_verify(&r, bad, 0, &out) == MAIL_TOKEN_BAD);
	CHECK(mail_token_verify(&r, "", 0, &out) == MAIL_TOKEN_BAD);
	CHECK(mail_token_verify(&r, "eksempel", 0, &out) == MAIL_TOKEN_BAD);
	CHECK(mail_token_verify(&r, "ny-lenke", 0, &out) == MAIL_TOKEN_BAD);
	char longer[400];
	memset(longer, 'A', sizeof longer - 1);
	longer[sizeof longer - 1] = '\0';
	CHECK(mail_token_verify(&r, longer, 0, &out) == MAIL_TOKEN_BAD);
}

/* Another employee's id with this token's MAC, or this payload with
 * another token's MAC: both refused. */
static void splicing_is_refused(void)
{
	struct mail_keyring r;
	ring_of(&r, 3, 0x44);
	struct mail_link a = link_of(100, "avvik", 1, 2000000000LL), b = link_of(101, "avvik", 1, 2000000000LL), out;
	char ta[MAIL_TOKEN_MAX], tb[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&r, &a, ta, sizeof ta) == 0);
	CHECK(mail_token_sign(&r, &b, tb, sizeof tb) == 0);
	unsigned char ra[200], rb[200];
	size_t la, lb;
	CHECK(sodium_base642bin(ra, sizeof ra, ta, strlen(ta), NULL, &la, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
	CHECK(sodium_base642bin(rb, sizeof rb, tb, strlen(tb), NULL, &lb, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
	CHECK(la == lb);
	/* b's payload, a's MAC */
	unsigned char mix[200];
	memcpy(mix, rb, lb - 32);
	memcpy(mix + lb - 32, ra + la - 32, 32);
	char tm[MAIL_TOKEN_MAX];
	sodium_bin2base64(tm, sizeof tm, mix, lb, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	CHECK(mail_token_verify(&r, tm, 0, &out) == MAIL_TOKEN_BAD);
	/* a's token with the employee id bytes of b */
	memcpy(mix, ra, la);
	memcpy(mix + 5, rb + 5, 8);
	sodium_bin2base64(tm, sizeof tm, mix, la, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	CHECK(mail_token_verify(&r, tm, 0, &out) == MAIL_TOKEN_BAD);
	/* a later expiry */
	memcpy(mix, ra, la);
	mix[17] = 0xff;
	sodium_bin2base64(tm, sizeof tm, mix, la, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	CHECK(mail_token_verify(&r, tm, 0, &out) == MAIL_TOKEN_BAD);
}

static void keys_and_rotation(void)
{
	struct mail_keyring one, two, other;
	ring_of(&one, 1, 0x55);
	ring_of(&other, 1, 0x66); /* same id, other secret */
	two = one;
	two.n = 2;
	two.keys[1] = two.keys[0];
	two.keys[0].id = 2;
	memset(two.keys[0].secret, 0x77, MAIL_KEY_BYTES);
	two.signing = 0;
	struct mail_link l = link_of(9, "phishing", 0, 2000000000LL), out;
	char old[MAIL_TOKEN_MAX], fresh[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&one, &l, old, sizeof old) == 0);
	CHECK(mail_token_sign(&two, &l, fresh, sizeof fresh) == 0);
	CHECK(strcmp(old, fresh) != 0);
	CHECK(mail_token_verify(&two, old, 0, &out) == MAIL_TOKEN_OK && out.kid == 1);
	CHECK(mail_token_verify(&two, fresh, 0, &out) == MAIL_TOKEN_OK && out.kid == 2);
	CHECK(mail_token_verify(&one, fresh, 0, &out) == MAIL_TOKEN_BAD);   /* unknown key id */
	CHECK(mail_token_verify(&other, old, 0, &out) == MAIL_TOKEN_BAD);   /* wrong secret */
	struct mail_keyring empty = { .n = 0, .signing = -1 };
	CHECK(mail_token_sign(&empty, &l, old, sizeof old) != 0);
}

static void bad_inputs_are_not_signed(void)
{
	struct mail_keyring r;
	ring_of(&r, 1, 0x12);
	char tok[MAIL_TOKEN_MAX];
	struct mail_link l = link_of(1, "ok-course", 0, 2000000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0);
	l = link_of(0, "ok", 0, 2000000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) != 0);
	l = link_of(1, "", 0, 2000000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) != 0);
	l = link_of(1, "a/b", 0, 2000000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) != 0);
	l = link_of(1, "ok", -1, 2000000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) != 0);
	l = link_of(1, "ok", 0, 0x100000000LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) != 0);
	char course[MAIL_COURSE_MAX + 1];
	memset(course, 'x', MAIL_COURSE_MAX);
	course[MAIL_COURSE_MAX] = '\0';
	l = link_of(1, course, 4294967295LL, 4294967295LL);
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0);
	struct mail_link out;
	CHECK(mail_token_verify(&r, tok, 0, &out) == MAIL_TOKEN_OK && out.campaign_id == 4294967295LL);
	CHECK(mail_token_sign(&r, &l, tok, 20) != 0); /* no room */
}

static void key_table(void)
{
	struct mail_keyring r, r2;
	char err[256];
	CHECK(mail_keys_load(db, &r, err, sizeof err) == 0);
	CHECK(r.n == 1 && r.signing == 0);
	CHECK(mail_keys_load(db, &r2, err, sizeof err) == 0);
	CHECK(r2.n == 1 && r2.keys[0].id == r.keys[0].id);
	CHECK(sodium_memcmp(r.keys[0].secret, r2.keys[0].secret, MAIL_KEY_BYTES) == 0);
	unsigned first = r.keys[0].id, kid;
	CHECK(mail_keys_retire(db, first, err, sizeof err) != 0); /* the only key */
	CHECK(mail_keys_rotate(db, &kid, err, sizeof err) == 0);
	CHECK(kid != first);
	CHECK(mail_keys_load(db, &r2, err, sizeof err) == 0);
	CHECK(r2.n == 2 && r2.keys[r2.signing].id == kid);
	struct mail_link l = link_of(3, "phishing", 0, 2000000000LL), out;
	char tok[MAIL_TOKEN_MAX];
	CHECK(mail_token_sign(&r, &l, tok, sizeof tok) == 0); /* signed with the first key */
	CHECK(mail_token_verify(&r2, tok, 0, &out) == MAIL_TOKEN_OK);
	CHECK(mail_keys_retire(db, first, err, sizeof err) == 0);
	CHECK(mail_keys_retire(db, first, err, sizeof err) != 0);
	CHECK(mail_keys_load(db, &r2, err, sizeof err) == 0);
	CHECK(r2.n == 1 && r2.keys[0].id == kid);
	CHECK(mail_token_verify(&r2, tok, 0, &out) == MAIL_TOKEN_BAD);
	CHECK(mail_keys_retire(db, kid, err, sizeof err) != 0);
}

int main(void)
{
	char dir[] = "/tmp/vern-mailtok-XXXXXX", path[256], err[256];
	if (!mkdtemp(dir) || sodium_init() < 0)
		return 1;
	snprintf(path, sizeof path, "%s/vern.db", dir);
	struct db_options opt = { 5000, 2 };
	if (db_open(&db, path, &opt, err, sizeof err) != 0) {
		fprintf(stderr, "setup failed: %s\n", err);
		return 1;
	}
	UNIT_RUN(round_trip);
	UNIT_RUN(expired_is_told_apart);
	UNIT_RUN(every_change_is_refused);
	UNIT_RUN(splicing_is_refused);
	UNIT_RUN(keys_and_rotation);
	UNIT_RUN(bad_inputs_are_not_signed);
	UNIT_RUN(key_table);
	db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? unit_done() : 1;
}
