/* test_config.c: the layered configuration (server/config.c). */
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"

static void test_defaults(void)
{
	struct config c;
	config_defaults(&c);
	CHECK_STR(c.listen, "127.0.0.1:8080");
	CHECK_STR(c.db, "./vern-data/vern.db");
	CHECK(c.threads == 32);
	CHECK(c.keep_alive == 1);
	CHECK(c.test_endpoints == 0);
}

static void test_set_and_reject(void)
{
	struct config c;
	char err[256];
	config_defaults(&c);
	CHECK(config_set(&c, "threads", "8", err, sizeof(err)) == 0);
	CHECK(c.threads == 8);
	CHECK(config_set(&c, "threads", "abc", err, sizeof(err)) == -1);
	CHECK(strstr(err, "threads") != NULL);
	CHECK(config_set(&c, "threads", "100000", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "no_such_key", "1", err, sizeof(err)) == -1);
	CHECK(strstr(err, "no_such_key") != NULL);
	CHECK(config_set(&c, "listen", "localhost", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "listen", "127.0.0.1:99999", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "listen", "127.0.0.1:0", err, sizeof(err)) == 0);
	CHECK(config_set(&c, "access_log", "off", err, sizeof(err)) == 0);
	CHECK(c.access_log == 0);
	CHECK(config_set(&c, "access_log", "maybe", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "log_level", "loud", err, sizeof(err)) == -1);
}

/* plugin.NAME.KEY lines are kept for the plugin host, in order, the last
 * value of a key winning; malformed ones are refused. */
static void test_plugin_settings(void)
{
	struct config c;
	char err[256];
	config_defaults(&c);
	CHECK_STR(c.plugins_dir, "plugins");
	CHECK(c.plugins_daily_hour == 2);
	CHECK(config_set(&c, "plugin.mandatory_by_role.due_days", "30", err, sizeof(err)) == 0);
	CHECK(config_set(&c, "plugin.sikkerhetsmaaned.start", "10-01", err, sizeof(err)) == 0);
	CHECK(config_set(&c, "plugin.mandatory_by_role.due_days", "45", err, sizeof(err)) == 0);
	CHECK(c.nplugin_settings == 2);
	CHECK_STR(c.plugin_settings[0].key, "mandatory_by_role.due_days");
	CHECK_STR(c.plugin_settings[0].value, "45");
	CHECK_STR(c.plugin_settings[1].key, "sikkerhetsmaaned.start");
	const char *bad[] = { "plugin.", "plugin.x", "plugin.x.", "plugin..y", "plugin.X.y",
			      "plugin.x.y.z", "plugin.x-y.z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(config_set(&c, bad[i], "1", err, sizeof(err)) == -1);
		CHECK(strstr(err, bad[i]) != NULL);
	}
	char key[64];
	for (int i = 0; i < CONFIG_PLUGIN_SETTINGS_MAX; i++) {
		snprintf(key, sizeof(key), "plugin.p.k%d", i);
		config_set(&c, key, "v", err, sizeof(err));
	}
	CHECK(c.nplugin_settings == CONFIG_PLUGIN_SETTINGS_MAX);
	CHECK(config_set(&c, "plugin.p.one_too_many", "v", err, sizeof(err)) == -1);
	CHECK(config_set(&c, "plugins_daily_hour", "-1", err, sizeof(err)) == 0);
	CHECK(config_set(&c, "plugins_daily_hour", "24", err, sizeof(err)) == -1);
}

static void test_file(void)
{
	char path[] = "/tmp/vern-config-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char ok[] = "# comment\nthreads = 4   # trailing\n\ndb = \"/tmp/x.db\"\n";
	CHECK(write(fd, ok, sizeof(ok) - 1) == (ssize_t)(sizeof(ok) - 1));
	close(fd);
	struct config c;
	char err[512];
	config_defaults(&c);
	CHECK(config_load_file(&c, path, err, sizeof(err)) == 0);
	CHECK(c.threads == 4);
	CHECK_STR(c.db, "/tmp/x.db");

	FILE *f = fopen(path, "w");
	fputs("threads = 4\nbogus_key = 1\n", f);
	fclose(f);
	CHECK(config_load_file(&c, path, err, sizeof(err)) == -1);
	CHECK(strstr(err, "bogus_key") != NULL);
	CHECK(strstr(err, ":2:") != NULL);
	unlink(path);
}

static void test_flags_and_env(void)
{
	struct config c;
	char err[256];
	config_defaults(&c);
	char *argv[] = { "serve", "--max-body-bytes", "2048", "--data=/srv/x", "--nope", NULL };
	CHECK(config_take_flag(&c, 5, argv, 1, err, sizeof(err)) == 2);
	CHECK(c.max_body_bytes == 2048);
	CHECK(config_take_flag(&c, 5, argv, 3, err, sizeof(err)) == 1);
	CHECK_STR(c.data_dir, "/srv/x");
	CHECK(config_take_flag(&c, 5, argv, 4, err, sizeof(err)) == 0);
	setenv("VERN_THREADS", "abc", 1);
	CHECK(config_load_env(&c, err, sizeof(err)) == -1);
	CHECK(strstr(err, "VERN_THREADS") != NULL);
	setenv("VERN_THREADS", "6", 1);
	CHECK(config_load_env(&c, err, sizeof(err)) == 0);
	CHECK(c.threads == 6);
	unsetenv("VERN_THREADS");
}

int main(void)
{
	UNIT_RUN(test_defaults);
	UNIT_RUN(test_set_and_reject);
	UNIT_RUN(test_plugin_settings);
	UNIT_RUN(test_file);
	UNIT_RUN(test_flags_and_env);
	return unit_done();
}
