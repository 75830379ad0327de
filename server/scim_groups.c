/* scim_groups.c: /scim/v2/Groups, and the Vern roles groups give.
 *
 * Groups map to roles, not to org units: an employee is in one unit (set
 * by the user's enterprise department), but may hold several roles, and
 * identity systems already keep role-like groups ("PKO", "Ledere"). A
 * group whose displayName is a Vern role code or role name, alone or after
 * "vern-" / "vern:" / "vern " (case-insensitive; "vern-personvernkoordinator",
 * "Personvernkoordinator (PKO)", "vern-leder"), gives each member that
 * role; leaving every such group takes it away again. Other groups are
 * stored so the identity system can manage them, and have no effect in
 * Vern. Members are SCIM users (nested groups are refused). A PATCH may
 * add or remove members as Entra ID sends them: "add" with a list, "remove"
 * with a list as value, or "remove" with path members[value eq "id"].
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

#define MAX_NAME 256

enum group_op { G_CREATE, G_REPLACE, G_PATCH, G_DELETE };

struct group_job {
	struct scim_answer a;        /* first: what the job answers */
	enum group_op op;
	const char *scim_id;
	json_t *doc;                /* create, replace */
	const json_t *patch;
};

/* ---- employee id sets (sorted, unique) ---- */

struct ids {
	long long *v;
	size_t n, cap;
};

static int ids_add(struct ids *s, long long id)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		long long *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = id;
	return 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

static void ids_sort(struct ids *s)
{
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_ll);
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++)
		if (w == 0 || s->v[w - 1] != s->v[i])
			s->v[w++] = s->v[i];
	s->n = w;
}

static int ids_has(const struct ids *s, long long id)
{
	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_ll) != NULL;
}

/* ---- roles ---- */

/* The role a group name gives: its id (0 for none). */
static long long role_for(struct db_conn *c, const char *name)
{
	static const char *const prefixes[] = { "vern-", "vern:", "vern " };
	for (size_t i = 0; i < 3; i++)
		if (strncasecmp(name, prefixes[i], 5) == 0) {
			name += 5;
			break;
		}
	while (*name == ' ')
		name++;
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM roles WHERE code <> 'ansatt' AND"
				      " (code = ?1 COLLATE NOCASE OR name = ?1 COLLATE NOCASE)");
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
}

/* Gives emp role_id when a group with that role still holds them, else
 * takes it away. */
static int recompute_role(struct db_conn *c, long long emp, long long role_id)
{
	if (role_id <= 0)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c,
		"SELECT r.code, EXISTS(SELECT 1 FROM scim_group_members m JOIN scim_groups g"
		" ON g.id = m.group_id WHERE m.employee_id = ?1 AND g.role_id = ?2)"
		" FROM roles r WHERE r.id = ?2");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	sqlite3_bind_int64(st, 2, role_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return DB_OK;
	char code[64];
	snprintf(code, sizeof(code), "%s", sqlite3_column_text(st, 0));
	int held = sqlite3_column_int(st, 1);
	return people_employee_role_set(c, emp, code, held, NULL);
}

int scim_groups_drop_member(struct db_conn *c, long long emp)
{
	long long roles[32];
	int n = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT DISTINCT g.role_id FROM scim_group_members m JOIN scim_groups g"
				      " ON g.id = m.group_id WHERE m.employee_id = ? AND g.role_id IS NOT NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	while (sqlite3_step(st) == SQLITE_ROW && n < 32)
		roles[n++] = sqlite3_column_int64(st, 0);
	st = db_stmt(c, "DELETE FROM scim_group_members WHERE employee_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, emp);
	int rc = db_exec_stmt(c, st, "scim_member_drop");
	for (int i = 0; i < n && rc == DB_OK; i++)
		rc = recompute_role(c, emp, roles[i]);
	return rc;
}

/* ---- documents ---- */

struct group {
	long long id, role_id;
	json_t *doc;               /* displayName, externalId, members[{value}] */
	struct ids members;
};

static void group_free(struct group *g)
{
	json_decref(g->doc);
	free(g->members.v);
}

static int load_group(struct db_conn *c, struct group_job *j, struct group *g)
{
	memset(g, 0, sizeof(*g));
	sqlite3_stmt *st = db_stmt(c, "SELECT id, display_name, external_id, coalesce(role_id, 0)"
				      " FROM scim_groups WHERE scim_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, j->scim_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return scim_refuse(&j->a, 404, NULL, "no group %.64s", j->scim_id);
	g->id = sqlite3_column_int64(st, 0);
	g->role_id = sqlite3_column_int64(st, 3);
	g->doc = json_pack("{s:s}", "displayName", sqlite3_column_text(st, 1));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(g->doc, "externalId", json_string((const char *)sqlite3_column_text(st, 2)));
	st = db_stmt(c, "SELECT m.employee_id, s.scim_id FROM scim_group_members m JOIN scim_users s"
			" ON s.employee_id = m.employee_id WHERE m.group_id = ? ORDER BY m.employee_id");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, g->id);
	json_t *members = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (ids_add(&g->members, sqlite3_column_int64(st, 0)) != 0)
			return DB_ERROR;
		json_array_append_new(members, json_pack("{s:s}", "value", sqlite3_column_text(st, 1)));
	}
	if (json_array_size(members))
		json_object_set_new(g->doc, "members", members);
	else
		json_decref(members);
	return DB_OK;
}

