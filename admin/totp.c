/* totp.c: RFC 6238 codes on HMAC-SHA1, base32 and the otpauth URI (see
 * totp.h). */
#include "totp.h"

#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "hmac_sha1.h"

uint32_t totp_code(const unsigned char *secret, size_t len, uint64_t step)
{
	unsigned char msg[8], mac[HMAC_SHA1_BYTES];
	for (int i = 7; i >= 0; i--) {
		msg[i] = (unsigned char)(step & 0xff);
		step >>= 8;
	}
	hmac_sha1(secret, len, msg, sizeof(msg), mac);
	int off = mac[HMAC_SHA1_BYTES - 1] & 0x0f;
	uint32_t bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
		       ((uint32_t)mac[off + 2] << 8) | (uint32_t)mac[off + 3];
	sodium_memzero(mac, sizeof(mac));
	return bin % 1000000u;
}

/* The six digits of a code given by a person, or -1 when it is not six
 * digits (spaces between digits are dropped). */
static int parse_code(const char *code, char digits[TOTP_DIGITS + 1])
{
	int n = 0;
	for (const char *p = code; *p; p++) {
		if (*p == ' ')
			continue;
		if (!isdigit((unsigned char)*p) || n == TOTP_DIGITS)
			return -1;
		digits[n++] = *p;
	}
	digits[n] = '\0';
	return n == TOTP_DIGITS ? 0 : -1;
}

int totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
		int64_t last_step, int64_t *step)
{
	char given[TOTP_DIGITS + 1];
	if (!code || parse_code(code, given) != 0 || now_s < TOTP_PERIOD)
		return -1;
	int64_t now_step = now_s / TOTP_PERIOD;
	int found = -1;
	for (int64_t s = now_step - 1; s <= now_step + 1; s++) {
		char want[16];
		snprintf(want, sizeof(want), "%06u", (unsigned)totp_code(secret, len, (uint64_t)s));
		int same = sodium_memcmp(want, given, TOTP_DIGITS) == 0;
		if (same && s > last_step && found < 0) {
			*step = s;
			found = 0;
		}
	}
	return found;
}

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t size)
{
	size_t need = (len * 8 + 4) / 5 + 1;
	if (size < need)
		return -1;
	size_t o = 0;
	unsigned buffer = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[o++] = alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(buffer << (5 - bits)) & 31];
	out[o] = '\0';
	return 0;
}

int totp_base32_decode(const char *in, unsigned char *out, size_t size)
{
	unsigned buffer = 0;
	int bits = 0;
	size_t o = 0;
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '=')
			continue;
		const char *hit = strchr(alphabet, toupper((unsigned char)*p));
		if (!hit || !*hit)
			return -1;
		buffer = (buffer << 5) | (unsigned)(hit - alphabet);
		bits += 5;
		if (bits >= 8) {
			if (o == size)
				return -1;
			out[o++] = (unsigned char)((buffer >> (bits - 8)) & 0xff);
			bits -= 8;
		}
	}
	return (int)o;
}

/* Percent-encodes everything but unreserved characters (RFC 3986). */
static int percent_encode(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			if (o + 1 >= size)
				return -1;
			out[o++] = (char)*p;
		} else {
			if (o + 3 >= size)
				return -1;
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return 0;
}

int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	     size_t size)
{
	char iss[256], acc[512];
	if (percent_encode(issuer, iss, sizeof(iss)) != 0 ||
	    percent_encode(account, acc, sizeof(acc)) != 0)
		return -1;
	int n = snprintf(out, size,
			 "otpauth://totp/%s:%s?secret=%s&issuer=%s&algorithm=SHA1&digits=%d&period=%d",
			 iss, acc, secret_b32, iss, TOTP_DIGITS, TOTP_PERIOD);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
