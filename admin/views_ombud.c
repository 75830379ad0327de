/* views_ombud.c: statistics per agency and the audit log (see views_ombud.h).
 *
 * The report counts, per agency (the nearest unit marked is_agency above an
 * employee's unit; "Uten virksomhet" when none), today's active employees,
 * those with mandatory training (assignments), and those who completed all
 * of it during the year, for the year asked and the year before, read from
 * completion_history. It answers
 *   {"aar", "i_fjor", "minste_gruppe": 5, "generert",
 *    "virksomheter": [{virksomhet, ansatte, med_krav, fullfort, andel,
 *                      andel_i_fjor, endring}],
 *    "totalt": {...same...}}
 * where a group under 5 shows "<5" in place of every number and null rates.
 * Nothing in it names or numbers a person.
 *
 * When the sikkerhetsmaaned plugin is installed, the report is instead its
 * published "agencies" report for the October campaign (the plugin does
 * the suppression, including the complementary kind); only whitelisted
 * fields are copied from it, groups under 5 are suppressed again here, and
 * "kampanje" holds the campaign's name and period and "moduler" the whole
 * municipality's counts per lesson. */
#include "views_ombud.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "server.h"
#include "views_common.h"
#include "views_plugins.h"

#define LOG_PAGE 50

struct unit_row {
	long long id, parent;
	int is_agency;
	int agency; /* index into agencies, -1 none, -2 not yet known */
};

struct agency {
	char name[256];
	int headcount, required, done, required_prev, done_prev;
};

struct report {
	struct unit_row *units;
	int nunits;
	struct agency *agencies;
	int nagencies; /* the last is "Uten virksomhet" */
};

static int unit_cmp(const void *a, const void *b)
{
	const struct unit_row *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int unit_find(const struct report *r, long long id)
{
	int lo = 0, hi = r->nunits - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		if (r->units[mid].id == id)
			return mid;
		if (r->units[mid].id < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The agency of unit i: itself when marked, else its parent's. */
static int agency_of(struct report *r, int i)
{
	int depth = 0, chain[256];
	while (i >= 0 && r->units[i].agency == -2 && depth < 256) {
		if (r->units[i].is_agency)
			break;
		chain[depth++] = i;
		i = r->units[i].parent ? unit_find(r, r->units[i].parent) : -1;
	}
	int a = i < 0 || depth >= 256 ? -1 : r->units[i].agency;
	for (int k = 0; k < depth; k++)
		r->units[chain[k]].agency = a;
	return a;
}

static int load_units(struct db_conn *c, struct report *r)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*), sum(is_agency) FROM org_units");
	if (!st || sqlite3_step(st) != SQLITE_ROW)
		return -1;
	int n = sqlite3_column_int(st, 0), na = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	r->units = calloc((size_t)n + 1, sizeof(*r->units));
	r->agencies = calloc((size_t)na + 1, sizeof(*r->agencies));
	if (!r->units || !r->agencies)
		return -1;
	st = db_stmt(c, "SELECT id, parent_id, is_agency, name FROM org_units ORDER BY name, id");
	if (!st)
		return -1;
	while (sqlite3_step(st) == SQLITE_ROW && r->nunits < n) {
		struct unit_row *u = &r->units[r->nunits++];
		u->id = sqlite3_column_int64(st, 0);
		u->parent = sqlite3_column_int64(st, 1);
		u->is_agency = sqlite3_column_int(st, 2) && r->nagencies < na;
		u->agency = -2;
		if (u->is_agency) {
			u->agency = r->nagencies;
			snprintf(r->agencies[r->nagencies++].name, sizeof(r->agencies[0].name), "%s",
				 (const char *)sqlite3_column_text(st, 3));
		}
	}
	snprintf(r->agencies[r->nagencies++].name, sizeof(r->agencies[0].name), "Uten virksomhet");
	if (r->nunits > 0)
		qsort(r->units, (size_t)r->nunits, sizeof(*r->units), unit_cmp);
	for (int i = 0; i < r->nunits; i++)
		agency_of(r, i);
	return 0;
}

/* One row per active employee: unit, requirements, and how many of them
 * were completed in the year and the year before. */
static int count_employees(struct db_conn *c, struct report *r, int year)
{
	sqlite3_stmt *st = db_stmt(c,
		"SELECT e.unit_id, count(a.course_id),"
		" coalesce(sum(EXISTS(SELECT 1 FROM completion_history h WHERE h.employee_id = e.id"
		"  AND h.course_id = a.course_id AND h.completed_ms >= ?1 AND h.completed_ms < ?2"
		"  AND coalesce(h.success, 1) != 0)), 0),"
		" coalesce(sum(EXISTS(SELECT 1 FROM completion_history h WHERE h.employee_id = e.id"
		"  AND h.course_id = a.course_id AND h.completed_ms >= ?3 AND h.completed_ms < ?1"
		"  AND coalesce(h.success, 1) != 0)), 0)"
		" FROM employees e LEFT JOIN assignments a ON a.employee_id = e.id"
		" WHERE e.active = 1 GROUP BY e.id");
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, views_month_start_ms(year, 1));
	sqlite3_bind_int64(st, 2, views_month_start_ms(year + 1, 1));
	sqlite3_bind_int64(st, 3, views_month_start_ms(year - 1, 1));
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int ui = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1
				: unit_find(r, sqlite3_column_int64(st, 0));
		int a = ui >= 0 ? r->units[ui].agency : -1;
		struct agency *ag = &r->agencies[a >= 0 ? a : r->nagencies - 1];
		int req = sqlite3_column_int(st, 1);
		ag->headcount++;
		if (!req)
			continue;
		ag->required++;
		ag->required_prev++;
		ag->done += sqlite3_column_int(st, 2) == req;
		ag->done_prev += sqlite3_column_int(st, 3) == req;
	}
	return rc == SQLITE_DONE ? 0 : -1;
}

