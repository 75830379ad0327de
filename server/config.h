/* config.h: Vern's configuration.
 *
 * Every setting has one entry in the table in config.c (name, type, default,
 * bounds, help). Values are layered: built-in defaults, then the config file
 * (key = value), then VERN_<KEY> environment variables, then command-line
 * flags (--key value). An unknown key or a bad value is an error naming the
 * key. Later issues add their keys to the same table. */
#ifndef VERN_CONFIG_H
#define VERN_CONFIG_H

#include <stddef.h>

#define CONFIG_STR_MAX 512
#define CONFIG_PLUGIN_SETTINGS_MAX 64

/* A `plugin.NAME.KEY = value` line, kept for the plugin NAME (see
 * plugins/host.h). key is "NAME.KEY". */
struct config_plugin_setting {
	char key[96];
	char value[256];
};

struct config {
	char listen[CONFIG_STR_MAX];       /* ADDR:PORT */
	char db[CONFIG_STR_MAX];           /* SQLite file */
	char data_dir[CONFIG_STR_MAX];     /* uploaded content, backups */
	char public_url[CONFIG_STR_MAX];   /* base URL used in links */
	char www_dir[CONFIG_STR_MAX];      /* the admin pages (admin/www) */
	char content_origin[CONFIG_STR_MAX]; /* origin serving course content; "" = public_url */
	long max_upload_bytes;             /* course package uploads */
	char log_level[16];
	char vendor_dir[CONFIG_STR_MAX];   /* scripts from npm packages (build/vendor) */
	char totp_issuer[64];              /* sign-in and retention (admin/) */
	long session_minutes;
	long login_max_failures;
	long login_lockout_minutes;
	long login_ip_limit;
	long login_ip_window_seconds;
	long retention_statement_days;
	long retention_inactive_days;
	long retention_hour;
	long retention_start_delay_seconds;
	int retention_delete_statements;
	int retention_job;
	int demo_mode;
	long threads;
	long max_body_bytes;
	long max_header_bytes;
	long request_timeout_ms;
	long busy_timeout_ms;
	long read_connections;
	long lrs_max_batch;
	int keep_alive;
	int access_log;
	int test_endpoints;
	/* Email (server/mail*.c) */
	char smtp_host[CONFIG_STR_MAX];
	long smtp_port;
	char smtp_tls[16];                 /* none, starttls or tls */
	char smtp_user[CONFIG_STR_MAX];
	char smtp_password[CONFIG_STR_MAX];
	char smtp_ca_file[CONFIG_STR_MAX];
	long smtp_timeout_seconds;
	char mail_from[CONFIG_STR_MAX];
	char mail_contact_line[CONFIG_STR_MAX];
	long mail_rate_per_minute;
	long mail_connections;
	long mail_max_attempts;
	long mail_retry_seconds;
	long mail_link_days;
	long mail_session_minutes;
	long mail_tick_seconds;
	long mail_keep_days;
	char plugins_dir[CONFIG_STR_MAX];  /* folder of *.lua plugins */
	long plugins_memory_mb;            /* per plugin (split over its Lua states) */
	long plugins_instructions;         /* per hook or report call */
	long plugins_call_ms;              /* per hook or report call */
	long plugins_daily_hour;           /* local hour daily() runs; -1: never */
	struct config_plugin_setting plugin_settings[CONFIG_PLUGIN_SETTINGS_MAX];
	int nplugin_settings;
};

/* Fills cfg with the built-in defaults. */
void config_defaults(struct config *cfg);

/* Applies one key = value. Returns 0, or -1 with a message in err naming
 * the key (unknown key, or a value of the wrong type or out of bounds). */
int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errsize);

/* Reads a config file of key = value lines (# starts a comment). Returns 0
 * or -1 with err naming the file, line and key. */
int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t errsize);

/* Applies every VERN_<KEY> variable that names a known key; a VERN_ variable
 * naming no key is ignored only if it is not config-shaped (see config.c). */
int config_load_env(struct config *cfg, char *err, size_t errsize);

/* Looks for a flag of the form --key or --key=value for any known key.
 * Returns the number of argv entries consumed (1 or 2), 0 if argv[i] is not
 * a config flag, or -1 with err set for a known flag with a bad value. */
int config_take_flag(struct config *cfg, int argc, char **argv, int i,
		     char *err, size_t errsize);

/* Prints the reference of every key with its default (for --help). */
void config_print_reference(void);

#endif
