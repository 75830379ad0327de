/* totp_seal.c: sealing TOTP secrets with the key in DATA_DIR/totp.key
 * (see totp_seal.h). */
#include "totp_seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

static int read_key(const char *path, unsigned char key[TOTP_KEY_BYTES], char *err, size_t errsize)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errsize, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	unsigned char buf[TOTP_KEY_BYTES + 1];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n != TOTP_KEY_BYTES) {
		sodium_memzero(buf, sizeof(buf));
		snprintf(err, errsize, "%s is not a %d-byte key", path, TOTP_KEY_BYTES);
		return -1;
	}
	memcpy(key, buf, TOTP_KEY_BYTES);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* Writes a new key to path (which must not exist): a temporary file
 * first, then a hard link, so a crash never leaves a short key behind and
 * two processes starting at once agree on one. */
static int make_key(const char *path, char *err, size_t errsize)
{
	char tmp[4200];
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errsize, "cannot make %s: %s", tmp, strerror(errno));
		return -1;
	}
	unsigned char key[TOTP_KEY_BYTES];
	randombytes_buf(key, sizeof(key));
	int ok = write(fd, key, sizeof(key)) == (ssize_t)sizeof(key) && fsync(fd) == 0;
	sodium_memzero(key, sizeof(key));
	ok = close(fd) == 0 && ok;
	if (ok && link(tmp, path) != 0 && errno != EEXIST)
		ok = 0;
	int saved = errno;
	unlink(tmp);
	if (!ok) {
		snprintf(err, errsize, "cannot make %s: %s", path, strerror(saved));
		return -1;
	}
	return 0;
}

int totp_key_load(const char *data_dir, unsigned char key[TOTP_KEY_BYTES], char *err, size_t errsize)
{
	char path[4096];
	if (snprintf(path, sizeof(path), "%s/totp.key", data_dir) >= (int)sizeof(path)) {
		snprintf(err, errsize, "data directory path too long");
		return -1;
	}
	if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errsize, "cannot make %s: %s", data_dir, strerror(errno));
		return -1;
	}
	if (access(path, F_OK) != 0 && make_key(path, err, errsize) != 0)
		return -1;
	return read_key(path, key, err, errsize);
}

/* The additional data: a label and the account id, big-endian. */
static void associated(long long user_id, unsigned char ad[20])
{
	memcpy(ad, "vern.totp.v1", 12);
	for (int i = 0; i < 8; i++)
		ad[12 + i] = (unsigned char)((unsigned long long)user_id >> (56 - 8 * i));
}

void totp_seal(const unsigned char key[TOTP_KEY_BYTES], long long user_id,
	       const unsigned char secret[TOTP_SECRET_BYTES], unsigned char out[TOTP_SEALED_BYTES])
{
	unsigned char ad[20];
	associated(user_id, ad);
	randombytes_buf(out, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL,
						   secret, TOTP_SECRET_BYTES, ad, sizeof(ad), NULL, out, key);
}

int totp_unseal(const unsigned char key[TOTP_KEY_BYTES], long long user_id, const void *stored, size_t len,
		unsigned char secret[TOTP_SECRET_BYTES])
{
	const unsigned char *s = stored;
	if (len == TOTP_SECRET_BYTES) { /* from before sealing */
		memcpy(secret, s, TOTP_SECRET_BYTES);
		return 1;
	}
	if (len != TOTP_SEALED_BYTES || !s)
		return -1;
	unsigned char ad[20];
	associated(user_id, ad);
	unsigned long long n = 0;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(secret, &n, NULL, s + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
						       len - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, ad, sizeof(ad),
						       s, key) != 0 || n != TOTP_SECRET_BYTES) {
		sodium_memzero(secret, TOTP_SECRET_BYTES);
		return -1;
	}
	return 0;
}
