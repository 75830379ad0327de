/* min_side_export.c: "download all my data" (GDPR art. 15, see
 * min_side.h). One JSON document with every row Vern holds about the
 * signed-in person: the employee record, roles, accounts (never password
 * hashes or TOTP secrets), assignments, completions and their history,
 * course attempts, learning goals, attendance, campaigns and e-mails sent
 * to them, what the identity system provisioned, their xAPI statements and
 * documents, session metadata (never tokens), the audit log entries
 * about them (this export's own included: it is recorded first) and the
 * retention policy. Each section is one query, listed in one table, so a
 * new kind of personal data is one more line. */
#include "min_side.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "agent.h"
#include "db.h"
#include "http.h"
#include "index.h"
#include "people.h"
#include "retention.h"
#include "server.h"
#include "session.h"

#define ANY_FULL (ACCESS_EMPLOYEE | ACCESS_LEADER | ACCESS_HR | ACCESS_OMBUD | ACCESS_ADMIN)

/* Sections: ?1 is the employee id, ?2 the account id (0 when none). */
static const struct {
	const char *name, *sql;
} sections[] = {
	{ "employee",
	  "SELECT e.id, e.external_id, e.name, e.email, u.external_id AS unit_id, u.name AS unit,"
	  " m.external_id AS manager_id, m.name AS manager, e.active, e.start_date, e.updated_ms"
	  " FROM employees e LEFT JOIN org_units u ON u.id = e.unit_id"
	  " LEFT JOIN employees m ON m.id = e.manager_id WHERE e.id = ?1 AND ?2 = ?2" },
	{ "roles",
	  "SELECT r.code, r.name FROM employee_roles er JOIN roles r ON r.id = er.role_id"
	  " WHERE er.employee_id = ?1 AND ?2 = ?2 ORDER BY r.code" },
	{ "accounts",
	  "SELECT u.username, u.display_name, u.active, u.created_ms, u.last_login_ms,"
	  " u.totp_secret IS NOT NULL AS totp_enrolled, u.failed_logins, u.locked_until_ms,"
	  " (SELECT group_concat(r.role || CASE WHEN r.unit_id <> 0 THEN ':' || coalesce(o.external_id, '')"
	  "  ELSE '' END, ' ') FROM user_roles r LEFT JOIN org_units o ON o.id = r.unit_id"
	  "  WHERE r.user_id = u.id) AS roles"
	  " FROM users u WHERE (u.employee_id = ?1 AND ?1 <> 0) OR u.id = ?2" },
	{ "assignments",
	  "SELECT a.course_id, c.title, a.due_date, a.reason, a.plugin, a.created_ms"
	  " FROM assignments a JOIN courses c ON c.id = a.course_id WHERE a.employee_id = ?1 AND ?2 = ?2"
	  " ORDER BY a.created_ms" },
	{ "completions",
	  "SELECT k.course_id, c.title, k.completed_ms, k.expires_ms, k.success, k.score, k.statement_id"
	  " FROM completions k JOIN courses c ON c.id = k.course_id WHERE k.employee_id = ?1 AND ?2 = ?2"
	  " ORDER BY k.completed_ms" },
	{ "completion_history",
	  "SELECT h.course_id, c.title, h.completed_ms, h.success, h.score, h.statement_id"
	  " FROM completion_history h JOIN courses c ON c.id = h.course_id WHERE h.employee_id = ?1 AND ?2 = ?2"
	  " ORDER BY h.completed_ms" },
	{ "course_starts",
	  "SELECT course_id, first_ms, last_ms, first_statement FROM course_starts"
	  " WHERE employee_id = ?1 AND ?2 = ?2 ORDER BY first_ms" },
	{ "course_attempts",
	  "SELECT a.course_id, c.title, v.version, a.registration, a.current_item, a.started_ms, a.updated_ms,"
	  " a.completed_ms, a.success, a.score FROM course_attempts a JOIN courses c ON c.id = a.course_id"
	  " JOIN course_versions v ON v.id = a.version_id WHERE a.employee_id = ?1 AND ?2 = ?2 ORDER BY a.started_ms" },
	{ "course_attempt_items",
	  "SELECT a.registration, i.item, i.completion, i.success, i.score_scaled, i.score_raw, i.location,"
	  " i.suspend_data, i.cmi, i.total_ms, i.sessions, i.updated_ms FROM attempt_items i"
	  " JOIN course_attempts a ON a.id = i.attempt_id WHERE a.employee_id = ?1 AND ?2 = ?2"
	  " ORDER BY a.started_ms, i.item" },
	{ "course_launches",
	  "SELECT a.registration, l.item, l.launch_mode, l.launched_ms, l.initialized_ms, l.terminated_ms,"
	  " l.abandoned_ms FROM course_launches l JOIN course_attempts a ON a.id = l.attempt_id"
	  " WHERE a.employee_id = ?1 AND ?2 = ?2 ORDER BY l.launched_ms" },
	{ "learning_goals",
	  "SELECT goals, agreed_on, updated_ms, updated_by FROM learning_goals WHERE employee_id = ?1 AND ?2 = ?2" },
	{ "attendance",
	  "SELECT s.title, s.kind, s.course_id, s.held_on, s.leader_name, a.statement_id"
	  " FROM attendance_attendees a JOIN attendance_sessions s ON s.id = a.session_id"
	  " WHERE a.employee_id = ?1 AND ?2 = ?2 ORDER BY s.held_on" },
	{ "campaigns",
	  "SELECT c.name, r.course_id, r.queued_ms, r.due_ms, r.reminders, r.started_ms"
	  " FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id"
	  " WHERE r.employee_id = ?1 AND ?2 = ?2 ORDER BY r.queued_ms" },
	{ "emails",
	  "SELECT kind, to_addr, subject, text_body, campaign_id, course_id, status, created_ms, sent_ms"
	  " FROM mail_outbox WHERE employee_id = ?1 AND ?1 <> 0 AND ?2 = ?2 ORDER BY created_ms" },
	{ "identity_provisioning",
	  "SELECT user_name, external_id, resource, created_ms, updated_ms FROM scim_users"
	  " WHERE employee_id = ?1 AND ?2 = ?2" },
	{ "identity_groups",
	  "SELECT g.display_name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id"
	  " WHERE m.employee_id = ?1 AND ?2 = ?2 ORDER BY g.display_name" },
	{ "sessions",
	  "SELECT created_ms, expires_ms, scope, course_id FROM sessions"
	  " WHERE (employee_id = ?1 AND ?1 <> 0) OR user_id = ?2 ORDER BY created_ms" },
	{ "audit_log_about_you",
	  "SELECT at_ms, actor_name, action, detail FROM audit_log"
	  " WHERE subject_employee_id = ?1 AND ?1 <> 0 AND ?2 = ?2 ORDER BY at_ms" },
	{ "audit_log_by_you",
	  "SELECT at_ms, subject_employee_id, action, detail FROM audit_log"
	  " WHERE actor_user_id = ?2 AND ?2 <> 0 AND ?1 = ?1 ORDER BY at_ms" },
};