static json_t *number_or_small(int n, int group)
{
	return group < VIEWS_MIN_GROUP ? json_string("<5") : json_integer(n);
}

static json_t *row_json(const char *name, const struct agency *a)
{
	int small = a->headcount < VIEWS_MIN_GROUP || a->required < VIEWS_MIN_GROUP;
	json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "virksomhet", name, "ansatte",
			      number_or_small(a->headcount, a->headcount), "med_krav",
			      number_or_small(a->required, small ? 0 : a->required), "fullfort",
			      number_or_small(a->done, small ? 0 : a->required));
	if (small) {
		json_object_set_new(o, "andel", json_null());
		json_object_set_new(o, "andel_i_fjor", json_null());
		json_object_set_new(o, "endring", json_null());
		return o;
	}
	double now = (double)a->done / a->required, prev = (double)a->done_prev / a->required_prev;
	json_object_set_new(o, "andel", json_real(now));
	json_object_set_new(o, "andel_i_fjor", json_real(prev));
	json_object_set_new(o, "endring", json_real(now - prev));
	return o;
}

static json_t *report_json(struct report *r, int year)
{
	json_t *rows = json_array();
	struct agency total = { .name = "Hele kommunen" };
	for (int i = 0; i < r->nagencies; i++) {
		const struct agency *a = &r->agencies[i];
		total.headcount += a->headcount;
		total.required += a->required;
		total.done += a->done;
		total.required_prev += a->required_prev;
		total.done_prev += a->done_prev;
		if (i == r->nagencies - 1 && a->headcount == 0)
			continue; /* no one outside an agency */
		json_array_append_new(rows, row_json(a->name, a));
	}
	char today[11];
	views_date_of(session_now_ms(), today, sizeof(today));
	return json_pack("{s:i, s:i, s:i, s:s, s:s, s:o, s:o}", "aar", year, "i_fjor", year - 1,
			 "minste_gruppe", VIEWS_MIN_GROUP, "generert", today, "kilde",
			 "Vern: fullført obligatorisk opplæring i løpet av året", "virksomheter", rows,
			 "totalt", row_json(total.name, &total));
}

static json_t *real_or_null(const json_t *v)
{
	return json_is_number(v) ? json_real(json_number_value(v)) : json_null();
}

