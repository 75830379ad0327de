/* demo.h: the demo municipality written by `vern demo`. */
#ifndef VERN_DEMO_H
#define VERN_DEMO_H

struct db;

/* Creates or refreshes the demo data; idempotent. Returns 0 or -1. */
int demo_create(struct db *db);

#endif