/* Every row of a query as objects keyed by column name. */
static json_t *rows(struct db_conn *c, const char *sql, long long employee, long long user)
{
	sqlite3_stmt *st = db_stmt(c, sql);
	if (!st)
		return NULL;
	sqlite3_bind_int64(st, 1, employee);
	sqlite3_bind_int64(st, 2, user);
	json_t *out = json_array();
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			json_t *v;
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_INTEGER: v = json_integer(sqlite3_column_int64(st, i)); break;
			case SQLITE_FLOAT: v = json_real(sqlite3_column_double(st, i)); break;
			case SQLITE_TEXT: v = json_string((const char *)sqlite3_column_text(st, i)); break;
			default: v = json_null(); break;
			}
			json_object_set_new(row, sqlite3_column_name(st, i), v ? v : json_null());
		}
		json_array_append_new(out, row);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The employee's agent key (account on public_url named by external id). */
static int agent_key(struct db_conn *c, const char *home_page, long long employee, char *key,
		     size_t size)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT external_id, name FROM employees WHERE id = ?");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, employee);
	int rc = -1;
	if (sqlite3_step(st) == SQLITE_ROW) {
		json_t *agent = people_agent(home_page, (const char *)sqlite3_column_text(st, 0),
					     (const char *)sqlite3_column_text(st, 1));
		rc = agent ? lrs_agent_key(agent, key, size) : -1;
		json_decref(agent);
	}
	sqlite3_reset(st);
	return rc;
}

