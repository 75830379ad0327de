/* totp.h: time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second
 * steps, 6 digits), the second factor for leaders, HR, the ombud and
 * admins, plus the base32 text and otpauth:// URI authenticator apps read.
 *
 * A code is accepted for the current step and one step either side (clock
 * drift), and only for a step later than the last one used, so a code seen
 * over someone's shoulder cannot be replayed. */
#ifndef VERN_TOTP_H
#define VERN_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_SECRET_BYTES 20
#define TOTP_PERIOD 30
#define TOTP_DIGITS 6
#define TOTP_BASE32_LEN 32 /* of a TOTP_SECRET_BYTES secret, no padding */

/* The code for a time step (unix seconds / TOTP_PERIOD), 0..999999. */
uint32_t totp_code(const unsigned char *secret, size_t len, uint64_t step);

/* Checks a code given as text ("123456", spaces allowed between digits) at
 * unix time now_s. A step must be later than last_step. Returns 0 and sets
 * *step on success, -1 otherwise. Compares in constant time per step. */
int totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
		int64_t last_step, int64_t *step);

/* RFC 4648 base32 without padding. encode writes a NUL-terminated string
 * and needs (len * 8 + 4) / 5 + 1 bytes; it returns -1 when out is too
 * small. decode ignores spaces and case, returns the number of bytes or -1
 * on a bad character or overflow. */
int totp_base32_encode(const unsigned char *in, size_t len, char *out, size_t size);
int totp_base32_decode(const char *in, unsigned char *out, size_t size);

/* otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..&algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded. Returns 0, or -1 if it does not fit. */
int totp_uri(const char *issuer, const char *account, const char *secret_b32, char *out,
	     size_t size);

#endif
