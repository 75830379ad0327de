/* test_login_parts.c: the pieces of signing in and retention that need no
 * server: password rules, hashing and the dummy verification, generated
 * passwords, usernames and roles, the per-IP limiter, safe next pages and
 * the pseudonymisation of a statement. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login.h"
#include "password.h"
#include "rate_limit.h"
#include "retention.h"
#include "users.h"
#include "unit.h"

static void passwords(void)
{
	char err[200], hash[PASSWORD_HASH_MAX], gen[32];
	CHECK(password_acceptable("kort", err, sizeof(err)) != 0);
	CHECK(strstr(err, "12") != NULL);
	CHECK(password_acceptable("æøåæøåæøåæøå", err, sizeof(err)) == 0); /* 12 characters, 24 bytes */
	CHECK(password_acceptable("æøåæøåæøåæø", err, sizeof(err)) != 0);
	CHECK(password_acceptable("abcdefghijk\xff", err, sizeof(err)) != 0);
	password_generate(gen, sizeof(gen));
	CHECK(strlen(gen) == 23 && gen[5] == '-' && gen[11] == '-' && gen[17] == '-');
	CHECK(password_hash(gen, hash) == 0);
	CHECK(strncmp(hash, "$argon2id$", 10) == 0);
	CHECK(password_verify(hash, gen) == 1);
	CHECK(password_verify(hash, "feil-passord-123") == 0);
	CHECK(password_verify(NULL, gen) == 0); /* the dummy hash never matches */
	CHECK(password_verify("", gen) == 0);
	CHECK(password_needs_rehash(hash) == 0);
}

static void names_and_roles(void)
{
	CHECK(users_name_ok("kari.nordmann@testvik.no"));
	CHECK(!users_name_ok(""));
	CHECK(!users_name_ok("kari nordmann"));
	CHECK(!users_name_ok("kåri"));
	CHECK(users_role_ok("admin") && users_role_ok("hr") && users_role_ok("ombud"));
	CHECK(users_role_ok("leader:skole"));
	CHECK(!users_role_ok("leader:") && !users_role_ok("leader") && !users_role_ok("sjef"));
}

static void limiter(void)
{
	struct rate_limit *rl = rate_limit_new(8);
	long retry = 0;
	for (int i = 0; i < 3; i++)
		CHECK(rate_limit_hit(rl, "10.0.0.1", 3, 60000, 1000, &retry) == 0);
	CHECK(rate_limit_hit(rl, "10.0.0.1", 3, 60000, 2000, &retry) == -1);
	CHECK(retry == 59);
	CHECK(rate_limit_hit(rl, "10.0.0.2", 3, 60000, 2000, &retry) == 0); /* another address */
	CHECK(rate_limit_hit(rl, "10.0.0.1", 3, 60000, 61000, &retry) == 0); /* a new window */
	/* Many addresses: the table stays its size and still limits. */
	char ip[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(ip, sizeof(ip), "192.168.%d.%d", i / 256, i % 256);
		(void)rate_limit_hit(rl, ip, 3, 60000, 62000, &retry);
	}
	for (int i = 0; i < 3; i++)
		(void)rate_limit_hit(rl, "10.9.9.9", 3, 60000, 63000, &retry);
	CHECK(rate_limit_hit(rl, "10.9.9.9", 3, 60000, 63000, &retry) == -1);
	rate_limit_free(rl);
}

static void next_pages(void)
{
	CHECK(login_next_ok("/min-side"));
	CHECK(login_next_ok("/leder?enhet=3"));
	CHECK(!login_next_ok(""));
	CHECK(!login_next_ok("//evil.example/"));
	CHECK(!login_next_ok("/\\evil.example"));
	CHECK(!login_next_ok("https://evil.example/"));
	CHECK(!login_next_ok("/api/logout"));
	CHECK(!login_next_ok("/a\"b"));
	CHECK(!login_next_ok("/a\r\nSet-Cookie: x=y"));
}

static void pseudonyms(void)
{
	unsigned char key[RETENTION_KEY_BYTES] = { 1, 2, 3 };
	const char *text =
		"{\"actor\":{\"objectType\":\"Agent\",\"name\":\"Kari\",\"account\":{\"homePage\":\"http://x\",\"name\":\"E1\"}},"
		"\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/answered\"},"
		"\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:per@x\"},"
		"\"verb\":{\"id\":\"v\"},\"object\":{\"objectType\":\"Agent\",\"mbox\":\"mailto:lise@x\"}},"
		"\"result\":{\"success\":true,\"response\":\"hemmelig\",\"extensions\":{\"e\":1}},"
		"\"context\":{\"instructor\":{\"mbox\":\"mailto:lise@x\"},\"registration\":\"r\"},"
		"\"attachments\":[{\"sha2\":\"ab\"}]}";
	json_t *s = json_loads(text, 0, NULL), *again = json_loads(text, 0, NULL);
	retention_pseudonymise(s, key);
	retention_pseudonymise(again, key);
	char *out = json_dumps(s, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(strstr(out, "Kari") == NULL && strstr(out, "E1") == NULL && strstr(out, "per@x") == NULL &&
	      strstr(out, "lise@x") == NULL && strstr(out, "hemmelig") == NULL && strstr(out, "sha2") == NULL);
	CHECK(strstr(out, "\"success\":true") != NULL && strstr(out, "\"registration\":\"r\"") != NULL);
	CHECK(strstr(out, "pseudonym.vern.invalid") != NULL);
	CHECK(json_equal(s, again)); /* one person, one pseudonym */
	unsigned char other[RETENTION_KEY_BYTES] = { 9 };
	json_t *third = json_loads(text, 0, NULL);
	retention_pseudonymise(third, other);
	CHECK(!json_equal(s, third)); /* the key matters */
	free(out);
	json_decref(s);
	json_decref(again);
	json_decref(third);
}

int main(void)
{
	UNIT_RUN(passwords);
	UNIT_RUN(names_and_roles);
	UNIT_RUN(limiter);
	UNIT_RUN(next_pages);
	UNIT_RUN(pseudonyms);
	return unit_done();
}
