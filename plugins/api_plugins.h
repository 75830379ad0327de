/* api_plugins.h: HTTP endpoints of the plugin host.
 *
 *   GET  /api/plugins                      status of every plugin (host.h)
 *   GET  /api/plugins/NAME/reports/REPORT  run a report; query parameters
 *   POST /api/plugins/NAME/reports/REPORT  ... or a JSON object as params
 *   POST /api/plugins/reload               re-read the plugins folder: {"broken": N}
 *   POST /api/test/plugins/daily|sync|events|scheduled  (test_endpoints
 *        only; body {"now": s}) run daily(), on_employee sync, the waiting
 *        events, or the daily schedule as the worker does at that time
 *
 * The first three need a signed-in admin (access_require, CSRF on POST).
 * plugin_http_require_all (LRS client Basic credentials with scope "all")
 * stays for POST /api/incidents, which the municipality's incident system
 * calls machine to machine. */
#ifndef VERN_PLUGIN_API_PLUGINS_H
#define VERN_PLUGIN_API_PLUGINS_H

struct http_request;

void api_plugins_list(struct http_request *req);
void api_plugins_report(struct http_request *req);
void api_plugins_reload(struct http_request *req);
void api_test_plugins(struct http_request *req);

/* For machine clients: checks LRS client Basic credentials with scope "all"; on failure answers
 * 401 or 403 and returns -1. */
int plugin_http_require_all(struct http_request *req);

#endif
