/* scim_filter.c: the SCIM filter and path language (see scim_filter.h).
 *
 * A recursive-descent parser over the RFC 7644 grammar, with "or" binding
 * looser than "and", "and" looser than "not", and parentheses for
 * grouping. Operators and the literals true/false/null are
 * case-insensitive; strings are JSON strings (jansson decodes them, so
 * escapes and UTF-8 are checked). Nesting is bounded so a hostile filter
 * cannot exhaust the request thread's stack. */
#include "scim_filter.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

struct parser {
	const char *s;
	size_t pos, len;
	int depth;
	char *err;
	size_t errsize;
	int failed;
};

static void fail(struct parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct parser *p, const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errsize, "at character %zu: %s", p->pos + 1, msg);
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

static int at_end(struct parser *p)
{
	return p->pos >= p->len;
}

static char peek(struct parser *p)
{
	return p->pos < p->len ? p->s[p->pos] : '\0';
}

/* 1 when the word w (case-insensitive) is next and ends there. */
static int word_is(struct parser *p, const char *w)
{
	size_t n = strlen(w);
	if (p->len - p->pos < n || strncasecmp(p->s + p->pos, w, n) != 0)
		return 0;
	char after = p->pos + n < p->len ? p->s[p->pos + n] : '\0';
	return after == '\0' || after == ' ' || after == '\t' || after == '(' || after == ')' ||
	       after == '[' || after == ']' || after == '"';
}

static int path_char(char c)
{
	return isalnum((unsigned char)c) || c == ':' || c == '.' || c == '_' || c == '-' || c == '$';
}

