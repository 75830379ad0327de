/* mail_cli.h: `vern mail`, email from the command line.
 *
 *   vern mail test ADDRESS      send the test email now, straight over SMTP
 *                               (not through the outbox), and say what the
 *                               server answered
 *   vern mail status            outbox counts
 *   vern mail rotate-key        start signing links with a new key (links
 *                               signed with older keys keep working)
 *   vern mail retire-key ID     stop accepting links signed with key ID
 *   vern mail keys              list the link keys (ids and dates only) */
#ifndef VERN_MAIL_CLI_H
#define VERN_MAIL_CLI_H

struct config;
struct db;

int mail_command(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
