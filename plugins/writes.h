/* writes.h: applying the operations plugin calls buffered (assignments
 * and emails), with the batch's bookkeeping, in one db_write (see
 * writes.c). */
#ifndef VERN_PLUGIN_WRITES_H
#define VERN_PLUGIN_WRITES_H

#include "api.h"

struct config;
struct db;

struct plugin_writes {
	struct plugin_ops ops;
	long long events_upto;     /* delete plugin_events up to this id (0: none) */
	const char *daily_plugin;  /* record a daily run of this plugin (NULL: none) */
	char daily_day[11];        /* ... on this local date */
	long assigned, unassigned; /* rows changed, filled by the commit */
	long mailed;               /* emails queued, filled by the commit */
	const struct config *cfg;  /* set by the commit */
};

/* Applies w in one transaction (cfg: the mail settings). what names the
 * batch in log lines. Returns 0, or -1 (logged; nothing written). */
int plugin_writes_commit(struct db *db, const struct config *cfg, struct plugin_writes *w,
			 const char *what);

/* Empties w for the next batch; frees its memory. */
void plugin_writes_reset(struct plugin_writes *w);
void plugin_writes_free(struct plugin_writes *w);

#endif