static json_t *statements(struct db_conn *c, const char *key)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT s.full FROM statements s WHERE s.seq IN"
				      " (SELECT seq FROM statement_index WHERE kind = 3 AND value = ?) ORDER BY s.seq");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	json_t *out = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *s = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (s)
			json_array_append_new(out, s);
	}
	sqlite3_reset(st);
	return out;
}

/* State and agent-profile documents: text as text, anything else base64. */
static json_t *documents(struct db_conn *c, const char *key)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT kind, activity, registration, doc_id, content_type, content,"
				      " updated_ms FROM documents WHERE kind IN (1, 3) AND agent = ?");
	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	json_t *out = json_array();
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *type = (const char *)sqlite3_column_text(st, 4);
		const unsigned char *blob = sqlite3_column_blob(st, 5);
		int len = sqlite3_column_bytes(st, 5);
		json_t *content = NULL;
		int texty = strncmp(type, "text/", 5) == 0 || strstr(type, "json") != NULL;
		if (texty)
			content = json_stringn(blob ? (const char *)blob : "", (size_t)len);
		if (!content) {
			size_t b64len = sodium_base64_ENCODED_LEN((size_t)len, sodium_base64_VARIANT_ORIGINAL);
			char *b64 = malloc(b64len);
			if (b64) {
				sodium_bin2base64(b64, b64len, blob ? blob : (const unsigned char *)"", (size_t)len,
						  sodium_base64_VARIANT_ORIGINAL);
				content = json_pack("{s:s}", "base64", b64);
				free(b64);
			}
		}
		json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:I}",
			"kind", sqlite3_column_int(st, 0) == 1 ? "state" : "agent_profile",
			"activity", (const char *)sqlite3_column_text(st, 1),
			"registration", (const char *)sqlite3_column_text(st, 2),
			"id", (const char *)sqlite3_column_text(st, 3), "content_type", type,
			"content", content ? content : json_null(),
			"updated_ms", (json_int_t)sqlite3_column_int64(st, 6));
		if (d)
			json_array_append_new(out, d);
	}
	sqlite3_reset(st);
	return out;
}

static json_t *build(struct server *srv, struct db_conn *c, const struct principal *p)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *out = json_pack("{s:s, s:s, s:s}", "format", "vern-data-export/1", "exported_at", stamp,
				"about", p->name);
	if (!out)
		return NULL;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		json_t *v = rows(c, sections[i].sql, p->employee_id, p->user_id);
		if (!v) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, sections[i].name, v);
	}
	char key[1024];
	json_t *stmts = json_array(), *docs = json_array();
	if (p->employee_id && agent_key(c, srv->cfg.public_url, p->employee_id, key, sizeof(key)) == 0) {
		json_decref(stmts);
		json_decref(docs);
		stmts = statements(c, key);
		docs = documents(c, key);
	}
	if (!stmts || !docs) {
		json_decref(stmts);
		json_decref(docs);
		json_decref(out);
		return NULL;
	}
	json_object_set_new(out, "xapi_statements", stmts);
	json_object_set_new(out, "xapi_documents", docs);
	json_t *policy = retention_policy(&srv->cfg, NULL);
	json_object_set_new(out, "retention_policy", policy ? policy : json_null());
	return out;
}

void min_side_export(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ANY_FULL, &p) != 0)
		return;
	/* Recorded first, so the export shows its own audit entry. */
	if (audit_record(req->srv, &p, p.employee_id, "export_own", "GDPR art. 15") != 0) {
		http_send_error(req, 503, "audit_failed", "Uttrekket kunne ikke logges, og lages derfor ikke.");
		return;
	}
	/* the person's statements are found through the LRS index */
	if (lrs_index_ensure(req->srv->db, NULL) != DB_OK) {
		http_send_error(req, 503, "storage_failed", "Uttrekket kunne ikke lages nå. Prøv igjen.");
		return;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *out = build(req->srv, c, &p);
	db_reader_put(req->srv->db, c);
	char *text = out ? json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(out);
	if (!text) {
		http_send_error(req, 500, "internal", "Uttrekket kunne ikke lages.");
		return;
	}
	char day[16], headers[160];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	snprintf(headers, sizeof(headers),
		 "Content-Disposition: attachment; filename=\"vern-mine-data-%s.json\"\r\n", day);
	http_send(req, 200, "application/json; charset=utf-8", text, strlen(text), headers);
	free(text);
}
