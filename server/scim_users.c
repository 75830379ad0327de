/* scim_users.c: /scim/v2/Users, SCIM users as Vern employees.
 *
 * A SCIM User is an employee with a scim_users row holding the attributes
 * as provisioned (migrations/006_scim.sql). The employee is written
 * through people_employee_upsert (server/people.h):
 *
 *   employee id    set once at creation and never changed by SCIM: the
 *                  externalId (Entra ID: the object id, or whatever the
 *                  mapping sends), else the SCIM id Vern assigns. It names
 *                  the xAPI agent, so a new UPN or email keeps the history.
 *   name           displayName, else name.formatted, else given + family
 *                  name, else userName
 *   email          the primary email, else the work one, else the first,
 *                  else userName when it is an address
 *   unit           enterprise department: the unit with that id, else the
 *                  one unit with that name, else a new top-level unit
 *   manager        enterprise manager.value: a SCIM user id (or an
 *                  employee id)
 *   active         active (DELETE also deactivates; nothing is deleted)
 *
 * A POST whose externalId is an existing employee's id, or (failing that)
 * whose email is exactly one unlinked employee's email, takes over that
 * employee (from a CSV import, or provisioned before and deleted) instead
 * of making a second one. Department and manager left out of a POST or PUT
 * keep what the employee has (a CSV import's units survive); a PATCH that
 * removes them clears them. Roles and start date are not SCIM's: they are
 * kept (groups that name a role add theirs, see scim_groups.c).
 *
 * Every change is one writer job: read, apply, check, write, or roll back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "log.h"
#include "people.h"
#include "scim.h"
#include "scim_patch.h"
#include "server.h"

#define MAX_ID 256

enum user_op { U_CREATE, U_REPLACE, U_PATCH, U_DELETE };

struct user_job {
	struct scim_answer a;        /* first: what the job answers */
	enum user_op op;
	const char *scim_id;        /* replace, patch, delete */
	json_t *doc;                /* create, replace: the new document */
	const json_t *patch;        /* patch: the PatchOp body */
};

static const char *str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

static json_t *ext_of(const json_t *doc)
{
	return json_object_get(doc, SCIM_SCHEMA_ENTERPRISE);
}

/* ---- documents ---- */

/* Checks what Vern needs of a user document. Returns 0 or DB_INVALID. */
static int check_doc(struct user_job *j, const json_t *doc)
{
	const char *user = str(doc, "userName");
	if (!user)
		return scim_refuse(&j->a, 400, "invalidValue", "userName is required");
	if (strlen(user) > MAX_ID)
		return scim_refuse(&j->a, 400, "invalidValue", "userName is longer than %d bytes", MAX_ID);
	const json_t *ext = json_object_get(doc, "externalId");
	if (ext && (!json_string_length(ext) || json_string_length(ext) > MAX_ID))
		return scim_refuse(&j->a, 400, "invalidValue", "externalId must be 1-%d bytes", MAX_ID);
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)doc, k, v)
		if (json_is_array(v) && json_array_size(v) > SCIM_MAX_VALUES)
			return scim_refuse(&j->a, 400, "invalidValue", "%s holds more than %d values", k,
				      SCIM_MAX_VALUES);
	return 0;
}

static void display_name(const json_t *doc, char *buf, size_t size)
{
	const json_t *name = json_object_get(doc, "name");
	const char *given = str(name, "givenName"), *family = str(name, "familyName");
	if (str(doc, "displayName"))
		snprintf(buf, size, "%s", str(doc, "displayName"));
	else if (str(name, "formatted"))
		snprintf(buf, size, "%s", str(name, "formatted"));
	else if (given || family)
		snprintf(buf, size, "%s%s%s", given ? given : "", given && family ? " " : "",
			 family ? family : "");
	else
		snprintf(buf, size, "%s", str(doc, "userName") ? str(doc, "userName") : "");
}

