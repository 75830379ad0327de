/* test_totp_seal.c: TOTP secrets sealed at rest: round trip, bound to the
 * account and the key, tampering refused, plain secrets still read, the
 * key file made once with mode 0600. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "totp_seal.h"
#include "unit.h"

static char dir[64];

static void test_round_trip_and_binding(void)
{
	unsigned char key[TOTP_KEY_BYTES], other[TOTP_KEY_BYTES], secret[TOTP_SECRET_BYTES], out[TOTP_SECRET_BYTES];
	unsigned char sealed[TOTP_SEALED_BYTES], again[TOTP_SEALED_BYTES];
	randombytes_buf(key, sizeof(key));
	randombytes_buf(other, sizeof(other));
	randombytes_buf(secret, sizeof(secret));
	totp_seal(key, 42, secret, sealed);
	CHECK(memmem(sealed, sizeof(sealed), secret, sizeof(secret)) == NULL);
	CHECK(totp_unseal(key, 42, sealed, sizeof(sealed), out) == 0);
	CHECK(memcmp(out, secret, sizeof(secret)) == 0);
	totp_seal(key, 42, secret, again);
	CHECK(memcmp(sealed, again, sizeof(sealed)) != 0); /* a fresh nonce each time */
	CHECK(totp_unseal(key, 43, sealed, sizeof(sealed), out) == -1);   /* another account */
	CHECK(totp_unseal(other, 42, sealed, sizeof(sealed), out) == -1); /* another key */
	for (size_t i = 0; i < sizeof(sealed); i++) {
		sealed[i] ^= 1;
		CHECK(totp_unseal(key, 42, sealed, sizeof(sealed), out) == -1);
		sealed[i] ^= 1;
	}
	CHECK(totp_unseal(key, 42, sealed, sizeof(sealed) - 1, out) == -1);
	CHECK(totp_unseal(key, 42, NULL, 0, out) == -1);
	CHECK(totp_unseal(key, 42, secret, sizeof(secret), out) == 1); /* stored before sealing */
	CHECK(memcmp(out, secret, sizeof(secret)) == 0);
}

static void test_key_file(void)
{
	unsigned char a[TOTP_KEY_BYTES], b[TOTP_KEY_BYTES];
	char err[512], data[128], path[160];
	snprintf(data, sizeof(data), "%s/data", dir);
	CHECK(totp_key_load(data, a, err, sizeof(err)) == 0);
	CHECK(totp_key_load(data, b, err, sizeof(err)) == 0);
	CHECK(memcmp(a, b, sizeof(a)) == 0);
	snprintf(path, sizeof(path), "%s/totp.key", data);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == TOTP_KEY_BYTES);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs("short", f);
		fclose(f);
	}
	CHECK(totp_key_load(data, b, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a 32-byte key") != NULL);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/vern-unit-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	UNIT_RUN(test_round_trip_and_binding);
	UNIT_RUN(test_key_file);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return unit_done();
}
