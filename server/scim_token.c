/* scim_token.c: SCIM bearer tokens (see scim_token.h). Tokens are 32 bytes
 * from libsodium's CSPRNG, written as "vernscim_" and URL-safe base64 (the
 * prefix lets secret scanners recognise a leaked one); the table keeps
 * crypto_generichash (BLAKE2b-256) of the token, so a copy of the database
 * provisions nothing. The CLI writes through the group-commit writer, so
 * it is safe while the server runs. */
#include "scim_token.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"
#include "server.h"

#define TOKEN_PREFIX "vernscim_"
#define HASH_BYTES 32
#define TOKEN_MAX 256
/* last_used_ms is refreshed at most this often (a write per request
 * would be wasted). */
#define LAST_USED_EVERY_MS 60000

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void token_hash(const char *token, size_t len, unsigned char out[HASH_BYTES])
{
	crypto_generichash(out, HASH_BYTES, (const unsigned char *)token, len, NULL, 0);
}

struct touch {
	long long id, now;
};

static int touch_token(struct db_conn *c, void *arg)
{
	const struct touch *t = arg;
	sqlite3_stmt *st = db_stmt(c, "UPDATE scim_tokens SET last_used_ms = ? WHERE id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, t->now);
	sqlite3_bind_int64(st, 2, t->id);
	return db_exec_stmt(c, st, "scim_token_touch");
}

int scim_token_check(struct server *srv, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0)
		return -1;
	const char *tok = authorization + 7;
	while (*tok == ' ')
		tok++;
	size_t len = strlen(tok);
	while (len > 0 && tok[len - 1] == ' ')
		len--;
	if (len == 0 || len > TOKEN_MAX)
		return -1;
	unsigned char want[HASH_BYTES];
	token_hash(tok, len, want);

	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, token_hash, coalesce(last_used_ms, 0) FROM scim_tokens");
	int matched = 0;
	long long id = 0, last_used = 0;
	/* Every row is compared, whichever matches, so the time taken does
	 * not tell how many hashes matched how far. */
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != HASH_BYTES)
			continue;
		int eq = sodium_memcmp(want, sqlite3_column_blob(st, 1), HASH_BYTES) == 0;
		if (eq) {
			id = sqlite3_column_int64(st, 0);
			last_used = sqlite3_column_int64(st, 2);
		}
		matched |= eq;
	}
	db_reader_put(srv->db, c);
	sodium_memzero(want, sizeof(want));
	if (!matched)
		return -1;
	struct touch t = { id, now_ms() };
	if (t.now - last_used > LAST_USED_EVERY_MS)
		(void)db_write(srv->db, touch_token, &t);
	return 0;
}

/* ---- the CLI ---- */

struct token_row {
	const char *name;
	unsigned char hash[HASH_BYTES];
	int removed;
};

static int insert_token(struct db_conn *c, void *arg)
{
	struct token_row *r = arg;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO scim_tokens(name, token_hash, created_ms) VALUES(?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, r->hash, HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms());
	return db_exec_stmt(c, st, "scim_token_insert");
}

static int delete_token(struct db_conn *c, void *arg)
{
	struct token_row *r = arg;
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM scim_tokens WHERE name = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->name, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "scim_token_delete");
	r->removed = rc == DB_OK && sqlite3_changes(db_handle(c)) > 0;
	return rc;
}

static int valid_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 100)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int token_add(struct db *db, const char *name)
{
	unsigned char raw[32];
	char b64[64], token[80];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	snprintf(token, sizeof(token), "%s%s", TOKEN_PREFIX, b64);
	struct token_row r = { .name = name };
	token_hash(token, strlen(token), r.hash);
	int rc = db_write(db, insert_token, &r);
	if (rc == DB_CONFLICT) {
		fprintf(stderr, "vern scim-token add: a token named \"%s\" exists; remove it first\n", name);
		return 1;
	}
	if (rc != DB_OK) {
		fprintf(stderr, "vern scim-token add: the token could not be stored\n");
		return 1;
	}
	printf("name: %s\ntoken: %s\n", name, token);
	fprintf(stderr, "Give the token to the identity system (Entra ID: \"Secret Token\", tenant URL "
			"<public_url>/scim/v2). It is not shown again.\n");
	sodium_memzero(token, sizeof(token));
	return 0;
}

static void format_ms(long long ms, char *buf, size_t size)
{
	if (ms <= 0) {
		snprintf(buf, size, "never");
		return;
	}
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static int token_list(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT name, created_ms, coalesce(last_used_ms, 0) FROM scim_tokens ORDER BY id");
	printf("%-32s %-21s %s\n", "NAME", "CREATED", "LAST USED");
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char created[32], used[32];
		format_ms(sqlite3_column_int64(st, 1), created, sizeof(created));
		format_ms(sqlite3_column_int64(st, 2), used, sizeof(used));
		printf("%-32s %-21s %s\n", (const char *)sqlite3_column_text(st, 0), created, used);
	}
	db_reader_put(db, c);
	return st ? 0 : 1;
}

static const char *name_arg(int argc, char **argv)
{
	for (int i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], "--name") == 0)
			return argv[i + 1];
	return NULL;
}

int scim_token_args_ok(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[0], "add") == 0 && name_arg(argc - 1, argv + 1) &&
	    valid_name(name_arg(argc - 1, argv + 1)))
		return 1;
	if ((argc == 1 && strcmp(argv[0], "list") == 0) || (argc == 2 && strcmp(argv[0], "remove") == 0))
		return 1;
	if (argc >= 1 && strcmp(argv[0], "add") == 0)
		fprintf(stderr, "vern scim-token add: --name NAME is required (1-100 characters)\n");
	fprintf(stderr, "Usage: vern scim-token add --name NAME\n"
			"       vern scim-token list\n"
			"       vern scim-token remove NAME\n");
	return 0;
}

int scim_token_command(struct db *db, int argc, char **argv)
{
	if (!scim_token_args_ok(argc, argv))
		return 2;
	if (sodium_init() < 0) {
		fprintf(stderr, "vern scim-token: libsodium could not start\n");
		return 1;
	}
	if (strcmp(argv[0], "add") == 0)
		return token_add(db, name_arg(argc - 1, argv + 1));
	if (strcmp(argv[0], "list") == 0)
		return token_list(db);
	struct token_row r = { .name = argv[1] };
	if (db_write(db, delete_token, &r) != DB_OK) {
		fprintf(stderr, "vern scim-token remove: the token could not be removed\n");
		return 1;
	}
	if (!r.removed) {
		fprintf(stderr, "vern scim-token remove: no token named \"%s\"\n", argv[1]);
		return 1;
	}
	printf("removed %s\n", argv[1]);
	return 0;
}
