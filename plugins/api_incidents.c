/* api_incidents.c: POST /api/incidents (see api_incidents.h). Validation
 * happens here, at the edge: exactly the two fields, a category slug and
 * a known unit. */
#include "api_incidents.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "api_plugins.h"
#include "db.h"
#include "http.h"
#include "lrs.h"
#include "server.h"

#define MAX_CATEGORY 64

/* a-z, 0-9 and '-', starting with a letter or digit. */
static int category_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MAX_CATEGORY || s[0] == '-')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-'))
			return 0;
	return 1;
}

/* The unit's name into buf; 0 when unknown, -1 on a database error. */
static int unit_name(struct server *srv, const char *unit, char *buf, size_t size)
{
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT name FROM org_units WHERE external_id = ?");
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, unit, -1, SQLITE_STATIC);
		int s = sqlite3_step(st);
		if (s == SQLITE_ROW) {
			snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
			rc = 1;
		} else {
			rc = s == SQLITE_DONE ? 0 : -1;
		}
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
	return rc;
}

static json_t *incident_statement(struct server *srv, const char *category, const char *unit,
				  const char *name)
{
	char home[CONFIG_STR_MAX + 16], activity[128], title[128];
	snprintf(home, sizeof(home), "%s/enheter", srv->cfg.public_url);
	snprintf(activity, sizeof(activity), PLUGIN_INCIDENT_ACTIVITY "%s", category);
	snprintf(title, sizeof(title), "Avvik: %s", category);
	return json_pack("{s:{s:s, s:s, s:{s:s, s:s}}, s:{s:s, s:{s:s, s:s}},"
			 " s:{s:s, s:s, s:{s:s, s:{s:s}}}, s:{s:s}}",
			 "actor", "objectType", "Group", "name", name, "account", "homePage", home,
			 "name", unit,
			 "verb", "id", PLUGIN_INCIDENT_VERB, "display", "nb-NO", "meldte avvik",
			 "en-US", "reported an incident",
			 "object", "objectType", "Activity", "id", activity, "definition", "type",
			 "http://activitystrea.ms/schema/1.0/issue", "name", "nb-NO", title,
			 "context", "platform", "Vern");
}

void api_incidents_post(struct http_request *req)
{
	if (plugin_http_require_all(req) != 0)
		return;
	json_t *body = http_body_json(req);
	if (!body)
		return;
	const char *key;
	json_t *v;
	if (!json_is_object(body)) {
		http_send_error(req, 400, "bad_json", "send {\"category\": ..., \"unit\": ...}");
		goto out;
	}
	json_object_foreach(body, key, v) {
		if (strcmp(key, "category") != 0 && strcmp(key, "unit") != 0) {
			http_send_error(req, 400, "unknown_field",
					"only category and unit are accepted (no personal data): %.64s", key);
			goto out;
		}
	}
	const char *category = json_string_value(json_object_get(body, "category"));
	const char *unit = json_string_value(json_object_get(body, "unit"));
	if (!category || !category_ok(category)) {
		http_send_error(req, 400, "bad_category",
				"category must be 1 to %d characters a-z, 0-9 and -", MAX_CATEGORY);
		goto out;
	}
	if (!unit || !*unit || strlen(unit) > 255) {
		http_send_error(req, 400, "bad_unit", "unit must be the id of an org unit");
		goto out;
	}
	char name[512];
	int found = unit_name(req->srv, unit, name, sizeof(name));
	if (found <= 0) {
		if (found < 0)
			http_send_error(req, 503, "storage_failed", "the unit could not be looked up");
		else
			http_send_error(req, 400, "unknown_unit", "no org unit has the id %.64s", unit);
		goto out;
	}
	json_t *st = incident_statement(req->srv, category, unit, name);
	json_t *ids = NULL;
	char err[400];
	int status = st ? lrs_store_internal(req->srv, st, &ids, err, sizeof(err)) : 503;
	json_decref(st);
	if (status != 0) {
		http_send_error(req, status >= 400 && status < 500 ? 400 : 503, "not_stored",
				"the incident was not stored: %s", st ? err : "out of memory");
		json_decref(ids);
		goto out;
	}
	json_t *outj = json_pack("{s:O, s:s, s:s}", "id", json_array_get(ids, 0), "category",
				 category, "unit", unit);
	http_send_json(req, 201, outj);
	json_decref(outj);
	json_decref(ids);
out:
	json_decref(body);
}
