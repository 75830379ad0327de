/* password.c: argon2id hashing with a cap on parallel hashes, the dummy
 * hash for uniform timing, the password rules and the generator (see
 * password.h). */
#include "password.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

#define OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;
static int running;
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];

static void slot_take(void)
{
	pthread_mutex_lock(&lock);
	while (running >= PASSWORD_MAX_PARALLEL)
		pthread_cond_wait(&freed, &lock);
	running++;
	pthread_mutex_unlock(&lock);
}

static void slot_give(void)
{
	pthread_mutex_lock(&lock);
	running--;
	pthread_cond_signal(&freed);
	pthread_mutex_unlock(&lock);
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
	if (sodium_init() < 0)
		return -1;
	slot_take();
	int rc = crypto_pwhash_str(out, pw, strlen(pw), OPS, MEM);
	slot_give();
	return rc == 0 ? 0 : -1;
}

static void make_dummy(void)
{
	char pw[32];
	password_generate(pw, sizeof(pw));
	if (crypto_pwhash_str(dummy_hash, pw, strlen(pw), OPS, MEM) != 0)
		dummy_hash[0] = '\0';
	sodium_memzero(pw, sizeof(pw));
}

int password_verify(const char *hash, const char *pw)
{
	if (sodium_init() < 0)
		return 0;
	int real = hash && *hash;
	if (!real)
		pthread_once(&dummy_once, make_dummy);
	const char *h = real ? hash : dummy_hash;
	if (!*h)
		return 0;
	slot_take();
	int ok = crypto_pwhash_str_verify(h, pw, strlen(pw)) == 0;
	slot_give();
	return real && ok;
}

int password_needs_rehash(const char *hash)
{
	return crypto_pwhash_str_needs_rehash(hash, OPS, MEM) != 0;
}

int password_acceptable(const char *pw, char *err, size_t errsize)
{
	size_t len = strlen(pw);
	if (len > PASSWORD_MAX_BYTES) {
		snprintf(err, errsize, "Passordet er for langt (høyst %d byte).", PASSWORD_MAX_BYTES);
		return -1;
	}
	if (!utf8_valid(pw, len)) {
		snprintf(err, errsize, "Passordet inneholder ugyldige tegn.");
		return -1;
	}
	size_t chars = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)pw[i] & 0xc0) != 0x80)
			chars++;
	if (chars < PASSWORD_MIN_CHARS) {
		snprintf(err, errsize, "Passordet må ha minst %d tegn.", PASSWORD_MIN_CHARS);
		return -1;
	}
	return 0;
}

void password_generate(char *out, size_t size)
{
	static const char set[] = "abcdefghjkmnpqrstuvwxyz23456789"; /* no l, i, o, 0, 1 */
	size_t o = 0;
	for (int group = 0; group < 4; group++) {
		for (int i = 0; i < 5 && o + 1 < size; i++)
			out[o++] = set[randombytes_uniform(sizeof(set) - 1)];
		if (group < 3 && o + 1 < size)
			out[o++] = '-';
	}
	out[o < size ? o : size - 1] = '\0';
}