static int valid_name(const char *s)
{
	if (strcmp(s, "$ref") == 0)
		return 1;
	if (!isalpha((unsigned char)s[0]))
		return 0;
	for (const char *c = s + 1; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return 0;
	return 1;
}

void scim_path_clear(struct scim_path *p)
{
	free(p->uri);
	free(p->attr);
	free(p->sub);
	scim_filter_free(p->filter);
	memset(p, 0, sizeof(*p));
}

/* Splits "[uri:]attr[.sub]" (len bytes at text) into p. */
static int split_path(struct parser *ps, const char *text, size_t len, struct scim_path *p)
{
	char buf[SCIM_FILTER_MAX_LEN + 1];
	if (len == 0) {
		fail(ps, "an attribute name is missing");
		return -1;
	}
	if (len > SCIM_FILTER_MAX_LEN) {
		fail(ps, "the attribute path is too long");
		return -1;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	char *name = buf;
	char *colon = strrchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (strncasecmp(buf, "urn:", 4) != 0 || !buf[4]) {
			fail(ps, "\"%.64s\" is not a schema URN", buf);
			return -1;
		}
		p->uri = strdup(buf);
		name = colon + 1;
	}
	char *dot = strchr(name, '.');
	if (dot) {
		*dot = '\0';
		if (!valid_name(dot + 1)) {
			fail(ps, "\"%.64s\" is not a valid sub-attribute name", dot + 1);
			return -1;
		}
		p->sub = strdup(dot + 1);
	}
	if (!valid_name(name)) {
		fail(ps, "\"%.64s\" is not a valid attribute name", name);
		return -1;
	}
	p->attr = strdup(name);
	if (!p->attr || (colon && !p->uri) || (dot && !p->sub)) {
		fail(ps, "out of memory");
		return -1;
	}
	return 0;
}

static int read_path(struct parser *ps, struct scim_path *p)
{
	size_t start = ps->pos;
	while (ps->pos < ps->len && path_char(ps->s[ps->pos]))
		ps->pos++;
	size_t len = ps->pos - start;
	size_t keep = ps->pos;
	ps->pos = start;
	if (split_path(ps, ps->s + start, len, p) != 0)
		return -1;
	ps->pos = keep;
	return 0;
}

static json_t *read_value(struct parser *p)
{
	size_t start = p->pos;
	char c = peek(p);
	if (c == '"') {
		p->pos++;
		while (p->pos < p->len && p->s[p->pos] != '"') {
			if (p->s[p->pos] == '\\')
				p->pos++;
			p->pos++;
		}
		if (p->pos >= p->len) {
			p->pos = start;
			fail(p, "the string is not closed");
			return NULL;
		}
		p->pos++;
	} else if (c == '-' || isdigit((unsigned char)c)) {
		while (p->pos < p->len && strchr("+-0123456789.eE", p->s[p->pos]))
			p->pos++;
	} else {
		static const char *const lits[] = { "true", "false", "null" };
		for (int i = 0; i < 3; i++)
			if (word_is(p, lits[i])) {
				p->pos += strlen(lits[i]);
				return i == 0 ? json_true() : i == 1 ? json_false() : json_null();
			}
		fail(p, "expected a value (a \"string\", a number, true, false or null)");
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(p->s + start, p->pos - start, JSON_DECODE_ANY, &jerr);
	if (!v || json_is_array(v) || json_is_object(v)) {
		json_decref(v);
		p->pos = start;
		fail(p, "the value is not a valid JSON string or number");
		return NULL;
	}
	return v;
}

static const struct {
	const char *name;
	enum scim_fop op;
} compare_ops[] = {
	{ "eq", SCIM_F_EQ }, { "ne", SCIM_F_NE }, { "co", SCIM_F_CO }, { "sw", SCIM_F_SW },
	{ "ew", SCIM_F_EW }, { "gt", SCIM_F_GT }, { "lt", SCIM_F_LT }, { "ge", SCIM_F_GE },
	{ "le", SCIM_F_LE }, { "pr", SCIM_F_PR },
};

static struct scim_filter *node(enum scim_fop op)
{
	struct scim_filter *f = calloc(1, sizeof(*f));
	if (f)
		f->op = op;
	return f;
}

static struct scim_filter *parse_or(struct parser *p, int in_value);

/* "(" filter ")" after the "(" was seen. */
static struct scim_filter *parse_group(struct parser *p, int in_value, char close)
{
	if (++p->depth > SCIM_FILTER_MAX_DEPTH) {
		fail(p, "the filter nests deeper than %d levels", SCIM_FILTER_MAX_DEPTH);
		return NULL;
	}
	struct scim_filter *f = parse_or(p, in_value);
	p->depth--;
	if (!f)
		return NULL;
	skip_ws(p);
	if (peek(p) != close) {
		fail(p, "expected '%c'", close);
		scim_filter_free(f);
		return NULL;
	}
	p->pos++;
	return f;
}

static struct scim_filter *parse_attr_exp(struct parser *p, int in_value)
{
	struct scim_filter *f = node(SCIM_F_EQ);
	if (!f) {
		fail(p, "out of memory");
		return NULL;
	}
	if (read_path(p, &f->path) != 0)
		goto bad;
	if (peek(p) == '[') {
		if (in_value) {
			fail(p, "a value filter cannot contain another value filter");
			goto bad;
		}
		if (f->path.sub) {
			fail(p, "a value filter applies to an attribute, not to a sub-attribute");
			goto bad;
		}
		p->pos++;
		f->op = SCIM_F_VALUEPATH;
		f->left = parse_group(p, 1, ']');
		if (!f->left)
			goto bad;
		return f;
	}
	size_t before = p->pos;
	skip_ws(p);
	if (p->pos == before) {
		fail(p, "expected a space and an operator after the attribute");
		goto bad;
	}
	size_t i;
	for (i = 0; i < sizeof(compare_ops) / sizeof(compare_ops[0]); i++)
		if (word_is(p, compare_ops[i].name))
			break;
	if (i == sizeof(compare_ops) / sizeof(compare_ops[0])) {
		fail(p, "expected an operator (eq, ne, co, sw, ew, gt, lt, ge, le or pr)");
		goto bad;
	}
	f->op = compare_ops[i].op;
	p->pos += 2;
	if (f->op == SCIM_F_PR)
		return f;
	before = p->pos;
	skip_ws(p);
	if (p->pos == before) {
		fail(p, "expected a space and a value after the operator");
		goto bad;
	}
	f->value = read_value(p);
	if (!f->value)
		goto bad;
	return f;
bad:
	scim_filter_free(f);
	return NULL;
}

static struct scim_filter *parse_unary(struct parser *p, int in_value)
{
	skip_ws(p);
	if (at_end(p)) {
		fail(p, "the filter ends where an expression should be");
		return NULL;
	}
	if (peek(p) == '(') {
		p->pos++;
		return parse_group(p, in_value, ')');
	}
	if (word_is(p, "not")) {
		size_t save = p->pos;
		p->pos += 3;
		skip_ws(p);
		if (peek(p) == '(') {
			p->pos++;
			struct scim_filter *inner = parse_group(p, in_value, ')');
			if (!inner)
				return NULL;
			struct scim_filter *f = node(SCIM_F_NOT);
			if (!f) {
				scim_filter_free(inner);
				fail(p, "out of memory");
				return NULL;
			}
			f->left = inner;
			return f;
		}
		p->pos = save; /* an attribute called "not" */
	}
	return parse_attr_exp(p, in_value);
}

static struct scim_filter *join(struct parser *p, enum scim_fop op, struct scim_filter *l,
				struct scim_filter *r)
{
	struct scim_filter *f = node(op);
	if (!f) {
		scim_filter_free(l);
		scim_filter_free(r);
		fail(p, "out of memory");
		return NULL;
	}
	f->left = l;
	f->right = r;
	return f;
}

/* Reads " and " / " or " if next: needs white space before it. */
static int logical(struct parser *p, const char *w)
{
	size_t save = p->pos;
	skip_ws(p);
	if (p->pos > save && word_is(p, w)) {
		p->pos += strlen(w);
		return 1;
	}
	p->pos = save;
	return 0;
}

static struct scim_filter *parse_and(struct parser *p, int in_value)
{
	struct scim_filter *l = parse_unary(p, in_value);
	int n = 0;
	while (l && logical(p, "and")) {
		if (++n > 1000) {
			fail(p, "too many conditions");
			scim_filter_free(l);
			return NULL;
		}
		struct scim_filter *r = parse_unary(p, in_value);
		if (!r) {
			scim_filter_free(l);
			return NULL;
		}
		l = join(p, SCIM_F_AND, l, r);
	}
	return l;
}

static struct scim_filter *parse_or(struct parser *p, int in_value)
{
	struct scim_filter *l = parse_and(p, in_value);
	int n = 0;
	while (l && logical(p, "or")) {
		if (++n > 1000) {
			fail(p, "too many conditions");
			scim_filter_free(l);
			return NULL;
		}
		struct scim_filter *r = parse_and(p, in_value);
		if (!r) {
			scim_filter_free(l);
			return NULL;
		}
		l = join(p, SCIM_F_OR, l, r);
	}
	return l;
}

static int check_text(struct parser *p, const char *text)
{
	if (!text) {
		fail(p, "no filter");
		return -1;
	}
	if (p->len > SCIM_FILTER_MAX_LEN) {
		fail(p, "the filter is longer than %d characters", SCIM_FILTER_MAX_LEN);
		return -1;
	}
	if (memchr(text, '\0', p->len)) {
		fail(p, "NUL in filter");
		return -1;
	}
	return 0;
}

struct scim_filter *scim_filter_parse(const char *text, char *err, size_t errsize)
{
	struct parser p = { text, 0, text ? strlen(text) : 0, 0, err, errsize, 0 };
	if (check_text(&p, text) != 0)
		return NULL;
	struct scim_filter *f = parse_or(&p, 0);
	if (f) {
		skip_ws(&p);
		if (!at_end(&p)) {
			fail(&p, "unexpected \"%.20s\"", p.s + p.pos);
			scim_filter_free(f);
			return NULL;
		}
	}
	return f;
}

int scim_path_parse(const char *text, struct scim_path *out, char *err, size_t errsize)
{
	struct parser p = { text, 0, text ? strlen(text) : 0, 0, err, errsize, 0 };
	memset(out, 0, sizeof(*out));
	if (check_text(&p, text) != 0)
		return -1;
	skip_ws(&p);
	/* The name part stops at '[' (a value filter) or the end. */
	size_t start = p.pos;
	while (p.pos < p.len && path_char(p.s[p.pos]))
		p.pos++;
	size_t name_end = p.pos;
	if (peek(&p) == '[') {
		p.pos = start;
		if (split_path(&p, p.s + start, name_end - start, out) != 0)
			goto bad;
		if (out->sub) {
			fail(&p, "a value filter applies to an attribute, not to a sub-attribute");
			goto bad;
		}
		p.pos = name_end + 1;
		out->filter = parse_group(&p, 1, ']');
		if (!out->filter)
			goto bad;
		if (peek(&p) == '.') {
			p.pos++;
			size_t s = p.pos;
			while (p.pos < p.len && path_char(p.s[p.pos]))
				p.pos++;
			char name[128];
			size_t n = p.pos - s;
			if (n == 0 || n >= sizeof(name)) {
				fail(&p, "expected a sub-attribute after '.'");
				goto bad;
			}
			memcpy(name, p.s + s, n);
			name[n] = '\0';
			if (!valid_name(name)) {
				fail(&p, "\"%.64s\" is not a valid sub-attribute name", name);
				goto bad;
			}
			out->sub = strdup(name);
		}
	} else {
		p.pos = start;
		if (split_path(&p, p.s + start, name_end - start, out) != 0)
			goto bad;
		p.pos = name_end;
	}
	skip_ws(&p);
	if (!at_end(&p)) {
		fail(&p, "unexpected \"%.20s\" in the path", p.s + p.pos);
		goto bad;
	}
	return 0;
bad:
	scim_path_clear(out);
	return -1;
}

/* Recursion over the tree is bounded: a filter has at most
 * SCIM_FILTER_MAX_LEN characters, and every condition takes several. */
void scim_filter_free(struct scim_filter *f)
{
	if (!f)
		return;
	scim_filter_free(f->left);
	scim_filter_free(f->right);
	scim_path_clear(&f->path);
	json_decref(f->value);
	free(f);
}

/* ---- binding ---- */

int scim_path_bind(struct scim_path *p, const struct scim_resource_type *rt,
		   const struct scim_attr *parent, char *err, size_t errsize)
{
	p->schema = NULL;
	p->a = p->s = NULL;
	p->in_element = parent != NULL;
	p->in_extension = 0;
	if (parent) {
		if (p->uri || p->sub) {
			snprintf(err, errsize, "inside [...] name a sub-attribute of %s", parent->name);
			return -1;
		}
		p->a = scim_attr_find(parent->sub, p->attr);
		if (!p->a) {
			snprintf(err, errsize, "%s has no sub-attribute %.64s", parent->name, p->attr);
			return -1;
		}
		return 0;
	}
	if (p->uri) {
		p->schema = scim_schema_of(rt, p->uri);
		if (!p->schema) {
			snprintf(err, errsize, "%.128s is not a schema of %s", p->uri, rt->id);
			return -1;
		}
		p->a = scim_attr_find(p->schema->attrs, p->attr);
		if (!p->a && p->schema == rt->schema && (p->a = scim_attr_find(scim_common_attrs, p->attr)))
			p->schema = NULL;
	} else if ((p->a = scim_attr_find(scim_common_attrs, p->attr))) {
		p->schema = NULL;
	} else if ((p->a = scim_attr_find(rt->schema->attrs, p->attr))) {
		p->schema = rt->schema;
	} else if (rt->extension && (p->a = scim_attr_find(rt->extension->attrs, p->attr))) {
		p->schema = rt->extension;
	}
	if (!p->a) {
		snprintf(err, errsize, "%s has no attribute %.64s", rt->id, p->attr);
		return -1;
	}
	p->in_extension = p->schema && p->schema == rt->extension;
	if (p->sub) {
		p->s = p->a->type == SCIM_COMPLEX ? scim_attr_find(p->a->sub, p->sub) : NULL;
		if (!p->s) {
			snprintf(err, errsize, "%s has no sub-attribute %.64s", p->a->name, p->sub);
			return -1;
		}
	}
	if (p->filter) {
		if (p->a->type != SCIM_COMPLEX || !p->a->multi) {
			snprintf(err, errsize, "%s is not a multi-valued complex attribute", p->a->name);
			return -1;
		}
		return scim_filter_bind(p->filter, rt, p->a, err, errsize);
	}
	return 0;
}

static int parse_time(const char *s, long long *ms);

int scim_filter_bind(struct scim_filter *f, const struct scim_resource_type *rt,
		     const struct scim_attr *parent, char *err, size_t errsize)
{
	for (; f; f = f->right) {
		switch (f->op) {
		case SCIM_F_AND:
		case SCIM_F_OR:
			if (scim_filter_bind(f->left, rt, parent, err, errsize) != 0)
				return -1;
			continue; /* the right side: next round */
		case SCIM_F_NOT:
			return scim_filter_bind(f->left, rt, parent, err, errsize);
		case SCIM_F_VALUEPATH:
			if (scim_path_bind(&f->path, rt, parent, err, errsize) != 0)
				return -1;
			if (f->path.a->type != SCIM_COMPLEX) {
				snprintf(err, errsize, "%s is not a complex attribute", f->path.a->name);
				return -1;
			}
			return scim_filter_bind(f->left, rt, f->path.a, err, errsize);
		default:
			break;
		}
		if (scim_path_bind(&f->path, rt, parent, err, errsize) != 0)
			return -1;
		if (f->op == SCIM_F_PR)
			return 0;
		const struct scim_attr *t = f->path.s ? f->path.s : f->path.a;
		if (t->type == SCIM_COMPLEX) {
			const struct scim_attr *v = t->multi ? scim_attr_find(t->sub, "value") : NULL;
			if (!v) {
				snprintf(err, errsize, "%s is complex: compare one of its sub-attributes", t->name);
				return -1;
			}
			t = v;
		}
		const json_t *v = f->value;
		int ok;
		if (json_is_null(v))
			ok = f->op == SCIM_F_EQ || f->op == SCIM_F_NE;
		else if (t->type == SCIM_BOOLEAN)
			ok = json_is_boolean(v) && (f->op == SCIM_F_EQ || f->op == SCIM_F_NE);
		else if (t->type == SCIM_INTEGER || t->type == SCIM_DECIMAL)
			ok = json_is_number(v) && f->op != SCIM_F_CO && f->op != SCIM_F_SW &&
			     f->op != SCIM_F_EW;
		else
			ok = json_is_string(v) &&
			     (t->type != SCIM_BINARY || f->op == SCIM_F_EQ || f->op == SCIM_F_NE);
		if (!ok) {
			snprintf(err, errsize, "this comparison does not suit %s (%s)", t->name,
				 t->type == SCIM_BOOLEAN ? "true or false, with eq or ne"
				 : t->type == SCIM_INTEGER || t->type == SCIM_DECIMAL ? "a number"
				 : "a string");
			return -1;
		}
		long long ms;
		if (t->type == SCIM_DATETIME && json_is_string(v) && f->op != SCIM_F_CO &&
		    f->op != SCIM_F_SW && f->op != SCIM_F_EW && parse_time(json_string_value(v), &ms) != 0) {
			snprintf(err, errsize, "%s takes a date and time like 2026-01-31T12:00:00Z", t->name);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* ---- matching ---- */

/* ISO 8601 date-time with optional fraction and zone, to ms since 1970. */
static int parse_time(const char *s, long long *ms)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19)
		return -1;
	const char *p = s + n;
	long long frac = 0;
	if (*p == '.') {
		int digits = 0;
		for (p++; isdigit((unsigned char)*p); p++, digits++)
			if (digits < 3)
				frac = frac * 10 + (*p - '0');
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			frac *= 10;
	}
	long offset = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om;
		if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2)
			return -1;
		offset = (oh * 60L + om) * 60L * (*p == '-' ? -1 : 1);
		p += 6;
	} else if (*p) {
		return -1;
	}
	if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*ms = ((long long)timegm(&tm) - offset) * 1000 + frac;
	return 0;
}

/* Folds ASCII and the Latin-1 letters (Æ Ø Å É ...) to lower case, so
 * case-insensitive comparisons work for Norwegian names. */
static char *fold(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		else if (c == 0xC3 && i + 1 < n) {
			unsigned char c2 = (unsigned char)s[i + 1];
			out[i++] = (char)c;
			c = (c2 >= 0x80 && c2 <= 0x9E && c2 != 0x97) ? (unsigned char)(c2 + 0x20) : c2;
		}
		out[i] = (char)c;
	}
	return out;
}

