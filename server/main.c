/* main.c: the `vern` command line: serve, migrate, backup, demo, version.
 *
 * Each subcommand loads the layered configuration (see config.h), then does
 * its one job. `serve` owns the process lifecycle: it blocks the signals in
 * every thread, starts storage and HTTP, and waits for SIGINT/SIGTERM to
 * stop gracefully (in-flight requests finish, queued writes commit, the
 * database is checkpointed and closed). */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "demo.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "mail_cli.h"
#include "mail_demo.h"
#include "people_import.h"
#include "scim_token.h"
#include "pidfile.h"
#include "../courses/import.h"
#include "../courses/bundled.h"
#include "../courses/native.h"
#include "server.h"
#include "../plugins/cli.h"
#include "../plugins/host.h"
#include "../lrs/auth.h"
#include "../lrs/index.h"
#include "../lrs/json_arena.h"
#include "admin_state.h"
#include "demo_accounts.h"
#include "retention.h"
#include "user_cli.h"

struct command {
	const char *name;
	int (*run)(struct config *cfg, int argc, char **argv);
	const char *args;
	const char *help;
	const char *const *own_flags; /* the command's own --flags taking a value */
	const char *const *own_switches; /* the command's own --flags without a value */
};

static int cmd_serve(struct config *cfg, int argc, char **argv);
static int cmd_migrate(struct config *cfg, int argc, char **argv);
static int cmd_backup(struct config *cfg, int argc, char **argv);
static int cmd_demo(struct config *cfg, int argc, char **argv);
static int cmd_version(struct config *cfg, int argc, char **argv);
static int cmd_lrs_client(struct config *cfg, int argc, char **argv);
static int cmd_people(struct config *cfg, int argc, char **argv);
static int cmd_scim_token(struct config *cfg, int argc, char **argv);
static int cmd_mail(struct config *cfg, int argc, char **argv);
static int cmd_plugins(struct config *cfg, int argc, char **argv);
static int cmd_course(struct config *cfg, int argc, char **argv);
static int cmd_user(struct config *cfg, int argc, char **argv);
static int cmd_retention(struct config *cfg, int argc, char **argv);

static const char *const people_switches[] = { "--dry-run", "--partial", "--force", NULL };

static const char *const course_flags[] = { "--id", "--title", "--minutes", "--valid-months", NULL };

static const char *const lrs_client_flags[] = { "--name", "--key", "--secret", "--scope", NULL };
static const char *const user_flags[] = { "--employee", "--role", "--name", NULL };
static const char *const user_switches[] = { "--generate", NULL };
static const char *const retention_flags[] = { "--now", NULL };

static const char *const scim_token_flags[] = { "--name", NULL };