static const char *email_of(const json_t *doc)
{
	const json_t *emails = json_object_get(doc, "emails");
	const char *primary = NULL, *work = NULL, *first = NULL;
	size_t i;
	const json_t *e;
	json_array_foreach(emails, i, e) {
		const char *v = str(e, "value");
		if (!v)
			continue;
		if (!first)
			first = v;
		if (!work && str(e, "type") && strcasecmp(str(e, "type"), "work") == 0)
			work = v;
		if (!primary && json_is_true(json_object_get(e, "primary")))
			primary = v;
	}
	if (primary || work || first)
		return primary ? primary : work ? work : first;
	const char *user = str(doc, "userName");
	return user && strchr(user, '@') ? user : NULL;
}

/* ---- the employee behind a user ---- */

struct current {
	char start_date[16];
	char *unit, *manager;
	char roles[PEOPLE_MAX_ROLES][64];
	int nroles;
};

static void current_free(struct current *cur)
{
	free(cur->unit);
	free(cur->manager);
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);
	return s ? strdup((const char *)s) : NULL;
}

static int load_current(struct db_conn *c, long long emp, struct current *cur)
{
	memset(cur, 0, sizeof(*cur));
	if (!emp)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT coalesce(e.start_date, ''), u.external_id, m.external_id FROM employees e"
		" LEFT JOIN org_units u ON u.id = e.unit_id LEFT JOIN employees m ON m.id = e.manager_id"
		" WHERE e.id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(cur->start_date, sizeof(cur->start_date), "%s", sqlite3_column_text(st, 0));
		cur->unit = dup_col(st, 1);
		cur->manager = dup_col(st, 2);
	}
	st = db_stmt(c, "SELECT r.code FROM employee_roles er JOIN roles r ON r.id = er.role_id"
			" WHERE er.employee_id = ? AND r.code <> 'ansatt' ORDER BY r.code");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	while (sqlite3_step(st) == SQLITE_ROW && cur->nroles < PEOPLE_MAX_ROLES)
		snprintf(cur->roles[cur->nroles++], sizeof(cur->roles[0]), "%s", sqlite3_column_text(st, 0));
	return DB_OK;
}

/* The unit for a department: by id, else the one unit by that name, else
 * a new top-level unit named and identified by it. */
static int unit_for(struct db_conn *c, struct user_job *j, const char *dept, char **out)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT external_id FROM org_units WHERE external_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, dept, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		*out = dup_col(st, 0);
		return DB_OK;
	}
	st = db_stmt(c, "SELECT external_id FROM org_units WHERE name = ? COLLATE NOCASE LIMIT 2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, dept, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		char *found = dup_col(st, 0);
		if (sqlite3_step(st) != SQLITE_ROW) {
			*out = found;
			return DB_OK;
		}
		free(found);
	}
	char err[200];
	int rc = people_unit_upsert(c, dept, dept, NULL, 0, err, sizeof(err));
	if (rc == DB_INVALID)
		return scim_refuse(&j->a, 400, "invalidValue", "department: %s", err);
	if (rc == DB_OK)
		*out = strdup(dept);
	return rc;
}

/* The manager's employee id for a manager value: a SCIM user id, else an
 * employee id. */
