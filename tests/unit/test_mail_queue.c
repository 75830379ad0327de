/* test_mail_queue.c: queueing inside a caller's write job
 * (mail_queue_lesson_in, mail_queue_in in server/mail_queue.c) and
 * composing the queued rows (server/mail_compose.c): the lesson row's link
 * is signed at send time and names the employee, the repeat guard, and the
 * refusals. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "db.h"
#include "mail.h"
#include "mail_compose.h"
#include "mail_outbox.h"
#include "mail_token.h"
#include "unit.h"

static struct db *db;
static struct config cfg;

static int seed(struct db_conn *c, void *arg)
{
	(void)arg;
	const char *sql =
		"INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES (1,'k','Kommune',NULL,0,'/1/');"
		"INSERT INTO employees(id, external_id, name, email, unit_id, active, updated_ms) VALUES"
		" (10,'e10','Åse Ærlig','ase@demo.test',1,1,0), (11,'e11','Uten Adresse',NULL,1,1,0),"
		" (12,'e12','Sluttet','slutt@demo.test',1,0,0);"
		"INSERT INTO courses(id, activity_id, title, minutes, valid_months, created_ms) VALUES"
		" ('avvik','urn:vern:kurs:avvik','Å oppdage og melde avvik',8,12,0);"
		"INSERT INTO assignments(employee_id, course_id, due_date, created_ms) VALUES (10,'avvik','2030-06-30',0);";
	return sqlite3_exec(db_handle(c), sql, NULL, NULL, NULL) == SQLITE_OK ? DB_OK : DB_ERROR;
}

struct lesson_args {
	long long emp;
	const char *course, *tpl;
	long long now;
	int queued, rc;
	char err[256];
};

static int lesson(struct db_conn *c, void *arg)
{
	struct lesson_args *a = arg;
	a->rc = mail_queue_lesson_in(c, &cfg, a->emp, a->course, a->tpl, a->now, &a->queued, a->err, sizeof a->err);
	return a->rc;
}

struct generic_args {
	const char *to, *subject, *text, *html;
	int rc;
	char err[256];
};

static int generic(struct db_conn *c, void *arg)
{
	struct generic_args *a = arg;
	a->rc = mail_queue_in(c, &cfg, a->to, a->subject, a->text, a->html, 1800000000000LL, a->err, sizeof a->err);
	return a->rc;
}

static long long count_rows(void)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM mail_outbox");
	long long n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
	return n;
}

static void lesson_rows(void)
{
	struct lesson_args a = { 10, "avvik", "paminnelse", 1800000000000LL, 0, 0, "" };
	CHECK(db_write(db, lesson, &a) == DB_OK);
	CHECK(a.queued == 1);
	CHECK(count_rows() == 1);
	/* The same again within ten minutes: not queued twice. */
	a.now += 60000;
	CHECK(db_write(db, lesson, &a) == DB_OK && a.queued == 0);
	a.now += 11 * 60000;
	CHECK(db_write(db, lesson, &a) == DB_OK && a.queued == 1);
	CHECK(count_rows() == 2);

	struct { long long emp; const char *course, *tpl, *want; } bad[] = {
		{ 99, "avvik", "paminnelse", "Fant ikke den ansatte." },
		{ 11, "avvik", "paminnelse", "Den ansatte har ingen gyldig e-postadresse." },
		{ 12, "avvik", "paminnelse", "Den ansatte er ikke aktiv." },
		{ 10, "finnes-ikke", "paminnelse", "Fant ikke kurset «finnes-ikke»." },
		{ 10, "../x", "paminnelse", "Ukjent kurs." },
		{ 10, "avvik", "ledersammendrag", "«ledersammendrag» er ikke en e-postmal for leksjoner." },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lesson_args b = { bad[i].emp, bad[i].course, bad[i].tpl, 1800000000000LL, 0, 0, "" };
		CHECK(db_write(db, lesson, &b) == DB_INVALID);
		CHECK_STR(b.err, bad[i].want);
	}
	CHECK(count_rows() == 2);
}

