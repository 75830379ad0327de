/* test_lrs_auth.c: HTTP Basic authentication of LRS clients with the
 * cache of verified clients (lrs/auth.c): the secret is checked on every
 * request, also when the client is cached; a wrong secret never passes; a
 * client removed through the server stops working at once; a client
 * removed behind the server's back (another process) within the cache's
 * lifetime; a client added again under the same key uses its new secret. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "db.h"
#include "lrs.h"
#include "server.h"
#include "server_fixture.h"
#include "unit.h"


static const char *basic(const char *key, const char *secret, char *buf, size_t size)
{
	char plain[400];
	snprintf(plain, sizeof(plain), "%s:%s", key, secret);
	memcpy(buf, "Basic ", 6);
	sodium_bin2base64(buf + 6, size - 6, (const unsigned char *)plain, strlen(plain),
			  sodium_base64_VARIANT_ORIGINAL);
	return buf;
}

static int auth(const char *key, const char *secret)
{
	char header[600];
	struct lrs_client cl;
	int rc = lrs_auth_basic(&srv, basic(key, secret, header, sizeof(header)), &cl);
	if (rc == 0)
		json_decref(cl.authority);
	return rc;
}

static int delete_behind_back(struct db_conn *c, void *arg)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM lrs_clients WHERE key = ?");
	sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	return db_exec_stmt(c, st, "delete");
}

static void secret_checked_every_time(void)
{
	struct lrs_client_secret made;
	CHECK(lrs_client_create(srv.db, srv.cfg.public_url, "a", NULL, NULL, "all", &made) == 0);
	CHECK(auth(made.key, made.secret) == 0);
	CHECK(auth(made.key, made.secret) == 0); /* cached */
	CHECK(auth(made.key, "not the secret at all") != 0);
	CHECK(auth(made.key, "") != 0);
	CHECK(auth("no-such-key", made.secret) != 0);
	struct lrs_client cl;
	CHECK(lrs_auth_basic(&srv, "Basic !!!", &cl) != 0);
	CHECK(lrs_auth_basic(&srv, NULL, &cl) != 0);
}

static void removed_client_refused(void)
{
	struct lrs_client_secret made;
	CHECK(lrs_client_create(srv.db, srv.cfg.public_url, "b", NULL, NULL, "all", &made) == 0);
	CHECK(auth(made.key, made.secret) == 0);
	CHECK(lrs_client_remove(srv.db, made.key) == 0);
	CHECK(auth(made.key, made.secret) != 0); /* at once */
}

static void readded_key_uses_new_secret(void)
{
	struct lrs_client_secret made;
	CHECK(lrs_client_create(srv.db, srv.cfg.public_url, "c", "fixed-key", "first-secret-0123456",
				"all", &made) == 0);
	CHECK(auth("fixed-key", "first-secret-0123456") == 0);
	CHECK(db_write(srv.db, delete_behind_back, "fixed-key") == DB_OK);
	CHECK(lrs_client_create(srv.db, srv.cfg.public_url, "c", "fixed-key", "second-secret-012345",
				"all", &made) == 0);
	CHECK(auth("fixed-key", "second-secret-012345") == 0);
}

static void removed_elsewhere_refused_soon(void)
{
	struct lrs_client_secret made;
	CHECK(lrs_client_create(srv.db, srv.cfg.public_url, "d", NULL, NULL, "all", &made) == 0);
	CHECK(auth(made.key, made.secret) == 0);
	CHECK(db_write(srv.db, delete_behind_back, made.key) == DB_OK);
	int refused = 0;
	for (int i = 0; i < 80 && !refused; i++) { /* the cache lives 5 s */
		refused = auth(made.key, made.secret) != 0;
		if (!refused)
			usleep(100000);
	}
	CHECK(refused);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	if (fixture_open("lrs-auth") != 0)
		return 1;
	UNIT_RUN(secret_checked_every_time);
	UNIT_RUN(removed_client_refused);
	UNIT_RUN(readded_key_uses_new_secret);
	UNIT_RUN(removed_elsewhere_refused_soon);
	return fixture_close();
}