/* One row of the plugin's report, whitelisted; "<5" when suppressed. */
static json_t *campaign_row(const json_t *r, int min_group, const char *fallback_name)
{
	const char *name = json_string_value(json_object_get(r, "name"));
	const json_t *head = json_object_get(r, "headcount");
	json_t *o = json_pack("{s:s}", "virksomhet", name ? name : fallback_name);
	if (json_is_true(json_object_get(r, "suppressed")) || !json_is_integer(head) ||
	    json_integer_value(head) < min_group) {
		json_object_set_new(o, "ansatte", json_string("<5"));
		json_object_set_new(o, "fullfort", json_string("<5"));
		json_object_set_new(o, "andel", json_null());
		json_object_set_new(o, "andel_i_fjor", json_null());
		json_object_set_new(o, "endring", json_null());
		return o;
	}
	const json_t *done = json_object_get(r, "completed_all");
	json_object_set_new(o, "ansatte", json_integer(json_integer_value(head)));
	json_object_set_new(o, "fullfort", json_integer(json_is_integer(done) ? json_integer_value(done) : 0));
	json_object_set_new(o, "andel", real_or_null(json_object_get(r, "completion_rate")));
	json_object_set_new(o, "andel_i_fjor", real_or_null(json_object_get(r, "last_year_rate")));
	json_object_set_new(o, "endring", real_or_null(json_object_get(r, "change")));
	return o;
}

/* The plugin's published report in this API's shape, or NULL. */
static json_t *from_campaign(const json_t *raw)
{
	const json_t *rows = json_object_get(raw, "agencies");
	const json_t *year = json_object_get(raw, "year");
	if (!json_is_array(rows) || !json_is_integer(year))
		return NULL;
	int min_group = VIEWS_MIN_GROUP;
	const json_t *mg = json_object_get(raw, "min_group");
	if (json_is_integer(mg) && json_integer_value(mg) > min_group)
		min_group = (int)json_integer_value(mg);
	json_t *list = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		json_array_append_new(list, campaign_row(r, min_group, "Uten virksomhet"));
	const json_t *total = json_object_get(raw, "total");
	json_t *modules = json_array();
	const char *course;
	json_t *m;
	if (!json_is_true(json_object_get(total, "suppressed")))
		json_object_foreach(json_object_get(total, "modules"), course, m)
			json_array_append_new(modules, json_pack("{s:s, s:I, s:I, s:I}", "kurs", course,
				"tildelt", json_integer_value(json_object_get(m, "assigned")), "startet",
				json_integer_value(json_object_get(m, "started")), "fullfort",
				json_integer_value(json_object_get(m, "completed"))));
	char today[11];
	views_date_of(session_now_ms(), today, sizeof(today));
	const char *campaign = json_string_value(json_object_get(raw, "campaign"));
	const char *from = json_string_value(json_object_get(raw, "from"));
	const char *to = json_string_value(json_object_get(raw, "to"));
	int y = (int)json_integer_value(year);
	return json_pack("{s:i, s:i, s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:o}", "aar", y,
		"i_fjor", y - 1, "minste_gruppe", min_group, "generert", today, "kilde",
		"Tillegget sikkerhetsmaaned: fullførte alle kampanjens leksjoner", "kampanje", "navn",
		campaign ? campaign : "Sikkerhetsmåneden", "fra", from ? from : "", "til", to ? to : "",
		"virksomheter", list, "totalt", campaign_row(total, min_group, "Hele kommunen"),
		"moduler", modules);
}

