/* views_plugins.c: plugin reports for the views (see views_plugins.h).
 *
 * The plugin host arrives with the plugins part of Vern (plugins/host.h,
 * struct server's `plugins`); a build without it answers ABSENT, and the
 * views then compute the same figures from the database themselves. */
#include "views_plugins.h"

#include <stdio.h>

#include "server.h"

#if defined(__has_include)
#if __has_include("host.h")
#include "host.h"
#define VIEWS_HAVE_PLUGIN_HOST 1
#endif
#endif

int views_plugin_report(struct server *srv, const char *plugin, const char *report,
			json_t *params, json_t **out, char *err, size_t errsize)
{
	*out = NULL;
	err[0] = 0;
#ifdef VIEWS_HAVE_PLUGIN_HOST
	if (!srv->plugins)
		return VIEWS_PLUGIN_ABSENT;
	int rc = plugin_host_report(srv->plugins, plugin, report, params, out, err, errsize);
	if (rc == PLUGIN_OK && *out)
		return VIEWS_PLUGIN_OK;
	if (rc == PLUGIN_NOT_FOUND)
		return VIEWS_PLUGIN_ABSENT;
	json_decref(*out);
	*out = NULL;
	if (!err[0])
		snprintf(err, errsize, "plugin %s failed", plugin);
	return VIEWS_PLUGIN_FAILED;
#else
	(void)srv;
	(void)plugin;
	(void)report;
	(void)params;
	(void)errsize;
	return VIEWS_PLUGIN_ABSENT;
#endif
}
