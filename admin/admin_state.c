/* admin_state.c: start and stop of the sign-in limiter and the retention
 * job (see admin_state.h). */
#include "admin_state.h"

#include <sodium.h>

#include <stdlib.h>

#include "log.h"
#include "rate_limit.h"
#include "retention.h"
#include "server.h"

#define LIMITER_SLOTS 4096

int admin_start(struct server *srv)
{
	struct admin_state *a = calloc(1, sizeof(*a));
	if (!a || !(a->login_ip = rate_limit_new(LIMITER_SLOTS))) {
		free(a);
		log_event(LOG_ERROR, "admin_start_failed", "error=\"out of memory\"");
		return -1;
	}
	char err[4400];
	if (totp_key_load(srv->cfg.data_dir, a->totp_key, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "admin_start_failed", "error=\"%s\"", err);
		rate_limit_free(a->login_ip);
		free(a);
		return -1;
	}
	a->retention = retention_job_start(srv);
	srv->admin = a;
	return 0;
}

void admin_stop(struct server *srv)
{
	struct admin_state *a = srv->admin;
	if (!a)
		return;
	retention_job_stop(a->retention);
	rate_limit_free(a->login_ip);
	sodium_memzero(a->totp_key, sizeof(a->totp_key));
	free(a);
	srv->admin = NULL;
}
