/* test_totp.c: HMAC-SHA1 (RFC 2202 vectors), TOTP codes (RFC 6238
 * appendix B, SHA-1 rows, last six digits), the ±1 step window and replay
 * guard, base32 (RFC 4648 vectors) and the otpauth URI. */
#include <stdio.h>
#include <string.h>

#include "hmac_sha1.h"
#include "totp.h"
#include "unit.h"

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

static void hmac_vectors(void)
{
	unsigned char mac[HMAC_SHA1_BYTES], key[80];
	char h[41];
	memset(key, 0x0b, 20);
	hmac_sha1(key, 20, (const unsigned char *)"Hi There", 8, mac);
	hex(mac, 20, h);
	CHECK_STR(h, "b617318655057264e28bc0b6fb378c8ef146be00");
	hmac_sha1((const unsigned char *)"Jefe", 4, (const unsigned char *)"what do ya want for nothing?", 28, mac);
	hex(mac, 20, h);
	CHECK_STR(h, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
	memset(key, 0xaa, 80); /* a key longer than the block is hashed first */
	hmac_sha1(key, 80, (const unsigned char *)"Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
	hex(mac, 20, h);
	CHECK_STR(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static const unsigned char rfc_secret[] = "12345678901234567890";

static void rfc6238_vectors(void)
{
	static const struct { long long t; unsigned code; } v[] = {
		{ 59, 287082 }, { 1111111109, 81804 }, { 1111111111, 50471 },
		{ 1234567890, 5924 }, { 2000000000, 279037 }, { 20000000000LL, 353130 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(totp_code(rfc_secret, 20, (uint64_t)(v[i].t / 30)) == v[i].code);
}

static void window_and_replay(void)
{
	int64_t now = 1234567890, step;
	char code[8];
	snprintf(code, sizeof(code), "%06u", totp_code(rfc_secret, 20, (uint64_t)(now / 30)));
	CHECK(totp_verify(rfc_secret, 20, code, now, 0, &step) == 0 && step == now / 30);
	CHECK(totp_verify(rfc_secret, 20, code, now, step, &step) != 0); /* used: refused */
	CHECK(totp_verify(rfc_secret, 20, code, now + 30, 0, &step) == 0); /* one step late */
	CHECK(totp_verify(rfc_secret, 20, code, now - 30, 0, &step) == 0); /* one step early */
	CHECK(totp_verify(rfc_secret, 20, code, now + 60, 0, &step) != 0); /* two steps: no */
	char spaced[10] = "000 000";
	memcpy(spaced, code, 3);
	memcpy(spaced + 4, code + 3, 3);
	CHECK(totp_verify(rfc_secret, 20, spaced, now, 0, &step) == 0);
	CHECK(totp_verify(rfc_secret, 20, "12345", now, 0, &step) != 0);
	CHECK(totp_verify(rfc_secret, 20, "1234567", now, 0, &step) != 0);
	CHECK(totp_verify(rfc_secret, 20, "12a456", now, 0, &step) != 0);
	CHECK(totp_verify(rfc_secret, 20, "", now, 0, &step) != 0);
}

static void base32(void)
{
	static const char *const in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const out[] = { "", "MY", "MZXQ", "MZXW6", "MZXW6YQ", "MZXW6YTB", "MZXW6YTBOI" };
	char buf[32];
	unsigned char back[32];
	for (int i = 0; i < 7; i++) {
		CHECK(totp_base32_encode((const unsigned char *)in[i], strlen(in[i]), buf, sizeof(buf)) == 0);
		CHECK_STR(buf, out[i]);
		int n = totp_base32_decode(out[i], back, sizeof(back));
		CHECK(n == (int)strlen(in[i]) && memcmp(back, in[i], (size_t)n) == 0);
	}
	CHECK(totp_base32_decode("mzxw 6ytb oi", back, sizeof(back)) == 6);
	CHECK(totp_base32_decode("MZ1W", back, sizeof(back)) == -1);
	CHECK(totp_base32_decode("MZXW6YTBOI", back, 3) == -1);
	CHECK(totp_base32_encode((const unsigned char *)"foobar", 6, buf, 10) == -1);
}

static void uri(void)
{
	char out[512];
	CHECK(totp_uri("Vern", "kari@x", "MZXW6YTBOI", out, sizeof(out)) == 0);
	CHECK_STR(out, "otpauth://totp/Vern:kari%40x?secret=MZXW6YTBOI&issuer=Vern&algorithm=SHA1&digits=6&period=30");
	CHECK(totp_uri("Demo kommune", "a", "MY", out, sizeof(out)) == 0);
	CHECK(strstr(out, "Demo%20kommune:a?") != NULL);
	CHECK(totp_uri("Vern", "a", "MY", out, 20) == -1);
}

int main(void)
{
	UNIT_RUN(hmac_vectors);
	UNIT_RUN(rfc6238_vectors);
	UNIT_RUN(window_and_replay);
	UNIT_RUN(base32);
	UNIT_RUN(uri);
	return unit_done();
}
