/* validate.c: the xAPI statement rules (1.0.3 and 2.0), see validate.h.
 *
 * A recursive walk over the statement with a path buffer: each check names
 * the JSON path of the value it refuses and the rule in plain words. The
 * first fault ends the walk; nothing is modified. */
#include "validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "decimal.h"

struct walk {
	enum lrs_version v;
	struct lrs_verror *e;
	char path[256];
};

static int fail(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct walk *w, const char *fmt, ...)
{
	snprintf(w->e->path, sizeof(w->e->path), "%s", w->path[0] ? w->path : "(statement)");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->e->rule, sizeof(w->e->rule), fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends text (n bytes) to the path, cut short when the path is full. */
static void append(struct walk *w, size_t len, const char *text, size_t n)
{
	if (n > sizeof(w->path) - 1 - len)
		n = sizeof(w->path) - 1 - len;
	memcpy(w->path + len, text, n);
	w->path[len + n] = '\0';
}

/* Appends ".key" or "[i]" to the path; returns the old length to restore.
 * (Called for every member of every statement: no printf here.) */
static size_t push_key(struct walk *w, const char *key)
{
	size_t len = strlen(w->path);
	if (len)
		append(w, len, ".", 1);
	append(w, len + (len ? 1 : 0), key, strlen(key));
	return len;
}

static size_t push_index(struct walk *w, size_t i)
{
	size_t len = strlen(w->path);
	char digits[24], *d = digits + sizeof(digits);
	*--d = ']';
	d = decimal_before(d, i);
	*--d = '[';
	append(w, len, d, (size_t)(digits + sizeof(digits) - d));
	return len;
}

static void pop(struct walk *w, size_t len) { w->path[len] = '\0'; }

/* ---- formats ---- */

int lrs_is_iri(const char *s)
{
	if (!s || !isalpha((unsigned char)s[0]))
		return 0;
	const char *p = s + 1;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':' || p[1] == '\0')
		return 0;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++)
		if (*c <= ' ' || *c == '<' || *c == '>' || *c == '"' || *c == '{' || *c == '}' ||
		    *c == '|' || *c == '\\' || *c == '^' || *c == '`' || *c == 0x7f)
			return 0;
	return 1;
}

