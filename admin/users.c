/* users.c: account storage (see users.h). Every change is one db_write job
 * that checks what it needs (the account exists, units and employees are
 * known) inside the transaction and rolls itself back with DB_INVALID and
 * a reason when not. */
#include "users.h"

#include <stdio.h>
#include <string.h>

#include "db.h"
#include "session.h"

int users_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > USERS_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return 0;
	}
	return 1;
}

int users_role_ok(const char *role)
{
	if (strcmp(role, "admin") == 0 || strcmp(role, "hr") == 0 || strcmp(role, "ombud") == 0)
		return 1;
	return strncmp(role, "leader:", 7) == 0 && role[7] && strlen(role) < 200;
}

struct user_job {
	const struct user_new *u;
	long long id;
	const char *const *roles;
	int nroles;
	const char *text;   /* display name or password hash */
	int flag;           /* active */
	char *err;
	size_t errsize;
};

static int invalid(struct user_job *j, const char *msg)
{
	snprintf(j->err, j->errsize, "%s", msg);
	return DB_INVALID;
}

static int account_exists(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM users WHERE id = ?");
	if (!st)
		return 0;
	sqlite3_bind_int64(st, 1, id);
	return sqlite3_step(st) == SQLITE_ROW;
}

static int write_roles(struct db_conn *c, struct user_job *j)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM user_roles WHERE user_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->id);
	int rc = db_exec_stmt(c, st, "user_roles_clear");
	for (int i = 0; rc == DB_OK && i < j->nroles; i++) {
		const char *role = j->roles[i];
		long long unit = 0;
		if (!users_role_ok(role)) {
			snprintf(j->err, j->errsize, "Ukjent rolle «%.60s» (admin, hr, ombud eller leader:ENHET).",
				 role);
			return DB_INVALID;
		}
		if (strncmp(role, "leader:", 7) == 0) {
			st = db_stmt(c, "SELECT id FROM org_units WHERE external_id = ?");
			if (!st)
				return DB_ERROR;
			sqlite3_bind_text(st, 1, role + 7, -1, SQLITE_STATIC);
			if (sqlite3_step(st) != SQLITE_ROW) {
				snprintf(j->err, j->errsize, "Fant ingen enhet med id «%.60s».", role + 7);
				return DB_INVALID;
			}
			unit = sqlite3_column_int64(st, 0);
			sqlite3_reset(st);
		}
		st = db_stmt(c, "INSERT OR IGNORE INTO user_roles(user_id, role, unit_id) VALUES(?, ?, ?)");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, j->id);
		sqlite3_bind_text(st, 2, unit ? "leader" : role, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, unit);
		rc = db_exec_stmt(c, st, "user_role_insert");
	}
	return rc;
}

