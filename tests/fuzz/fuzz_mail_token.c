/* fuzz_mail_token.c: libFuzzer target for the lesson-link token parser
 * (server/mail_token.c). Any text must be refused unless it is a token the
 * key signed; an accepted token must re-sign to exactly the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail_token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mail_keyring ring;
	if (ring.n == 0) {
		ring.n = 2;
		ring.signing = 0;
		ring.keys[0].id = 2;
		memset(ring.keys[0].secret, 0x5a, MAIL_KEY_BYTES);
		ring.keys[1].id = 1;
		memset(ring.keys[1].secret, 0xa5, MAIL_KEY_BYTES);
	}
	char token[512];
	if (size >= sizeof token)
		size = sizeof token - 1;
	memcpy(token, data, size);
	token[size] = '\0';
	struct mail_link l;
	int rc = mail_token_verify(&ring, token, 1800000000LL, &l);
	if (rc == MAIL_TOKEN_BAD)
		return 0;
	if (l.employee_id <= 0 || !mail_token_course_ok(l.course_id))
		abort();
	/* Only keys we hold could have made it: re-signing with that key gives
	 * the same token. */
	struct mail_keyring one = ring;
	one.signing = l.kid == 2 ? 0 : 1;
	char again[MAIL_TOKEN_MAX];
	if (mail_token_sign(&one, &l, again, sizeof again) != 0 || strcmp(again, token) != 0)
		abort();
	return 0;
}