static const struct command commands[] = {
	{ "serve", cmd_serve, "[--config FILE] [--listen ADDR:PORT] [--db PATH] [--data DIR]",
	  "run the server until SIGINT or SIGTERM", NULL, NULL },
	{ "migrate", cmd_migrate, "[--db PATH]", "apply pending database migrations and exit", NULL, NULL },
	{ "backup", cmd_backup, "DEST [--db PATH]",
	  "write a consistent copy of the database to DEST, also while the server runs", NULL, NULL },
	{ "demo", cmd_demo, "[--db PATH]",
	  "create or refresh the demo municipality in the database", NULL, NULL },
	{ "lrs-client", cmd_lrs_client,
	  "add --name NAME [--key KEY --secret SECRET] [--scope SCOPES] | list | remove KEY",
	  "manage the clients (key and secret) of the xAPI LRS", lrs_client_flags, NULL },
	{ "people", cmd_people, "import FILE.csv [--dry-run] [--partial] [--force]",
	  "import units or employees from a CSV export (see README)", NULL, people_switches },
	{ "scim-token", cmd_scim_token, "add --name NAME | list | remove NAME",
	  "manage the bearer tokens of SCIM provisioning (/scim/v2)", scim_token_flags, NULL },
	{ "mail", cmd_mail, "test ADDRESS | status | keys | rotate-key | retire-key ID",
	  "send a test email, show the outbox, rotate the keys of lesson links", NULL, NULL },
	{ "plugins", cmd_plugins, "list | check FILE.lua | reload",
	  "list the Lua plugins, check one, or make the running server reload them", NULL, NULL },
	{ "course", cmd_course,
	  "import FILE.zip|FOLDER [--id ID] [--title T] [--minutes N] [--valid-months N] | list | "
	  "build SRC_DIR OUT_DIR",
	  "import SCORM 1.2, SCORM 2004 and cmi5 packages and native course folders; build checks "
	  "a native course folder", course_flags, NULL },
	{ "user", cmd_user,
	  "add USERNAME [--employee ID] [--role ROLE]... | passwd USERNAME | totp-reset USERNAME | "
	  "roles USERNAME [--role ROLE]... | unlock USERNAME | list | remove USERNAME",
	  "manage sign-in accounts (roles: admin, hr, ombud, leader:UNIT)", user_flags, user_switches },
	{ "retention", cmd_retention, "run [--now YYYY-MM-DD] | policy",
	  "apply the retention policy now (the server also runs it daily)", retention_flags, NULL },
	{ "version", cmd_version, "", "print the version", NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

static void usage(FILE *out)
{
	fprintf(out, "Vern %s: e-learning and competence tracking for privacy and security training.\n\n"
		     "Usage: vern COMMAND [options]\n\nCommands:\n", VERN_VERSION);
	for (const struct command *c = commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->help);
	fprintf(out, "\nRun `vern COMMAND --help` for the options of a command.\n");
}

static void command_usage(const struct command *c)
{
	printf("Usage: vern %s %s\n\n%s.\n\n", c->name, c->args, c->help);
	printf("Every configuration key can be given as --key VALUE (or --key=VALUE),\n"
	       "as the environment variable VERN_KEY, or in the file named by --config.\n\n");
	config_print_reference();
}

/* Builds the configuration from defaults, --config FILE, VERN_* and flags;
 * leaves the positional arguments in pos. Returns 0, 1 for --help, or 2 on
 * a configuration error (already reported). */
static int in_list(const char *const *list, const char *arg)
{
	for (const char *const *f = list; f && *f; f++)
		if (strcmp(*f, arg) == 0)
			return 1;
	return 0;
}

static int load_config(const struct command *c, struct config *cfg, int argc, char **argv,
		       char **pos, int *npos)
{
	char err[1024];
	const char *file = NULL;
	*npos = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0) {
			fprintf(stderr, "vern: --config needs a file name\n");
			return 2;
		}
	}
	if (!file)
		file = getenv("VERN_CONFIG");
	config_defaults(cfg);
	if (file && config_load_file(cfg, file, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern: %s\n", err);
		return 2;
	}
	if (config_load_env(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern: %s\n", err);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0) {
			i++;
			continue;
		}
		if (strncmp(argv[i], "--config=", 9) == 0)
			continue;
		if (in_list(c->own_switches, argv[i])) {
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (in_list(c->own_flags, argv[i])) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vern: %s needs a value\n", argv[i]);
				return 2;
			}
			pos[(*npos)++] = argv[i];
			pos[(*npos)++] = argv[++i];
			continue;
		}
		int used = config_take_flag(cfg, argc, argv, i, err, sizeof(err));
		if (used < 0) {
			fprintf(stderr, "vern: %s\n", err);
			return 2;
		}
		if (used > 0) {
			i += used - 1;
			continue;
		}
		if (strncmp(argv[i], "--", 2) == 0) {
			fprintf(stderr, "vern: unknown option %s (not a config key)\n", argv[i]);
			return 2;
		}
		pos[(*npos)++] = argv[i];
	}
	return 0;
}

static int open_db(const struct config *cfg, struct db **db)
{
	char err[1024];
	struct db_options opt = { (int)cfg->busy_timeout_ms, (int)cfg->read_connections };
	if (opt.read_connections == 0)
		opt.read_connections = (int)cfg->threads + 4; /* no request waits for one */
	if (db_open(db, cfg->db, &opt, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "db_open_failed", "db=%s error=\"%s\"", cfg->db, err);
		return -1;
	}
	/* the LRS writes its query index when writes pause (lrs/index.h) */
	db_set_idle_job(*db, lrs_index_idle, NULL);
	return 0;
}

