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

	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, name, salt, secret_hash, scopes FROM lrs_clients WHERE key = ?");
	int ok = -1;
	if (st) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 2) == SALT_BYTES &&
		    sqlite3_column_bytes(st, 3) == HASH_BYTES) {
			unsigned char want[HASH_BYTES];
			hash_secret(sqlite3_column_blob(st, 2), secret, want);
			if (sodium_memcmp(want, sqlite3_column_blob(st, 3), HASH_BYTES) == 0) {
				char err[256];
				out->id = sqlite3_column_int64(st, 0);
				snprintf(out->name, sizeof(out->name), "%s", sqlite3_column_text(st, 1));
				ok = lrs_scopes_parse((const char *)sqlite3_column_text(st, 4), &out->scopes,
						      err, sizeof(err));
			}
		}
	}
	db_reader_put(srv->db, c);
	char keybuf[512];
	snprintf(keybuf, sizeof(keybuf), "%s", key);
	sodium_memzero(decoded, sizeof(decoded));
	if (ok != 0)
		return -1;
	out->authority = authority_for(srv->cfg.public_url, out->name, keybuf);
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
	if (db_write(db, delete_client, &r) != DB_OK)
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