static void generic_rows(void)
{
	struct generic_args ok = { "leder@demo.test", "Varsel fra en plugin", "Hei!", "<p>Hei!</p>", 0, "" };
	CHECK(db_write(db, generic, &ok) == DB_OK);
	struct generic_args bad[] = {
		{ "ikke-en-adresse", "s", "t", NULL, 0, "" },
		{ "a@demo.test", "to\nlinjer", "t", NULL, 0, "" },
		{ "a@demo.test", "", "t", NULL, 0, "" },
		{ "a@demo.test", "s", "", NULL, 0, "" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(db_write(db, generic, &bad[i]) == DB_INVALID && bad[i].err[0]);
	CHECK(count_rows() == 3);
}

/* The first row composes into a message whose link signs in employee 10
 * for avvik, with the assignment's deadline in the text. */
static void compose_rows(void)
{
	struct mail_keyring ring;
	char err[256];
	CHECK(mail_keys_load(db, &ring, err, sizeof err) == 0);
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT min(id), max(id) FROM mail_outbox");
	long long first = 0, last = 0;
	if (st && sqlite3_step(st) == SQLITE_ROW) {
		first = sqlite3_column_int64(st, 0);
		last = sqlite3_column_int64(st, 1);
	}
	if (st)
		sqlite3_reset(st);
	db_reader_put(db, c);
	struct compose_ctx x = { db, &ring, "https://vern.demo.test", "Demo kommune", "Kontakt ombudet.", "Vern",
				 "vern@demo.test", 0 };
	struct outbox_row r;
	CHECK(outbox_load(db, first, &r) == DB_OK);
	struct mail_rendered out;
	CHECK(mail_compose_render(&x, &r, &out, err, sizeof err) == 0);
	CHECK_STR(out.subject, "Påminnelse: Å oppdage og melde avvik");
	CHECK(strstr(out.text, "Hei Åse,") != NULL);
	CHECK(strstr(out.text, "Fristen er 30. juni 2030.") != NULL);
	CHECK(strstr(out.text, "Kontakt ombudet.") != NULL);
	const char *link = strstr(out.text, "https://vern.demo.test/e/");
	CHECK(link != NULL);
	if (link) {
		char tok[MAIL_TOKEN_MAX];
		size_t n = strcspn(link + 25, "\n");
		snprintf(tok, sizeof tok, "%.*s", (int)n, link + 25);
		struct mail_link l;
		CHECK(mail_token_verify(&ring, tok, 1800000000LL, &l) == MAIL_TOKEN_OK);
		CHECK(l.employee_id == 10);
		CHECK_STR(l.course_id, "avvik");
		CHECK(l.expires == 1800000000LL + 30 * 86400);
	}
	mail_rendered_free(&out);
	char *msg = NULL;
	size_t len;
	CHECK(mail_compose(&x, &r, 1800000000, &msg, &len, err, sizeof err) == 0);
	CHECK(msg && strstr(msg, "To: =?UTF-8?B?") != NULL);
	free(msg);
	outbox_row_free(&r);

	CHECK(outbox_load(db, last, &r) == DB_OK);
	CHECK(mail_compose_render(&x, &r, &out, err, sizeof err) == 0);
	CHECK_STR(out.subject, "Varsel fra en plugin");
	CHECK(strstr(out.html, "<p>Hei!</p>") != NULL);
	CHECK(strstr(out.text, "Hei!\n\n-- \nKontakt ombudet.") != NULL);
	mail_rendered_free(&out);
	outbox_row_free(&r);
}

int main(void)
{
	char dir[] = "/tmp/vern-mailq-XXXXXX", path[256], err[256];
	if (!mkdtemp(dir) || sodium_init() < 0)
		return 1;
	snprintf(path, sizeof path, "%s/vern.db", dir);
	config_defaults(&cfg);
	setenv("TZ", "Europe/Oslo", 1);
	struct db_options opt = { 5000, 2 };
	if (db_open(&db, path, &opt, err, sizeof err) != 0 || db_write(db, seed, NULL) != DB_OK) {
		fprintf(stderr, "setup failed: %s\n", err);
		return 1;
	}
	UNIT_RUN(lesson_rows);
	UNIT_RUN(generic_rows);
	UNIT_RUN(compose_rows);
	db_close(db);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? unit_done() : 1;
}
