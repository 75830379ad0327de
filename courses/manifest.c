/* manifest.c: reads imsmanifest.xml (SCORM 1.2 and 2004) and cmi5.xml into
 * struct manifest (see manifest.h).
 *
 * One expat pass with namespace processing. Each open element gets a frame
 * on a small stack holding what it is (enum tag), decided from its parent's
 * tag, its namespace and its local name; anything unknown becomes T_OTHER
 * and so does its whole subtree, which keeps <metadata> titles or vendor
 * extensions from being mistaken for ours. Items, blocks and AUs are
 * appended to the flat list when their start tag is seen, so the list is in
 * tree order. Text is collected only for the few elements whose text we
 * keep. After the pass, SCORM items are joined to their resources (sorted
 * and searched), launch paths are built and checked, and the SCORM version
 * is decided. All strings live in a chain of blocks freed together. */
#include "manifest.h"

#include <errno.h>
#include <expat.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hex.h"

#define NS_SEP '\x01'   /* cannot occur in XML, so never inside a namespace URI */
#define MEM_BLOCK 16384

/* ---- string memory ---- */

struct mem_block {
	struct mem_block *next;
	size_t used, cap;
	char data[];
};

static char *mem_alloc(struct mem_block **head, size_t n)
{
	if (!*head || (*head)->cap - (*head)->used < n) {
		size_t cap = n > MEM_BLOCK ? n : MEM_BLOCK;
		struct mem_block *b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->next = *head;
		b->used = 0;
		b->cap = cap;
		*head = b;
	}
	char *p = (*head)->data + (*head)->used;
	(*head)->used += n;
	return p;
}

static void mem_free(struct mem_block *b)
{
	while (b) {
		struct mem_block *next = b->next;
		free(b);
		b = next;
	}
}

/* ---- parser state ---- */

enum tag {
	T_NONE, T_OTHER,
	/* imsmanifest.xml */
	T_MANIFEST, T_METADATA, T_SCHEMAVERSION, T_ORGANIZATIONS, T_ORGANIZATION, T_ORG_TITLE,
	T_ITEM, T_ITEM_TITLE, T_MASTERY, T_DATAFROMLMS, T_COMPLETION, T_SEQUENCING, T_OBJECTIVES,
	T_PRIMARY, T_MINNORM, T_RESOURCES, T_RESOURCE,
	/* cmi5.xml */
	T_COURSE_STRUCTURE, T_COURSE, T_BLOCK, T_AU, T_TITLE5, T_LANGSTRING, T_URL,
	T_LAUNCH_PARAMS, T_ENTITLEMENT,
};

enum ns { NS_NONE, NS_CP, NS_ADLCP, NS_IMSSS, NS_CMI5, NS_XML, NS_OTHER };

struct frame {
	enum tag tag;
	int line;
	int item;          /* innermost item/block/AU, -1 outside */
	int item_depth;    /* items/blocks enclosing this element's children */
	int flag;          /* T_TITLE5: 0 no title yet, 1 one taken, 2 a preferred-language one;
			      T_LANGSTRING: 1 when in a preferred language */
};

struct resource {
	const char *identifier, *href, *base;
	enum manifest_scormtype type;
	int line;
};

struct parser {
	XML_Parser xp;
	enum manifest_file file;
	const char *fname;
	struct manifest *m;
	struct mem_block *mem;
	struct frame stack[MANIFEST_MAX_DEPTH];
	int depth;
	char *text;
	size_t text_len, text_cap;
	int failed;
	char *err;
	size_t errlen;
	int root_line;                  /* for errors about the whole file */
	int items_cap;
	const char **params;            /* per item: SCORM parameters attribute */
	/* imsmanifest.xml */
	const char *manifest_base, *resources_base, *default_org;
	int organizations_seen, organizations_line, org_taken, resources_seen;
	int ns_adlcp12, ns_adlcp2004, ns_2004, ns_cp12;
	struct resource *res;
	int nres, res_cap;
	/* cmi5.xml */
	int course_seen;
};

__attribute__((format(printf, 3, 4)))
static void failf(struct parser *ps, int line, const char *fmt, ...)
{
	if (ps->failed)
		return;
	ps->failed = 1;
	if (ps->errlen) {
		char msg[512];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		if (line > 0)
			snprintf(ps->err, ps->errlen, "%s:%d: %s", ps->fname, line, msg);
		else
			snprintf(ps->err, ps->errlen, "%s: %s", ps->fname, msg);
	}
	if (ps->xp)
		XML_StopParser(ps->xp, XML_FALSE);
}

static int cur_line(const struct parser *ps)
{
	return ps->xp ? (int)XML_GetCurrentLineNumber(ps->xp) : 0;
}

