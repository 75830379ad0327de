/* attachments.c: checks the attachments of statements sent to the LRS and
 * the JWS of signed statements (see attachments.h), and compares
 * statements under the xAPI comparison rules.
 *
 * A multipart request is checked in three passes: the parts (header, hash
 * of the content, each naming a declared attachment), the attachments
 * (each one without fileUrl has a part), then the signatures. Parts are
 * looked up by hash through a sorted index, so a batch of many statements
 * with many attachments costs n log n, not n times parts.
 *
 * SHA-256 and SHA-512 come from libsodium; SHA-384 (the third hash the
 * spec names for sha2) is the SHA-512 compression with its own initial
 * values and a truncated result, written out here (FIPS 180-4). */
#include "attachments.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- hashes ---- */

static const uint64_t sha512_k[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static uint64_t load_be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void store_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)(v & 0xff);
		v >>= 8;
	}
}

static uint64_t rotr(uint64_t x, int n)
{
	return (x >> n) | (x << (64 - n));
}

static void sha512_block(uint64_t h[8], const unsigned char *block)
{
	uint64_t w[80];
	for (int i = 0; i < 16; i++)
		w[i] = load_be64(block + 8 * i);
	for (int i = 16; i < 80; i++) {
		uint64_t s0 = rotr(w[i - 15], 1) ^ rotr(w[i - 15], 8) ^ (w[i - 15] >> 7);
		uint64_t s1 = rotr(w[i - 2], 19) ^ rotr(w[i - 2], 61) ^ (w[i - 2] >> 6);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 80; i++) {
		uint64_t t1 = hh + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & f) ^ (~e & g)) +
			      sha512_k[i] + w[i];
		uint64_t t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

static void sha384(const void *data, size_t len, unsigned char out[48])
{
	uint64_t h[8] = {
		0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL,
		0x152fecd8f70e5939ULL, 0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
		0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
	};
	const unsigned char *p = data;
	size_t n = len;
	for (; n >= 128; p += 128, n -= 128)
		sha512_block(h, p);
	unsigned char last[256];
	memset(last, 0, sizeof(last));
	if (n)
		memcpy(last, p, n);
	last[n] = 0x80;
	size_t blocks = n + 1 + 16 <= 128 ? 1 : 2;
	store_be64(last + blocks * 128 - 16, (uint64_t)len >> 61);
	store_be64(last + blocks * 128 - 8, (uint64_t)len << 3);
	for (size_t i = 0; i < blocks; i++)
		sha512_block(h, last + 128 * i);
	for (int i = 0; i < 6; i++)
		store_be64(out + 8 * i, h[i]);
}

void lrs_sha256_hex(const void *data, size_t len, char *hex)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, data, len);
	sodium_bin2hex(hex, 65, d, sizeof(d));
}

static int is_hex(const char *s)
{
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return 0;
	return 1;
}

/* Hashes data with the SHA-2 function whose hex length is that of want
 * and compares. Returns 1 on match, 0 on mismatch, -1 when want is not a
 * SHA-256/384/512 hex string. */
static int hash_matches(const void *data, size_t len, const char *want)
{
	size_t n = strlen(want);
	if (!is_hex(want) || (n != 64 && n != 96 && n != 128))
		return -1;
	unsigned char d[64];
	if (n == 64)
		crypto_hash_sha256(d, data, len);
	else if (n == 96)
		sha384(data, len, d);
	else
		crypto_hash_sha512(d, data, len);
	char hex[129];
	sodium_bin2hex(hex, sizeof(hex), d, n / 2);
	return strcasecmp(hex, want) == 0;
}

/* ---- statement comparison ---- */

static int same_value(const json_t *a, const json_t *b);

static int same_array(const json_t *a, const json_t *b, int (*same)(const json_t *, const json_t *))
{
	size_t n = json_array_size(a);
	if (n != json_array_size(b))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!same(json_array_get(a, i), json_array_get(b, i)))
			return 0;
	return 1;
}

