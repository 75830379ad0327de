/* config.c: the settings table and the loaders that fill struct config.
 *
 * One table lists every key. Loading is layered (defaults, file, env, flags)
 * and strict: an unknown key or a bad value stops the program at start with
 * the key named, so a typo never silently falls back to a default. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

enum config_type { CT_STRING, CT_LONG, CT_BOOL, CT_LISTEN, CT_LOGLEVEL };

struct config_key {
	const char *name;
	enum config_type type;
	size_t offset;
	size_t size;      /* strings: buffer size */
	long min, max;    /* longs: bounds */
	const char *def;
	const char *help;
};

#define STR(field, def, help) \
	{ #field, CT_STRING, offsetof(struct config, field), \
	  sizeof(((struct config *)0)->field), 0, 0, def, help }
#define LONG(field, lo, hi, def, help) \
	{ #field, CT_LONG, offsetof(struct config, field), 0, lo, hi, def, help }
#define BOOL(field, def, help) \
	{ #field, CT_BOOL, offsetof(struct config, field), 0, 0, 1, def, help }

static const struct config_key keys[] = {
	{ "listen", CT_LISTEN, offsetof(struct config, listen),
	  sizeof(((struct config *)0)->listen), 0, 0, "127.0.0.1:8080",
	  "address and port to serve on (port 0 picks a free one)" },
	STR(db, "./vern-data/vern.db", "SQLite database file"),
	STR(data_dir, "./vern-data", "directory for course content and uploads (flag --data)"),
	STR(public_url, "", "base URL in links and emails (default http://<listen>)"),
	STR(www_dir, "./admin/www", "directory of the web pages, styles and scripts"),
	STR(content_origin, "",
	    "origin (scheme://host[:port]) that serves uploaded course content, apart from "
	    "public_url so content can never use a signed-in session; empty: public_url"),
	LONG(max_upload_bytes, 1024, 4L << 30, "536870912",
	     "largest course package accepted by the upload endpoint, in bytes"),
	{ "log_level", CT_LOGLEVEL, offsetof(struct config, log_level),
	  sizeof(((struct config *)0)->log_level), 0, 0, "info",
	  "lowest level logged: debug, info, warn or error" },
	STR(vendor_dir, "./build/vendor", "directory of the scripts the build copies from npm packages"),
	STR(totp_issuer, "Vern", "name shown for Vern in authenticator apps (TOTP)"),
	LONG(session_minutes, 5, 10080, "480", "how long a sign-in lasts, in minutes"),
	LONG(login_max_failures, 1, 100, "5",
	     "failed sign-ins in a row that lock an account"),
	LONG(login_lockout_minutes, 1, 1440, "15", "how long a locked account stays locked"),
	LONG(login_ip_limit, 1, 1000000, "30",
	     "sign-in attempts one IP address may make per login_ip_window_seconds"),
	LONG(login_ip_window_seconds, 10, 86400, "300", "window of the per-IP sign-in limit"),
	LONG(retention_statement_days, 1, 36500, "730",
	     "days raw xAPI statements and attempt data are kept before retention applies"),
	LONG(retention_inactive_days, 1, 36500, "365",
	     "days after an employee left before their raw data is removed"),
	LONG(retention_hour, 0, 23, "3", "hour of the day the daily retention job runs"),
	LONG(retention_start_delay_seconds, 0, 86400, "60",
	     "seconds after start before the retention job first looks whether a run is due"),
	BOOL(retention_delete_statements, "false",
	     "delete old statements instead of pseudonymising them"),
	BOOL(retention_job, "true", "run the retention job daily inside `vern serve`"),
	BOOL(demo_mode, "false",
	     "let the demo accounts of `vern demo` sign in (known passwords, no TOTP); never in production"),
	LONG(threads, 2, 1024, "32", "HTTP worker threads"),
	LONG(max_body_bytes, 1024, 1L << 30, "8388608",
	     "largest request body accepted by any endpoint, in bytes"),
	LONG(max_header_bytes, 1024, 1048576, "16384",
	     "largest request line plus headers, in bytes"),
	LONG(request_timeout_ms, 100, 3600000, "30000",
	     "time allowed to receive a request, in milliseconds"),
	LONG(busy_timeout_ms, 0, 600000, "5000",
	     "SQLite busy timeout, in milliseconds"),
	LONG(read_connections, 0, 1024, "0",
	     "most SQLite connections for readers, opened on demand (0: threads + 4)"),
	LONG(lrs_max_batch, 1, 1000000, "10000",
	     "most statements the LRS accepts in one request"),
	BOOL(keep_alive, "true", "HTTP keep-alive"),
	BOOL(access_log, "true", "log one line per HTTP request"),
	BOOL(test_endpoints, "false",
	     "enable /api/test/* endpoints used by the test suite; never in production"),
	STR(smtp_host, "", "SMTP server for email lessons (empty: mail is queued, not sent)"),
	LONG(smtp_port, 0, 65535, "0", "SMTP port (0: 25, 587 with starttls, 465 with tls)"),
	STR(smtp_tls, "starttls", "SMTP encryption: none, starttls (required) or tls (implicit)"),
	STR(smtp_user, "", "SMTP user name (empty: no authentication)"),
	STR(smtp_password, "", "SMTP password (better given as VERN_SMTP_PASSWORD; never logged)"),
	STR(smtp_ca_file, "", "CA certificates for the SMTP server (empty: the system's)"),
	LONG(smtp_timeout_seconds, 1, 600, "30", "time allowed for one SMTP delivery, in seconds"),
	STR(mail_from, "Vern <vern@localhost>", "sender of every email, \"Name <address>\""),
	STR(mail_contact_line, "Spørsmål om opplæringen? Kontakt nærmeste leder eller personvernombudet.",
	    "contact line at the foot of every email"),
	LONG(mail_rate_per_minute, 0, 1000000, "600", "most emails sent per minute (0: no limit)"),
	LONG(mail_connections, 1, 16, "2", "SMTP connections used in parallel"),
	LONG(mail_max_attempts, 1, 100, "8", "delivery attempts before an email is marked failed"),
	LONG(mail_retry_seconds, 1, 3600, "60", "wait before retrying a refused email (doubles each time, at most 6 h)"),
	LONG(mail_link_days, 1, 365, "30", "days a lesson link in an email stays valid"),
	LONG(mail_session_minutes, 5, 1440, "120", "minutes a sign-in from a lesson link lasts"),
	LONG(mail_tick_seconds, 1, 3600, "60", "how often campaigns are checked for due lessons"),
	LONG(mail_keep_days, 1, 3650, "90", "days sent emails are kept in the outbox"),
	STR(plugins_dir, "plugins", "folder of the Lua plugins (*.lua); plugin.NAME.KEY = value sets their options"),
	LONG(plugins_memory_mb, 3, 12288, "96",
	     "memory cap of each plugin, in MB (shared evenly by its 3 Lua states)"),
	LONG(plugins_instructions, 1000, 100000000000L, "20000000",
	     "Lua instructions per plugin hook or report call (daily() gets 50 times more)"),
	LONG(plugins_call_ms, 10, 600000, "5000",
	     "time per plugin hook or report call, in milliseconds (daily() gets 50 times more)"),
	LONG(plugins_daily_hour, -1, 23, "2", "local hour when plugins' daily() runs; -1: never by itself"),
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct config_key *find_key(const char *name, size_t len)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strlen(keys[i].name) != len)
			continue;
		size_t j = 0;
		for (; j < len; j++) {
			char c = name[j] == '-' ? '_' : (char)tolower((unsigned char)name[j]);
			if (c != keys[i].name[j])
				break;
		}
		if (j == len)
			return &keys[i];
	}
	return NULL;
}

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) { *out = 1; return 0; }
		if (strcasecmp(v, no[i]) == 0) { *out = 0; return 0; }
	}
	return -1;
}