static int compare_strings(enum scim_fop op, const char *x, const char *y, int exact)
{
	char *fx = exact ? (char *)x : fold(x);
	char *fy = exact ? (char *)y : fold(y);
	int r = 0;
	if (fx && fy) {
		size_t lx = strlen(fx), ly = strlen(fy);
		int c = strcmp(fx, fy);
		switch (op) {
		case SCIM_F_EQ: r = c == 0; break;
		case SCIM_F_CO: r = strstr(fx, fy) != NULL; break;
		case SCIM_F_SW: r = strncmp(fx, fy, ly) == 0; break;
		case SCIM_F_EW: r = lx >= ly && strcmp(fx + lx - ly, fy) == 0; break;
		case SCIM_F_GT: r = c > 0; break;
		case SCIM_F_GE: r = c >= 0; break;
		case SCIM_F_LT: r = c < 0; break;
		case SCIM_F_LE: r = c <= 0; break;
		default: break;
		}
	}
	if (!exact) {
		free(fx);
		free(fy);
	}
	return r;
}

static int ordered(enum scim_fop op, double c)
{
	switch (op) {
	case SCIM_F_EQ: return c == 0;
	case SCIM_F_GT: return c > 0;
	case SCIM_F_GE: return c >= 0;
	case SCIM_F_LT: return c < 0;
	case SCIM_F_LE: return c <= 0;
	default: return 0;
	}
}

