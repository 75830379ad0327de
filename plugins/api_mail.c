/* api_mail.c: vern.mail, the plugins' way to send email.
 *
 *   vern.mail{employee = ID, course = "kurs-id" [, template = "leksjon"]}
 *       a lesson email with a fresh one-click link to the course (lesson
 *       templates: leksjon, paminnelse, ny-lenke or one an admin made)
 *   vern.mail{employee = ID | to = "adresse", subject = "...", text = "..."
 *             [, html = "<p>...</p>"]}
 *       an email of the plugin's own; Vern adds its layout and contact line
 *
 * Returns true when the email is queued with the call's other writes, or
 * nil and a reason (in Norwegian) when the employee cannot be mailed (no
 * longer active, no address): a plugin looping over a unit should skip
 * them, not fail. Wrong options, unknown courses or templates and
 * malformed text raise errors.
 *
 * Least privilege: a plugin may write to employees, and to other addresses
 * only when the admin lists them in the plugin's settings
 * (plugin.NAME.mail_to = "personvernombud@kommune.no, ..."), so a plugin
 * cannot carry data out of Vern by email (the list is read from the
 * config file's copy, not from vern.config, which the plugin may change).
 * At most MAX_MAILS emails per call.
 *
 * Like assign, the email is only buffered: plugins/writes.c queues it in
 * the outbox in the same transaction as the call's assignments, so a call
 * that fails sends nothing, and a lesson email to the same person for the
 * same course within 10 minutes is not queued twice. */
#include "api.h"

#include <stdio.h>
#include <string.h>

#include <lauxlib.h>
#include <sqlite3.h>

#include "db.h"
#include "mail.h"
#include "mail_token.h"
#include "sandbox.h"

#define MAX_MAILS 20000

/* 1 when addr is in the comma- or space-separated list. */
static int listed(const char *list, const char *addr)
{
	size_t n = strlen(addr);
	for (const char *p = list; p && *p;) {
		p += strspn(p, ", \t");
		size_t len = strcspn(p, ", \t");
		if (len == n && strncasecmp(p, addr, n) == 0)
			return 1;
		p += len;
	}
	return 0;
}

/* The plugin's mail_to setting (from the config file, kept in the
 * registry: the plugin can change vern.config, not this) or NULL. */
static const char *allowed_list(lua_State *L)
{
	const char *list = NULL;
	if (lua_getfield(L, LUA_REGISTRYINDEX, PLUGIN_MAIL_TO_KEY) == LUA_TSTRING)
		list = lua_tostring(L, -1);  /* kept alive by the registry */
	lua_pop(L, 1);
	return list;
}

/* Employee id's state: 1 can be mailed, 0 not (reason pushed), on c. */
static int mailable(lua_State *L, struct db_conn *c, long long id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT active, coalesce(email, '') FROM employees WHERE id = ?");
	if (!st)
		luaL_error(L, "database error (statement could not be prepared)");
	sqlite3_bind_int64(st, 1, id);
	int rc = sqlite3_step(st);
	int active = rc == SQLITE_ROW && sqlite3_column_int(st, 0);
	int has_email = rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) > 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		luaL_error(L, "database error reading employees");
	if (!active)
		lua_pushstring(L, "Den ansatte er ikke lenger aktiv.");
	else if (!has_email)
		lua_pushstring(L, "Den ansatte har ingen e-postadresse.");
	return active && has_email;
}

int plugin_api_mail(lua_State *L)
{
	static const char *const opts[] = { "employee", "to", "course", "template", "subject", "text",
					    "html", NULL };
	struct plugin_call *call = plugin_api_call(L, 1, "mail");
	luaL_checktype(L, 1, LUA_TTABLE);
	plugin_api_check_options(L, 1, "mail", opts);
	if (call->mails >= MAX_MAILS)
		luaL_error(L, "vern.mail: more than %d emails in one call", MAX_MAILS);
	struct db_conn *c = plugin_api_reader(L, call);
	long long emp = plugin_api_opt_employee(L, c, 1, "mail");
	const char *to = plugin_api_opt_str(L, 1, "to", "mail");
	const char *course = plugin_api_opt_str(L, 1, "course", "mail");
	const char *tmpl = plugin_api_opt_str(L, 1, "template", "mail");
	const char *subject = plugin_api_opt_str(L, 1, "subject", "mail");
	const char *text = plugin_api_opt_str(L, 1, "text", "mail");
	const char *html = plugin_api_opt_str(L, 1, "html", "mail");
	if ((emp != 0) == (to != NULL))
		luaL_error(L, "vern.mail: give exactly one of employee or to");
	if (course) {
		if (subject || text || html)
			luaL_error(L, "vern.mail: a lesson (course) takes its text from the template;"
				      " leave out subject, text and html");
		if (!emp)
			luaL_error(L, "vern.mail: a lesson link is personal: give employee, not to");
		if (!mail_token_course_ok(course) ||
		    !plugin_api_exists(L, c, "SELECT 1 FROM courses WHERE id = ?", course))
			luaL_error(L, "vern.mail: unknown course %s", course);
		if (!tmpl)
			tmpl = "leksjon";
		if (!plugin_api_exists(L, c, "SELECT 1 FROM mail_templates WHERE name = ? AND kind = 'lesson'",
				       tmpl))
			luaL_error(L, "vern.mail: %s is not a lesson email template", tmpl);
	} else {
		if (tmpl)
			luaL_error(L, "vern.mail: template goes with course");
		char err[256];
		/* An employee's address (to NULL) is read when the email is queued. */
		if (mail_generic_check(to, subject, text, html, err, sizeof err) != 0)
			luaL_error(L, "vern.mail: %s", err);
	}
	if (to && !listed(allowed_list(L), to) &&
	    !plugin_api_exists(L, c, "SELECT 1 FROM employees WHERE email = ? AND active = 1", to))
		luaL_error(L, "vern.mail: %s is not an employee's address and not in plugin.%s.mail_to", to,
			   call->plugin);
	if (emp && !mailable(L, c, emp)) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	struct plugin_op *op = plugin_api_push_op(L, call);
	op->kind = PLUGIN_OP_MAIL;
	op->target = PLUGIN_TARGET_EMPLOYEE;
	op->employee_id = emp;
	op->course = plugin_api_dup(L, course);
	op->template_name = plugin_api_dup(L, course ? tmpl : NULL);
	op->to = plugin_api_dup(L, to);
	op->subject = plugin_api_dup(L, subject);
	op->text = plugin_api_dup(L, text);
	op->html = plugin_api_dup(L, html);
	call->mails++;
	lua_pushboolean(L, 1);
	return 1;
}