static int insert_user(struct db_conn *c, void *arg)
{
	struct user_job *j = arg;
	const struct user_new *u = j->u;
	long long employee = 0;
	char name[256];
	snprintf(name, sizeof(name), "%s", u->display_name ? u->display_name : u->username);
	if (u->employee) {
		sqlite3_stmt *st = db_stmt(c, "SELECT id, name FROM employees WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, u->employee, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			return invalid(j, "Fant ingen ansatt med den id-en.");
		employee = sqlite3_column_int64(st, 0);
		if (!u->display_name)
			snprintf(name, sizeof(name), "%s", (const char *)sqlite3_column_text(st, 1));
		sqlite3_reset(st);
		st = db_stmt(c, "SELECT 1 FROM users WHERE employee_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_int64(st, 1, employee);
		if (sqlite3_step(st) == SQLITE_ROW)
			return invalid(j, "Den ansatte har allerede en konto.");
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM users WHERE username = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		return invalid(j, "Brukernavnet er tatt.");
	st = db_stmt(c, "INSERT INTO users(username, display_name, employee_id, password_hash, demo,"
			" created_ms) VALUES(?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, u->username, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
	if (employee)
		sqlite3_bind_int64(st, 3, employee);
	if (u->password_hash)
		sqlite3_bind_text(st, 4, u->password_hash, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, u->demo ? 1 : 0);
	sqlite3_bind_int64(st, 6, session_now_ms());
	int rc = db_exec_stmt(c, st, "user_insert");
	if (rc != DB_OK)
		return rc;
	j->id = sqlite3_last_insert_rowid(db_handle(c));
	j->roles = u->roles;
	j->nroles = u->nroles;
	return write_roles(c, j);
}

int users_create(struct db *db, const struct user_new *u, long long *id, char *err,
		 size_t errsize)
{
	if (!users_name_ok(u->username)) {
		snprintf(err, errsize, "Brukernavnet må ha 1–%d tegn: bokstaver a–z, sifre og . _ - @.",
			 USERS_NAME_MAX);
		return -1;
	}
	if (u->display_name && (!*u->display_name || strlen(u->display_name) > 200)) {
		snprintf(err, errsize, "Visningsnavnet må ha 1–200 tegn.");
		return -1;
	}
	struct user_job j = { .u = u, .err = err, .errsize = errsize };
	err[0] = '\0';
	int rc = db_write(db, insert_user, &j);
	if (rc != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "Kontoen kunne ikke lagres.");
		return -1;
	}
	*id = j.id;
	return 0;
}

static int replace_roles(struct db_conn *c, void *arg)
{
	struct user_job *j = arg;
	if (!account_exists(c, j->id))
		return invalid(j, "Fant ikke kontoen.");
	return write_roles(c, j);
}

int users_set_roles(struct db *db, long long id, const char *const *roles, int nroles,
		    char *err, size_t errsize)
{
	struct user_job j = { .id = id, .roles = roles, .nroles = nroles, .err = err, .errsize = errsize };
	err[0] = '\0';
	if (db_write(db, replace_roles, &j) != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "Rollene kunne ikke lagres.");
		return -1;
	}
	return 0;
}

/* Runs one UPDATE/DELETE on the account (?1 = id, ?2 = text, ?3 = flag)
 * and fails when no row was touched. */
struct simple_job {
	const char *sql;
	struct user_job *j;
};

static int run_simple(struct db_conn *c, void *arg)
{
	struct simple_job *s = arg;
	sqlite3_stmt *st = db_stmt(c, s->sql);
	if (!st)
		return DB_ERROR;
	int n = sqlite3_bind_parameter_count(st);
	sqlite3_bind_int64(st, 1, s->j->id);
	if (n >= 2) {
		if (s->j->text)
			sqlite3_bind_text(st, 2, s->j->text, -1, SQLITE_STATIC);
	}
	if (n >= 3)
		sqlite3_bind_int(st, 3, s->j->flag);
	int rc = db_exec_stmt(c, st, "user_change");
	if (rc == DB_OK && sqlite3_changes(db_handle(c)) == 0)
		return invalid(s->j, "Fant ikke kontoen.");
	return rc;
}

static int simple(struct db *db, const char *sql, long long id, const char *text, int flag,
		  char *err, size_t errsize)
{
	struct user_job j = { .id = id, .text = text, .flag = flag, .err = err, .errsize = errsize };
	struct simple_job s = { sql, &j };
	err[0] = '\0';
	if (db_write(db, run_simple, &s) != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "Endringen kunne ikke lagres.");
		return -1;
	}
	return 0;
}

int users_set_password(struct db *db, long long id, const char *hash, char *err, size_t errsize)
{
	return simple(db, "UPDATE users SET password_hash = ?2, failed_logins = 0, locked_until_ms = 0"
			  " WHERE id = ?1", id, hash, 0, err, errsize);
}

int users_totp_reset(struct db *db, long long id, char *err, size_t errsize)
{
	return simple(db, "UPDATE users SET totp_secret = NULL, totp_last_step = 0 WHERE id = ?1", id,
		      NULL, 0, err, errsize);
}

int users_unlock(struct db *db, long long id, char *err, size_t errsize)
{
	return simple(db, "UPDATE users SET failed_logins = 0, locked_until_ms = 0 WHERE id = ?1", id,
		      NULL, 0, err, errsize);
}

int users_update(struct db *db, long long id, const char *display_name, int active, char *err,
		 size_t errsize)
{
	if (display_name && (!*display_name || strlen(display_name) > 200)) {
		snprintf(err, errsize, "Visningsnavnet må ha 1–200 tegn.");
		return -1;
	}
	return simple(db, "UPDATE users SET display_name = coalesce(?2, display_name),"
			  " active = CASE WHEN ?3 < 0 THEN active ELSE ?3 END WHERE id = ?1",
		      id, display_name, active, err, errsize);
}

int users_remove(struct db *db, long long id, char *err, size_t errsize)
{
	return simple(db, "DELETE FROM users WHERE id = ?1", id, NULL, 0, err, errsize);
}

long long users_find(struct db *db, const char *username)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM users WHERE username = ?");
	long long id = 0;
	if (st) {
		sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			id = sqlite3_column_int64(st, 0);
	}
	db_reader_put(db, c);
	return id;
}

