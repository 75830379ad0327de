/* stmt.c: building blocks of the statements the player makes (see
 * stmt.h). */
#include "stmt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attempts.h"
#include "lrs.h"

json_t *stmt_verb(const char *id)
{
	const char *word = strrchr(id, '/');
	word = word ? word + 1 : id;
	return json_pack("{s:s, s:{s:s}}", "id", id, "display", "en-US", word);
}

json_t *stmt_activity(const char *id, const char *type, const char *name)
{
	json_t *o = json_pack("{s:s, s:s}", "objectType", "Activity", "id", id);
	if (!o || (!type && !name))
		return o;
	json_t *def = json_object();
	if (type)
		json_object_set_new(def, "type", json_string(type));
	if (name && *name) {
		json_t *s = json_string(name);
		if (s)
			json_object_set_new(def, "name", json_pack("{s:o}", "nb-NO", s));
	}
	json_object_set_new(o, "definition", def);
	return o;
}

json_t *stmt_new(const json_t *actor, json_t *verb, json_t *object, json_t *context,
		 json_t *result)
{
	char id[37], ts[32];
	attempts_uuid(id);
	lrs_format_time(attempts_now_ms(), ts, sizeof(ts));
	json_t *s = json_pack("{s:s, s:O, s:o, s:o, s:s}", "id", id, "actor", actor, "verb", verb,
			      "object", object, "timestamp", ts);
	if (s && context)
		json_object_set_new(s, "context", context);
	else
		json_decref(context);
	if (s && result)
		json_object_set_new(s, "result", result);
	else
		json_decref(result);
	return s;
}

const char *stmt_duration(long long ms, char *buf, size_t size)
{
	if (ms < 0)
		ms = 0;
	long long h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, cs = ms % 1000 / 10;
	int o = snprintf(buf, size, "PT");
	if (h)
		o += snprintf(buf + o, size - (size_t)o, "%lldH", h);
	if (m)
		o += snprintf(buf + o, size - (size_t)o, "%lldM", m);
	if (cs)
		snprintf(buf + o, size - (size_t)o, "%lld.%02lldS", s, cs);
	else
		snprintf(buf + o, size - (size_t)o, "%lldS", s);
	return buf;
}

const char *stmt_timespan12(long long ms, char *buf, size_t size)
{
	if (ms < 0)
		ms = 0;
	long long h = ms / 3600000;
	if (h > 9999)
		h = 9999;
	snprintf(buf, size, "%04lld:%02lld:%02lld.%02lld", h, ms / 60000 % 60, ms / 1000 % 60,
		 ms % 1000 / 10);
	return buf;
}

static long long parse_iso(const char *s)
{
	/* P[nY][nM][nD][T[nH][nM][n[.n]S]]; years and months counted as 365
	 * and 30 days, which SCORM session times never use in practice. */
	if (*s != 'P')
		return -1;
	s++;
	double total = 0;
	int in_time = 0, any = 0;
	while (*s) {
		if (*s == 'T') {
			if (in_time)
				return -1;
			in_time = 1;
			s++;
			continue;
		}
		char *end;
		double v = strtod(s, &end);
		if (end == s || v < 0)
			return -1;
		char unit = *end;
		double mul;
		if (!in_time)
			mul = unit == 'Y' ? 31536000.0 : unit == 'M' ? 2592000.0 : unit == 'D' ? 86400.0
			      : unit == 'W' ? 604800.0 : -1;
		else
			mul = unit == 'H' ? 3600.0 : unit == 'M' ? 60.0 : unit == 'S' ? 1.0 : -1;
		if (mul < 0)
			return -1;
		total += v * mul;
		any = 1;
		s = end + 1;
	}
	if (!any || total > 1e10)
		return -1;
	return (long long)(total * 1000.0 + 0.5);
}

long long stmt_parse_duration(const char *s)
{
	if (!s || !*s)
		return -1;
	if (*s == 'P')
		return parse_iso(s);
	/* HHHH:MM:SS.SS */
	char *end;
	long h = strtol(s, &end, 10);
	if (end == s || *end != ':' || h < 0)
		return -1;
	const char *p = end + 1;
	long m = strtol(p, &end, 10);
	if (end == p || *end != ':' || m < 0 || m > 59)
		return -1;
	p = end + 1;
	double sec = strtod(p, &end);
	if (end == p || *end || sec < 0 || sec >= 60 || !isdigit((unsigned char)*p))
		return -1;
	return (long long)h * 3600000 + (long long)m * 60000 + (long long)(sec * 1000.0 + 0.5);
}
