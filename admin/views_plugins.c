/* views_plugins.c: plugin reports for the views (see views_plugins.h),
 * through the plugin host (plugins/host.h). No host (srv->plugins NULL) or
 * no such plugin or report is ABSENT, and the views then compute the same
 * figures from the database themselves; a plugin that exists but fails is
 * FAILED, so no one mistakes Vern's figures for the plugin's. */
#include "views_plugins.h"

#include <stdio.h>

#include "host.h"
#include "server.h"

int views_plugin_report(struct server *srv, const char *plugin, const char *report,
			json_t *params, json_t **out, char *err, size_t errsize)
{
	*out = NULL;
	err[0] = 0;
	if (!srv->plugins)
		return VIEWS_PLUGIN_ABSENT;
	int rc = plugin_host_report(srv->plugins, plugin, report, params, out, err, errsize);
	if (rc == PLUGIN_OK && *out)
		return VIEWS_PLUGIN_OK;
	json_decref(*out);
	*out = NULL;
	if (rc == PLUGIN_NOT_FOUND)
		return VIEWS_PLUGIN_ABSENT;
	if (!err[0])
		snprintf(err, errsize, "plugin %s failed", plugin);
	return VIEWS_PLUGIN_FAILED;
}