/* One value x of attribute t against the filter's value (op is never NE). */
static int compare_one(const struct scim_attr *t, enum scim_fop op, const json_t *x, const json_t *v)
{
	if (!x || json_is_null(x))
		return json_is_null(v) && op == SCIM_F_EQ;
	if (json_is_null(v))
		return 0;
	if (t->type == SCIM_BOOLEAN)
		return json_is_boolean(x) && json_is_true(x) == json_is_true(v);
	if (t->type == SCIM_INTEGER || t->type == SCIM_DECIMAL) {
		if (!json_is_number(x))
			return 0;
		if (json_is_integer(x) && json_is_integer(v)) {
			json_int_t a = json_integer_value(x), b = json_integer_value(v);
			return ordered(op, a < b ? -1 : a > b ? 1 : 0);
		}
		return ordered(op, json_number_value(x) - json_number_value(v));
	}
	if (!json_is_string(x))
		return 0;
	long long a, b;
	if (t->type == SCIM_DATETIME && op != SCIM_F_CO && op != SCIM_F_SW && op != SCIM_F_EW &&
	    parse_time(json_string_value(x), &a) == 0 && parse_time(json_string_value(v), &b) == 0)
		return ordered(op, a < b ? -1 : a > b ? 1 : 0);
	return compare_strings(op, json_string_value(x), json_string_value(v), t->case_exact);
}