int lrs_is_uuid(const char *s)
{
	if (!s || strlen(s) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

int lrs_is_mailto(const char *s)
{
	if (!s || strncmp(s, "mailto:", 7) != 0)
		return 0;
	const char *at = strchr(s + 7, '@');
	return at && at > s + 7 && at[1] && !strchr(at + 1, '@') && !strchr(s, ' ');
}

static int digits(const char *p, int n)
{
	for (int i = 0; i < n; i++)
		if (!isdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

static int num(const char *p, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (p[i] - '0');
	return v;
}

/* RFC 3339 / ISO 8601 extended date-time: YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm|±hhmm|±hh)?
 * Without a zone the time is taken as UTC. Returns 0 and the time in ms. */
static int parse_time(const char *s, long long *ms, int *has_zone, int *negative_zero)
{
	if (!s || strlen(s) < 19 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2) || s[13] != ':' ||
	    !digits(s + 14, 2) || s[16] != ':' || !digits(s + 17, 2))
		return -1;
	int Y = num(s, 4), M = num(s + 5, 2), D = num(s + 8, 2);
	int h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return -1;
	const char *p = s + 19;
	int frac = 0;
	if (*p == '.') {
		p++;
		int n = 0;
		while (isdigit((unsigned char)*p)) {
			if (n < 3)
				frac = frac * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return -1;
		for (; n < 3; n++)
			frac *= 10;
	}
	int offset = 0;
	*has_zone = 1;
	*negative_zero = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		p++;
		if (!digits(p, 2))
			return -1;
		int oh = num(p, 2), om = 0;
		p += 2;
		if (*p == ':') {
			if (!digits(p + 1, 2))
				return -1;
			om = num(p + 1, 2);
			p += 3;
		} else if (digits(p, 2)) {
			om = num(p, 2);
			p += 2;
		}
		if (oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 60 + om);
		if (sign < 0 && offset == 0)
			*negative_zero = 1;
	} else {
		*has_zone = 0;
	}
	if (*p)
		return -1;
	struct tm tm = { 0 };
	tm.tm_year = Y - 1900;
	tm.tm_mon = M - 1;
	tm.tm_mday = D;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	long long t = (long long)timegm(&tm);
	*ms = (t - (long long)offset * 60) * 1000 + frac;
	return 0;
}

int lrs_parse_timestamp(const char *s, long long *ms)
{
	int zone, negzero;
	return parse_time(s, ms, &zone, &negzero);
}

int lrs_is_timestamp(const char *s)
{
	long long ms;
	return lrs_parse_timestamp(s, &ms) == 0;
}

/* ISO 8601 duration: PnYnMnDTnHnMnS (the last number may have a
 * fraction), or PnW. */
int lrs_is_duration(const char *s)
{
	if (!s || *s != 'P' || !s[1])
		return 0;
	const char *p = s + 1;
	if (isdigit((unsigned char)*p)) {
		const char *q = p;
		while (isdigit((unsigned char)*q))
			q++;
		if (*q == 'W' && q[1] == '\0')
			return 1;
	}
	static const char date_units[] = "YMD", time_units[] = "HMS";
	const char *units = date_units;
	int in_time = 0, any = 0, last_frac = 0;
	size_t u = 0;
	while (*p) {
		if (*p == 'T') {
			if (in_time)
				return 0;
			in_time = 1;
			units = time_units;
			u = 0;
			p++;
			if (!*p)
				return 0;
			continue;
		}
		if (last_frac)
			return 0;
		const char *start = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return 0;
		if (*p == '.' || *p == ',') {
			p++;
			const char *f = p;
			while (isdigit((unsigned char)*p))
				p++;
			if (p == f)
				return 0;
			last_frac = 1;
		}
		while (u < 3 && units[u] != *p)
			u++;
		if (u == 3)
			return 0;
		u++;
		p++;
		any = 1;
	}
	return any;
}

/* RFC 5646 well enough for xAPI: primary language of 2-3 (or 4-8) letters,
 * then subtags of 1-8 alphanumerics; singletons take at least one subtag. */
int lrs_is_language_tag(const char *s)
{
	if (!s || !*s)
		return 0;
	const char *p = s;
	int first = 1;
	while (*p) {
		size_t len = 0;
		while (isalnum((unsigned char)p[len]))
			len++;
		if (len == 0 || len > 8)
			return 0;
		if (first) {
			for (size_t i = 0; i < len; i++)
				if (!isalpha((unsigned char)p[i]))
					return 0;
			if (len == 1 && !(p[0] == 'x' || p[0] == 'i' || p[0] == 'X' || p[0] == 'I'))
				return 0;
		}
		first = 0;
		p += len;
		if (*p == '-') {
			p++;
			if (!*p)
				return 0;
		} else if (*p) {
			return 0;
		}
	}
	return 1;
}

/* ---- value checks ---- */

static int check_iri(struct walk *w, const json_t *v, const char *what)
{
	if (!json_is_string(v))
		return fail(w, "%s must be a string", what);
	if (!lrs_is_iri(json_string_value(v)))
		return fail(w, "%s must be an absolute IRI", what);
	return 0;
}

static int field_iri(struct walk *w, const json_t *obj, const char *key, int required)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return required ? (push_key(w, key), fail(w, "is required")) : 0;
	size_t l = push_key(w, key);
	int rc = check_iri(w, v, "the value");
	pop(w, l);
	return rc;
}

static int check_language_map(struct walk *w, const json_t *v)
{
	if (!json_is_object(v))
		return fail(w, "must be a language map (an object of language tag: text)");
	const char *key;
	const json_t *text;
	json_object_foreach((json_t *)v, key, text) {
		size_t l = push_key(w, key);
		if (!lrs_is_language_tag(key))
			return fail(w, "is not an RFC 5646 language tag");
		if (!json_is_string(text))
			return fail(w, "must be a string");
		pop(w, l);
	}
	return 0;
}

static int field_language_map(struct walk *w, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	size_t l = push_key(w, key);
	int rc = check_language_map(w, v);
	pop(w, l);
	return rc;
}

static int check_extensions(struct walk *w, const json_t *obj)
{
	const json_t *v = json_object_get(obj, "extensions");
	if (!v)
		return 0;
	size_t l = push_key(w, "extensions");
	if (!json_is_object(v))
		return fail(w, "must be an object whose keys are IRIs");
	const char *key;
	const json_t *val;
	json_object_foreach((json_t *)v, key, val) {
		size_t k = push_key(w, key);
		if (!lrs_is_iri(key))
			return fail(w, "extension keys must be IRIs");
		pop(w, k);
	}
	pop(w, l);
	return 0;
}

/* Only the listed properties may appear. */
static int only_keys(struct walk *w, const json_t *obj, const char *const *allowed)
{
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, key) == 0;
		if (!ok) {
			size_t l = push_key(w, key);
			int rc = fail(w, "is not an allowed property here");
			pop(w, l);
			return rc;
		}
		if (json_is_null(v)) {
			size_t l = push_key(w, key);
			int rc = fail(w, "must not be null");
			pop(w, l);
			return rc;
		}
	}
	return 0;
}

