/* auth.c: LRS clients, their scopes and HTTP Basic authentication (see
 * auth.h). The CLI (`vern lrs-client`) writes through the same group-commit
 * writer as the server, so it is safe while the server runs. */
#include "auth.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmi5.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "server.h"

#define SALT_BYTES 16
#define HASH_BYTES 32

static const struct {
	const char *name;
	unsigned bit;
} scope_names[] = {
	{ "statements/write", LRS_SCOPE_STATEMENTS_WRITE },
	{ "statements/read", LRS_SCOPE_STATEMENTS_READ },
	{ "statements/read/mine", LRS_SCOPE_STATEMENTS_READ_MINE },
	{ "state", LRS_SCOPE_STATE },
	{ "profile", LRS_SCOPE_PROFILE },
	{ "all/read", LRS_SCOPE_ALL_READ },
	{ "all", LRS_SCOPE_ALL },
	{ "define", LRS_SCOPE_DEFINE },
};
#define NSCOPES (sizeof(scope_names) / sizeof(scope_names[0]))

int lrs_scopes_parse(const char *text, unsigned *mask, char *err, size_t errsize)
{
	*mask = 0;
	const char *p = text;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, " ,");
		if (len == 0)
			break;
		size_t i;
		for (i = 0; i < NSCOPES; i++)
			if (strlen(scope_names[i].name) == len && strncmp(p, scope_names[i].name, len) == 0)
				break;
		if (i == NSCOPES) {
			snprintf(err, errsize, "unknown scope '%.*s' (known: statements/write, "
				 "statements/read, statements/read/mine, state, profile, all/read, all, define)",
				 (int)len > 64 ? 64 : (int)len, p);
			return -1;
		}
		*mask |= scope_names[i].bit;
		p += len;
	}
	return 0;
}

static void scopes_text(unsigned mask, char *buf, size_t size)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < NSCOPES; i++)
		if (mask & scope_names[i].bit)
			o += (size_t)snprintf(buf + o, o < size ? size - o : 0, "%s%s", o ? " " : "",
					      scope_names[i].name);
}

static void hash_secret(const unsigned char *salt, const char *secret, unsigned char *out)
{
	crypto_generichash(out, HASH_BYTES, (const unsigned char *)secret, strlen(secret), salt,
			   SALT_BYTES);
}

static json_t *authority_for(const char *public_url, const char *name, const char *key)
{
	return json_pack("{s:s, s:s, s:{s:s, s:s}}", "objectType", "Agent", "name", name,
			 "account", "homePage", public_url[0] ? public_url : "http://localhost:8080",
			 "name", key);
}

/* ---- verified clients, remembered for a few seconds ----
 *
 * A request still proves its secret every time (BLAKE2b with the client's
 * salt, compared in constant time with the stored hash); what the cache
 * saves is the database lookup. A client removed through this process
 * (the admin pages) is forgotten at once; one removed by another process
 * (`vern lrs-client remove` while the server runs) is refused within
 * AUTH_TTL_MS. A secret that does not match the cached hash is checked
 * against the database again. */

#define AUTH_SLOTS 1024
#define AUTH_TTL_MS 5000
#define AUTH_KEY_MAX 129

struct auth_entry {
	const struct db *db;   /* whose client (tests run several servers) */
	char key[AUTH_KEY_MAX];
	unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
	long long id;
	unsigned scopes;
	char name[128];
	long long expires_ms;
};

static struct auth_entry auth_cache[AUTH_SLOTS];
static pthread_mutex_t auth_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t auth_slot(const char *key)
{
	size_t h = 5381;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = h * 33 + *p;
	return h % AUTH_SLOTS;
}

static long long monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Copies the live entry for key into e. Returns 0, or -1 when none. */
static int auth_cache_get(const struct db *db, const char *key, struct auth_entry *e)
{
	size_t slot = auth_slot(key);
	int found = -1;
	pthread_mutex_lock(&auth_cache_lock);
	const struct auth_entry *a = &auth_cache[slot];
	if (a->db == db && strcmp(a->key, key) == 0 && a->expires_ms > monotonic_ms()) {
		*e = *a;
		found = 0;
	}
	pthread_mutex_unlock(&auth_cache_lock);
	return found;
}

