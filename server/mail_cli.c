/* mail_cli.c: `vern mail` (see mail_cli.h). */
#include "mail_cli.h"

#include <curl/curl.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "mail.h"
#include "mail_compose.h"
#include "mail_mime.h"
#include "mail_outbox.h"
#include "mail_smtp.h"
#include "mail_token.h"
#include "session.h"

static void municipality(struct db *db, char *buf, size_t size)
{
	snprintf(buf, size, "kommunen");
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'municipality_name'");
	if (st && sqlite3_step(st) == SQLITE_ROW)
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
}

static int cmd_test(const struct config *cfg, struct db *db, const char *to)
{
	char err[700];
	struct smtp_settings s;
	int rc = smtp_settings_from_config(cfg, &s, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "vern mail test: %s\n", err);
		return 2;
	}
	if (rc > 0) {
		fprintf(stderr, "vern mail test: smtp_host is not set; set it (and smtp_port, smtp_tls, ...) first\n");
		return 2;
	}
	if (!mail_address_ok(to)) {
		fprintf(stderr, "vern mail test: '%s' is not an email address\n", to);
		return 2;
	}
	char from_name[MAIL_NAME_MAX + 1], from_addr[MAIL_ADDR_MAX + 1], town[256], public_url[CONFIG_STR_MAX + 32];
	mail_parse_mailbox(cfg->mail_from, from_name, sizeof from_name, from_addr, sizeof from_addr);
	municipality(db, town, sizeof town);
	snprintf(public_url, sizeof public_url, "%s", cfg->public_url[0] ? cfg->public_url : "http://localhost");
	struct mail_keyring ring = { .n = 0, .signing = -1 };
	struct compose_ctx x = { db, &ring, public_url, town, cfg->mail_contact_line, from_name, from_addr, 1 };
	struct outbox_row r = { .id = 0 };
	snprintf(r.kind, sizeof r.kind, "test");
	snprintf(r.to_addr, sizeof r.to_addr, "%s", to);
	snprintf(r.template, sizeof r.template, "test");
	r.vars = strdup("{}");
	outbox_message_id(mail_address_domain(from_addr), r.message_id, sizeof r.message_id);
	char *msg = NULL;
	size_t len = 0;
	if (!r.vars || mail_compose(&x, &r, time(NULL), &msg, &len, err, sizeof err) != 0) {
		fprintf(stderr, "vern mail test: the test email could not be made: %s\n", err);
		free(r.vars);
		return 1;
	}
	free(r.vars);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct smtp_client *client = smtp_client_new(&s, NULL);
	int reached = 0;
	enum smtp_result res = client ? smtp_send(client, to, msg, len, NULL, NULL, &reached, err, sizeof err)
				      : SMTP_CONNFAIL;
	smtp_client_free(client);
	curl_global_cleanup();
	free(msg);
	char url[sizeof s.url];
	snprintf(url, sizeof url, "%s", s.url);
	sodium_memzero(&s, sizeof s);
	if (res != SMTP_OK) {
		fprintf(stderr, "vern mail test: not sent via %s: %s\n", url, client ? err : "curl could not start");
		return 1;
	}
	printf("test email sent to %s via %s (Message-ID <%s>)\n", to, url, r.message_id);
	return 0;
}

static int cmd_status(struct db *db)
{
	struct mail_counts n;
	if (mail_counts_get(db, session_now_ms(), &n) != 0) {
		fprintf(stderr, "vern mail status: the outbox could not be read\n");
		return 1;
	}
	printf("queued %lld (due now %lld)\nsent %lld\nfailed %lld\ncancelled %lld\n", n.queued, n.due, n.sent,
	       n.failed, n.cancelled);
	return 0;
}

static int cmd_keys(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, created_ms, retired_ms FROM mail_keys ORDER BY id");
	int rc = st ? 0 : 1;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		char made[40], gone[40] = "in use";
		time_t t = (time_t)(sqlite3_column_int64(st, 1) / 1000);
		strftime(made, sizeof made, "%Y-%m-%d %H:%M", localtime(&t));
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			t = (time_t)(sqlite3_column_int64(st, 2) / 1000);
			strftime(gone, sizeof gone, "retired %Y-%m-%d %H:%M", localtime(&t));
		}
		printf("key %lld  created %s  %s\n", sqlite3_column_int64(st, 0), made, gone);
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
	return rc;
}

int mail_command(const struct config *cfg, struct db *db, int argc, char **argv)
{
	char err[256];
	if (argc == 2 && strcmp(argv[0], "test") == 0)
		return cmd_test(cfg, db, argv[1]);
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return cmd_status(db);
	if (argc == 1 && strcmp(argv[0], "keys") == 0) {
		struct mail_keyring ring;
		if (mail_keys_load(db, &ring, err, sizeof err) != 0) { /* makes the first key if none */
			fprintf(stderr, "vern mail keys: %s\n", err);
			return 1;
		}
		return cmd_keys(db);
	}
	if (argc == 1 && strcmp(argv[0], "rotate-key") == 0) {
		unsigned kid;
		struct mail_keyring ring;
		if (mail_keys_load(db, &ring, err, sizeof err) != 0 || mail_keys_rotate(db, &kid, err, sizeof err) != 0) {
			fprintf(stderr, "vern mail rotate-key: %s\n", err);
			return 1;
		}
		printf("new links are signed with key %u (a running server picks it up within\n"
		       "mail_tick_seconds). Older keys keep working until `vern mail retire-key ID`.\n", kid);
		return 0;
	}
	if (argc == 2 && strcmp(argv[0], "retire-key") == 0) {
		char *end;
		errno = 0;
		unsigned long kid = strtoul(argv[1], &end, 10);
		if (errno || *end || end == argv[1] || kid == 0 || kid > 0xffffffffUL) {
			fprintf(stderr, "vern mail retire-key: '%s' is not a key id\n", argv[1]);
			return 2;
		}
		if (mail_keys_retire(db, (unsigned)kid, err, sizeof err) != 0) {
			fprintf(stderr, "vern mail retire-key: %s\n", err);
			return 1;
		}
		printf("key %lu retired: links signed with it stop working (a running server within mail_tick_seconds)\n", kid);
		return 0;
	}
	fprintf(stderr, "usage: vern mail test ADDRESS | status | keys | rotate-key | retire-key ID\n");
	return 2;
}