static int field_string(struct walk *w, const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	if (v && !json_is_string(v)) {
		push_key(w, key);
		return fail(w, "must be a string");
	}
	return 0;
}

/* ---- agents and groups ---- */

static int check_account(struct walk *w, const json_t *a)
{
	static const char *const keys[] = { "homePage", "name", NULL };
	if (!json_is_object(a))
		return fail(w, "must be an object with homePage and name");
	if (only_keys(w, a, keys) != 0 || field_iri(w, a, "homePage", 1) != 0)
		return -1;
	const json_t *name = json_object_get(a, "name");
	if (!json_is_string(name)) {
		push_key(w, "name");
		return fail(w, "is required and must be a string");
	}
	return 0;
}

/* Counts and checks the inverse functional identifiers of obj. */
static int check_ifis(struct walk *w, const json_t *obj, int *count)
{
	*count = 0;
	const json_t *v;
	if ((v = json_object_get(obj, "mbox"))) {
		(*count)++;
		size_t l = push_key(w, "mbox");
		if (!json_is_string(v) || !lrs_is_mailto(json_string_value(v)))
			return fail(w, "must be a mailto: IRI (mailto:name@example.org)");
		pop(w, l);
	}
	if ((v = json_object_get(obj, "mbox_sha1sum"))) {
		(*count)++;
		size_t l = push_key(w, "mbox_sha1sum");
		const char *s = json_string_value(v);
		if (!s || strlen(s) != 40)
			return fail(w, "must be the 40 hex digits of a SHA-1 hash");
		for (int i = 0; i < 40; i++)
			if (!isxdigit((unsigned char)s[i]))
				return fail(w, "must be the 40 hex digits of a SHA-1 hash");
		pop(w, l);
	}
	if ((v = json_object_get(obj, "openid"))) {
		(*count)++;
		size_t l = push_key(w, "openid");
		if (check_iri(w, v, "openid") != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(obj, "account"))) {
		(*count)++;
		size_t l = push_key(w, "account");
		if (check_account(w, v) != 0)
			return -1;
		pop(w, l);
	}
	return 0;
}

static int check_agent(struct walk *w, const json_t *a);

static int check_group(struct walk *w, const json_t *g)
{
	static const char *const keys[] = { "objectType", "name", "member", "mbox", "mbox_sha1sum",
					    "openid", "account", NULL };
	if (only_keys(w, g, keys) != 0 || field_string(w, g, "name") != 0)
		return -1;
	int ifis;
	if (check_ifis(w, g, &ifis) != 0)
		return -1;
	if (ifis > 1)
		return fail(w, "a Group has at most one inverse functional identifier");
	const json_t *members = json_object_get(g, "member");
	if (members) {
		size_t l = push_key(w, "member");
		if (!json_is_array(members))
			return fail(w, "must be an array of Agents");
		size_t i;
		const json_t *m;
		json_array_foreach(members, i, m) {
			size_t k = push_index(w, i);
			const char *t = json_string_value(json_object_get(m, "objectType"));
			if (t && strcmp(t, "Group") == 0)
				return fail(w, "a Group's members must be Agents, not Groups");
			if (check_agent(w, m) != 0)
				return -1;
			pop(w, k);
		}
		pop(w, l);
	}
	if (ifis == 0 && (!json_is_array(members) || json_array_size(members) == 0))
		return fail(w, "an anonymous Group (no identifier) must list its members");
	return 0;
}

static int check_agent(struct walk *w, const json_t *a)
{
	static const char *const keys[] = { "objectType", "name", "mbox", "mbox_sha1sum", "openid",
					    "account", NULL };
	if (!json_is_object(a))
		return fail(w, "must be an Agent object");
	const json_t *t = json_object_get(a, "objectType");
	if (t && (!json_is_string(t) || strcmp(json_string_value(t), "Agent") != 0))
		return fail(w, "objectType must be \"Agent\"");
	if (only_keys(w, a, keys) != 0 || field_string(w, a, "name") != 0)
		return -1;
	int ifis;
	if (check_ifis(w, a, &ifis) != 0)
		return -1;
	if (ifis != 1)
		return fail(w, "an Agent needs exactly one of mbox, mbox_sha1sum, openid, account");
	return 0;
}

