/* test_access.c: who a leader, HR, admin and an employee may see
 * (admin/access.c access_sees_unit / access_sees_employee), and the audit
 * log writer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "server.h"
#include "server_fixture.h"
#include "unit.h"


static int seed(struct db_conn *c, void *arg)
{
	(void)arg;
	const char *sql =
		"INSERT INTO org_units(id, external_id, name, parent_id, is_agency, path) VALUES"
		" (1,'k','Kommune',NULL,0,'/1/'), (2,'skole','Skole',1,1,'/1/2/'),"
		" (3,'trinn1','1. trinn',2,0,'/1/2/3/'), (4,'hjem','Hjemmetjenesten',1,1,'/1/4/'),"
		" (12,'x','Tolv',1,0,'/1/12/');"
		"INSERT INTO employees(id, external_id, name, unit_id, updated_ms) VALUES"
		" (10,'e10','Lærer',3,0), (11,'e11','Sykepleier',4,0), (13,'e13','Tolver',12,0);";
	return sqlite3_exec(db_handle(c), sql, NULL, NULL, NULL) == SQLITE_OK ? DB_OK : DB_ERROR;
}

static void leader_sees_own_subtree_only(void)
{
	struct principal p;
	memset(&p, 0, sizeof(p));
	p.roles = ACCESS_LEADER | ACCESS_EMPLOYEE;
	p.leader_units[p.nleader_units++] = 2;
	struct db_conn *c = db_reader_get(srv.db);
	CHECK(access_sees_unit(c, &p, 2));
	CHECK(access_sees_unit(c, &p, 3));
	CHECK(!access_sees_unit(c, &p, 1));
	CHECK(!access_sees_unit(c, &p, 4));
	CHECK(access_sees_employee(c, &p, 10));
	CHECK(!access_sees_employee(c, &p, 11));
	/* "/1/12/" must not count as inside "/1/2/"... nor "/1/1..." prefixes */
	p.leader_units[0] = 1;
	CHECK(access_sees_unit(c, &p, 12));
	p.leader_units[0] = 2;
	CHECK(!access_sees_unit(c, &p, 12));
	CHECK(!access_sees_employee(c, &p, 13));
	db_reader_put(srv.db, c);
}

static void employee_sees_self_hr_sees_all(void)
{
	struct principal p;
	memset(&p, 0, sizeof(p));
	p.roles = ACCESS_EMPLOYEE;
	p.employee_id = 10;
	struct db_conn *c = db_reader_get(srv.db);
	CHECK(access_sees_employee(c, &p, 10));
	CHECK(!access_sees_employee(c, &p, 11));
	CHECK(!access_sees_unit(c, &p, 3));
	p.roles = ACCESS_LEARN;
	CHECK(!access_sees_employee(c, &p, 10));
	p.roles = ACCESS_HR;
	CHECK(access_sees_employee(c, &p, 11));
	CHECK(access_sees_unit(c, &p, 4));
	p.roles = ACCESS_OMBUD;
	CHECK(!access_sees_employee(c, &p, 11));
	db_reader_put(srv.db, c);
}

static void audit_rows_are_written(void)
{
	struct principal p;
	memset(&p, 0, sizeof(p));
	p.user_id = 7;
	snprintf(p.name, sizeof(p.name), "Hanne HR");
	CHECK(audit_record(&srv, &p, 10, "view_employee", "appraisal") == 0);
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT actor_name, subject_employee_id, action FROM audit_log");
	CHECK(st && sqlite3_step(st) == SQLITE_ROW);
	CHECK_STR((const char *)sqlite3_column_text(st, 0), "Hanne HR");
	CHECK(sqlite3_column_int64(st, 1) == 10);
	CHECK_STR((const char *)sqlite3_column_text(st, 2), "view_employee");
	db_reader_put(srv.db, c);
}

int main(void)
{
	if (fixture_open("access") != 0 || db_write(srv.db, seed, NULL) != DB_OK) {
		fprintf(stderr, "setup failed\n");
		return 1;
	}
	UNIT_RUN(leader_sees_own_subtree_only);
	UNIT_RUN(employee_sees_self_hr_sees_all);
	UNIT_RUN(audit_rows_are_written);
	return fixture_close();
}
