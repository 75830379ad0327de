/* server.h: the server context, the one piece of shared state.
 *
 * It is created by `vern serve`, passed explicitly to every handler through
 * the request, and torn down in reverse order on shutdown. */
#ifndef VERN_SERVER_H
#define VERN_SERVER_H

#include <time.h>

#include "config.h"

#define VERN_VERSION "0.1.0"

struct admin_state;
struct db;
struct mail;
struct mg_context;
struct plugin_host;

struct server {
	struct config cfg;
	struct db *db;
	struct mg_context *mg;
	struct admin_state *admin; /* sign-in limiter, retention job (admin/admin_state.h) */
	char base_url[CONFIG_STR_MAX]; /* http://host:port as actually bound */
	int port;
	time_t started;
	struct mail *mail; /* email delivery (server/mail.c), NULL when not started */
	struct plugin_host *plugins;   /* plugins/host.h; NULL when not loaded */
};

#endif