/* An Agent or a Group, told apart by objectType. */
static int check_actor(struct walk *w, const json_t *a)
{
	if (!json_is_object(a))
		return fail(w, "must be an Agent or Group object");
	const json_t *t = json_object_get(a, "objectType");
	if (t && json_is_string(t) && strcmp(json_string_value(t), "Group") == 0)
		return check_group(w, a);
	return check_agent(w, a);
}

static int field_actor(struct walk *w, const json_t *obj, const char *key, int group_only)
{
	const json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	size_t l = push_key(w, key);
	if (group_only) {
		const char *t = json_string_value(json_object_get(v, "objectType"));
		if (!t || strcmp(t, "Group") != 0)
			return fail(w, "must be a Group");
	}
	int rc = check_actor(w, v);
	pop(w, l);
	return rc;
}

int lrs_validate_agent_param(const json_t *agent, enum lrs_version v, struct lrs_verror *e)
{
	struct walk w = { .v = v, .e = e };
	memset(e, 0, sizeof(*e));
	if (check_actor(&w, agent) != 0)
		return -1;
	int ifis;
	if (check_ifis(&w, agent, &ifis) != 0)
		return -1;
	if (ifis != 1)
		return fail(&w, "needs exactly one inverse functional identifier");
	return 0;
}

/* ---- verb, activity, object ---- */

static int check_verb(struct walk *w, const json_t *verb)
{
	static const char *const keys[] = { "id", "display", NULL };
	if (!json_is_object(verb))
		return fail(w, "must be a Verb object with an id");
	if (only_keys(w, verb, keys) != 0 || field_iri(w, verb, "id", 1) != 0 ||
	    field_language_map(w, verb, "display") != 0)
		return -1;
	return 0;
}

