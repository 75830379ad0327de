/* cli.h: `vern plugins list | check FILE | reload`. */
#ifndef VERN_PLUGIN_CLI_H
#define VERN_PLUGIN_CLI_H

struct config;

/* argv holds the words after "plugins". Returns the exit code. */
int plugin_command(const struct config *cfg, int argc, char **argv);

#endif
