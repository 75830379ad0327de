/* demo_accounts.h: the sign-in accounts of `vern demo`: an employee, a
 * leader, HR, the ombud and an admin, all with the known password
 * DEMO_PASSWORD and flagged demo, so they sign in (without TOTP) only on a
 * server running with demo_mode = true, and never otherwise. */
#ifndef VERN_DEMO_ACCOUNTS_H
#define VERN_DEMO_ACCOUNTS_H

struct config;
struct db;

#define DEMO_PASSWORD "demo-demo-demo"

/* Creates the accounts that are missing (and the demo employees they
 * belong to, when the demo people do not have them), then prints their
 * sign-in links. Idempotent. Returns 0 or -1. */
int demo_accounts(struct db *db, const struct config *cfg);

#endif
