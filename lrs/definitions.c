/* definitions.c: merging activity definitions (see definitions.h). */
#include "definitions.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"

#define DEFINITION_CACHE_BITS 16

static const char cache_key[] = "lrs_definitions";

struct definition_cache {
	struct lrs_cache *map; /* id -> the definition text merged last (or none) */
	unsigned long epoch;
};

static void definition_cache_free(void *p)
{
	struct definition_cache *d = p;
	if (d)
		lrs_cache_free(d->map);
	free(d);
}

static struct lrs_cache *writer_cache(struct db_conn *c)
{
	struct definition_cache *d = db_conn_state(c, cache_key);
	if (!d) {
		d = calloc(1, sizeof(*d));
		if (d)
			d->map = lrs_cache_new(DEFINITION_CACHE_BITS);
		if (!d || !d->map || db_conn_set_state(c, cache_key, d, definition_cache_free) != 0) {
			definition_cache_free(d);
			return NULL;
		}
		d->epoch = db_conn_epoch(c);
	}
	if (d->epoch != db_conn_epoch(c)) {
		lrs_cache_clear(d->map);
		d->epoch = db_conn_epoch(c);
	}
	return d->map;
}

int lrs_definition_merge(struct db_conn *c, const char *id, const char *definition)
{
	struct lrs_cache *map = writer_cache(c);
	const struct lrs_cache_entry *e = map ? lrs_cache_get(map, 0, id) : NULL;
	/* Known activity, and nothing new to merge. */
	if (e && (!definition || (e->value && strcmp(e->value, definition) == 0)))
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO activities(id, definition) VALUES(?1, ?2) "
				      "ON CONFLICT(id) DO UPDATE SET definition = CASE "
				      "WHEN excluded.definition IS NULL THEN definition "
				      "WHEN definition IS NULL THEN excluded.definition "
				      "ELSE json_patch(definition, excluded.definition) END "
				      "WHERE excluded.definition IS NOT NULL AND (definition IS NULL OR "
				      "definition <> json_patch(definition, excluded.definition))");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (definition)
		sqlite3_bind_text(st, 2, definition, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 2);
	int rc = db_exec_stmt(c, st, "activity_upsert");
	if (rc == DB_OK && map)
		(void)lrs_cache_put(map, 0, id, 0, definition);
	return rc;
}