static int parse_listen(const char *v)
{
	const char *colon = strrchr(v, ':');
	if (!colon || colon == v)
		return -1;
	char *end;
	errno = 0;
	long port = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || port < 0 || port > 65535)
		return -1;
	for (const char *p = v; p < colon; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '[' && *p != ']' && *p != ':')
			return -1;
	return 0;
}

static int apply(struct config *cfg, const struct config_key *k,
		 const char *value, char *err, size_t errsize)
{
	char *field = (char *)cfg + k->offset;
	switch (k->type) {
	case CT_LISTEN:
		if (parse_listen(value) != 0) {
			snprintf(err, errsize, "config key %s: '%s' is not ADDR:PORT",
				 k->name, value);
			return -1;
		}
		/* fall through */
	case CT_STRING:
		if (strlen(value) >= k->size) {
			snprintf(err, errsize, "config key %s: value longer than %zu bytes",
				 k->name, k->size - 1);
			return -1;
		}
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case CT_LOGLEVEL:
		if (log_set_level_name(value) != 0) {
			snprintf(err, errsize,
				 "config key %s: '%s' is not one of debug, info, warn, error",
				 k->name, value);
			return -1;
		}
		snprintf(field, k->size, "%s", value);
		return 0;
	case CT_LONG: {
		char *end;
		errno = 0;
		long n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < k->min || n > k->max) {
			snprintf(err, errsize,
				 "config key %s: '%s' is not a whole number from %ld to %ld",
				 k->name, value, k->min, k->max);
			return -1;
		}
		*(long *)(void *)field = n;
		return 0;
	}
	case CT_BOOL:
		if (parse_bool(value, (int *)(void *)field) != 0) {
			snprintf(err, errsize, "config key %s: '%s' is not true or false",
				 k->name, value);
			return -1;
		}
		return 0;
	}
	return -1;
}