/* The catalogue's title beside each lesson id (the plugin reports ids). */
static void add_course_titles(struct server *srv, json_t *modules)
{
	struct db_conn *c = db_reader_get(srv->db);
	size_t i;
	json_t *m;
	json_array_foreach(modules, i, m) {
		sqlite3_stmt *st = db_stmt(c, "SELECT title FROM courses WHERE id = ?");
		if (!st)
			break;
		sqlite3_bind_text(st, 1, json_string_value(json_object_get(m, "kurs")), -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			json_object_set_new(m, "tittel", json_string((const char *)sqlite3_column_text(st, 0)));
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
}

static void csv_value(struct views_buf *b, const json_t *v, int percent)
{
	if (json_is_string(v)) {
		views_csv_field(b, json_string_value(v), 0);
	} else if (json_is_integer(v)) {
		views_buf_printf(b, ";%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		char num[32];
		snprintf(num, sizeof(num), percent ? "%.1f" : "%g", json_real_value(v) * 100);
		for (char *p = num; *p; p++)
			if (*p == '.')
				*p = ','; /* Norwegian decimal comma */
		views_buf_printf(b, ";%s", num); /* our own number: no formula guard, so -7,0 stays a number */
	} else {
		views_csv_field(b, "", 0);
	}
}

static void csv_row(struct views_buf *b, const json_t *row)
{
	views_csv_field(b, json_string_value(json_object_get(row, "virksomhet")), 1);
	csv_value(b, json_object_get(row, "ansatte"), 0);
	csv_value(b, json_object_get(row, "med_krav"), 0);
	csv_value(b, json_object_get(row, "fullfort"), 0);
	csv_value(b, json_object_get(row, "andel"), 1);
	csv_value(b, json_object_get(row, "andel_i_fjor"), 1);
	csv_value(b, json_object_get(row, "endring"), 1);
	views_csv_end_row(b);
}

static void send_csv(struct http_request *req, const json_t *rep, int year)
{
	struct views_buf b = { 0 };
	views_buf_str(&b, "\xEF\xBB\xBF");
	views_buf_printf(&b, "virksomhet;ansatte;med_krav;fullfort_%d;andel_%d_prosent;"
			     "andel_%d_prosent;endring_prosentpoeng\r\n", year, year, year - 1);
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(rep, "virksomheter"), i, row)
		csv_row(&b, row);
	csv_row(&b, json_object_get(rep, "totalt"));
	if (b.failed) {
		views_buf_free(&b);
		http_send_error(req, 500, "no_memory", "Rapporten ble for stor.");
		return;
	}
	char extra[160];
	snprintf(extra, sizeof(extra),
		 "Content-Disposition: attachment; filename=\"vern-statistikk-%d.csv\"\r\n", year);
	http_send(req, 200, "text/csv; charset=utf-8", b.data, b.len, extra);
	views_buf_free(&b);
}

void views_ombud_report(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_OMBUD | ACCESS_HR | ACCESS_ADMIN, &p) != 0)
		return;
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	int year = tm.tm_year + 1900;
	char buf[16];
	int n = http_query_param(req, "aar", buf, sizeof(buf)), year_given = n >= 0;
	if (n >= 0) {
		long long y = views_parse_id(buf);
		if (y < 2000 || y > year) {
			http_send_error(req, 400, "bad_year", "aar må være et årstall fra 2000 til i år.");
			return;
		}
		year = (int)y;
	}
	int csv = 0;
	if (http_query_param(req, "format", buf, sizeof(buf)) >= 0) {
		csv = strcmp(buf, "csv") == 0;
		if (!csv && strcmp(buf, "json") != 0) {
			http_send_error(req, 400, "bad_format", "format må være json eller csv.");
			return;
		}
	}
	json_t *params = json_pack("{s:b}", "published", 1), *raw = NULL, *rep = NULL;
	if (year_given)
		json_object_set_new(params, "year", json_integer(year));
	char err[256];
	int rc = views_plugin_report(req->srv, "sikkerhetsmaaned", "agencies", params, &raw, err,
				     sizeof(err));
	json_decref(params);
	if (rc == VIEWS_PLUGIN_OK) {
		rep = from_campaign(raw);
		json_decref(raw);
		if (!rep) {
			http_send_error(req, 503, "plugin_failed",
					"Sikkerhetsmåneden-tillegget svarte med en rapport uten virksomheter.");
			return;
		}
		year = (int)json_integer_value(json_object_get(rep, "aar"));
		add_course_titles(req->srv, json_object_get(rep, "moduler"));
	} else if (rc == VIEWS_PLUGIN_FAILED) {
		http_send_error(req, 503, "plugin_failed", "Sikkerhetsmåneden-tillegget svarte ikke: %s", err);
		return;
	} else {
		struct report r;
		memset(&r, 0, sizeof(r));
		struct db_conn *c = db_reader_get(req->srv->db);
		int ok = load_units(c, &r) == 0 && count_employees(c, &r, year) == 0;
		db_reader_put(req->srv->db, c);
		rep = ok ? report_json(&r, year) : NULL;
		free(r.units);
		free(r.agencies);
		if (!rep) {
			http_send_error(req, 500, "read_failed", "Kunne ikke lage rapporten.");
			return;
		}
	}
	if (csv)
		send_csv(req, rep, year);
	else
		http_send_json(req, 200, rep);
	json_decref(rep);
}

