/* demo.h: the demo municipality written by `vern demo`. */
#ifndef VERN_DEMO_H
#define VERN_DEMO_H

#include <stdio.h>

struct server;

/* Creates or refreshes the demo municipality in srv->db: its settings, the
 * bundled course catalogue (rows only), 2,000 employees in about 40
 * agencies, and their learning history as xAPI statements whose agents'
 * home page is srv->cfg.public_url. Idempotent: a second run changes
 * nothing. A summary goes to out (may be NULL). Returns 0, or -1 with the
 * reason logged. */
int demo_create(struct server *srv, FILE *out);

#endif
