/* cli.c: `vern plugins`: list the plugins in plugins_dir with their
 * state, check one file before installing it, and ask the running server
 * to reload (SIGHUP through the pid file in data_dir). */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "host.h"
#include "pidfile.h"

static void print_list(const char *label, const json_t *arr)
{
	size_t i;
	const json_t *v;
	printf("  %s:", label);
	if (json_array_size(arr) == 0)
		printf(" -");
	json_array_foreach(arr, i, v)
		printf("%s%s", i ? ", " : " ", json_string_value(v));
	printf("\n");
}

/* Prints one plugin's status; returns 1 when it is broken. */
static int print_plugin(const json_t *p)
{
	const char *status = json_string_value(json_object_get(p, "status"));
	int broken = status && strcmp(status, "ok") != 0;
	printf("%s %s  %s  (%s)\n", json_string_value(json_object_get(p, "name")),
	       json_string_value(json_object_get(p, "version")), broken ? "BROKEN" : "ok",
	       json_string_value(json_object_get(p, "file")));
	if (broken) {
		printf("  error: %s\n", json_string_value(json_object_get(p, "error")));
		return 1;
	}
	const char *desc = json_string_value(json_object_get(p, "description"));
	if (desc)
		printf("  %s\n", desc);
	print_list("hooks", json_object_get(p, "hooks"));
	print_list("reports", json_object_get(p, "reports"));
	return 0;
}

static int cmd_list(const struct config *cfg)
{
	struct plugin_host *h;
	char err[256];
	if (plugin_host_open(&h, cfg, NULL, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern plugins list: %s\n", err);
		return 1;
	}
	json_t *st = plugin_host_status(h);
	plugin_host_close(h);
	const json_t *list = json_object_get(st, "plugins");
	size_t i;
	const json_t *p;
	int broken = 0;
	if (json_array_size(list) == 0)
		printf("no plugins in %s\n", cfg->plugins_dir);
	json_array_foreach(list, i, p)
		broken += print_plugin(p);
	json_decref(st);
	if (broken)
		printf("%d plugin(s) broken: the server skips them\n", broken);
	return 0;
}

static int cmd_check(const struct config *cfg, const char *file)
{
	json_t *st = plugin_host_check(cfg, file);
	if (!st) {
		fprintf(stderr, "vern plugins check: out of memory\n");
		return 1;
	}
	int broken = print_plugin(st);
	json_decref(st);
	return broken ? 1 : 0;
}

static int cmd_reload(const struct config *cfg)
{
	long pid;
	char err[512];
	if (pidfile_signal(cfg->data_dir, SIGHUP, &pid, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern plugins reload: %s\n", err);
		return 1;
	}
	printf("asked the server (pid %ld) to reload the plugins in %s; see its log\n", pid,
	       cfg->plugins_dir);
	return 0;
}

int plugin_command(const struct config *cfg, int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(cfg);
	if (argc == 2 && strcmp(argv[0], "check") == 0)
		return cmd_check(cfg, argv[1]);
	if (argc == 1 && strcmp(argv[0], "reload") == 0)
		return cmd_reload(cfg);
	fprintf(stderr, "usage: vern plugins list | check FILE.lua | reload\n");
	return 2;
}
