/* views_plugins.h: the reports the views take from Lua plugins (the
 * appraisal plugin for HR, sikkerhetsmaaned for the ombud), through the
 * plugin host (plugins/host.h). */
#ifndef VERN_VIEWS_PLUGINS_H
#define VERN_VIEWS_PLUGINS_H

#include <jansson.h>
#include <stddef.h>

struct server;

enum {
	VIEWS_PLUGIN_OK = 0,       /* *out holds the report */
	VIEWS_PLUGIN_ABSENT = 1,   /* no plugin host, plugin or report: use Vern's own figures */
	VIEWS_PLUGIN_FAILED = -1,  /* the plugin exists but failed (err says why) */
};

/* Runs report `report` of plugin `plugin` with params (not stolen). */
int views_plugin_report(struct server *srv, const char *plugin, const char *report,
			json_t *params, json_t **out, char *err, size_t errsize);

#endif