/* A client removed by this process stops working at once; one removed by
 * another process (the CLI) within AUTH_TTL_MS. */
static void auth_cache_forget(const struct db *db, const char *key)
{
	pthread_mutex_lock(&auth_cache_lock);
	struct auth_entry *a = &auth_cache[auth_slot(key)];
	if (a->db == db && strcmp(a->key, key) == 0)
		sodium_memzero(a, sizeof(*a));
	pthread_mutex_unlock(&auth_cache_lock);
}

static void auth_cache_put(const struct auth_entry *e)
{
	pthread_mutex_lock(&auth_cache_lock);
	auth_cache[auth_slot(e->key)] = *e;
	pthread_mutex_unlock(&auth_cache_lock);
}

/* Reads the client with key from the database into e. Returns 0, or -1
 * when there is none (or it cannot be read). */
static int auth_load(struct server *srv, const char *key, struct auth_entry *e)
{
	if (strlen(key) >= sizeof(e->key))
		return -1; /* longer than any key a client is given */
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, name, salt, secret_hash, scopes FROM lrs_clients WHERE key = ?");
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		char err[256];
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 2) == SALT_BYTES &&
		    sqlite3_column_bytes(st, 3) == HASH_BYTES &&
		    lrs_scopes_parse((const char *)sqlite3_column_text(st, 4), &e->scopes, err,
				     sizeof(err)) == 0) {
			e->db = srv->db;
			memcpy(e->key, key, strlen(key) + 1);
			memcpy(e->salt, sqlite3_column_blob(st, 2), SALT_BYTES);
			memcpy(e->hash, sqlite3_column_blob(st, 3), HASH_BYTES);
			e->id = sqlite3_column_int64(st, 0);
			snprintf(e->name, sizeof(e->name), "%s", sqlite3_column_text(st, 1));
			e->expires_ms = monotonic_ms() + AUTH_TTL_MS;
			rc = 0;
		}
	}
	db_reader_put(srv->db, c);
	return rc;
}

static int secret_matches(const struct auth_entry *e, const char *secret)
{
	unsigned char got[HASH_BYTES];
	hash_secret(e->salt, secret, got);
	int same = sodium_memcmp(got, e->hash, HASH_BYTES) == 0;
	sodium_memzero(got, sizeof(got));
	return same;
}