/* ---- the audit log ---- */

void views_ombud_audit_log(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_OMBUD | ACCESS_ADMIN, &p) != 0)
		return;
	char buf[64], action[64] = "", from[16] = "", to[16] = "";
	long long page = 1;
	if (http_query_param(req, "side", buf, sizeof(buf)) >= 0 && !(page = views_parse_id(buf))) {
		http_send_error(req, 400, "bad_page", "side må være et positivt heltall.");
		return;
	}
	if (http_query_param(req, "handling", action, sizeof(action)) == -2 ||
	    (http_query_param(req, "fra", from, sizeof(from)) >= 0 && !views_is_date(from)) ||
	    (http_query_param(req, "til", to, sizeof(to)) >= 0 && !views_is_date(to))) {
		http_send_error(req, 400, "invalid", "fra og til må være datoer (ÅÅÅÅ-MM-DD).");
		return;
	}
	long long from_ms = from[0] ? views_day_start_ms(from) : 0;
	/* til is inclusive: up to the start of the next day */
	long long to_ms = to[0] ? views_day_start_ms(to) + 36 * 3600000LL : (1LL << 62);
	if (to[0]) {
		char next[11];
		views_date_of(to_ms, next, sizeof(next));
		to_ms = views_day_start_ms(next);
	}
	if (page > 1000000) {
		http_send_error(req, 400, "bad_page", "side er for stor.");
		return;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM audit_log WHERE at_ms >= ?1 AND at_ms < ?2"
				      " AND (?3 = '' OR action = ?3)");
	long long total = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, from_ms);
		sqlite3_bind_int64(st, 2, to_ms);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			total = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	st = db_stmt(c,
		"SELECT l.at_ms, l.actor_name, l.action, l.detail, e.name, e.external_id"
		" FROM audit_log l LEFT JOIN employees e ON e.id = l.subject_employee_id"
		" WHERE l.at_ms >= ?1 AND l.at_ms < ?2 AND (?3 = '' OR l.action = ?3)"
		" ORDER BY l.at_ms DESC, l.id DESC LIMIT ?4 OFFSET ?5");
	json_t *rows = json_array();
	int rc = SQLITE_DONE;
	if (st) {
		sqlite3_bind_int64(st, 1, from_ms);
		sqlite3_bind_int64(st, 2, to_ms);
		sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, LOG_PAGE);
		sqlite3_bind_int64(st, 5, (page - 1) * LOG_PAGE);
	}
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_pack("{s:I, s:s, s:s, s:s}", "tid_ms",
			(json_int_t)sqlite3_column_int64(st, 0), "hvem",
			(const char *)sqlite3_column_text(st, 1), "handling",
			(const char *)sqlite3_column_text(st, 2), "detalj",
			(const char *)sqlite3_column_text(st, 3));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(row, "hvis", json_pack("{s:s, s:s}", "navn",
				(const char *)sqlite3_column_text(st, 4), "ansattnummer",
				(const char *)sqlite3_column_text(st, 5)));
		json_array_append_new(rows, row);
	}
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(rows);
		http_send_error(req, 500, "read_failed", "Kunne ikke lese revisjonsloggen.");
		return;
	}
	json_t *out = json_pack("{s:I, s:I, s:I, s:o}", "side", (json_int_t)page, "sider",
				(json_int_t)((total + LOG_PAGE - 1) / LOG_PAGE), "totalt",
				(json_int_t)total, "rader", rows);
	char detail[160];
	snprintf(detail, sizeof(detail), "side %lld%s%s", page, action[0] ? ", handling " : "", action);
	views_send_audited_json(req, &p, 0, "ombud_revisjonslogg", detail, out);
	json_decref(out);
}