/* Structural equality; numbers compare by value (1 equals 1.0). */
static int same_value(const json_t *a, const json_t *b)
{
	if (!a || !b)
		return a == b;
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)a, key, v)
			if (!same_value(v, json_object_get(b, key)))
				return 0;
		return 1;
	}
	case JSON_ARRAY:
		return same_array(a, b, same_value);
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	default:
		return 1; /* true, false, null */
	}
}

typedef int (*member_cmp)(const char *key, const json_t *a, const json_t *b);

/* Compares two objects key by key with cmp, which is also called for keys
 * only one side has (the other is NULL). */
static int same_members(const json_t *a, const json_t *b, member_cmp cmp)
{
	if (!json_is_object(a) || !json_is_object(b))
		return same_value(a, b);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)a, key, v)
		if (!cmp(key, v, json_object_get(b, key)))
			return 0;
	json_object_foreach((json_t *)b, key, v)
		if (!json_object_get(a, key) && !cmp(key, NULL, v))
			return 0;
	return 1;
}

/* objectType with its default when absent. */
static int same_type(const json_t *a, const json_t *b, const char *def)
{
	const char *x = a ? json_string_value(a) : def;
	const char *y = b ? json_string_value(b) : def;
	if (!x || !y)
		return same_value(a, b);
	return strcmp(x, y) == 0;
}

static int same_caseless(const json_t *a, const json_t *b)
{
	if (!json_is_string(a) || !json_is_string(b))
		return same_value(a, b);
	return strcasecmp(json_string_value(a), json_string_value(b)) == 0;
}

/* mailto:local@domain: the domain is case-insensitive. */
static int same_mbox(const json_t *a, const json_t *b)
{
	if (!json_is_string(a) || !json_is_string(b))
		return same_value(a, b);
	const char *x = json_string_value(a), *y = json_string_value(b);
	const char *xa = strrchr(x, '@'), *ya = strrchr(y, '@');
	if (!xa || !ya)
		return strcmp(x, y) == 0;
	return xa - x == ya - y && strncmp(x, y, (size_t)(xa - x)) == 0 && strcasecmp(xa, ya) == 0;
}

static int same_time(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	long long tx, ty;
	if (x && y && lrs_parse_timestamp(x, &tx) == 0 && lrs_parse_timestamp(y, &ty) == 0)
		return tx == ty;
	return same_value(a, b);
}

/* Duration with the seconds cut to 0.01 s and trailing zeros dropped:
 * "PT1.2370S" -> "PT1.23S", "PT2.00S" -> "PT2S". 0 when s does not fit. */
static int norm_duration(const char *s, char *out, size_t size)
{
	size_t n = strlen(s);
	if (n >= size)
		return 0;
	const char *dot = strpbrk(s, ".,");
	if (!dot) {
		memcpy(out, s, n + 1);
		return 1;
	}
	const char *p = dot + 1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p != 'S') {
		memcpy(out, s, n + 1);
		return 1;
	}
	size_t keep = (size_t)(p - dot - 1);
	if (keep > 2)
		keep = 2;
	while (keep > 0 && dot[keep] == '0')
		keep--;
	size_t o = (size_t)(dot - s);
	memcpy(out, s, o);
	if (keep) {
		out[o++] = '.';
		memcpy(out + o, dot + 1, keep);
		o += keep;
	}
	memcpy(out + o, p, strlen(p) + 1);
	return 1;
}

static int same_duration(const json_t *a, const json_t *b)
{
	char x[128], y[128];
	if (!json_is_string(a) || !json_is_string(b) || !norm_duration(json_string_value(a), x, sizeof(x)) ||
	    !norm_duration(json_string_value(b), y, sizeof(y)))
		return same_value(a, b);
	return strcmp(x, y) == 0;
}