/* The employees doc's members name. */
static int resolve_members(struct db_conn *c, struct group_job *j, const json_t *doc, struct ids *out)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT employee_id FROM scim_users WHERE scim_id = ?");
	if (!st)
		return DB_ERROR;
	size_t i;
	const json_t *m;
	json_array_foreach(json_object_get(doc, "members"), i, m) {
		const char *type = json_string_value(json_object_get(m, "type"));
		const char *value = json_string_value(json_object_get(m, "value"));
		if (type && strcasecmp(type, "Group") == 0)
			return scim_refuse(&j->a, 400, "invalidValue", "groups cannot be members of groups in Vern");
		if (!value || !*value)
			return scim_refuse(&j->a, 400, "invalidValue", "every member needs a value (a user id)");
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW)
			return scim_refuse(&j->a, 400, "invalidValue", "member %.64s is not a known user", value);
		if (ids_add(out, sqlite3_column_int64(st, 0)) != 0)
			return DB_ERROR;
	}
	ids_sort(out);
	return DB_OK;
}

static int check_doc(struct group_job *j, const json_t *doc)
{
	const char *name = json_string_value(json_object_get(doc, "displayName"));
	if (!name || !*name)
		return scim_refuse(&j->a, 400, "invalidValue", "displayName is required");
	if (strlen(name) > MAX_NAME)
		return scim_refuse(&j->a, 400, "invalidValue", "displayName is longer than %d bytes", MAX_NAME);
	const json_t *ext = json_object_get(doc, "externalId");
	if (ext && json_string_length(ext) > MAX_NAME)
		return scim_refuse(&j->a, 400, "invalidValue", "externalId is longer than %d bytes", MAX_NAME);
	return 0;
}

/* Writes the group row and its members: from the old member set to
 * want, with the roles they give. g->id is 0 for a new group. */
static int save_group(struct db_conn *c, struct group_job *j, struct group *g, const json_t *doc,
		      const struct ids *want)
{
	if (check_doc(j, doc))
		return DB_INVALID;
	const char *name = json_string_value(json_object_get(doc, "displayName"));
	const char *ext = json_string_value(json_object_get(doc, "externalId"));
	long long role = role_for(c, name);
	if (role < 0)
		return DB_ERROR;
	long long now = scim_now_ms();
	sqlite3_stmt *st = g->id
		? db_stmt(c, "UPDATE scim_groups SET display_name = ?2, external_id = ?3, role_id = ?4,"
			     " updated_ms = ?5 WHERE id = ?1")
		: db_stmt(c, "INSERT INTO scim_groups(scim_id, display_name, external_id, role_id,"
			     " created_ms, updated_ms) VALUES(?6, ?2, ?3, ?4, ?5, ?5)");
	if (!st)
		return DB_ERROR;
	if (g->id)
		sqlite3_bind_int64(st, 1, g->id);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	if (ext)
		sqlite3_bind_text(st, 3, ext, -1, SQLITE_STATIC);
	if (role)
		sqlite3_bind_int64(st, 4, role);
	sqlite3_bind_int64(st, 5, now);
	if (!g->id)
		sqlite3_bind_text(st, 6, j->a.id_out, -1, SQLITE_STATIC);
	int rc = db_exec_stmt(c, st, "scim_group_save");
	if (rc != DB_OK)
		return rc;
	if (!g->id)
		g->id = sqlite3_last_insert_rowid(db_handle(c));

	sqlite3_stmt *del = db_stmt(c, "DELETE FROM scim_group_members WHERE group_id = ? AND employee_id = ?");
	for (size_t i = 0; rc == DB_OK && i < g->members.n; i++) {
		if (ids_has(want, g->members.v[i]))
			continue;
		if (!del)
			return DB_ERROR;
		sqlite3_reset(del);
		sqlite3_bind_int64(del, 1, g->id);
		sqlite3_bind_int64(del, 2, g->members.v[i]);
		rc = db_exec_stmt(c, del, "scim_member_remove");
	}
	sqlite3_stmt *ins = db_stmt(c, "INSERT OR IGNORE INTO scim_group_members(group_id, employee_id) VALUES(?, ?)");
	for (size_t i = 0; rc == DB_OK && i < want->n; i++) {
		if (ids_has(&g->members, want->v[i]))
			continue;
		if (!ins)
			return DB_ERROR;
		sqlite3_reset(ins);
		sqlite3_bind_int64(ins, 1, g->id);
		sqlite3_bind_int64(ins, 2, want->v[i]);
		rc = db_exec_stmt(c, ins, "scim_member_add");
	}
	/* Roles: a changed role is recomputed for everyone involved, an
	 * unchanged one for those who came or went. */
	int role_changed = role != g->role_id;
	for (size_t i = 0; rc == DB_OK && i < g->members.n; i++)
		if (role_changed || !ids_has(want, g->members.v[i]))
			rc = recompute_role(c, g->members.v[i], g->role_id);
	for (size_t i = 0; rc == DB_OK && i < want->n; i++)
		if (role_changed || !ids_has(&g->members, want->v[i]))
			rc = recompute_role(c, want->v[i], role);
	return rc;
}

