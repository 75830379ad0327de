/* admin_state.h: what the admin folder keeps while `vern serve` runs: the
 * per-IP sign-in limiter, the daily retention job and the key that seals
 * TOTP secrets (admin/totp_seal.h). Hung on struct
 * server as srv->admin; NULL outside the server (commands, unit tests). */
#ifndef VERN_ADMIN_STATE_H
#define VERN_ADMIN_STATE_H

struct rate_limit;
struct retention_job;
struct server;

#include "totp_seal.h"

struct admin_state {
	struct rate_limit *login_ip;
	struct retention_job *retention;
	unsigned char totp_key[TOTP_KEY_BYTES];
};

/* Called by `vern serve` once public_url is known. Returns 0 or -1. */
int admin_start(struct server *srv);

/* Stops the job and frees the state; safe when admin_start failed. */
void admin_stop(struct server *srv);

#endif