/* An Agent in canonical form, for comparing unordered Group members. */
static char *agent_canonical(const json_t *agent)
{
	if (!json_is_object(agent))
		return json_dumps(agent, JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *c = json_copy((json_t *)agent);
	if (!c)
		return NULL;
	const char *type = json_string_value(json_object_get(c, "objectType"));
	if (type && strcmp(type, "Agent") == 0)
		json_object_del(c, "objectType");
	const char *mbox = json_string_value(json_object_get(c, "mbox"));
	if (mbox && strrchr(mbox, '@')) {
		char *m = strdup(mbox);
		if (m) {
			for (char *d = strrchr(m, '@'); *d; d++)
				*d = (char)((*d >= 'A' && *d <= 'Z') ? *d + 32 : *d);
			json_object_set_new(c, "mbox", json_string(m));
			free(m);
		}
	}
	const char *sha1 = json_string_value(json_object_get(c, "mbox_sha1sum"));
	if (sha1) {
		char *m = strdup(sha1);
		if (m) {
			for (char *d = m; *d; d++)
				*d = (char)((*d >= 'A' && *d <= 'Z') ? *d + 32 : *d);
			json_object_set_new(c, "mbox_sha1sum", json_string(m));
			free(m);
		}
	}
	char *s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

static int cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Group members are an unordered list: compare sorted canonical forms. */
static int same_members_unordered(const json_t *a, const json_t *b)
{
	if (!json_is_array(a) || !json_is_array(b))
		return same_value(a, b);
	size_t n = json_array_size(a);
	if (n != json_array_size(b))
		return 0;
	if (n == 0)
		return 1;
	char **x = calloc(2 * n, sizeof(*x));
	if (!x)
		return 0;
	char **y = x + n;
	int same = 1;
	for (size_t i = 0; i < n && same; i++) {
		x[i] = agent_canonical(json_array_get(a, i));
		y[i] = agent_canonical(json_array_get(b, i));
		same = x[i] && y[i];
	}
	if (same) {
		qsort(x, n, sizeof(*x), cmp_strings);
		qsort(y, n, sizeof(*y), cmp_strings);
		for (size_t i = 0; i < n && same; i++)
			same = strcmp(x[i], y[i]) == 0;
	}
	for (size_t i = 0; i < 2 * n; i++)
		free(x[i]);
	free(x);
	return same;
}

static int agent_member(const char *key, const json_t *a, const json_t *b)
{
	if (strcmp(key, "objectType") == 0)
		return same_type(a, b, "Agent");
	if (!a || !b)
		return 0;
	if (strcmp(key, "mbox") == 0)
		return same_mbox(a, b);
	if (strcmp(key, "mbox_sha1sum") == 0)
		return same_caseless(a, b);
	if (strcmp(key, "member") == 0)
		return same_members_unordered(a, b);
	return same_value(a, b);
}

static int same_agent(const json_t *a, const json_t *b)
{
	return same_members(a, b, agent_member);
}

/* Activity definitions are not part of the statement (Data 2.3.1). */
static int activity_member(const char *key, const json_t *a, const json_t *b)
{
	if (strcmp(key, "objectType") == 0)
		return same_type(a, b, "Activity");
	if (strcmp(key, "definition") == 0)
		return 1;
	return same_value(a, b);
}

static int same_activity(const json_t *a, const json_t *b)
{
	return same_members(a, b, activity_member);
}

static int ref_member(const char *key, const json_t *a, const json_t *b)
{
	if (strcmp(key, "id") == 0)
		return a && b && same_caseless(a, b);
	return same_value(a, b);
}

/* Verb display is not part of the statement (Data 2.3.1). */
static int verb_member(const char *key, const json_t *a, const json_t *b)
{
	if (strcmp(key, "display") == 0)
		return 1;
	return same_value(a, b);
}

/* A context activities entry: an array, or (1.0.3) a single activity. */
static int same_activity_list(const json_t *a, const json_t *b)
{
	json_t *x = json_is_object(a) ? json_pack("[O]", a) : json_incref((json_t *)a);
	json_t *y = json_is_object(b) ? json_pack("[O]", b) : json_incref((json_t *)b);
	int same;
	if (!x || !y)
		same = 0;
	else if (json_is_array(x) && json_is_array(y))
		same = same_array(x, y, same_activity);
	else
		same = same_value(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

static int context_activities_member(const char *key, const json_t *a, const json_t *b)
{
	/* A missing list equals an empty one. */
	if (!a)
		return json_is_array(b) && json_array_size(b) == 0;
	if (!b)
		return json_is_array(a) && json_array_size(a) == 0;
	return same_activity_list(a, b);
}

static int context_agent_member(const char *key, const json_t *a, const json_t *b)
{
	if (a && b && (strcmp(key, "agent") == 0 || strcmp(key, "group") == 0))
		return same_agent(a, b);
	return same_value(a, b);
}

static int same_context_agent(const json_t *a, const json_t *b)
{
	return same_members(a, b, context_agent_member);
}

static int context_member(const char *key, const json_t *a, const json_t *b)
{
	if (!a || !b)
		return 0;
	if (strcmp(key, "registration") == 0)
		return same_caseless(a, b);
	if (strcmp(key, "instructor") == 0 || strcmp(key, "team") == 0)
		return same_agent(a, b);
	if (strcmp(key, "contextActivities") == 0)
		return same_members(a, b, context_activities_member);
	if (strcmp(key, "statement") == 0)
		return same_members(a, b, ref_member);
	if ((strcmp(key, "contextAgents") == 0 || strcmp(key, "contextGroups") == 0) &&
	    json_is_array(a) && json_is_array(b))
		return same_array(a, b, same_context_agent);
	return same_value(a, b);
}

static int result_member(const char *key, const json_t *a, const json_t *b)
{
	if (a && b && strcmp(key, "duration") == 0)
		return same_duration(a, b);
	return same_value(a, b);
}

static int statement_member(const char *key, const json_t *a, const json_t *b);

static int same_object(const json_t *a, const json_t *b)
{
	if (!json_is_object(a) || !json_is_object(b))
		return same_value(a, b);
	const json_t *ta = json_object_get(a, "objectType");
	const json_t *tb = json_object_get(b, "objectType");
	if (!same_type(ta, tb, "Activity"))
		return 0;
	const char *type = ta ? json_string_value(ta) : "Activity";
	if (!type)
		return same_value(a, b);
	if (strcmp(type, "Activity") == 0)
		return same_activity(a, b);
	if (strcmp(type, "Agent") == 0 || strcmp(type, "Group") == 0)
		return same_agent(a, b);
	if (strcmp(type, "StatementRef") == 0)
		return same_members(a, b, ref_member);
	if (strcmp(type, "SubStatement") == 0)
		return same_members(a, b, statement_member);
	return same_value(a, b);
}

static int statement_member(const char *key, const json_t *a, const json_t *b)
{
	/* Set or replaced by the LRS, or not part of the statement. */
	if (strcmp(key, "authority") == 0 || strcmp(key, "stored") == 0 ||
	    strcmp(key, "version") == 0 || strcmp(key, "attachments") == 0)
		return 1;
	if (strcmp(key, "id") == 0)
		return !a || !b || same_caseless(a, b);
	if (strcmp(key, "timestamp") == 0)
		return !a || !b || same_time(a, b);
	if (!a || !b)
		return 0;
	if (strcmp(key, "actor") == 0)
		return same_agent(a, b);
	if (strcmp(key, "verb") == 0)
		return same_members(a, b, verb_member);
	if (strcmp(key, "object") == 0)
		return same_object(a, b);
	if (strcmp(key, "result") == 0)
		return same_members(a, b, result_member);
	if (strcmp(key, "context") == 0)
		return same_members(a, b, context_member);
	return same_value(a, b);
}

int lrs_statements_match(const json_t *a, const json_t *b)
{
	if (!json_is_object(a) || !json_is_object(b))
		return 0;
	return same_members(a, b, statement_member);
}

/* ---- checks ---- */

static int fail(struct lrs_verror *e, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct lrs_verror *e, const char *path, const char *fmt, ...)
{
	snprintf(e->path, sizeof(e->path), "%s", path);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->rule, sizeof(e->rule), fmt, ap);
	va_end(ap);
	return -1;
}

/* The media type of a Content-Type value equals type (case-insensitive,
 * parameters ignored). */
static int media_type_is(const char *ct, const char *type)
{
	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	return n == strlen(type) && strncasecmp(ct, type, n) == 0;
}

/* Statement i of statements (an array, or a single object). */
static const json_t *statement_at(const json_t *statements, size_t i)
{
	return json_is_array(statements) ? json_array_get(statements, i) : statements;
}

static size_t statement_count(const json_t *statements)
{
	if (json_is_array(statements))
		return json_array_size(statements);
	return json_is_object(statements) ? 1 : 0;
}

/* The attachment lists of a statement: its own, and its SubStatement's. */
static const json_t *attachment_list(const json_t *st, int which, const char **where)
{
	if (which == 0) {
		*where = "attachments";
		return json_object_get(st, "attachments");
	}
	const json_t *obj = json_object_get(st, "object");
	const char *type = json_string_value(json_object_get(obj, "objectType"));
	*where = "object.attachments";
	if (type && strcmp(type, "SubStatement") == 0)
		return json_object_get(obj, "attachments");
	return NULL;
}

static void att_path(char *buf, size_t size, const json_t *statements, size_t i, const char *where,
		     size_t j)
{
	if (statement_count(statements) > 1)
		snprintf(buf, size, "[%zu].%s[%zu]", i, where, j);
	else
		snprintf(buf, size, "%s[%zu]", where, j);
}

/* Part indices sorted by hash, for lookups by sha2. */
struct part_index {
	const struct lrs_part *parts;
	int *idx;
	int n;
};

static int index_parts(struct part_index *pi, const struct lrs_part *parts, int nparts)
{
	pi->parts = parts;
	pi->n = nparts > 1 ? nparts - 1 : 0;
	pi->idx = malloc((size_t)(pi->n ? pi->n : 1) * sizeof(int));
	if (!pi->idx)
		return -1;
	for (int i = 0; i < pi->n; i++)
		pi->idx[i] = i + 1;
	/* Insertion sort: there are at most LRS_MULTIPART_MAX_PARTS parts, and
	 * qsort's comparator could not see parts without a global. */
	for (int i = 1; i < pi->n; i++) {
		int v = pi->idx[i];
		int j = i - 1;
		while (j >= 0 && strcasecmp(parts[pi->idx[j]].sha2, parts[v].sha2) > 0) {
			pi->idx[j + 1] = pi->idx[j];
			j--;
		}
		pi->idx[j + 1] = v;
	}
	return 0;
}

/* First position in pi->idx whose hash equals sha2, or -1. */
static int find_sorted(const struct part_index *pi, const char *sha2)
{
	int lo = 0, hi = pi->n;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (strcasecmp(pi->parts[pi->idx[mid]].sha2, sha2) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pi->n && strcasecmp(pi->parts[pi->idx[lo]].sha2, sha2) == 0)
		return lo;
	return -1;
}

int lrs_attachments_find_part(const struct lrs_part *parts, int nparts, const char *sha2)
{
	if (!parts || !sha2 || !*sha2)
		return -1;
	for (int i = 1; i < nparts; i++)
		if (strcasecmp(parts[i].sha2, sha2) == 0)
			return i;
	return -1;
}

static int b64url_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
	size_t max = len / 4 * 3 + 3;
	unsigned char *buf = malloc(max + 1);
	if (!buf)
		return -1;
	const char *end = NULL;
	if (sodium_base642bin(buf, max, s, len, NULL, out_len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 || end != s + len) {
		free(buf);
		return -1;
	}
	buf[*out_len] = '\0';
	*out = buf;
	return 0;
}

/* Checks the JWS (compact serialization) in part against statement. */
static int check_jws(const struct lrs_part *part, const json_t *statement, const char *path,
		     struct lrs_verror *e)
{
	const char *s = part->body;
	size_t len = part->len;
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n' || s[len - 1] == ' ' ||
			   s[len - 1] == '\t'))
		len--;
	const char *dot1 = memchr(s, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(s + len - dot1 - 1)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', (size_t)(s + len - dot2 - 1)))
		return fail(e, path, "the signature is not a JWS in compact serialization "
			    "(header.payload.signature)");

	unsigned char *header = NULL, *payload = NULL, *sig = NULL;
	size_t header_len, payload_len, sig_len;
	json_t *h = NULL, *p = NULL;
	int rc = -1;
	if (b64url_decode(s, (size_t)(dot1 - s), &header, &header_len) != 0 ||
	    b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &payload_len) != 0 ||
	    b64url_decode(dot2 + 1, (size_t)(s + len - dot2 - 1), &sig, &sig_len) != 0) {
		fail(e, path, "the JWS is not made of three base64url parts");
		goto out;
	}
	if (http_json_depth_ok((const char *)header, header_len, HTTP_JSON_MAX_DEPTH) &&
	    http_json_depth_ok((const char *)payload, payload_len, HTTP_JSON_MAX_DEPTH))
		h = json_loadb((const char *)header, header_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(h)) {
		fail(e, path, "the JWS header is not a JSON object");
		goto out;
	}
	const char *alg = json_string_value(json_object_get(h, "alg"));
	if (!alg || (strcmp(alg, "RS256") != 0 && strcmp(alg, "RS384") != 0 &&
		     strcmp(alg, "RS512") != 0)) {
		fail(e, path, "the JWS algorithm must be RS256, RS384 or RS512");
		goto out;
	}
	const json_t *x5c = json_object_get(h, "x5c");
	if (x5c && (!json_is_array(x5c) || json_array_size(x5c) == 0)) {
		fail(e, path, "the JWS header x5c must be a non-empty array of certificates");
		goto out;
	}
	/* An RSA signature is as long as the key's modulus: 512 to 8192 bits. */
	if (sig_len < 64 || sig_len > 1024) {
		fail(e, path, "the JWS signature is not an RSA signature (%zu bytes)", sig_len);
		goto out;
	}
	p = json_loadb((const char *)payload, payload_len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(p)) {
		fail(e, path, "the JWS payload is not a JSON serialization of a statement");
		goto out;
	}
	if (!lrs_statements_match(p, statement)) {
		fail(e, path, "the statement differs from the one signed in the JWS payload");
		goto out;
	}
	rc = 0;
out:
	json_decref(h);
	json_decref(p);
	free(header);
	free(payload);
	free(sig);
	return rc;
}

int lrs_attachments_check(const json_t *statements, const struct lrs_part *parts,
			  int nparts, enum lrs_version v, struct lrs_verror *e)
{
	memset(e, 0, sizeof(*e));
	if (sodium_init() < 0)
		return fail(e, "", "the server cannot hash attachments");
	if (!parts || nparts < 1)
		return fail(e, "part 1", "the multipart body has no statements part");
	if (!lrs_part_is_json(&parts[0]))
		return fail(e, "part 1", "the first part must hold the statements, with "
			    "Content-Type application/json");

	/* Pass 1: every part is well formed and really has its hash. */
	for (int i = 1; i < nparts; i++) {
		const struct lrs_part *part = &parts[i];
		char path[32];
		snprintf(path, sizeof(path), "part %d", i + 1);
		if (!part->sha2[0])
			return fail(e, path, "every part after the statements needs an "
				    "X-Experience-API-Hash header");
		if (part->transfer_encoding[0] && strcmp(part->transfer_encoding, "binary") != 0)
			return fail(e, path, "Content-Transfer-Encoding must be binary, not %s",
				    part->transfer_encoding);
		int m = hash_matches(part->body, part->len, part->sha2);
		if (m < 0)
			return fail(e, path, "X-Experience-API-Hash must be a SHA-256, SHA-384 or "
				    "SHA-512 hash in hex");
		if (m == 0)
			return fail(e, path, "the content does not hash to its X-Experience-API-Hash");
	}

	struct part_index pi;
	if (index_parts(&pi, parts, nparts) != 0)
		return fail(e, "", "out of memory");
	unsigned char *used = calloc((size_t)nparts, 1);
	if (!used) {
		free(pi.idx);
		return fail(e, "", "out of memory");
	}
	int rc = 0;

	/* Pass 2: attachments find their parts; parts are marked used. */
	size_t count = statement_count(statements);
	for (size_t i = 0; i < count && rc == 0; i++) {
		const json_t *st = statement_at(statements, i);
		for (int which = 0; which < 2 && rc == 0; which++) {
			const char *where;
			const json_t *list = attachment_list(st, which, &where);
			size_t j;
			const json_t *att;
			json_array_foreach(list, j, att) {
				const char *sha2 = json_string_value(json_object_get(att, "sha2"));
				if (!sha2)
					continue; /* validation's business */
				int k = *sha2 ? find_sorted(&pi, sha2) : -1;
				for (int q = k; q >= 0 && q < pi.n &&
				     strcasecmp(parts[pi.idx[q]].sha2, sha2) == 0; q++)
					used[pi.idx[q]] = 1;
				if (k < 0 && !json_object_get(att, "fileUrl")) {
					char path[64];
					att_path(path, sizeof(path), statements, i, where, j);
					rc = fail(e, path, "the attachment has no fileUrl and no part of "
						  "the body has X-Experience-API-Hash %.128s", sha2);
					break;
				}
			}
		}
	}
	for (int i = 1; i < nparts && rc == 0; i++)
		if (!used[i]) {
			char path[32];
			snprintf(path, sizeof(path), "part %d", i + 1);
			rc = fail(e, path, "no attachment of the statements has sha2 %.128s",
				  parts[i].sha2);
		}

	/* Pass 3: signed statements. */
	for (size_t i = 0; i < count && rc == 0; i++) {
		const json_t *st = statement_at(statements, i);
		size_t j;
		const json_t *att;
		json_array_foreach(json_object_get(st, "attachments"), j, att) {
			const char *usage = json_string_value(json_object_get(att, "usageType"));
			if (!usage || strcmp(usage, LRS_SIGNATURE_USAGE) != 0)
				continue;
			char path[64];
			att_path(path, sizeof(path), statements, i, "attachments", j);
			const char *ct = json_string_value(json_object_get(att, "contentType"));
			if (!media_type_is(ct, "application/octet-stream")) {
				rc = fail(e, path, "a signature attachment must have contentType "
					  "application/octet-stream");
				break;
			}
			const char *sha2 = json_string_value(json_object_get(att, "sha2"));
			int k = sha2 && *sha2 ? find_sorted(&pi, sha2) : -1;
			if (k < 0) {
				rc = fail(e, path, "a signature attachment needs its JWS as a part of "
					  "the body");
				break;
			}
			if ((rc = check_jws(&parts[pi.idx[k]], st, path, e)) != 0)
				break;
		}
	}
	(void)v;
	free(used);
	free(pi.idx);
	return rc;
}

int lrs_attachments_check_json_only(const json_t *statements, struct lrs_verror *e)
{
	memset(e, 0, sizeof(*e));
	size_t count = statement_count(statements);
	for (size_t i = 0; i < count; i++) {
		const json_t *st = statement_at(statements, i);
		for (int which = 0; which < 2; which++) {
			const char *where;
			const json_t *list = attachment_list(st, which, &where);
			size_t j;
			const json_t *att;
			json_array_foreach(list, j, att) {
				if (!json_is_object(att))
					continue; /* validation's business */
				char path[64];
				att_path(path, sizeof(path), statements, i, where, j);
				const char *usage = json_string_value(json_object_get(att, "usageType"));
				if (which == 0 && usage && strcmp(usage, LRS_SIGNATURE_USAGE) == 0)
					return fail(e, path, "a signed statement must be sent as "
						    "multipart/mixed with its JWS as a part");
				if (!json_object_get(att, "fileUrl"))
					return fail(e, path, "the attachment has no fileUrl: send the "
						    "statement as multipart/mixed with the attachment "
						    "data as a part");
			}
		}
	}
	return 0;
}