static int is_one_of(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static int check_components(struct walk *w, const json_t *def, const char *type)
{
	static const char *const lists[] = { "choices", "scale", "source", "target", "steps", NULL };
	/* which component lists each interaction type may carry */
	static const struct {
		const char *type;
		const char *const allowed[3];
	} allowed[] = {
		{ "choice", { "choices", NULL, NULL } }, { "sequencing", { "choices", NULL, NULL } },
		{ "likert", { "scale", NULL, NULL } }, { "matching", { "source", "target", NULL } },
		{ "performance", { "steps", NULL, NULL } },
	};
	for (const char *const *l = lists; *l; l++) {
		const json_t *v = json_object_get(def, *l);
		if (!v)
			continue;
		size_t k = push_key(w, *l);
		int ok = 0;
		for (size_t i = 0; type && i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (strcmp(allowed[i].type, type) == 0)
				for (int j = 0; allowed[i].allowed[j]; j++)
					if (strcmp(allowed[i].allowed[j], *l) == 0)
						ok = 1;
		if (!ok)
			return fail(w, "is not allowed for interactionType %s", type ? type : "(none)");
		if (!json_is_array(v))
			return fail(w, "must be an array of interaction components");
		size_t i;
		const json_t *c;
		json_array_foreach(v, i, c) {
			size_t m = push_index(w, i);
			static const char *const ckeys[] = { "id", "description", NULL };
			if (!json_is_object(c) || only_keys(w, c, ckeys) != 0)
				return json_is_object(c) ? -1 : fail(w, "must be an object with id");
			const json_t *id = json_object_get(c, "id");
			if (!json_is_string(id) || !json_string_length(id))
				return fail(w, "id is required and must be a non-empty string");
			for (size_t j = 0; j < i; j++)
				if (json_equal(json_object_get(json_array_get(v, j), "id"), id))
					return fail(w, "id must be unique within the list");
			if (field_language_map(w, c, "description") != 0)
				return -1;
			pop(w, m);
		}
		pop(w, k);
	}
	return 0;
}

static int check_definition(struct walk *w, const json_t *def)
{
	static const char *const keys[] = { "name", "description", "type", "moreInfo", "extensions",
		"interactionType", "correctResponsesPattern", "choices", "scale", "source", "target",
		"steps", NULL };
	static const char *const types[] = { "true-false", "choice", "fill-in", "long-fill-in",
		"matching", "performance", "sequencing", "likert", "numeric", "other", NULL };
	if (!json_is_object(def))
		return fail(w, "must be an object");
	if (only_keys(w, def, keys) != 0 || field_language_map(w, def, "name") != 0 ||
	    field_language_map(w, def, "description") != 0 || field_iri(w, def, "type", 0) != 0 ||
	    field_iri(w, def, "moreInfo", 0) != 0 || check_extensions(w, def) != 0)
		return -1;
	const json_t *it = json_object_get(def, "interactionType");
	const char *type = NULL;
	if (it) {
		type = json_string_value(it);
		if (!type || !is_one_of(type, types)) {
			push_key(w, "interactionType");
			return fail(w, "must be one of true-false, choice, fill-in, long-fill-in, "
				    "matching, performance, sequencing, likert, numeric, other");
		}
	}
	const json_t *crp = json_object_get(def, "correctResponsesPattern");
	if (crp) {
		size_t l = push_key(w, "correctResponsesPattern");
		if (!type)
			return fail(w, "needs an interactionType");
		if (!json_is_array(crp))
			return fail(w, "must be an array of strings");
		size_t i;
		const json_t *s;
		json_array_foreach(crp, i, s)
			if (!json_is_string(s))
				return fail(w, "must be an array of strings");
		pop(w, l);
	}
	return check_components(w, def, type);
}

static int check_activity(struct walk *w, const json_t *a)
{
	static const char *const keys[] = { "objectType", "id", "definition", NULL };
	if (!json_is_object(a))
		return fail(w, "must be an Activity object");
	if (only_keys(w, a, keys) != 0 || field_iri(w, a, "id", 1) != 0)
		return -1;
	const json_t *t = json_object_get(a, "objectType");
	if (t && (!json_is_string(t) || strcmp(json_string_value(t), "Activity") != 0))
		return fail(w, "objectType must be \"Activity\"");
	const json_t *def = json_object_get(a, "definition");
	if (def) {
		size_t l = push_key(w, "definition");
		if (check_definition(w, def) != 0)
			return -1;
		pop(w, l);
	}
	return 0;
}

static int check_statement_ref(struct walk *w, const json_t *r)
{
	static const char *const keys[] = { "objectType", "id", NULL };
	if (!json_is_object(r) || only_keys(w, r, keys) != 0)
		return json_is_object(r) ? -1 : fail(w, "must be a StatementRef object");
	const char *t = json_string_value(json_object_get(r, "objectType"));
	if (!t || strcmp(t, "StatementRef") != 0)
		return fail(w, "objectType must be \"StatementRef\"");
	const char *id = json_string_value(json_object_get(r, "id"));
	if (!id || !lrs_is_uuid(id)) {
		push_key(w, "id");
		return fail(w, "must be a UUID");
	}
	return 0;
}

static int check_statement_body(struct walk *w, const json_t *s, int sub);

static int check_object(struct walk *w, const json_t *o, int sub)
{
	if (!json_is_object(o))
		return fail(w, "must be an object");
	const json_t *tv = json_object_get(o, "objectType");
	if (tv && !json_is_string(tv))
		return fail(w, "objectType must be a string");
	const char *t = json_string_value(tv);
	if (!t || strcmp(t, "Activity") == 0)
		return check_activity(w, o);
	if (strcmp(t, "Agent") == 0 || strcmp(t, "Group") == 0)
		return check_actor(w, o);
	if (strcmp(t, "StatementRef") == 0)
		return check_statement_ref(w, o);
	if (strcmp(t, "SubStatement") == 0) {
		if (sub)
			return fail(w, "a SubStatement must not contain another SubStatement");
		return check_statement_body(w, o, 1);
	}
	return fail(w, "objectType must be Activity, Agent, Group, StatementRef or SubStatement");
}

/* ---- result, context, attachments ---- */

static int check_result(struct walk *w, const json_t *r)
{
	static const char *const keys[] = { "score", "success", "completion", "response", "duration",
					    "extensions", NULL };
	if (!json_is_object(r))
		return fail(w, "must be an object");
	if (only_keys(w, r, keys) != 0 || check_extensions(w, r) != 0 ||
	    field_string(w, r, "response") != 0)
		return -1;
	const char *bools[] = { "success", "completion" };
	for (int i = 0; i < 2; i++) {
		const json_t *b = json_object_get(r, bools[i]);
		if (b && !json_is_boolean(b)) {
			push_key(w, bools[i]);
			return fail(w, "must be true or false");
		}
	}
	const json_t *d = json_object_get(r, "duration");
	if (d && (!json_is_string(d) || !lrs_is_duration(json_string_value(d)))) {
		push_key(w, "duration");
		return fail(w, "must be an ISO 8601 duration (e.g. PT1M30S)");
	}
	const json_t *score = json_object_get(r, "score");
	if (score) {
		static const char *const skeys[] = { "scaled", "raw", "min", "max", NULL };
		size_t l = push_key(w, "score");
		if (!json_is_object(score))
			return fail(w, "must be an object");
		if (only_keys(w, score, skeys) != 0)
			return -1;
		for (int i = 0; skeys[i]; i++) {
			const json_t *n = json_object_get(score, skeys[i]);
			if (n && !json_is_number(n)) {
				push_key(w, skeys[i]);
				return fail(w, "must be a number");
			}
		}
		const json_t *scaled = json_object_get(score, "scaled");
		if (scaled && (json_number_value(scaled) < -1 || json_number_value(scaled) > 1)) {
			push_key(w, "scaled");
			return fail(w, "must be between -1 and 1");
		}
		const json_t *raw = json_object_get(score, "raw");
		const json_t *min = json_object_get(score, "min"), *max = json_object_get(score, "max");
		if (min && max && json_number_value(min) >= json_number_value(max))
			return fail(w, "min must be less than max");
		if (raw && min && json_number_value(raw) < json_number_value(min)) {
			push_key(w, "raw");
			return fail(w, "must not be below min");
		}
		if (raw && max && json_number_value(raw) > json_number_value(max)) {
			push_key(w, "raw");
			return fail(w, "must not be above max");
		}
		pop(w, l);
	}
	return 0;
}

static int check_context_activities(struct walk *w, const json_t *ca)
{
	static const char *const keys[] = { "parent", "grouping", "category", "other", NULL };
	if (!json_is_object(ca))
		return fail(w, "must be an object");
	if (only_keys(w, ca, keys) != 0)
		return -1;
	for (int k = 0; keys[k]; k++) {
		const json_t *v = json_object_get(ca, keys[k]);
		if (!v)
			continue;
		size_t l = push_key(w, keys[k]);
		if (json_is_object(v)) {
			if (check_activity(w, v) != 0)
				return -1;
		} else if (json_is_array(v)) {
			size_t i;
			const json_t *a;
			json_array_foreach(v, i, a) {
				size_t m = push_index(w, i);
				if (check_activity(w, a) != 0)
					return -1;
				pop(w, m);
			}
		} else {
			return fail(w, "must be an Activity or an array of Activities");
		}
		pop(w, l);
	}
	return 0;
}

static int check_context_list(struct walk *w, const json_t *ctx, const char *key,
			      const char *type, const char *member)
{
	const json_t *list = json_object_get(ctx, key);
	if (!list)
		return 0;
	size_t l = push_key(w, key);
	if (!json_is_array(list))
		return fail(w, "must be an array");
	size_t i;
	const json_t *c;
	json_array_foreach(list, i, c) {
		size_t m = push_index(w, i);
		const char *const keys[] = { "objectType", member, "relevantTypes", NULL };
		if (!json_is_object(c) || only_keys(w, c, keys) != 0)
			return json_is_object(c) ? -1 : fail(w, "must be an object");
		const char *t = json_string_value(json_object_get(c, "objectType"));
		if (!t || strcmp(t, type) != 0)
			return fail(w, "objectType must be \"%s\"", type);
		const json_t *who = json_object_get(c, member);
		if (!who)
			return fail(w, "%s is required", member);
		if (field_actor(w, c, member, strcmp(member, "group") == 0) != 0)
			return -1;
		const json_t *rt = json_object_get(c, "relevantTypes");
		if (rt) {
			size_t k = push_key(w, "relevantTypes");
			if (!json_is_array(rt) || json_array_size(rt) == 0)
				return fail(w, "must be a non-empty array of IRIs");
			size_t j;
			const json_t *iri;
			json_array_foreach(rt, j, iri)
				if (check_iri(w, iri, "each relevant type") != 0)
					return -1;
			pop(w, k);
		}
		pop(w, m);
	}
	pop(w, l);
	return 0;
}

static int check_context(struct walk *w, const json_t *ctx, const json_t *object)
{
	static const char *const keys103[] = { "registration", "instructor", "team",
		"contextActivities", "revision", "platform", "language", "statement", "extensions", NULL };
	static const char *const keys200[] = { "registration", "instructor", "team",
		"contextActivities", "revision", "platform", "language", "statement", "extensions",
		"contextAgents", "contextGroups", NULL };
	if (!json_is_object(ctx))
		return fail(w, "must be an object");
	if (only_keys(w, ctx, w->v == LRS_V200 ? keys200 : keys103) != 0 ||
	    check_extensions(w, ctx) != 0 || field_string(w, ctx, "revision") != 0 ||
	    field_string(w, ctx, "platform") != 0)
		return -1;
	const json_t *reg = json_object_get(ctx, "registration");
	if (reg && (!json_is_string(reg) || !lrs_is_uuid(json_string_value(reg)))) {
		push_key(w, "registration");
		return fail(w, "must be a UUID");
	}
	const json_t *lang = json_object_get(ctx, "language");
	if (lang && (!json_is_string(lang) || !lrs_is_language_tag(json_string_value(lang)))) {
		push_key(w, "language");
		return fail(w, "must be an RFC 5646 language tag");
	}
	const char *otype = json_string_value(json_object_get(object, "objectType"));
	int object_is_activity = !otype || strcmp(otype, "Activity") == 0;
	if (!object_is_activity && (json_object_get(ctx, "revision") || json_object_get(ctx, "platform")))
		return fail(w, "revision and platform are only allowed when the object is an Activity");
	if (field_actor(w, ctx, "instructor", 0) != 0 || field_actor(w, ctx, "team", 1) != 0)
		return -1;
	const json_t *ca = json_object_get(ctx, "contextActivities");
	if (ca) {
		size_t l = push_key(w, "contextActivities");
		if (check_context_activities(w, ca) != 0)
			return -1;
		pop(w, l);
	}
	const json_t *st = json_object_get(ctx, "statement");
	if (st) {
		size_t l = push_key(w, "statement");
		if (check_statement_ref(w, st) != 0)
			return -1;
		pop(w, l);
	}
	if (check_context_list(w, ctx, "contextAgents", "contextAgent", "agent") != 0 ||
	    check_context_list(w, ctx, "contextGroups", "contextGroup", "group") != 0)
		return -1;
	return 0;
}

/* RFC 6838 type "/" subtype, then optional "; name=value" parameters. */
static int is_media_type(const char *s)
{
	static const char token[] = "!#$&-^_.+";
	for (int part = 0; part < 2; part++) {
		size_t n = 0;
		for (; *s && (isalnum((unsigned char)*s) || strchr(token, *s)); s++)
			n++;
		if (n == 0 || n > 127)
			return 0;
		if (part == 0 && *s++ != '/')
			return 0;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 1;
	if (*s != ';')
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int check_attachments(struct walk *w, const json_t *list)
{
	static const char *const keys[] = { "usageType", "display", "description", "contentType",
					    "length", "sha2", "fileUrl", NULL };
	if (!json_is_array(list))
		return fail(w, "must be an array");
	size_t i;
	const json_t *a;
	json_array_foreach(list, i, a) {
		size_t l = push_index(w, i);
		if (!json_is_object(a))
			return fail(w, "must be an object");
		if (only_keys(w, a, keys) != 0 || field_iri(w, a, "usageType", 1) != 0 ||
		    field_language_map(w, a, "description") != 0)
			return -1;
		const json_t *display = json_object_get(a, "display");
		if (!display) {
			push_key(w, "display");
			return fail(w, "is required");
		}
		if (field_language_map(w, a, "display") != 0)
			return -1;
		const char *ct = json_string_value(json_object_get(a, "contentType"));
		if (!ct || !is_media_type(ct)) {
			push_key(w, "contentType");
			return fail(w, "is required and must be an Internet media type");
		}
		const json_t *len = json_object_get(a, "length");
		if (!json_is_integer(len) || json_integer_value(len) < 0) {
			push_key(w, "length");
			return fail(w, "is required and must be a whole number of bytes");
		}
		const char *sha2 = json_string_value(json_object_get(a, "sha2"));
		if (!sha2) {
			push_key(w, "sha2");
			return fail(w, "is required and must be a string");
		}
		const json_t *url = json_object_get(a, "fileUrl");
		if (url && check_iri(w, url, "fileUrl") != 0)
			return -1;
		pop(w, l);
	}
	return 0;
}

/* ---- statements ---- */

static int check_version(struct walk *w, const json_t *v)
{
	const char *s = json_string_value(v);
	if (!s)
		return fail(w, "must be a string");
	int ok = strncmp(s, "1.0", 3) == 0 && (s[3] == '\0' || (s[3] == '.' && digits(s + 4, 1)));
	if (w->v == LRS_V200)
		ok = ok || (strncmp(s, "2.0", 3) == 0 && (s[3] == '\0' || (s[3] == '.' && digits(s + 4, 1))));
	if (!ok)
		return fail(w, "must be a supported xAPI version (%s)", w->v == LRS_V200 ? "1.0.x or 2.0.x" : "1.0.x");
	return 0;
}

static int check_timestamp(struct walk *w, const json_t *v)
{
	const char *s = json_string_value(v);
	long long ms;
	int zone, negzero;
	if (!s || parse_time(s, &ms, &zone, &negzero) != 0)
		return fail(w, "must be an ISO 8601 date-time");
	if (negzero)
		return fail(w, "the offset -00:00 is not allowed");
	if (w->v == LRS_V200 && !zone)
		return fail(w, "must include a time zone (Z or an offset)");
	return 0;
}

static int check_statement_body(struct walk *w, const json_t *s, int sub)
{
	static const char *const keys[] = { "id", "actor", "verb", "object", "result", "context",
		"timestamp", "stored", "authority", "version", "attachments", "objectType", NULL };
	static const char *const sub_keys[] = { "actor", "verb", "object", "result", "context",
		"timestamp", "attachments", "objectType", NULL };
	if (!json_is_object(s))
		return fail(w, "must be a statement object");
	if (only_keys(w, s, sub ? sub_keys : keys) != 0)
		return -1;
	if (!sub && json_object_get(s, "objectType"))
		return fail(w, "a statement has no objectType (only SubStatements do)");
	const json_t *id = json_object_get(s, "id");
	if (id && (!json_is_string(id) || !lrs_is_uuid(json_string_value(id)))) {
		push_key(w, "id");
		return fail(w, "must be a UUID");
	}
	static const char *const required[] = { "actor", "verb", "object" };
	for (int i = 0; i < 3; i++)
		if (!json_object_get(s, required[i])) {
			push_key(w, required[i]);
			return fail(w, "is required");
		}
	size_t l = push_key(w, "actor");
	if (check_actor(w, json_object_get(s, "actor")) != 0)
		return -1;
	pop(w, l);
	l = push_key(w, "verb");
	if (check_verb(w, json_object_get(s, "verb")) != 0)
		return -1;
	pop(w, l);
	l = push_key(w, "object");
	if (check_object(w, json_object_get(s, "object"), sub) != 0)
		return -1;
	pop(w, l);
	const json_t *v;
	if ((v = json_object_get(s, "result"))) {
		l = push_key(w, "result");
		if (check_result(w, v) != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(s, "context"))) {
		l = push_key(w, "context");
		if (check_context(w, v, json_object_get(s, "object")) != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(s, "timestamp"))) {
		l = push_key(w, "timestamp");
		if (check_timestamp(w, v) != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(s, "stored"))) {
		l = push_key(w, "stored");
		if (check_timestamp(w, v) != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(s, "authority"))) {
		l = push_key(w, "authority");
		if (check_actor(w, v) != 0)
			return -1;
		const char *t = json_string_value(json_object_get(v, "objectType"));
		if (t && strcmp(t, "Group") == 0) {
			const json_t *m = json_object_get(v, "member");
			if (json_array_size(m) != 2)
				return fail(w, "a Group authority must have exactly two Agent members (OAuth)");
			static const char *const ifis[] = { "mbox", "mbox_sha1sum", "openid", "account", NULL };
			for (int i = 0; ifis[i]; i++)
				if (json_object_get(v, ifis[i]))
					return fail(w, "a Group authority is an anonymous OAuth pair: it must not have %s",
						    ifis[i]);
		}
		pop(w, l);
	}
	if ((v = json_object_get(s, "version"))) {
		l = push_key(w, "version");
		if (check_version(w, v) != 0)
			return -1;
		pop(w, l);
	}
	if ((v = json_object_get(s, "attachments"))) {
		l = push_key(w, "attachments");
		if (check_attachments(w, v) != 0)
			return -1;
		pop(w, l);
	}
	/* A voiding statement must target a statement. */
	const char *verb = json_string_value(json_object_get(json_object_get(s, "verb"), "id"));
	if (!sub && verb && strcmp(verb, "http://adlnet.gov/expapi/verbs/voided") == 0) {
		const char *t = json_string_value(json_object_get(json_object_get(s, "object"), "objectType"));
		if (!t || strcmp(t, "StatementRef") != 0) {
			push_key(w, "object");
			return fail(w, "a voiding statement's object must be a StatementRef");
		}
	}
	return 0;
}

int lrs_validate_statement(const json_t *statement, enum lrs_version v, const char *path_prefix,
			   struct lrs_verror *e)
{
	struct walk w = { .v = v, .e = e };
	memset(e, 0, sizeof(*e));
	size_t len = path_prefix ? strnlen(path_prefix, sizeof(w.path) - 1) : 0;
	memcpy(w.path, path_prefix ? path_prefix : "", len);
	w.path[len] = '\0';
	return check_statement_body(&w, statement, 0);
}