static int group_job_run(struct db_conn *c, void *arg)
{
	struct group_job *j = arg;
	struct group g;
	struct ids want = { 0 };
	int rc;
	if (j->op == G_CREATE) {
		memset(&g, 0, sizeof(g));
		scim_new_id(j->a.id_out);
		rc = resolve_members(c, j, j->doc, &want);
		if (rc == DB_OK)
			rc = save_group(c, j, &g, j->doc, &want);
		free(want.v);
		return rc;
	}
	snprintf(j->a.id_out, sizeof(j->a.id_out), "%s", j->scim_id);
	rc = load_group(c, j, &g);
	if (rc == DB_OK && j->op == G_DELETE) {
		sqlite3_stmt *st = db_stmt(c, "DELETE FROM scim_groups WHERE id = ?");
		if (!st) {
			rc = DB_ERROR;
		} else {
			sqlite3_bind_int64(st, 1, g.id);
			rc = db_exec_stmt(c, st, "scim_group_delete"); /* members cascade */
		}
		for (size_t i = 0; rc == DB_OK && i < g.members.n; i++)
			rc = recompute_role(c, g.members.v[i], g.role_id);
	} else if (rc == DB_OK) {
		json_t *doc = j->op == G_PATCH ? json_deep_copy(g.doc) : json_incref(j->doc);
		if (j->op == G_PATCH) {
			char err[300];
			const char *type = NULL;
			int st = scim_patch_apply(&scim_group_type, doc, j->patch, &type, err, sizeof(err));
			if (st)
				rc = scim_refuse(&j->a, st, type, "%s", err);
		}
		if (rc == DB_OK)
			rc = resolve_members(c, j, doc, &want);
		if (rc == DB_OK)
			rc = save_group(c, j, &g, doc, &want);
		json_decref(doc);
	}
	free(want.v);
	group_free(&g);
	return rc;
}

/* ---- reading ---- */

#define GROUP_SELECT "SELECT id, scim_id, display_name, external_id, created_ms, updated_ms FROM scim_groups"

static json_t *render(struct db_conn *c, sqlite3_stmt *st, const char *base, int with_members)
{
	const char *id = (const char *)sqlite3_column_text(st, 1);
	json_t *res = json_pack("{s:[s], s:s}", "schemas", SCIM_SCHEMA_GROUP, "id", id);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(res, "externalId", json_string((const char *)sqlite3_column_text(st, 3)));
	json_object_set_new(res, "displayName", json_string((const char *)sqlite3_column_text(st, 2)));
	if (with_members) {
		json_t *members = json_array();
		sqlite3_stmt *m = db_stmt(c, "SELECT s.scim_id, e.name FROM scim_group_members m"
					     " JOIN scim_users s ON s.employee_id = m.employee_id"
					     " JOIN employees e ON e.id = m.employee_id"
					     " WHERE m.group_id = ? ORDER BY m.employee_id");
		if (m) {
			sqlite3_bind_int64(m, 1, sqlite3_column_int64(st, 0));
			while (sqlite3_step(m) == SQLITE_ROW)
				json_array_append_new(members, json_pack("{s:s, s:s, s:s, s:s++}", "value",
					sqlite3_column_text(m, 0), "display", sqlite3_column_text(m, 1),
					"type", "User", "$ref", base, "/Users/", sqlite3_column_text(m, 0)));
		}
		json_object_set_new(res, "members", members);
	}
	char created[32], modified[32];
	json_object_set_new(res, "meta", json_pack("{s:s, s:s, s:s, s:s++}", "resourceType", "Group",
		"created", scim_time(sqlite3_column_int64(st, 4), created, sizeof(created)),
		"lastModified", scim_time(sqlite3_column_int64(st, 5), modified, sizeof(modified)),
		"location", base, "/Groups/", id));
	return res;
}