static json_t *roles_of(struct db_conn *c, long long id)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT r.role, u.external_id FROM user_roles r"
				      " LEFT JOIN org_units u ON u.id = r.unit_id AND r.unit_id <> 0"
				      " WHERE r.user_id = ? ORDER BY r.role, u.external_id");
	if (!st)
		return out;
	sqlite3_bind_int64(st, 1, id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *role = (const char *)sqlite3_column_text(st, 0);
		const char *unit = (const char *)sqlite3_column_text(st, 1);
		char text[256];
		snprintf(text, sizeof(text), "%s%s%s", role, unit ? ":" : "", unit ? unit : "");
		json_array_append_new(out, json_string(text));
	}
	sqlite3_reset(st);
	return out;
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? json_string((const char *)t) : json_null();
}

json_t *users_json(struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT u.id, u.username, u.display_name, e.external_id, e.name, u.active,"
		" u.totp_secret IS NOT NULL, u.locked_until_ms, u.failed_logins, u.last_login_ms, u.demo,"
		" u.created_ms, u.password_hash IS NOT NULL"
		" FROM users u LEFT JOIN employees e ON e.id = u.employee_id"
		" WHERE ?1 = 0 OR u.id = ?1 ORDER BY u.username");
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, id);
	json_t *list = json_array();
	long long now = session_now_ms();
	while (sqlite3_step(st) == SQLITE_ROW) {
		long long uid = sqlite3_column_int64(st, 0);
		long long locked = sqlite3_column_int64(st, 7);
		json_t *u = json_pack("{s:I, s:s, s:s, s:o, s:o, s:b, s:b, s:b, s:I, s:I, s:I, s:b, s:I, s:b}",
			"id", (json_int_t)uid, "username", (const char *)sqlite3_column_text(st, 1),
			"display_name", (const char *)sqlite3_column_text(st, 2),
			"employee", text_or_null(st, 3), "employee_name", text_or_null(st, 4),
			"active", sqlite3_column_int(st, 5), "totp", sqlite3_column_int(st, 6),
			"locked", locked > now, "locked_until_ms", (json_int_t)locked,
			"failed_logins", (json_int_t)sqlite3_column_int64(st, 8),
			"last_login_ms", (json_int_t)sqlite3_column_int64(st, 9),
			"demo", sqlite3_column_int(st, 10),
			"created_ms", (json_int_t)sqlite3_column_int64(st, 11),
			"has_password", sqlite3_column_int(st, 12));
		if (u)
			json_array_append_new(list, u);
	}
	sqlite3_reset(st);
	/* Roles need the statement above finished: same connection, other statement. */
	size_t i;
	json_t *u;
	json_array_foreach(list, i, u)
		json_object_set_new(u, "roles", roles_of(c, json_integer_value(json_object_get(u, "id"))));
	if (id == 0)
		return list;
	json_t *one = json_array_size(list) ? json_incref(json_array_get(list, 0)) : NULL;
	json_decref(list);
	return one;
}
