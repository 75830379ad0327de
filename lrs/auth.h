/* auth.h: LRS clients and HTTP Basic authentication for /xapi/.
 *
 * An LRS client is a key and secret with a set of xAPI scopes. Secrets are
 * never stored: only a BLAKE2b-256 hash keyed with a per-client salt
 * (secrets made by Vern are 32 random bytes; secrets given by an admin must
 * be at least 16 characters). The authority of statements a client stores
 * is the Agent {"name": NAME, "account": {"homePage": public_url, "name": KEY}}. */
#ifndef VERN_LRS_AUTH_H
#define VERN_LRS_AUTH_H

#include "lrs.h"

struct config;
struct db;
struct db_conn;

/* Checks an Authorization header value ("Basic base64(key:secret)").
 * On success fills out (out->authority is a new reference the caller
 * releases) and returns 0; returns -1 when missing or wrong. */
int lrs_auth_basic(struct server *srv, const char *authorization, struct lrs_client *out);

/* Parses a space- or comma-separated scope list into a mask. Returns 0, or
 * -1 naming the unknown scope in err. */
/* The xAPI version a client used last (in memory, per process), so that a
 * request missing X-Experience-API-Version is answered in the version that
 * client speaks. lrs_auth_last_version returns 0 when unknown. */
void lrs_auth_remember_version(long long client_id, int version);
int lrs_auth_last_version(long long client_id);

int lrs_scopes_parse(const char *text, unsigned *mask, char *err, size_t errsize);

/* Creating and removing clients (the CLI and the admin page). */
struct lrs_client_secret {
	char key[160], secret[160], scopes[256]; /* the secret is shown once, never stored */
};
enum {
	LRS_CLIENT_ERROR = -1, LRS_CLIENT_TAKEN = -2, LRS_CLIENT_BAD_SCOPE = -3,
	LRS_CLIENT_BAD_KEY = -4, LRS_CLIENT_SHORT_SECRET = -5, LRS_CLIENT_BAD_NAME = -6,
};
/* Stores a client named name (1-120 bytes). key and secret: both NULL to
 * have them generated, or both given (key 1-128 bytes without ':', secret
 * at least 16 characters). scope NULL: statements/write statements/read/mine.
 * Returns 0 and fills out, or one of the codes above. */
int lrs_client_create(struct db *db, const char *public_url, const char *name, const char *key,
		      const char *secret, const char *scope, struct lrs_client_secret *out);
/* 0 removed, 1 no such key, -1 storage failed. */
int lrs_client_remove(struct db *db, const char *key);
/* [{key, name, scopes, created}] (never secrets). New reference or NULL. */
json_t *lrs_clients_json(struct db_conn *c);

/* `vern lrs-client add --name NAME [--key KEY --secret SECRET] [--scope S]`,
 * `vern lrs-client list`, `vern lrs-client remove KEY`. argv holds the
 * words after "lrs-client". Returns the process exit code. */
int lrs_client_command(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
