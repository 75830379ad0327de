/* scim_token.h: the bearer tokens identity systems present to /scim/v2/,
 * and `vern scim-token add --name NAME | list | remove NAME`. A token is
 * shown once when it is made; only its BLAKE2b hash is stored. */
#ifndef VERN_SCIM_TOKEN_H
#define VERN_SCIM_TOKEN_H

struct db;
struct server;

/* 0 when authorization is "Bearer <a stored token>", else -1. Every stored
 * hash is compared in constant time, with no early exit. */
int scim_token_check(struct server *srv, const char *authorization);

/* 1 when argv is a well-formed `vern scim-token` command line; else
 * prints the usage and returns 0 (checked before the database is opened). */
int scim_token_args_ok(int argc, char **argv);

/* The CLI. Returns the process exit code. */
int scim_token_command(struct db *db, int argc, char **argv);

#endif
