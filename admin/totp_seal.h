/* totp_seal.h: TOTP secrets sealed at rest.
 *
 * A TOTP secret in the database is as good as the second factor itself, so
 * Vern stores it encrypted (XChaCha20-Poly1305) with a key kept outside the
 * database, in DATA_DIR/totp.key (32 random bytes, mode 0600, made on the
 * first start). A copy of the database (`vern backup`, a stolen file) then
 * holds no usable secrets. The sealed form is bound to the account's id,
 * so a secret cannot be moved to another account. Secrets stored in plain
 * text before sealing existed are still read, and sealed at the next
 * sign-in. Losing the key file means every account enrols again (an admin
 * resets TOTP with `vern user totp-reset`). */
#ifndef VERN_TOTP_SEAL_H
#define VERN_TOTP_SEAL_H

#include <stddef.h>

#include "totp.h"

#define TOTP_KEY_BYTES 32
#define TOTP_SEALED_BYTES (24 + TOTP_SECRET_BYTES + 16) /* nonce, secret, tag */

/* Reads DATA_DIR/totp.key, making it when there is none. Returns 0, or -1
 * with err (unreadable, wrong size, cannot be made). */
int totp_key_load(const char *data_dir, unsigned char key[TOTP_KEY_BYTES], char *err, size_t errsize);

/* Seals secret for account user_id into out. */
void totp_seal(const unsigned char key[TOTP_KEY_BYTES], long long user_id,
	       const unsigned char secret[TOTP_SECRET_BYTES], unsigned char out[TOTP_SEALED_BYTES]);

/* Opens a stored secret of len bytes for user_id into secret. Returns 0
 * (sealed), 1 (stored in plain text: seal it again) or -1 (wrong size,
 * tampered, another account's or another key's). */
int totp_unseal(const unsigned char key[TOTP_KEY_BYTES], long long user_id, const void *stored, size_t len,
		unsigned char secret[TOTP_SECRET_BYTES]);

#endif