/* ---- the handler ---- */

/* Members are read when shown or when a filter may look at them. */
static json_t *render_stored(struct db_conn *c, sqlite3_stmt *st, const char *base,
			     const struct scim_projection *proj, int all)
{
	return render(c, st, base, all || scim_projection_wants(proj, "members"));
}

static const char *const group_ops[] = { "create", "replace", "patch", "delete" };
static const char *const group_eq_attrs[] = { "displayName", "externalId", "id", NULL };
static const char *const group_eq_sql[] = {
	GROUP_SELECT " WHERE display_name = ?1 COLLATE NOCASE ORDER BY id",
	GROUP_SELECT " WHERE external_id = ?1 ORDER BY id",
	GROUP_SELECT " WHERE scim_id = ?1",
};
static const struct scim_kind group_kind = {
	.noun = "group", .event = "scim_group", .collection = "Groups",
	.select_by_id = GROUP_SELECT " WHERE scim_id = ?1",
	.render = render_stored, .run = group_job_run, .ops = group_ops,
	.type = &scim_group_type, .count_sql = "SELECT count(*) FROM scim_groups",
	.page_sql = GROUP_SELECT " ORDER BY id LIMIT ?1 OFFSET ?2",
	.all_sql = GROUP_SELECT " ORDER BY id",
	.eq_attrs = group_eq_attrs, .eq_sql = group_eq_sql,
};

static json_t *doc_from(struct http_request *req, const json_t *body, struct group_job *j)
{
	const char *type = NULL;
	json_t *doc = scim_doc_from_body(&scim_group_type, body, &type, j->a.detail, sizeof(j->a.detail));
	if (!doc)
		scim_send_error(req, 400, type, "%s", j->a.detail);
	else if (check_doc(j, doc)) {
		scim_send_error(req, j->a.status, j->a.scim_type, "%s", j->a.detail);
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

void scim_groups(struct http_request *req, const char *id)
{
	struct scim_projection proj;
	if (scim_projection_read(req, &scim_group_type, &proj) != 0)
		return;
	struct group_job j;
	memset(&j, 0, sizeof(j));
	j.scim_id = id;
	json_t *body = NULL;
	int get = req->method == HTTP_GET || req->method == HTTP_HEAD;
	if (!id && get) {
		scim_list_stored(req, &group_kind, &proj);
	} else if (!id && req->method == HTTP_POST) {
		if ((body = scim_read_body(req)) && (j.doc = doc_from(req, body, &j))) {
			j.op = G_CREATE;
			scim_run_job(req, &group_kind, &j, j.op, 201, &proj);
		}
	} else if (!id) {
		scim_send_error(req, 405, NULL, "use GET or POST on /Groups");
	} else if (get) {
		scim_send_stored(req, &group_kind, 200, id, &proj);
	} else if (req->method == HTTP_PUT) {
		if ((body = scim_read_body(req)) && (j.doc = doc_from(req, body, &j))) {
			j.op = G_REPLACE;
			scim_run_job(req, &group_kind, &j, j.op, 200, &proj);
		}
	} else if (req->method == HTTP_PATCH) {
		if ((body = scim_read_body(req))) {
			j.op = G_PATCH;
			j.patch = body;
			/* RFC 7644 3.5.2: 200 with the group when attributes are asked for. */
			scim_run_job(req, &group_kind, &j, j.op, proj.paths ? 200 : 204, &proj);
		}
	} else if (req->method == HTTP_DELETE) {
		j.op = G_DELETE;
		scim_run_job(req, &group_kind, &j, j.op, 204, &proj);
	} else {
		scim_send_error(req, 405, NULL, "use GET, PUT, PATCH or DELETE on a group");
	}
	json_decref(j.doc);
	json_decref(body);
	scim_projection_free(&proj);
}
