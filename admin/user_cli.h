/* user_cli.h: `vern user add|passwd|totp-reset|roles|unlock|list|remove`,
 * the command line for local accounts (see users.h). */
#ifndef VERN_USER_CLI_H
#define VERN_USER_CLI_H

struct db;

/* argv holds the words after "user". Returns the process exit code. */
int user_command(struct db *db, int argc, char **argv);

#endif