/* Copies n bytes of s into the manifest's memory. */
static const char *keep_n(struct parser *ps, const char *s, size_t n, int line)
{
	if (n > MANIFEST_MAX_TEXT) {
		failf(ps, line, "a value is longer than %d bytes", MANIFEST_MAX_TEXT);
		return "";
	}
	char *p = mem_alloc(&ps->mem, n + 1);
	if (!p) {
		failf(ps, line, "out of memory");
		return "";
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static const char *keep(struct parser *ps, const char *s, int line)
{
	return s ? keep_n(ps, s, strlen(s), line) : "";
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Keeps s with leading and trailing whitespace removed and, when collapse
 * is set, every inner run of whitespace made one space. */
static const char *keep_trimmed(struct parser *ps, const char *s, size_t n, int collapse, int line)
{
	while (n && is_space(*s)) {
		s++;
		n--;
	}
	while (n && is_space(s[n - 1]))
		n--;
	const char *k = keep_n(ps, s, n, line);
	if (!collapse || !*k)
		return k;
	char *w = (char *)k;   /* our own copy */
	size_t o = 0;
	for (size_t i = 0; w[i]; i++) {
		if (is_space(w[i])) {
			if (o && w[o - 1] == ' ')
				continue;
			w[o++] = ' ';
		} else {
			w[o++] = w[i];
		}
	}
	w[o] = '\0';
	return k;
}

/* ---- names, attributes, values ---- */

static int has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static int same(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(s, word, n) == 0;
}

static enum ns ns_class(const char *uri, size_t n)
{
	if (n == 0)
		return NS_NONE;
	if (has_prefix(uri, n, "http://www.imsproject.org/xsd/imscp") ||
	    has_prefix(uri, n, "http://www.imsglobal.org/xsd/imscp"))
		return NS_CP;
	if (has_prefix(uri, n, "http://www.adlnet.org/xsd/adlcp"))
		return NS_ADLCP;
	if (has_prefix(uri, n, "http://www.imsglobal.org/xsd/imsss"))
		return NS_IMSSS;
	if (same(uri, n, "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"))
		return NS_CMI5;
	if (same(uri, n, "http://www.w3.org/XML/1998/namespace"))
		return NS_XML;
	return NS_OTHER;
}

/* Splits an expat name "uri<SEP>local" (or "local") into its namespace
 * class and local part. */
static const char *split_name(const char *name, enum ns *ns)
{
	const char *sep = strchr(name, NS_SEP);
	if (!sep) {
		*ns = NS_NONE;
		return name;
	}
	*ns = ns_class(name, (size_t)(sep - name));
	return sep + 1;
}

/* The value of the attribute local in namespace want (NS_NONE for an
 * unprefixed attribute), or NULL. */
static const char *attr(const char **atts, enum ns want, const char *local, int ignore_case)
{
	for (; atts[0]; atts += 2) {
		enum ns ns;
		const char *l = split_name(atts[0], &ns);
		if (ns == want && (ignore_case ? strcasecmp(l, local) : strcmp(l, local)) == 0)
			return atts[1];
	}
	return NULL;
}

/* Parses an xs:decimal (optional sign, digits, optional fraction; no
 * exponent, no inf/nan) between lo and hi. Returns 0 or -1. */
static int parse_decimal(const char *s, double lo, double hi, double *out)
{
	while (is_space(*s))
		s++;
	const char *p = s;
	int digits = 0;
	if (*p == '+' || *p == '-')
		p++;
	while (*p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
	}
	const char *end = p;
	while (is_space(*p))
		p++;
	if (!digits || *p || end - s > 40)
		return -1;
	char num[48];
	memcpy(num, s, (size_t)(end - s));
	num[end - s] = '\0';
	double v = strtod(num, NULL);
	if (!(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* xs:boolean, also "True"/"FALSE" as some tools write. Returns 0/1, or -1. */
static int parse_bool(const char *s)
{
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && is_space(s[n - 1]))
		n--;
	if ((n == 4 && strncasecmp(s, "true", 4) == 0) || (n == 1 && s[0] == '1'))
		return 1;
	if ((n == 5 && strncasecmp(s, "false", 5) == 0) || (n == 1 && s[0] == '0'))
		return 0;
	return -1;
}

/* 1 when s is a path relative to the package that stays inside it: not
 * empty, no scheme, no leading '/', no backslash or
 * control character, and no ".." component once percent escapes in the
 * path part (before '?' or '#') are decoded. */
static int relative_path_ok(const char *s)
{
	if (!*s)
		return 0;
	if (s[0] == '/')
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	for (const char *p = s; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p == ':')
			return 0;   /* a scheme (or a drive letter) */
	/* Decode the path part and look at each component; only whether one
	 * is exactly ".." matters, so at most three bytes of it are kept. */
	char comp[3];
	size_t clen = 0, decoded = 0;
	for (size_t i = 0; ; i++) {
		char c = s[i];
		const int end = c == '\0' || c == '?' || c == '#';
		if (!end && c == '%' && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
			c = (char)(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
			i += 2;
			if ((unsigned char)c < 0x20 || c == 0x7f || c == '\\')
				return 0;
			if (c == '/' && decoded == 0)
				return 0;   /* "%2F..." would be an absolute path */
		}
		if (end || c == '/') {
			if (clen == 2 && comp[0] == '.' && comp[1] == '.')
				return 0;
			if (end)
				return 1;
			clen = 0;
		} else {
			if (clen < sizeof(comp))
				comp[clen] = c;
			clen++;
		}
		decoded++;
	}
}

/* 1 when s is an absolute http or https URL. */
static int absolute_url_ok(const char *s)
{
	const char *rest = strncasecmp(s, "https://", 8) == 0 ? s + 8 :
			   strncasecmp(s, "http://", 7) == 0 ? s + 7 : NULL;
	if (!rest || !*rest || *rest == '/')
		return 0;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
			return 0;
	return 1;
}

/* ---- building the outline ---- */

static struct manifest_item *new_item(struct parser *ps, struct frame *f, enum manifest_node node)
{
	struct manifest *m = ps->m;
	if (m->nitems == MANIFEST_MAX_ITEMS) {
		failf(ps, f->line, "more than %d items", MANIFEST_MAX_ITEMS);
		return NULL;
	}
	if (m->nitems == ps->items_cap) {
		int cap = ps->items_cap ? ps->items_cap * 2 : 32;
		struct manifest_item *items = realloc(m->items, (size_t)cap * sizeof(*items));
		if (!items) {
			failf(ps, f->line, "out of memory");
			return NULL;
		}
		m->items = items;
		const char **params = realloc(ps->params, (size_t)cap * sizeof(*params));
		if (!params) {
			failf(ps, f->line, "out of memory");
			return NULL;
		}
		ps->params = params;
		ps->items_cap = cap;
	}
	struct manifest_item *it = &m->items[m->nitems];
	memset(it, 0, sizeof(*it));
	it->node = node;
	it->depth = f->item_depth;
	it->line = f->line;
	it->identifier = it->title = it->href = it->resource = it->launch_data = "";
	it->activity_type = it->launch_parameters = it->entitlement_key = "";
	it->visible = 1;
	it->completion_threshold = 1.0;
	it->min_normalized_measure = 1.0;
	it->launch_method = MANIFEST_LAUNCH_ANY_WINDOW;
	it->move_on = MANIFEST_MOVEON_NOT_APPLICABLE;
	ps->params[m->nitems] = "";
	f->item = m->nitems++;
	f->item_depth++;
	return it;
}

static struct manifest_item *item_of(struct parser *ps, const struct frame *f)
{
	return f->item >= 0 ? &ps->m->items[f->item] : NULL;
}

/* What an element is, from its parent's tag and its name. */
static enum tag classify(struct parser *ps, enum tag parent, enum ns ns, const char *l)
{
	const int cp = ns == NS_CP || ns == NS_NONE;
	const int c5 = ns == NS_CMI5 || ns == NS_NONE;
	const int adlcp = ns == NS_ADLCP, imsss = ns == NS_IMSSS;
	switch (parent) {
	case T_NONE:
		if (ps->file == MANIFEST_FILE_IMS) {
			if (cp && strcmp(l, "manifest") == 0)
				return T_MANIFEST;
			failf(ps, cur_line(ps), "the root element is <%.100s>, not <manifest>", l);
		} else {
			if (c5 && strcmp(l, "courseStructure") == 0)
				return T_COURSE_STRUCTURE;
			failf(ps, cur_line(ps), "the root element is <%.100s>, not <courseStructure>", l);
		}
		return T_OTHER;
	case T_MANIFEST:
		if (cp && strcmp(l, "metadata") == 0)
			return T_METADATA;
		if (cp && strcmp(l, "organizations") == 0)
			return T_ORGANIZATIONS;
		if (cp && strcmp(l, "resources") == 0)
			return T_RESOURCES;
		return T_OTHER;
	case T_METADATA:
		return cp && strcmp(l, "schemaversion") == 0 ? T_SCHEMAVERSION : T_OTHER;
	case T_ORGANIZATIONS:
		return cp && strcmp(l, "organization") == 0 ? T_ORGANIZATION : T_OTHER;
	case T_ORGANIZATION:
	case T_ITEM:
		if (cp && strcmp(l, "title") == 0)
			return parent == T_ITEM ? T_ITEM_TITLE : T_ORG_TITLE;
		if (cp && strcmp(l, "item") == 0)
			return T_ITEM;
		if (parent == T_ORGANIZATION)
			return T_OTHER;
		if (adlcp && strcmp(l, "masteryscore") == 0)
			return T_MASTERY;
		if (adlcp && strcasecmp(l, "datafromlms") == 0)
			return T_DATAFROMLMS;
		if ((adlcp || imsss) && strcmp(l, "completionThreshold") == 0)
			return T_COMPLETION;
		if (imsss && strcmp(l, "sequencing") == 0)
			return T_SEQUENCING;
		return T_OTHER;
	case T_SEQUENCING:
		return imsss && strcmp(l, "objectives") == 0 ? T_OBJECTIVES : T_OTHER;
	case T_OBJECTIVES:
		return imsss && strcmp(l, "primaryObjective") == 0 ? T_PRIMARY : T_OTHER;
	case T_PRIMARY:
		return imsss && strcmp(l, "minNormalizedMeasure") == 0 ? T_MINNORM : T_OTHER;
	case T_RESOURCES:
		return cp && strcmp(l, "resource") == 0 ? T_RESOURCE : T_OTHER;
	case T_COURSE_STRUCTURE:
	case T_BLOCK:
		if (c5 && strcmp(l, "course") == 0 && parent == T_COURSE_STRUCTURE)
			return T_COURSE;
		if (c5 && strcmp(l, "title") == 0 && parent == T_BLOCK)
			return T_TITLE5;
		if (c5 && strcmp(l, "block") == 0)
			return T_BLOCK;
		if (c5 && strcmp(l, "au") == 0)
			return T_AU;
		return T_OTHER;
	case T_COURSE:
		return c5 && strcmp(l, "title") == 0 ? T_TITLE5 : T_OTHER;
	case T_AU:
		if (!c5)
			return T_OTHER;
		if (strcmp(l, "title") == 0)
			return T_TITLE5;
		if (strcmp(l, "url") == 0)
			return T_URL;
		if (strcmp(l, "launchParameters") == 0)
			return T_LAUNCH_PARAMS;
		if (strcmp(l, "entitlementKey") == 0)
			return T_ENTITLEMENT;
		return T_OTHER;
	case T_TITLE5:
		return c5 && strcmp(l, "langstring") == 0 ? T_LANGSTRING : T_OTHER;
	default:
		return T_OTHER;
	}
}

static int is_text_tag(enum tag t)
{
	switch (t) {
	case T_SCHEMAVERSION: case T_ORG_TITLE: case T_ITEM_TITLE: case T_MASTERY:
	case T_DATAFROMLMS: case T_COMPLETION: case T_MINNORM: case T_LANGSTRING:
	case T_URL: case T_LAUNCH_PARAMS: case T_ENTITLEMENT:
		return 1;
	default:
		return 0;
	}
}

/* Reads a required identifier attribute. */
static const char *required_id(struct parser *ps, const char **atts, const char *name,
			       const char *what, int line)
{
	const char *v = attr(atts, NS_NONE, name, 0);
	const char *k = v ? keep_trimmed(ps, v, strlen(v), 0, line) : "";
	if (!*k)
		failf(ps, line, "%s has no %s", what, name);
	return k;
}

static void start_scorm(struct parser *ps, struct frame *f, const char **atts)
{
	struct manifest *m = ps->m;
	struct manifest_item *it;
	const char *v;
	int b;
	switch (f->tag) {
	case T_MANIFEST:
		ps->root_line = f->line;
		m->identifier = keep(ps, attr(atts, NS_NONE, "identifier", 0), f->line);
		m->version = keep(ps, attr(atts, NS_NONE, "version", 0), f->line);
		ps->manifest_base = keep(ps, attr(atts, NS_XML, "base", 0), f->line);
		break;
	case T_ORGANIZATIONS:
		if (ps->organizations_seen++) {
			f->tag = T_OTHER;
			break;
		}
		ps->organizations_line = f->line;
		v = attr(atts, NS_NONE, "default", 0);
		ps->default_org = v ? keep_trimmed(ps, v, strlen(v), 0, f->line) : "";
		break;
	case T_ORGANIZATION:
		v = attr(atts, NS_NONE, "identifier", 0);
		if (ps->org_taken || (*ps->default_org && (!v || strcmp(v, ps->default_org) != 0))) {
			f->tag = T_OTHER;
			break;
		}
		ps->org_taken = 1;
		break;
	case T_ITEM:
		it = new_item(ps, f, MANIFEST_NODE_ITEM);
		if (!it)
			break;
		it->identifier = required_id(ps, atts, "identifier", "an <item>", f->line);
		v = attr(atts, NS_NONE, "identifierref", 0);
		it->resource = v ? keep_trimmed(ps, v, strlen(v), 0, f->line) : "";
		ps->params[f->item] = keep(ps, attr(atts, NS_NONE, "parameters", 0), f->line);
		v = attr(atts, NS_NONE, "isvisible", 0);
		if (v && (b = parse_bool(v)) < 0)
			failf(ps, f->line, "item \"%.100s\": isvisible is not true or false", it->identifier);
		else if (v)
			it->visible = b;
		break;
	case T_COMPLETION:
		it = item_of(ps, f);
		v = attr(atts, NS_NONE, "completedByMeasure", 0);
		if (v && (b = parse_bool(v)) < 0)
			failf(ps, f->line, "completedByMeasure is not true or false");
		else if (v)
			it->completed_by_measure = b;
		v = attr(atts, NS_NONE, "minProgressMeasure", 0);
		if (v && parse_decimal(v, 0, 1, &it->completion_threshold) != 0)
			failf(ps, f->line, "minProgressMeasure is not a number from 0 to 1");
		break;
	case T_PRIMARY:
		it = item_of(ps, f);
		v = attr(atts, NS_NONE, "satisfiedByMeasure", 0);
		if (v && (b = parse_bool(v)) < 0)
			failf(ps, f->line, "satisfiedByMeasure is not true or false");
		else if (v)
			it->satisfied_by_measure = b;
		break;
	case T_RESOURCES:
		if (ps->resources_seen++) {
			f->tag = T_OTHER;
			break;
		}
		ps->resources_base = keep(ps, attr(atts, NS_XML, "base", 0), f->line);
		break;
	case T_RESOURCE: {
		v = attr(atts, NS_NONE, "identifier", 0);
		if (!v)
			break;   /* nothing can refer to it */
		if (ps->nres == MANIFEST_MAX_RESOURCES) {
			failf(ps, f->line, "more than %d resources", MANIFEST_MAX_RESOURCES);
			break;
		}
		if (ps->nres == ps->res_cap) {
			int cap = ps->res_cap ? ps->res_cap * 2 : 32;
			struct resource *res = realloc(ps->res, (size_t)cap * sizeof(*res));
			if (!res) {
				failf(ps, f->line, "out of memory");
				break;
			}
			ps->res = res;
			ps->res_cap = cap;
		}
		struct resource *r = &ps->res[ps->nres++];
		r->identifier = keep_trimmed(ps, v, strlen(v), 0, f->line);
		v = attr(atts, NS_NONE, "href", 0);
		r->href = v ? keep_trimmed(ps, v, strlen(v), 0, f->line) : "";
		r->base = keep(ps, attr(atts, NS_XML, "base", 0), f->line);
		r->line = f->line;
		v = attr(atts, NS_ADLCP, "scormtype", 1);
		r->type = v && strcasecmp(v, "sco") == 0 ? MANIFEST_TYPE_SCO : MANIFEST_TYPE_ASSET;
		break;
	}
	default:
		break;
	}
}

static void start_cmi5(struct parser *ps, struct frame *f, const char **atts)
{
	static const char *const move_on[] = {
		"NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed",
	};
	struct manifest_item *it;
	const char *v;
	switch (f->tag) {
	case T_COURSE_STRUCTURE:
		ps->root_line = f->line;
		break;
	case T_COURSE:
		if (ps->course_seen++) {
			failf(ps, f->line, "more than one <course>");
			break;
		}
		ps->m->identifier = required_id(ps, atts, "id", "<course>", f->line);
		break;
	case T_BLOCK:
	case T_AU:
		it = new_item(ps, f, f->tag == T_AU ? MANIFEST_NODE_AU : MANIFEST_NODE_BLOCK);
		if (!it)
			break;
		it->identifier = required_id(ps, atts, "id", f->tag == T_AU ? "an <au>" : "a <block>", f->line);
		if (f->tag == T_BLOCK)
			break;
		if ((v = attr(atts, NS_NONE, "moveOn", 0)) != NULL) {
			size_t i = 0;
			while (i < sizeof(move_on) / sizeof(move_on[0]) && strcmp(v, move_on[i]) != 0)
				i++;
			if (i == sizeof(move_on) / sizeof(move_on[0]))
				failf(ps, f->line, "au \"%.100s\": moveOn \"%.40s\" is not one of NotApplicable, "
				      "Passed, Completed, CompletedAndPassed, CompletedOrPassed", it->identifier, v);
			else
				it->move_on = (enum manifest_move_on)i;
		}
		if ((v = attr(atts, NS_NONE, "launchMethod", 0)) != NULL) {
			if (strcmp(v, "OwnWindow") == 0)
				it->launch_method = MANIFEST_LAUNCH_OWN_WINDOW;
			else if (strcmp(v, "AnyWindow") != 0)
				failf(ps, f->line, "au \"%.100s\": launchMethod \"%.40s\" is not AnyWindow or OwnWindow",
				      it->identifier, v);
		}
		if ((v = attr(atts, NS_NONE, "masteryScore", 0)) != NULL) {
			if (parse_decimal(v, 0, 1, &it->mastery_score) != 0)
				failf(ps, f->line, "au \"%.100s\": masteryScore is not a number from 0 to 1", it->identifier);
			it->has_mastery_score = 1;
		}
		v = attr(atts, NS_NONE, "activityType", 0);
		it->activity_type = v ? keep_trimmed(ps, v, strlen(v), 0, f->line) : "";
		break;
	case T_LANGSTRING:
		v = attr(atts, NS_NONE, "lang", 0);
		if (!v)
			v = attr(atts, NS_XML, "lang", 0);
		/* Norwegian Bokmål ("nb", "no", with or without a region) wins. */
		f->flag = v && (strncasecmp(v, "nb", 2) == 0 || strncasecmp(v, "no", 2) == 0) &&
			  (v[2] == '\0' || v[2] == '-' || v[2] == '_');
		break;
	default:
		break;
	}
}

static int blank(const char *s)
{
	while (is_space(*s))
		s++;
	return *s == '\0';
}

static void end_element_text(struct parser *ps, struct frame *f)
{
	struct manifest *m = ps->m;
	struct manifest_item *it = item_of(ps, f);
	const char *t = ps->text ? ps->text : "";
	const size_t n = ps->text_len;
	switch (f->tag) {
	case T_SCHEMAVERSION:
		if (!*m->schemaversion)
			m->schemaversion = keep_trimmed(ps, t, n, 1, f->line);
		break;
	case T_ORG_TITLE:
		m->title = keep_trimmed(ps, t, n, 1, f->line);
		break;
	case T_ITEM_TITLE:
		it->title = keep_trimmed(ps, t, n, 1, f->line);
		break;
	case T_MASTERY:
		if (blank(t))
			break;   /* some tools write an empty one */
		if (parse_decimal(t, 0, 100, &it->mastery_score) != 0)
			failf(ps, f->line, "item \"%.100s\": masteryscore is not a number from 0 to 100", it->identifier);
		it->has_mastery_score = 1;
		break;
	case T_DATAFROMLMS:
		it->launch_data = keep_n(ps, t, n, f->line);
		break;
	case T_COMPLETION:
		if (blank(t))
			break;   /* 4th edition: the attributes say it all */
		/* 3rd edition: the threshold as text; completion goes by measure. */
		if (parse_decimal(t, 0, 1, &it->completion_threshold) != 0)
			failf(ps, f->line, "item \"%.100s\": completionThreshold is not a number from 0 to 1",
			      it->identifier);
		it->completed_by_measure = 1;
		break;
	case T_MINNORM:
		if (parse_decimal(t, -1, 1, &it->min_normalized_measure) != 0)
			failf(ps, f->line, "item \"%.100s\": minNormalizedMeasure is not a number from -1 to 1",
			      it->identifier);
		break;
	case T_LANGSTRING: {
		struct frame *title = &ps->stack[ps->depth - 2];
		const struct frame *owner = &ps->stack[ps->depth - 3];
		if (title->flag == 2 || (title->flag == 1 && !f->flag))
			break;
		const char *s = keep_trimmed(ps, t, n, 1, f->line);
		if (owner->tag == T_COURSE)
			m->title = s;
		else if (it)
			it->title = s;
		title->flag = f->flag ? 2 : 1;
		break;
	}
	case T_URL:
		it->href = keep_trimmed(ps, t, n, 0, f->line);
		break;
	case T_LAUNCH_PARAMS:
		it->launch_parameters = keep_n(ps, t, n, f->line);
		break;
	case T_ENTITLEMENT:
		it->entitlement_key = keep_trimmed(ps, t, n, 0, f->line);
		break;
	default:
		break;
	}
}

/* ---- expat handlers ---- */

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parser *ps = ud;
	if (ps->failed)
		return;
	const int line = cur_line(ps);
	if (ps->depth == MANIFEST_MAX_DEPTH) {
		failf(ps, line, "elements are nested more than %d deep", MANIFEST_MAX_DEPTH);
		return;
	}
	const struct frame *parent = ps->depth ? &ps->stack[ps->depth - 1] : NULL;
	struct frame *f = &ps->stack[ps->depth++];
	f->tag = T_OTHER;
	f->line = line;
	f->item = parent ? parent->item : -1;
	f->item_depth = parent ? parent->item_depth : 0;
	f->flag = 0;
	if (!parent || parent->tag != T_OTHER) {
		enum ns ns;
		const char *local = split_name(name, &ns);
		f->tag = classify(ps, parent ? parent->tag : T_NONE, ns, local);
	}
	if (ps->failed)
		return;
	if (ps->file == MANIFEST_FILE_IMS)
		start_scorm(ps, f, atts);
	else
		start_cmi5(ps, f, atts);
	if (is_text_tag(f->tag)) {
		ps->text_len = 0;
		if (ps->text)
			ps->text[0] = '\0';
	}
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct parser *ps = ud;
	if (ps->failed || !ps->depth)
		return;
	struct frame *f = &ps->stack[ps->depth - 1];
	if (is_text_tag(f->tag))
		end_element_text(ps, f);
	else if (f->tag == T_AU && !*ps->m->items[f->item].href)
		failf(ps, f->line, "au \"%.100s\" has no <url>", ps->m->items[f->item].identifier);
	ps->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct parser *ps = ud;
	if (ps->failed || !ps->depth || !is_text_tag(ps->stack[ps->depth - 1].tag) || len <= 0)
		return;
	if (ps->text_len + (size_t)len > MANIFEST_MAX_TEXT) {
		failf(ps, cur_line(ps), "an element's text is longer than %d bytes", MANIFEST_MAX_TEXT);
		return;
	}
	if (ps->text_len + (size_t)len + 1 > ps->text_cap) {
		size_t cap = ps->text_cap ? ps->text_cap : 256;
		while (cap < ps->text_len + (size_t)len + 1)
			cap *= 2;
		char *text = realloc(ps->text, cap);
		if (!text) {
			failf(ps, cur_line(ps), "out of memory");
			return;
		}
		ps->text = text;
		ps->text_cap = cap;
	}
	memcpy(ps->text + ps->text_len, s, (size_t)len);
	ps->text_len += (size_t)len;
	ps->text[ps->text_len] = '\0';
}

static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct parser *ps = ud;
	failf(ps, cur_line(ps), "a DOCTYPE is not allowed (no DTDs or entities)");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
			      int value_len, const XML_Char *base, const XML_Char *sysid,
			      const XML_Char *pubid, const XML_Char *notation)
{
	struct parser *ps = ud;
	failf(ps, cur_line(ps), "entity declarations are not allowed");
}

static int XMLCALL on_external_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
				      const XML_Char *sysid, const XML_Char *pubid)
{
	return XML_STATUS_ERROR;   /* never fetch anything */
}

static void XMLCALL on_namespace(void *ud, const XML_Char *prefix, const XML_Char *uri)
{
	struct parser *ps = ud;
	if (!uri)
		return;
	if (strcmp(uri, "http://www.adlnet.org/xsd/adlcp_rootv1p2") == 0)
		ps->ns_adlcp12 = 1;
	else if (strcmp(uri, "http://www.adlnet.org/xsd/adlcp_v1p3") == 0)
		ps->ns_adlcp2004 = 1;
	else if (strcmp(uri, "http://www.imsproject.org/xsd/imscp_rootv1p1p2") == 0)
		ps->ns_cp12 = 1;
	else if (strcmp(uri, "http://www.imsglobal.org/xsd/imsss") == 0 ||
		 strcmp(uri, "http://www.adlnet.org/xsd/adlseq_v1p3") == 0 ||
		 strcmp(uri, "http://www.adlnet.org/xsd/adlnav_v1p3") == 0 ||
		 strcmp(uri, "http://www.imsglobal.org/xsd/imscp_v1p1") == 0)
		ps->ns_2004 = 1;
}

/* ---- after the pass ---- */

static enum manifest_kind scorm_version(const struct parser *ps)
{
	const char *sv = ps->m->schemaversion;
	if (strcmp(sv, "1.2") == 0)
		return MANIFEST_SCORM12;
	if (strncmp(sv, "2004", 4) == 0 || strcmp(sv, "CAM 1.3") == 0 || strcmp(sv, "1.3") == 0)
		return MANIFEST_SCORM2004;
	if (ps->ns_adlcp12)
		return MANIFEST_SCORM12;
	if (ps->ns_adlcp2004 || ps->ns_2004)
		return MANIFEST_SCORM2004;
	return MANIFEST_SCORM12;
}

static int resource_cmp(const void *a, const void *b)
{
	return strcmp(((const struct resource *)a)->identifier, ((const struct resource *)b)->identifier);
}

struct id_ref {
	const char *id;
	int index;
};

static int id_ref_cmp(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c ? c : x->index - y->index;
}

/* Fails on two items (or blocks/AUs) with the same identifier, naming the
 * later one. */
static void check_unique_ids(struct parser *ps)
{
	struct manifest *m = ps->m;
	if (m->nitems < 2 || ps->failed)
		return;
	struct id_ref *refs = malloc((size_t)m->nitems * sizeof(*refs));
	if (!refs) {
		failf(ps, 0, "out of memory");
		return;
	}
	for (int i = 0; i < m->nitems; i++)
		refs[i] = (struct id_ref){ m->items[i].identifier, i };
	qsort(refs, (size_t)m->nitems, sizeof(*refs), id_ref_cmp);
	for (int i = 1; i < m->nitems; i++)
		if (strcmp(refs[i].id, refs[i - 1].id) == 0) {
			const struct manifest_item *later = &m->items[refs[i].index];
			failf(ps, later->line, "the identifier \"%.100s\" is used twice", later->identifier);
			break;
		}
	free(refs);
}

/* Appends s to b (cap bytes, *len used). Returns 0, or -1 when it does not fit. */
static int append(char *b, size_t *len, const char *s, size_t cap)
{
	size_t n = strlen(s);
	if (*len + n >= cap)
		return -1;
	memcpy(b + *len, s, n + 1);
	*len += n;
	return 0;
}

/* Builds one item's launch path: bases + href, then the item's parameters
 * by the SCORM rule: drop leading '?' and '&'; a "#..." is appended only
 * when the URL has no '#' yet; otherwise add '&' or '?' and the rest. */
static void build_href(struct parser *ps, struct manifest_item *it, const struct resource *r, const char *params)
{
	const char *bases[3] = { ps->manifest_base, ps->resources_base, r->base };
	const size_t cap = (size_t)MANIFEST_MAX_TEXT * 4 + 8;
	char *url = malloc(cap);
	size_t len = 0;
	if (!url) {
		failf(ps, it->line, "out of memory");
		return;
	}
	url[0] = '\0';
	int bad = 0;
	for (int i = 0; i < 3 && !bad; i++) {
		if (!bases[i] || !*bases[i])
			continue;
		if (!relative_path_ok(bases[i]) || strpbrk(bases[i], "?#")) {
			failf(ps, r->line, "resource \"%.100s\": xml:base \"%.200s\" is not a relative path "
			      "inside the package", r->identifier, bases[i]);
			bad = 1;
		}
		bad = bad || append(url, &len, bases[i], cap) != 0;
		if (!bad && url[len - 1] != '/')
			bad = append(url, &len, "/", cap) != 0;
	}
	if (!bad && !relative_path_ok(r->href)) {
		failf(ps, r->line, "resource \"%.100s\": href \"%.200s\" is not a relative path inside the package",
		      r->identifier, r->href);
		bad = 1;
	}
	bad = bad || append(url, &len, r->href, cap) != 0;
	while (*params == '?' || *params == '&')
		params++;
	if (!bad && *params) {
		if (params[0] == '#') {
			if (!strchr(url, '#'))
				bad = append(url, &len, params, cap) != 0;
		} else {
			bad = append(url, &len, strchr(url, '?') ? "&" : "?", cap) != 0 ||
			      append(url, &len, params, cap) != 0;
		}
	}
	if (!bad && relative_path_ok(url))
		it->href = keep_n(ps, url, len, it->line);
	else
		failf(ps, it->line, "item \"%.100s\": its launch path is not a relative path inside the package",
		      it->identifier);
	free(url);
}

static void finish_scorm(struct parser *ps)
{
	struct manifest *m = ps->m;
	m->kind = scorm_version(ps);
	if (!ps->organizations_seen) {
		failf(ps, ps->root_line, "there is no <organizations>");
		return;
	}
	if (!ps->org_taken) {
		if (*ps->default_org)
			failf(ps, ps->organizations_line, "the default organization \"%.100s\" does not exist",
			      ps->default_org);
		else
			failf(ps, ps->organizations_line, "there is no <organization>");
		return;
	}
	if (m->nitems == 0) {
		failf(ps, ps->organizations_line, "the organization has no items");
		return;
	}
	check_unique_ids(ps);
	if (ps->nres)
		qsort(ps->res, (size_t)ps->nres, sizeof(*ps->res), resource_cmp);
	for (int i = 1; i < ps->nres && !ps->failed; i++)
		if (strcmp(ps->res[i].identifier, ps->res[i - 1].identifier) == 0)
			failf(ps, ps->res[i].line, "the resource identifier \"%.100s\" is used twice",
			      ps->res[i].identifier);
	for (int i = 0; i < m->nitems && !ps->failed; i++) {
		struct manifest_item *it = &m->items[i];
		if (!*it->resource)
			continue;
		struct resource key = { .identifier = it->resource };
		const struct resource *r = ps->nres ?
			bsearch(&key, ps->res, (size_t)ps->nres, sizeof(*ps->res), resource_cmp) : NULL;
		if (!r) {
			failf(ps, it->line, "item \"%.100s\" refers to a resource \"%.100s\" that does not exist",
			      it->identifier, it->resource);
			break;
		}
		if (!*r->href) {
			failf(ps, r->line, "resource \"%.100s\" (of item \"%.100s\") has no href",
			      r->identifier, it->identifier);
			break;
		}
		it->scormtype = r->type;
		build_href(ps, it, r, ps->params[i]);
	}
}

static void finish_cmi5(struct parser *ps)
{
	struct manifest *m = ps->m;
	m->kind = MANIFEST_CMI5;
	if (!ps->course_seen) {
		failf(ps, ps->root_line, "there is no <course>");
		return;
	}
	int aus = 0;
	for (int i = 0; i < m->nitems && !ps->failed; i++) {
		struct manifest_item *it = &m->items[i];
		if (it->node != MANIFEST_NODE_AU)
			continue;
		aus++;
		if (absolute_url_ok(it->href))
			it->href_external = 1;
		else if (!relative_path_ok(it->href))
			failf(ps, it->line, "au \"%.100s\": url \"%.200s\" is neither a relative path inside the "
			      "package nor an http(s) URL", it->identifier, it->href);
	}
	if (!ps->failed && aus == 0)
		failf(ps, ps->root_line, "the course has no <au>");
	check_unique_ids(ps);
}

/* ---- entry points ---- */

int manifest_parse_buffer(enum manifest_file kind_hint, const char *buf, size_t len,
			  struct manifest *m, char *err, size_t errlen)
{
	struct parser ps = { .file = kind_hint, .m = m, .err = err, .errlen = errlen };
	ps.fname = kind_hint == MANIFEST_FILE_CMI5 ? "cmi5.xml" : "imsmanifest.xml";
	ps.default_org = ps.manifest_base = ps.resources_base = "";
	memset(m, 0, sizeof(*m));
	m->identifier = m->title = m->version = m->schemaversion = "";
	if (errlen)
		err[0] = '\0';
	if (len > MANIFEST_MAX_BYTES) {
		failf(&ps, 0, "larger than %d bytes", MANIFEST_MAX_BYTES);
		goto out;
	}
	ps.xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (!ps.xp) {
		failf(&ps, 0, "out of memory");
		goto out;
	}
	XML_SetUserData(ps.xp, &ps);
	XML_SetElementHandler(ps.xp, on_start, on_end);
	XML_SetCharacterDataHandler(ps.xp, on_text);
	XML_SetStartDoctypeDeclHandler(ps.xp, on_doctype);
	XML_SetEntityDeclHandler(ps.xp, on_entity);
	XML_SetExternalEntityRefHandler(ps.xp, on_external_entity);
	XML_SetParamEntityParsing(ps.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetStartNamespaceDeclHandler(ps.xp, on_namespace);
	if (XML_Parse(ps.xp, buf, (int)len, XML_TRUE) != XML_STATUS_OK && !ps.failed)
		failf(&ps, (int)XML_GetErrorLineNumber(ps.xp), "%s", XML_ErrorString(XML_GetErrorCode(ps.xp)));
	XML_ParserFree(ps.xp);
	ps.xp = NULL;
	if (ps.failed)
		goto out;
	if (ps.file == MANIFEST_FILE_IMS)
		finish_scorm(&ps);
	else
		finish_cmi5(&ps);
out:
	free(ps.text);
	free(ps.res);
	free(ps.params);
	if (ps.failed) {
		free(m->items);
		mem_free(ps.mem);
		memset(m, 0, sizeof(*m));
		return -1;
	}
	m->mem = ps.mem;
	return 0;
}

int manifest_parse_dir(const char *dir, struct manifest *m, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	if (errlen)
		err[0] = '\0';
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(err, errlen, "%s: cannot open the package: %s", dir, strerror(errno));
		return -1;
	}
	enum manifest_file file = MANIFEST_FILE_CMI5;
	const char *fname = "cmi5.xml";
	int fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		file = MANIFEST_FILE_IMS;
		fname = "imsmanifest.xml";
		fd = openat(dfd, fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	}
	int saved = errno;
	close(dfd);
	if (fd < 0) {
		if (saved == ENOENT)
			snprintf(err, errlen, "imsmanifest.xml: the package has neither imsmanifest.xml nor cmi5.xml");
		else
			snprintf(err, errlen, "%s: cannot open: %s", fname,
				 saved == ELOOP ? "it is a symbolic link" : strerror(saved));
		return -1;
	}
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", fname);
		goto out;
	}
	if (st.st_size > MANIFEST_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %d bytes", fname, MANIFEST_MAX_BYTES);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", fname);
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: cannot read: %s", fname, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > (size_t)st.st_size) {
			snprintf(err, errlen, "%s: changed while being read", fname);
			goto out;
		}
	}
	rc = manifest_parse_buffer(file, buf, len, m, err, errlen);
out:
	free(buf);
	close(fd);
	return rc;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	free(m->items);
	mem_free(m->mem);
	memset(m, 0, sizeof(*m));
}

const char *manifest_kind_name(enum manifest_kind kind)
{
	switch (kind) {
	case MANIFEST_SCORM12:
		return "scorm12";
	case MANIFEST_SCORM2004:
		return "scorm2004";
	case MANIFEST_CMI5:
		return "cmi5";
	}
	return "unknown";
}