/* Plugins that queue email wake the sender (plugin_host_set_mail_notify). */
static void wake_mail(void *srv)
{
	mail_wake(srv);
}

static int cmd_serve(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "vern serve: unexpected argument %s\n", argv[0]);
		return 2;
	}
	/* Block the signals before any thread starts, so every thread inherits
	 * the mask and only sigwait() below sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct server srv;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = *cfg;
	srv.started = time(NULL);
	if (open_db(cfg, &srv.db) != 0)
		return 1;
	char err[1024];
	if (plugin_host_open(&srv.plugins, &srv.cfg, srv.db, err, sizeof(err)) != 0)
		log_event(LOG_ERROR, "plugins_failed", "error=\"%s\"", err);
	if (srv.cfg.access_log)
		log_buffer_start();
	if (http_start(&srv, err, sizeof(err)) != 0) {
		log_buffer_stop();
		log_event(LOG_ERROR, "listen_failed", "error=\"%s\"", err);
		plugin_host_close(srv.plugins);
		db_close(srv.db);
		return 1;
	}
	if (!srv.cfg.public_url[0])
		snprintf(srv.cfg.public_url, sizeof(srv.cfg.public_url), "%s", srv.base_url);
	plugin_host_set_mail_notify(srv.plugins, wake_mail, &srv);
	if (srv.plugins && plugin_host_start(srv.plugins, srv.cfg.public_url) != 0)
		log_event(LOG_ERROR, "plugins_failed", "error=\"the plugin worker did not start\"");
	if (pidfile_write(srv.cfg.data_dir, err, sizeof(err)) != 0)
		log_event(LOG_WARN, "pidfile_failed", "error=\"%s\"", err);
	if (admin_start(&srv) != 0) {
		http_stop(&srv);
		log_buffer_stop();
		db_close(srv.db);
		return 1;
	}
	if (mail_start(&srv, err, sizeof(err)) != 0) {
		log_event(LOG_ERROR, "mail_start_failed", "error=\"%s\"", err);
		http_stop(&srv);
		plugin_host_close(srv.plugins);
		pidfile_remove(srv.cfg.data_dir);
		admin_stop(&srv);
		log_buffer_stop();
		db_close(srv.db);
		return 1;
	}
	log_event(LOG_INFO, "listening", "url=%s version=%s db=%s threads=%ld",
		  srv.base_url, VERN_VERSION, cfg->db, cfg->threads);

	int sig = 0;
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_event(LOG_INFO, "reload", "what=plugins");
			plugin_host_reload(srv.plugins);
			continue;
		}
		break;
	}
	log_event(LOG_INFO, "stopping", "signal=%s", sig == SIGINT ? "INT" : "TERM");
	http_stop(&srv);
	plugin_host_set_mail_notify(srv.plugins, NULL, NULL);
	mail_stop(&srv);
	plugin_host_close(srv.plugins);
	srv.plugins = NULL;
	pidfile_remove(srv.cfg.data_dir);
	admin_stop(&srv);
	log_buffer_stop();
	struct db_stats st;
	db_get_stats(srv.db, &st);
	db_close(srv.db);
	log_event(LOG_INFO, "stopped", "commits=%llu writes=%llu", st.commits, st.jobs);
	return 0;
}

static int cmd_migrate(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "vern migrate: unexpected argument %s\n", argv[0]);
		return 2;
	}
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	db_close(db);
	printf("database %s is at schema version %d\n", cfg->db, db_schema_version_known());
	return 0;
}

static int cmd_backup(struct config *cfg, int argc, char **argv)
{
	if (argc != 1) {
		fprintf(stderr, "vern backup: give exactly one destination file\n");
		return 2;
	}
	char err[1024];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (db_backup(cfg->db, argv[0], err, sizeof(err)) != 0) {
		fprintf(stderr, "vern backup: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("backup of %s written to %s in %.2f s\n", cfg->db, argv[0],
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return 0;
}

static int cmd_demo(struct config *cfg, int argc, char **argv)
{
	(void)argv;
	if (argc > 0) {
		fprintf(stderr, "vern demo: unexpected argument %s\n", argv[0]);
		return 2;
	}
	struct server srv;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = *cfg;
	srv.started = time(NULL);
	/* The agents' home page must be what `vern serve` will use: the
	 * configured public_url, else http://<listen> as serve binds it. */
	if (!srv.cfg.public_url[0]) {
		const char *listen = cfg->listen;
		int any = strncmp(listen, "0.0.0.0:", 8) == 0;
		snprintf(srv.cfg.public_url, sizeof(srv.cfg.public_url), "http://%s%.*s",
			 any ? "127.0.0.1" : "", CONFIG_STR_MAX - 32, any ? listen + 7 : listen);
	}
	if (open_db(cfg, &srv.db) != 0)
		return 1;
	/* The bundled courses first, so the demo's catalogue rows are theirs. */
	int rc = courses_install_bundled(srv.db, &srv.cfg, "courses", stdout) < 0 ? -1 : 0;
	if (rc == 0)
		rc = demo_create(&srv, stdout);
	if (rc == 0)
		rc = demo_accounts(srv.db, cfg);
	if (rc == 0)
		rc = mail_demo_setup(srv.db);
	db_close(srv.db);
	if (rc != 0) {
		fprintf(stderr, "vern demo: the demo data could not be written\n");
		return 1;
	}
	printf("demo data is ready in %s\n", cfg->db);
	return 0;
}