static int manager_for(struct db_conn *c, struct user_job *j, const char *value, long long self,
		       char **out)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT e.external_id, e.id FROM scim_users s JOIN employees e"
				      " ON e.id = s.employee_id WHERE s.scim_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
	int found = sqlite3_step(st) == SQLITE_ROW;
	if (!found) {
		st = db_stmt(c, "SELECT external_id, id FROM employees WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	if (!found)
		return scim_refuse(&j->a, 400, "invalidValue", "manager %.64s is not a known user", value);
	if (self && sqlite3_column_int64(st, 1) == self)
		return scim_refuse(&j->a, 400, "invalidValue", "a user cannot be their own manager");
	*out = dup_col(st, 0);
	return DB_OK;
}

/* Writes the employee for doc. emp is 0 for a new one; old is the
 * document before this change (NULL on create). */
static int save_employee(struct db_conn *c, struct user_job *j, long long emp, const char *ext_id,
			 const json_t *old, const json_t *doc, int active)
{
	struct current cur;
	int rc = load_current(c, emp, &cur);
	char name[3 * SCIM_MAX_STRING + 8]; /* never cut inside a UTF-8 character */
	display_name(doc, name, sizeof(name));
	struct person p = {
		.external_id = ext_id, .name = name, .email = email_of(doc),
		.start_date = cur.start_date[0] ? cur.start_date : NULL, .active = active,
	};
	for (int i = 0; i < cur.nroles; i++)
		p.roles[p.nroles++] = cur.roles[i];
	char *unit = NULL, *manager = NULL;
	/* Set: that one. Present but empty, or removed by this change: none.
	 * Never sent: what the employee has. */
	const json_t *ext = ext_of(doc), *old_ext = ext_of(old);
	const char *dept = str(ext, "department");
	const char *mgr = str(json_object_get(ext, "manager"), "value");
	if (rc == DB_OK && dept)
		rc = unit_for(c, j, dept, &unit);
	else if (!json_object_get(ext, "department") && !json_object_get(old_ext, "department"))
		p.unit = cur.unit;
	if (rc == DB_OK && mgr)
		rc = manager_for(c, j, mgr, emp, &manager);
	else if (!json_object_get(ext, "manager") && !json_object_get(old_ext, "manager"))
		p.manager = cur.manager;
	if (unit)
		p.unit = unit;
	if (manager)
		p.manager = manager;
	if (rc == DB_OK) {
		enum person_change change;
		char err[200];
		rc = people_employee_upsert(c, &p, &change, err, sizeof(err));
		if (rc == DB_INVALID)
			scim_refuse(&j->a, 400, "invalidValue", "%s", err);
	}
	free(unit);
	free(manager);
	current_free(&cur);
	return rc;
}

/* ---- the writer jobs ---- */

struct loaded {
	long long emp;
	char ext_id[MAX_ID + 1];
	json_t *doc;
	int active;
};

static int load_user(struct db_conn *c, struct user_job *j, struct loaded *u)
{
	memset(u, 0, sizeof(*u));
	sqlite3_stmt *st = db_stmt(c, "SELECT s.employee_id, e.external_id, s.resource, e.active"
				      " FROM scim_users s JOIN employees e ON e.id = s.employee_id"
				      " WHERE s.scim_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->scim_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return scim_refuse(&j->a, 404, NULL, "no user %.64s", j->scim_id);
	u->emp = sqlite3_column_int64(st, 0);
	snprintf(u->ext_id, sizeof(u->ext_id), "%s", sqlite3_column_text(st, 1));
	u->doc = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
	u->active = sqlite3_column_int(st, 3);
	return u->doc ? DB_OK : DB_ERROR;
}

static int user_name_taken(struct db_conn *c, struct user_job *j, const char *user, long long emp)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM scim_users WHERE user_name = ? AND employee_id <> ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, emp);
	if (sqlite3_step(st) == SQLITE_ROW)
		return scim_refuse(&j->a, 409, "uniqueness", "userName %.128s is taken", user);
	return DB_OK;
}

/* Takes "active" out of doc: its value, or keep when absent. */
static int take_active(json_t *doc, int keep)
{
	const json_t *a = json_object_get(doc, "active");
	int active = a ? json_is_true(a) : keep;
	json_object_del(doc, "active");
	return active;
}

static int store_row(struct db_conn *c, struct user_job *j, long long emp, const char *scim_id,
		     const json_t *doc, int insert)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	if (!text)
		return DB_ERROR;
	long long now = scim_now_ms();
	sqlite3_stmt *st = insert
		? db_stmt(c, "INSERT INTO scim_users(employee_id, scim_id, user_name, external_id, resource,"
			     " created_ms, updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?6)")
		: db_stmt(c, "UPDATE scim_users SET user_name = ?3, external_id = ?4, resource = ?5,"
			     " updated_ms = ?6 WHERE employee_id = ?1 AND scim_id = ?2");
	int rc = DB_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, emp);
		sqlite3_bind_text(st, 2, scim_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, str(doc, "userName"), -1, SQLITE_STATIC);
		if (str(doc, "externalId"))
			sqlite3_bind_text(st, 4, str(doc, "externalId"), -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now);
		rc = db_exec_stmt(c, st, insert ? "scim_user_insert" : "scim_user_update");
		if (rc == DB_CONFLICT)
			rc = scim_refuse(&j->a, 409, "uniqueness", "the user conflicts with an existing one");
	}
	free(text);
	return rc;
}