static int present(const json_t *x)
{
	if (!x || json_is_null(x))
		return 0;
	if (json_is_string(x))
		return json_string_length(x) > 0;
	if (json_is_array(x))
		return json_array_size(x) > 0;
	if (json_is_object(x))
		return json_object_size(x) > 0;
	return 1;
}

/* Core and common attributes sit at the top of a resource, extension
 * attributes in an object under the extension's URN. */
static const json_t *container_of(const struct scim_path *p, const json_t *res)
{
	if (p->in_extension)
		return json_object_get(res, p->schema->id);
	return res;
}

json_t *scim_path_get(const struct scim_path *p, const json_t *res)
{
	const json_t *c = container_of(p, res);
	json_t *v = c ? json_object_get(c, p->a->name) : NULL;
	if (!p->s || !v)
		return v;
	return json_is_object(v) ? json_object_get(v, p->s->name) : NULL;
}

/* Compare or pr of one bound path against res, over every value of a
 * multi-valued attribute. */
static int match_path(const struct scim_filter *f, const json_t *res)
{
	const json_t *c = container_of(&f->path, res);
	const json_t *v = c ? json_object_get(c, f->path.a->name) : NULL;
	const struct scim_attr *a = f->path.a, *s = f->path.s;
	enum scim_fop op = f->op == SCIM_F_NE ? SCIM_F_EQ : f->op;
	int hit = 0;
	if (a->multi && json_is_array(v)) {
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e) {
			const json_t *x = e;
			const struct scim_attr *t = a;
			if (a->type == SCIM_COMPLEX) {
				const char *sub = s ? s->name : op == SCIM_F_PR ? NULL : "value";
				t = s ? s : sub ? scim_attr_find(a->sub, "value") : a;
				x = sub ? json_object_get(e, sub) : e;
			}
			if (op == SCIM_F_PR ? present(x) : compare_one(t, op, x, f->value)) {
				hit = 1;
				break;
			}
		}
	} else {
		const json_t *x = v;
		const struct scim_attr *t = a;
		if (s) {
			x = json_is_object(v) ? json_object_get(v, s->name) : NULL;
			t = s;
		}
		hit = op == SCIM_F_PR ? present(x) : compare_one(t, op, x, f->value);
	}
	return f->op == SCIM_F_NE ? !hit : hit;
}