static int cmd_version(struct config *cfg, int argc, char **argv)
{
	(void)cfg;
	(void)argc;
	(void)argv;
	printf("vern %s (schema %d, sqlite %s)\n", VERN_VERSION, db_schema_version_known(),
	       sqlite3_libversion());
	return 0;
}

static int cmd_lrs_client(struct config *cfg, int argc, char **argv)
{
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = lrs_client_command(cfg, db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_plugins(struct config *cfg, int argc, char **argv)
{
	return plugin_command(cfg, argc, argv);
}

static int cmd_user(struct config *cfg, int argc, char **argv)
{
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = user_command(db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_retention(struct config *cfg, int argc, char **argv)
{
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = retention_command(cfg, db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_people(struct config *cfg, int argc, char **argv)
{
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = people_command(db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_mail(struct config *cfg, int argc, char **argv)
{
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = mail_command(cfg, db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_course(struct config *cfg, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "build") == 0)
		return native_build_command(argc - 1, argv + 1);
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = courses_command(cfg, db, argc, argv);
	db_close(db);
	return rc;
}

static int cmd_scim_token(struct config *cfg, int argc, char **argv)
{
	if (!scim_token_args_ok(argc, argv))
		return 2;
	struct db *db;
	if (open_db(cfg, &db) != 0)
		return 1;
	int rc = scim_token_command(db, argc, argv);
	db_close(db);
	return rc;
}

/* Vern is a long-running server with many threads: keep freed memory for
 * reuse instead of handing it back to the system after every large free
 * and growing again a moment later (each round is system calls and page
 * faults, dear on virtualised hosts). Blocks up to 32 MB (the most glibc
 * allows) come from the heap, not from mmap: the LRS writer's index
 * passes use arrays of 15-30 MB, and mapped afresh each pass they cost
 * the writer 0.05-0.09 page faults per statement stored (about 12% of
 * its CPU at batch ingest). */
static void tune_malloc(void)
{
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
}

int main(int argc, char **argv)
{
	tune_malloc();
	json_arena_install(); /* before any other thread exists */
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0)
		argv[1] = "version";
	for (const struct command *c = commands; c->name; c++) {
		if (strcmp(argv[1], c->name) != 0)
			continue;
		struct config cfg;
		char *pos[64];
		int npos = 0;
		if (argc - 1 > 64) {
			fprintf(stderr, "vern: too many arguments\n");
			return 2;
		}
		int rc = load_config(c, &cfg, argc - 1, argv + 1, pos, &npos);
		if (rc == 1) {
			command_usage(c);
			return 0;
		}
		if (rc != 0)
			return rc;
		return c->run(&cfg, npos, pos);
	}
	fprintf(stderr, "vern: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