/* The unlinked employee to take over for a new user: by externalId, else
 * by email. Returns DB_OK with *emp 0 when there is none. */
static int find_adoptee(struct db_conn *c, struct user_job *j, const json_t *doc, long long *emp,
			char *ext_id, size_t size)
{
	*emp = 0;
	const char *ext = str(doc, "externalId");
	sqlite3_stmt *st;
	if (ext) {
		st = db_stmt(c, "SELECT e.id, EXISTS(SELECT 1 FROM scim_users s WHERE s.employee_id = e.id)"
				" FROM employees e WHERE e.external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_int(st, 1))
				return scim_refuse(&j->a, 409, "uniqueness", "a user with externalId %.128s exists", ext);
			*emp = sqlite3_column_int64(st, 0);
			snprintf(ext_id, size, "%s", ext);
			return DB_OK;
		}
	}
	const char *email = email_of(doc);
	if (!email)
		return DB_OK;
	st = db_stmt(c, "SELECT e.id, e.external_id FROM employees e WHERE e.email IN (?1, lower(?1))"
			" AND NOT EXISTS (SELECT 1 FROM scim_users s WHERE s.employee_id = e.id) LIMIT 2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return DB_OK;
	long long id = sqlite3_column_int64(st, 0);
	snprintf(ext_id, size, "%s", sqlite3_column_text(st, 1));
	if (sqlite3_step(st) == SQLITE_ROW) {
		ext_id[0] = '\0'; /* two employees share the address: take neither */
		return DB_OK;
	}
	*emp = id;
	return DB_OK;
}

static int create_user(struct db_conn *c, struct user_job *j)
{
	json_t *doc = j->doc;
	int rc = user_name_taken(c, j, str(doc, "userName"), 0);
	long long emp;
	char ext_id[MAX_ID + 1] = "";
	if (rc == DB_OK)
		rc = find_adoptee(c, j, doc, &emp, ext_id, sizeof(ext_id));
	if (rc != DB_OK)
		return rc;
	scim_new_id(j->a.id_out);
	if (!emp)
		snprintf(ext_id, sizeof(ext_id), "%s", str(doc, "externalId") ? str(doc, "externalId") : j->a.id_out);
	int active = take_active(doc, 1);
	rc = save_employee(c, j, emp, ext_id, NULL, doc, active);
	if (rc == DB_OK && !emp) {
		sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE external_id = ?");
		if (!st)
			return DB_ERROR;
		sqlite3_bind_text(st, 1, ext_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			return DB_ERROR;
		emp = sqlite3_column_int64(st, 0);
	}
	if (rc == DB_OK)
		rc = store_row(c, j, emp, j->a.id_out, doc, 1);
	return rc;
}

static int change_user(struct db_conn *c, struct user_job *j)
{
	struct loaded u;
	int rc = load_user(c, j, &u);
	if (rc != DB_OK)
		return rc;
	json_t *doc = NULL;
	if (j->op == U_PATCH) {
		doc = json_deep_copy(u.doc);
		json_object_set_new(doc, "active", json_boolean(u.active));
		char err[300];
		const char *type = NULL;
		int st = scim_patch_apply(&scim_user_type, doc, j->patch, &type, err, sizeof(err));
		if (st)
			rc = scim_refuse(&j->a, st, type, "%s", err);
	} else {
		doc = json_incref(j->doc);
	}
	int active = doc ? take_active(doc, u.active) : u.active;
	if (rc == DB_OK)
		rc = check_doc(j, doc) ? DB_INVALID : DB_OK;
	if (rc == DB_OK)
		rc = user_name_taken(c, j, str(doc, "userName"), u.emp);
	if (rc == DB_OK)
		rc = save_employee(c, j, u.emp, u.ext_id, u.doc, doc, active);
	if (rc == DB_OK)
		rc = store_row(c, j, u.emp, j->scim_id, doc, 0);
	json_decref(doc);
	json_decref(u.doc);
	return rc;
}

static int delete_user(struct db_conn *c, struct user_job *j)
{
	struct loaded u;
	int rc = load_user(c, j, &u);
	json_decref(u.doc);
	if (rc != DB_OK)
		return rc;
	int changed;
	rc = people_employee_deactivate(c, u.ext_id, &changed);
	if (rc == DB_OK)
		rc = scim_groups_drop_member(c, u.emp);
	sqlite3_stmt *st = rc == DB_OK ? db_stmt(c, "DELETE FROM scim_users WHERE employee_id = ?") : NULL;
	if (rc == DB_OK && !st)
		return DB_ERROR;
	if (st) {
		sqlite3_bind_int64(st, 1, u.emp);
		rc = db_exec_stmt(c, st, "scim_user_delete");
	}
	return rc;
}

static int user_job_run(struct db_conn *c, void *arg)
{
	struct user_job *j = arg;
	if (j->op != U_CREATE)
		snprintf(j->a.id_out, sizeof(j->a.id_out), "%s", j->scim_id);
	switch (j->op) {
	case U_CREATE: return create_user(c, j);
	case U_DELETE: return delete_user(c, j);
	default: return change_user(c, j);
	}
}

/* ---- reading ---- */

#define USER_SELECT \
	"SELECT s.scim_id, s.resource, s.created_ms, max(s.updated_ms, e.updated_ms), e.active," \
	" s.employee_id FROM scim_users s JOIN employees e ON e.id = s.employee_id"

/* The full resource of the current row of st (USER_SELECT columns). */
static json_t *render(struct db_conn *c, sqlite3_stmt *st, const char *base)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	json_t *doc = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	if (!doc)
		return NULL;
	json_t *res = json_pack("{s:[s], s:s}", "schemas", SCIM_SCHEMA_USER, "id", id);
	if (ext_of(doc))
		json_array_append_new(json_object_get(res, "schemas"), json_string(SCIM_SCHEMA_ENTERPRISE));
	json_object_update(res, doc);
	json_decref(doc);
	json_object_set_new(res, "active", json_boolean(sqlite3_column_int(st, 4)));

	sqlite3_stmt *g = db_stmt(c, "SELECT g.scim_id, g.display_name FROM scim_group_members m"
				     " JOIN scim_groups g ON g.id = m.group_id WHERE m.employee_id = ?"
				     " ORDER BY g.id");
	if (g) {
		json_t *groups = json_array();
		sqlite3_bind_int64(g, 1, sqlite3_column_int64(st, 5));
		while (sqlite3_step(g) == SQLITE_ROW)
			json_array_append_new(groups, json_pack("{s:s, s:s++, s:s, s:s}", "value",
				sqlite3_column_text(g, 0), "$ref", base, "/Groups/", sqlite3_column_text(g, 0),
				"display", sqlite3_column_text(g, 1), "type", "direct"));
		if (json_array_size(groups))
			json_object_set_new(res, "groups", groups);
		else
			json_decref(groups);
	}
	json_t *manager = json_object_get(ext_of(res), "manager");
	const char *mid = str(manager, "value");
	if (mid) {
		sqlite3_stmt *m = db_stmt(c, "SELECT e.name FROM scim_users s JOIN employees e"
					     " ON e.id = s.employee_id WHERE s.scim_id = ?");
		if (m) {
			sqlite3_bind_text(m, 1, mid, -1, SQLITE_STATIC);
			if (sqlite3_step(m) == SQLITE_ROW) {
				json_object_set_new(manager, "$ref", json_sprintf("%s/Users/%s", base, mid));
				json_object_set_new(manager, "displayName",
						    json_string((const char *)sqlite3_column_text(m, 0)));
			}
		}
	}
	char created[32], modified[32];
	json_object_set_new(res, "meta", json_pack("{s:s, s:s, s:s, s:s++}", "resourceType", "User",
		"created", scim_time(sqlite3_column_int64(st, 2), created, sizeof(created)),
		"lastModified", scim_time(sqlite3_column_int64(st, 3), modified, sizeof(modified)),
		"location", base, "/Users/", id));
	return res;
}

/* ---- the handler ---- */

static json_t *render_stored(struct db_conn *c, sqlite3_stmt *st, const char *base,
			     const struct scim_projection *proj, int all)
{
	(void)proj;
	(void)all;
	return render(c, st, base);
}

static const char *const user_ops[] = { "create", "replace", "patch", "delete" };
static const char *const user_eq_attrs[] = { "userName", "externalId", "id", NULL };
static const char *const user_eq_sql[] = {
	USER_SELECT " WHERE s.user_name = ?1 ORDER BY s.employee_id",
	USER_SELECT " WHERE s.external_id = ?1 ORDER BY s.employee_id",
	USER_SELECT " WHERE s.scim_id = ?1",
};
static const struct scim_kind user_kind = {
	.noun = "user", .event = "scim_user", .collection = "Users",
	.select_by_id = USER_SELECT " WHERE s.scim_id = ?1",
	.render = render_stored, .run = user_job_run, .ops = user_ops,
	.type = &scim_user_type, .count_sql = "SELECT count(*) FROM scim_users",
	.page_sql = USER_SELECT " ORDER BY s.employee_id LIMIT ?1 OFFSET ?2",
	.all_sql = USER_SELECT " ORDER BY s.employee_id",
	.eq_attrs = user_eq_attrs, .eq_sql = user_eq_sql,
};

void scim_users(struct http_request *req, const char *id)
{
	struct scim_projection proj;
	if (scim_projection_read(req, &scim_user_type, &proj) != 0)
		return;
	struct user_job j;
	memset(&j, 0, sizeof(j));
	j.scim_id = id;
	json_t *body = NULL;
	int get = req->method == HTTP_GET || req->method == HTTP_HEAD;
	if (!id && get) {
		scim_list_stored(req, &user_kind, &proj);
	} else if (!id && req->method == HTTP_POST) {
		const char *type = NULL;
		if (!(body = scim_read_body(req)))
			goto out;
		if (!(j.doc = scim_doc_from_body(&scim_user_type, body, &type, j.a.detail, sizeof(j.a.detail)))) {
			scim_send_error(req, 400, type, "%s", j.a.detail);
			goto out;
		}
		if (check_doc(&j, j.doc) != 0) {
			scim_send_error(req, j.a.status, j.a.scim_type, "%s", j.a.detail);
			goto out;
		}
		j.op = U_CREATE;
		scim_run_job(req, &user_kind, &j, j.op, 201, &proj);
	} else if (!id) {
		scim_send_error(req, 405, NULL, "use GET or POST on /Users");
	} else if (get) {
		scim_send_stored(req, &user_kind, 200, id, &proj);
	} else if (req->method == HTTP_PUT) {
		const char *type = NULL;
		if (!(body = scim_read_body(req)))
			goto out;
		if (!(j.doc = scim_doc_from_body(&scim_user_type, body, &type, j.a.detail, sizeof(j.a.detail)))) {
			scim_send_error(req, 400, type, "%s", j.a.detail);
			goto out;
		}
		j.op = U_REPLACE;
		scim_run_job(req, &user_kind, &j, j.op, 200, &proj);
	} else if (req->method == HTTP_PATCH) {
		if (!(body = scim_read_body(req)))
			goto out;
		j.op = U_PATCH;
		j.patch = body;
		scim_run_job(req, &user_kind, &j, j.op, 200, &proj);
	} else if (req->method == HTTP_DELETE) {
		j.op = U_DELETE;
		scim_run_job(req, &user_kind, &j, j.op, 204, &proj);
	} else {
		scim_send_error(req, 405, NULL, "use GET, PUT, PATCH or DELETE on a user");
	}
out:
	json_decref(j.doc);
	json_decref(body);
	scim_projection_free(&proj);
}