int scim_filter_match(const struct scim_filter *f, const json_t *res)
{
	switch (f->op) {
	case SCIM_F_AND:
		return scim_filter_match(f->left, res) && scim_filter_match(f->right, res);
	case SCIM_F_OR:
		return scim_filter_match(f->left, res) || scim_filter_match(f->right, res);
	case SCIM_F_NOT:
		return !scim_filter_match(f->left, res);
	case SCIM_F_VALUEPATH: {
		const json_t *c = container_of(&f->path, res);
		const json_t *v = c ? json_object_get(c, f->path.a->name) : NULL;
		if (json_is_object(v))
			return scim_filter_match(f->left, v);
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e)
			if (json_is_object(e) && scim_filter_match(f->left, e))
				return 1;
		return 0;
	}
	default:
		return match_path(f, res);
	}
}

/* ---- formatting ---- */

struct out {
	char *buf;
	size_t size, len;
	int overflow;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);
	if (o->len + n + 1 > o->size) {
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void put_path(struct out *o, const struct scim_path *p)
{
	if (p->uri) {
		put(o, p->uri);
		put(o, ":");
	}
	put(o, p->attr);
	if (p->sub) {
		put(o, ".");
		put(o, p->sub);
	}
}

static void put_filter(struct out *o, const struct scim_filter *f);

/* An operand in parentheses when the parser would otherwise group it
 * differently ("and" binds tighter than "or"; chains group to the left). */
static void put_operand(struct out *o, const struct scim_filter *f, int parens)
{
	if (parens)
		put(o, "(");
	put_filter(o, f);
	if (parens)
		put(o, ")");
}

static void put_filter(struct out *o, const struct scim_filter *f)
{
	switch (f->op) {
	case SCIM_F_AND:
		put_operand(o, f->left, f->left->op == SCIM_F_OR);
		put(o, " and ");
		put_operand(o, f->right, f->right->op == SCIM_F_OR || f->right->op == SCIM_F_AND);
		return;
	case SCIM_F_OR:
		put_operand(o, f->left, 0);
		put(o, " or ");
		put_operand(o, f->right, f->right->op == SCIM_F_OR);
		return;
	case SCIM_F_NOT:
		put(o, "not (");
		put_filter(o, f->left);
		put(o, ")");
		return;
	case SCIM_F_VALUEPATH:
		put_path(o, &f->path);
		put(o, "[");
		put_filter(o, f->left);
		put(o, "]");
		return;
	default:
		break;
	}
	put_path(o, &f->path);
	for (size_t i = 0; i < sizeof(compare_ops) / sizeof(compare_ops[0]); i++)
		if (compare_ops[i].op == f->op) {
			put(o, " ");
			put(o, compare_ops[i].name);
		}
	if (f->op == SCIM_F_PR)
		return;
	char *v = json_dumps(f->value, JSON_ENCODE_ANY | JSON_COMPACT);
	put(o, " ");
	if (v)
		put(o, v);
	else
		o->overflow = 1;
	free(v);
}

int scim_filter_format(const struct scim_filter *f, char *buf, size_t size)
{
	struct out o = { buf, size, 0, 0 };
	if (size)
		buf[0] = '\0';
	put_filter(&o, f);
	return o.overflow ? -1 : (int)o.len;
}