int lrs_auth_basic(struct server *srv, const char *authorization, struct lrs_client *out)
{
	memset(out, 0, sizeof(*out));
	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return -1;
	const char *b64 = authorization + 6;
	while (*b64 == ' ')
		b64++;
	unsigned char decoded[512];
	size_t dlen = 0;
	if (sodium_base642bin(decoded, sizeof(decoded) - 1, b64, strlen(b64), " ", &dlen, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	decoded[dlen] = '\0';
	char *colon = memchr(decoded, ':', dlen);
	if (!colon || strlen((char *)decoded) != dlen)
		return -1;
	*colon = '\0';
	const char *key = (const char *)decoded, *secret = colon + 1;
	if (strncmp(key, CMI5_KEY_PREFIX, strlen(CMI5_KEY_PREFIX)) == 0) {
		int rc = cmi5_auth(srv, key, secret, out);
		sodium_memzero(decoded, sizeof(decoded));
		return rc;
	}
	int ok = -1;
	struct auth_entry e;
	if (strlen(key) < AUTH_KEY_MAX) {
		int cached = auth_cache_get(srv->db, key, &e) == 0;
		if (cached && secret_matches(&e, secret)) {
			ok = 0;
		} else if (auth_load(srv, key, &e) == 0 && secret_matches(&e, secret)) {
			auth_cache_put(&e);
			ok = 0;
		}
	}
	sodium_memzero(decoded, sizeof(decoded));
	if (ok != 0)
		return -1;
	out->id = e.id;
	out->scopes = e.scopes;
	snprintf(out->name, sizeof(out->name), "%s", e.name);
	out->authority = authority_for(srv->cfg.public_url, out->name, e.key);
	sodium_memzero(&e, sizeof(e));
	return out->authority ? 0 : -1;
}

/* ---- the CLI ---- */

struct client_row {
	const char *name, *key, *scopes, *authority;
	unsigned char salt[SALT_BYTES], hash[HASH_BYTES];
	int removed;
};

static int insert_client(struct db_conn *c, void *arg)
{
	struct client_row *r = arg;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO lrs_clients(name, key, salt, secret_hash, scopes, "
				      "authority, created) VALUES(?, ?, ?, ?, ?, ?, "
				      "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, r->salt, SALT_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 4, r->hash, HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, r->scopes, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->authority, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "lrs_client_insert");
}

static int delete_client(struct db_conn *c, void *arg)
{
	struct client_row *r = arg;
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM lrs_clients WHERE key = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->key, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "lrs_client_delete");
	r->removed = sqlite3_changes(db_handle(c)) > 0;
	return rc;
}

static const char *opt_value(int argc, char **argv, const char *name)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int lrs_client_create(struct db *db, const char *public_url, const char *name, const char *key,
		      const char *secret, const char *scope, struct lrs_client_secret *out)
{
	memset(out, 0, sizeof(*out));
	if (sodium_init() < 0)
		return LRS_CLIENT_ERROR;
	if (!name || !*name || strlen(name) > 120)
		return LRS_CLIENT_BAD_NAME;
	if ((key == NULL) != (secret == NULL))
		return LRS_CLIENT_BAD_KEY;
	if (secret && (strlen(secret) < 16 || strlen(secret) >= sizeof(out->secret)))
		return LRS_CLIENT_SHORT_SECRET;
	if (key && (!*key || strchr(key, ':') || strlen(key) > 128))
		return LRS_CLIENT_BAD_KEY;
	unsigned mask;
	char err[256];
	if (lrs_scopes_parse(scope ? scope : "statements/write statements/read/mine", &mask, err,
			     sizeof(err)) != 0 || mask == 0)
		return LRS_CLIENT_BAD_SCOPE;
	scopes_text(mask, out->scopes, sizeof(out->scopes));
	if (!key) {
		unsigned char raw[32];
		randombytes_buf(raw, 12);
		sodium_bin2hex(out->key, sizeof(out->key), raw, 12);
		randombytes_buf(raw, 32);
		sodium_bin2base64(out->secret, sizeof(out->secret), raw, 32,
				  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	} else {
		snprintf(out->key, sizeof(out->key), "%s", key);
		snprintf(out->secret, sizeof(out->secret), "%s", secret);
	}
	struct client_row r = { .name = name, .key = out->key, .scopes = out->scopes };
	randombytes_buf(r.salt, SALT_BYTES);
	hash_secret(r.salt, out->secret, r.hash);
	json_t *auth = authority_for(public_url, name, out->key);
	char *auth_text = auth ? json_dumps(auth, JSON_COMPACT) : NULL;
	json_decref(auth);
	r.authority = auth_text ? auth_text : "{}";
	int rc = db_write(db, insert_client, &r);
	free(auth_text);
	if (rc == DB_CONFLICT)
		return LRS_CLIENT_TAKEN;
	return rc == DB_OK ? 0 : LRS_CLIENT_ERROR;
}

int lrs_client_remove(struct db *db, const char *key)
{
	struct client_row r = { .key = key };
	int rc = db_write(db, delete_client, &r);
	auth_cache_forget(db, key);
	if (rc != DB_OK)
		return -1;
	return r.removed ? 0 : 1;
}

json_t *lrs_clients_json(struct db_conn *c)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT key, name, scopes, created FROM lrs_clients ORDER BY id");
	if (!st)
		return NULL;
	json_t *out = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *row = json_pack("{s:s, s:s, s:s, s:s}", "key", sqlite3_column_text(st, 0),
					"name", sqlite3_column_text(st, 1), "scopes",
					sqlite3_column_text(st, 2), "created", sqlite3_column_text(st, 3));
		if (row)
			json_array_append_new(out, row);
	}
	sqlite3_reset(st);
	return out;
}

static int client_add(const struct config *cfg, struct db *db, int argc, char **argv)
{
	const char *name = opt_value(argc, argv, "--name");
	const char *key = opt_value(argc, argv, "--key");
	const char *secret = opt_value(argc, argv, "--secret");
	const char *scope = opt_value(argc, argv, "--scope");
	struct lrs_client_secret made;
	int rc = lrs_client_create(db, cfg->public_url, name, key, secret, scope, &made);
	switch (rc) {
	case 0:
		printf("name: %s\nkey: %s\nsecret: %s\nscopes: %s\n", name, made.key, made.secret,
		       made.scopes);
		sodium_memzero(&made, sizeof(made));
		return 0;
	case LRS_CLIENT_BAD_NAME:
		fprintf(stderr, "vern lrs-client add: --name NAME is required (at most 120 bytes)\n");
		return 2;
	case LRS_CLIENT_SHORT_SECRET:
		fprintf(stderr, "vern lrs-client add: --secret must be at least 16 characters\n");
		return 2;
	case LRS_CLIENT_BAD_KEY:
		fprintf(stderr, key && secret ? "vern lrs-client add: --key must be 1-128 characters without ':'\n"
					      : "vern lrs-client add: give both --key and --secret, or neither\n");
		return 2;
	case LRS_CLIENT_BAD_SCOPE: {
		unsigned mask;
		char err[256] = "no scope given";
		(void)lrs_scopes_parse(scope ? scope : "", &mask, err, sizeof(err));
		fprintf(stderr, "vern lrs-client add: %s\n", err);
		return 2;
	}
	case LRS_CLIENT_TAKEN:
		fprintf(stderr, "vern lrs-client add: the key %s is taken\n", key);
		return 1;
	default:
		fprintf(stderr, "vern lrs-client add: the client could not be stored\n");
		return 1;
	}
}

static int client_list(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT key, name, scopes, created FROM lrs_clients ORDER BY id");
	printf("%-26s %-24s %-22s %s\n", "KEY", "NAME", "CREATED", "SCOPES");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%-26s %-24s %-22.19s %s\n", sqlite3_column_text(st, 0),
		       sqlite3_column_text(st, 1), sqlite3_column_text(st, 3),
		       sqlite3_column_text(st, 2));
	db_reader_put(db, c);
	return st ? 0 : 1;
}