void config_defaults(struct config *cfg)
{
	char err[256];
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		(void)apply(cfg, &keys[i], keys[i].def, err, sizeof(err));
}

/* plugin.NAME.KEY = value: kept for the plugin host (names [a-z0-9_]). */
static int set_plugin_setting(struct config *cfg, const char *key, const char *value,
			      char *err, size_t errsize)
{
	const char *name = key + 7, *dot = strchr(name, '.');
	int ok = dot && dot > name && dot[1] && strlen(name) < sizeof(cfg->plugin_settings[0].key);
	for (const char *p = name; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		     (*p == '.' && p == dot);
	if (!ok) {
		snprintf(err, errsize, "config key %s: expected plugin.NAME.KEY (a-z, 0-9, _)", key);
		return -1;
	}
	if (strlen(value) >= sizeof(cfg->plugin_settings[0].value)) {
		snprintf(err, errsize, "config key %s: value longer than %zu bytes", key,
			 sizeof(cfg->plugin_settings[0].value) - 1);
		return -1;
	}
	int i = 0;
	while (i < cfg->nplugin_settings && strcmp(cfg->plugin_settings[i].key, name) != 0)
		i++;
	if (i == CONFIG_PLUGIN_SETTINGS_MAX) {
		snprintf(err, errsize, "config key %s: more than %d plugin settings", key,
			 CONFIG_PLUGIN_SETTINGS_MAX);
		return -1;
	}
	snprintf(cfg->plugin_settings[i].key, sizeof(cfg->plugin_settings[i].key), "%s", name);
	snprintf(cfg->plugin_settings[i].value, sizeof(cfg->plugin_settings[i].value), "%s", value);
	if (i == cfg->nplugin_settings)
		cfg->nplugin_settings++;
	return 0;
}

int config_set(struct config *cfg, const char *key, const char *value,
	       char *err, size_t errsize)
{
	const struct config_key *k = find_key(key, strlen(key));
	if (!k && strncmp(key, "plugin.", 7) == 0)
		return set_plugin_setting(cfg, key, value, err, errsize);
	if (!k) {
		snprintf(err, errsize, "unknown config key '%s'", key);
		return -1;
	}
	return apply(cfg, k, value, err, errsize);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int config_load_file(struct config *cfg, const char *path, char *err,
		     size_t errsize)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errsize, "cannot open config file %s: %s", path,
			 strerror(errno));
		return -1;
	}
	char line[2048], msg[512];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errsize, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		size_t vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value[vlen - 1] = '\0';
			value++;
		}
		if (config_set(cfg, key, value, msg, sizeof(msg)) != 0) {
			snprintf(err, errsize, "%s:%d: %s", path, lineno, msg);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

int config_load_env(struct config *cfg, char *err, size_t errsize)
{
	char name[64], msg[512];
	for (size_t i = 0; i < NKEYS; i++) {
		snprintf(name, sizeof(name), "VERN_%s", keys[i].name);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		const char *v = getenv(name);
		if (!v)
			continue;
		if (apply(cfg, &keys[i], v, msg, sizeof(msg)) != 0) {
			snprintf(err, errsize, "environment %s: %s", name, msg);
			return -1;
		}
	}
	return 0;
}

int config_take_flag(struct config *cfg, int argc, char **argv, int i,
		     char *err, size_t errsize)
{
	const char *arg = argv[i];
	if (strncmp(arg, "--", 2) != 0)
		return 0;
	const char *name = arg + 2, *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	/* --data is the documented short form of --data-dir. */
	if (len == 4 && strncmp(name, "data", 4) == 0) {
		name = "data_dir";
		len = 8;
	}
	const struct config_key *k = find_key(name, len);
	if (!k)
		return 0;
	const char *value = eq ? eq + 1 : NULL;
	int used = 1;
	if (!value) {
		if (i + 1 >= argc) {
			snprintf(err, errsize, "flag %s needs a value (config key %s)",
				 arg, k->name);
			return -1;
		}
		value = argv[i + 1];
		used = 2;
	}
	char msg[512];
	if (apply(cfg, k, value, msg, sizeof(msg)) != 0) {
		snprintf(err, errsize, "flag %s: %s", arg, msg);
		return -1;
	}
	return used;
}

void config_print_reference(void)
{
	printf("Configuration keys (file: key = value; env: VERN_KEY; flag: --key VALUE):\n");
	for (size_t i = 0; i < NKEYS; i++)
		printf("  %-20s default %-22s %s\n", keys[i].name,
		       keys[i].def[0] ? keys[i].def : "(empty)", keys[i].help);
}
