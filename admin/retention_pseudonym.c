/* retention_pseudonym.c: replacing people in stored statements by
 * pseudonyms (see retention.h). A pseudonym is the BLAKE2b-128 of the
 * agent's identity key under a random key kept in meta, so one person
 * stays one pseudonym (statistics still add up) while the name, e-mail or
 * employee id is gone from the statement. Whoever holds the key and a list
 * of identities could re-identify; that is what makes this pseudonymous
 * rather than anonymous, and why the key never leaves the database. */
#include "retention.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "db.h"

#define PSEUDONYM_HOME "https://pseudonym.vern.invalid"

static json_t *pseudonym_agent(const json_t *agent, const unsigned char *key)
{
	char id[2048];
	if (lrs_agent_key(agent, id, sizeof(id)) != 0) {
		/* An anonymous group: its members are the identity. */
		char *text = json_dumps(agent, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(id, sizeof(id), "%s", text ? text : "");
		free(text);
	}
	unsigned char h[16];
	char hex[33];
	crypto_generichash(h, sizeof(h), (const unsigned char *)id, strlen(id), key, RETENTION_KEY_BYTES);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	return json_pack("{s:s, s:{s:s, s:s}}", "objectType", "Agent", "account", "homePage",
			 PSEUDONYM_HOME, "name", hex);
}

static void replace_agent(json_t *parent, const char *field, const unsigned char *key)
{
	json_t *a = json_object_get(parent, field);
	if (!json_is_object(a))
		return;
	json_t *p = pseudonym_agent(a, key);
	if (p)
		json_object_set_new(parent, field, p);
	else
		json_object_del(parent, field);
}

void retention_pseudonymise(json_t *s, const unsigned char key[RETENTION_KEY_BYTES])
{
	replace_agent(s, "actor", key);
	json_t *obj = json_object_get(s, "object");
	const char *type = json_string_value(json_object_get(obj, "objectType"));
	if (type && (strcmp(type, "Agent") == 0 || strcmp(type, "Group") == 0))
		replace_agent(s, "object", key);
	else if (type && strcmp(type, "SubStatement") == 0)
		retention_pseudonymise(obj, key);
	json_t *result = json_object_get(s, "result");
	if (json_is_object(result)) {
		json_object_del(result, "response");
		json_object_del(result, "extensions");
	}
	json_t *ctx = json_object_get(s, "context");
	if (json_is_object(ctx)) {
		json_object_del(ctx, "instructor");
		json_object_del(ctx, "team");
		json_object_del(ctx, "extensions");
	}
	json_object_del(s, "attachments");
}

int retention_key(struct db_conn *c, unsigned char key[RETENTION_KEY_BYTES])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'retention_pseudonym_key'");
	if (!st)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		size_t len = 0;
		const char *hex = (const char *)sqlite3_column_text(st, 0);
		int rc = sodium_hex2bin(key, RETENTION_KEY_BYTES, hex, strlen(hex), NULL, &len, NULL);
		sqlite3_reset(st);
		return rc == 0 && len == RETENTION_KEY_BYTES ? 0 : -1;
	}
	sqlite3_reset(st);
	char hex[RETENTION_KEY_BYTES * 2 + 1];
	randombytes_buf(key, RETENTION_KEY_BYTES);
	sodium_bin2hex(hex, sizeof(hex), key, RETENTION_KEY_BYTES);
	st = db_stmt(c, "INSERT INTO meta(key, value) VALUES('retention_pseudonym_key', ?)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hex, -1, SQLITE_TRANSIENT);
	sodium_memzero(hex, sizeof(hex));
	return db_exec_stmt(c, st, "retention_key") == DB_OK ? 0 : -1;
}