int lrs_client_command(const struct config *cfg, struct db *db, int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "vern lrs-client: libsodium could not start\n");
		return 1;
	}
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		return client_add(cfg, db, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return client_list(db);
	if (argc == 2 && strcmp(argv[0], "remove") == 0) {
		int rc = lrs_client_remove(db, argv[1]);
		if (rc < 0) {
			fprintf(stderr, "vern lrs-client remove: the client could not be removed\n");
			return 1;
		}
		if (rc > 0) {
			fprintf(stderr, "vern lrs-client remove: no client with key %s\n", argv[1]);
			return 1;
		}
		printf("removed %s\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "Usage: vern lrs-client add --name NAME [--key KEY --secret SECRET] [--scope SCOPES]\n"
			"       vern lrs-client list\n"
			"       vern lrs-client remove KEY\n");
	return 2;
}

/* ---- the version each client spoke last ---- */

#define VERSION_SLOTS 1024

static struct {
	long long client_id;
	int version;
} last_versions[VERSION_SLOTS];
static pthread_mutex_t last_versions_lock = PTHREAD_MUTEX_INITIALIZER;

void lrs_auth_remember_version(long long client_id, int version)
{
	size_t slot = (size_t)client_id % VERSION_SLOTS;
	pthread_mutex_lock(&last_versions_lock);
	last_versions[slot].client_id = client_id;
	last_versions[slot].version = version;
	pthread_mutex_unlock(&last_versions_lock);
}

int lrs_auth_last_version(long long client_id)
{
	size_t slot = (size_t)client_id % VERSION_SLOTS;
	pthread_mutex_lock(&last_versions_lock);
	int v = last_versions[slot].client_id == client_id ? last_versions[slot].version : 0;
	pthread_mutex_unlock(&last_versions_lock);
	return v;
}
