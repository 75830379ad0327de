/* native_course.c: reads and checks course.json (see native_course.h).
 *
 * The JSON is loaded with jansson (duplicate keys refused); the checks walk
 * it once, keeping a path such as "modules[1].quiz" for the messages. The
 * strings in struct native_course point into the JSON tree, which the
 * course keeps until native_course_free. */
#include "native_course.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const native_video_exts[] = { ".mp4", ".webm", ".ogv", NULL };
const char *const native_image_exts[] = { ".png", ".jpg", ".jpeg", ".gif", ".webp", NULL };
static const char *const caption_exts[] = { ".vtt", NULL };
static const char *const markdown_exts[] = { ".md", NULL };

int native_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > NATIVE_ID_MAX || s[0] == '-' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

int native_path_valid(const char *path)
{
	size_t n = strlen(path);
	if (n == 0 || n > NATIVE_PATH_MAX)
		return 0;
	int start = 1; /* at the start of a component */
	for (size_t i = 0; i < n; i++) {
		char ch = path[i];
		if (ch == '/') {
			if (start)
				return 0; /* leading '/' or "//" */
			start = 1;
			continue;
		}
		if (start && ch == '.')
			return 0; /* ".", "..", hidden files */
		start = 0;
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		      ch == '.' || ch == '_' || ch == '-'))
			return 0;
	}
	return !start;
}

int native_path_has_ext(const char *path, const char *const *exts)
{
	size_t n = strlen(path);
	for (const char *const *e = exts; *e; e++) {
		size_t m = strlen(*e);
		if (n > m && strcasecmp(path + n - m, *e) == 0)
			return 1;
	}
	return 0;
}

/* ---- checking helpers ---- */

struct ctx {
	char *err;
	size_t errsize;
};

static int fail(struct ctx *x, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *x, const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errsize, "course.json: %s%s%s", where, where[0] ? ": " : "", msg);
	return -1;
}

/* Refuses fields not in allowed (NULL-terminated). */
static int only_keys(struct ctx *x, json_t *obj, const char *where, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int known = 0;
		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			char k[80];
			snprintf(k, sizeof(k), "%s", key);
			return fail(x, where, "unknown field \"%s\"", k);
		}
	}
	return 0;
}

static int text_ok(const char *s, int multiline)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t')))
			return 0;
		else if (*p == 0x7f)
			return 0;
	return 1;
}

/* A human-readable text field: non-empty, at most NATIVE_TEXT_MAX bytes,
 * no control characters (newlines only where multiline). *out is ""
 * when the field is absent and not required. */
static int get_text(struct ctx *x, json_t *obj, const char *key, int required, int multiline,
		    const char *where, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = "";
	if (!v) {
		if (required)
			return fail(x, where, "\"%s\" is missing", key);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s)
		return fail(x, where, "\"%s\" must be a string", key);
	size_t n = strlen(s);
	if (n != json_string_length(v))
		return fail(x, where, "\"%s\" must not contain NUL characters", key);
	const char *t = s;
	while (*t == ' ' || *t == '\n' || *t == '\t')
		t++;
	if (!*t)
		return fail(x, where, "\"%s\" must not be empty", key);
	if (n > NATIVE_TEXT_MAX)
		return fail(x, where, "\"%s\" is longer than %d bytes", key, NATIVE_TEXT_MAX);
	if (!text_ok(s, multiline))
		return fail(x, where, "\"%s\" contains control characters%s", key,
			    multiline ? "" : " (line breaks are not allowed here)");
	*out = s;
	return 0;
}

static int get_id(struct ctx *x, json_t *obj, const char *key, const char *where, const char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return fail(x, where, "\"%s\" is missing", key);
	const char *s = json_string_value(v);
	if (!s || strlen(s) != json_string_length(v) || !native_id_valid(s))
		return fail(x, where, "\"%s\" must be 1-64 of a-z, 0-9 and '-' (not first or last)", key);
	*out = s;
	return 0;
}

/* A file path field with one of the extensions in exts. */
static int get_path(struct ctx *x, json_t *obj, const char *key, int required, const char *where,
		    const char *const *exts, const char *kind, const char **out)
{
	json_t *v = json_object_get(obj, key);
	*out = "";
	if (!v) {
		if (required)
			return fail(x, where, "\"%s\" is missing", key);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s || strlen(s) != json_string_length(v) || !native_path_valid(s))
		return fail(x, where, "\"%s\" must be a relative path inside the course folder "
			    "(letters, digits, '.', '_', '-' and '/'; no \"..\")", key);
	if (strncmp(s, "media/", 6) != 0)
		return fail(x, where, "\"%s\": %s files belong in the folder media/", key, kind);
	if (!native_path_has_ext(s, exts)) {
		char list[80] = "";
		for (const char *const *e = exts; *e; e++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 e == exts ? "" : ", ", *e);
		return fail(x, where, "\"%s\" must be a %s file (%s)", key, kind, list);
	}
	*out = s;
	return 0;
}

/* A pass mark: 0-1 with at most 4 decimals (cmi5 masteryScore). */
static int get_mastery(struct ctx *x, json_t *obj, const char *where, double *out)
{
	json_t *v = json_object_get(obj, "mastery_score");
	if (!v)
		return 0;
	if (!json_is_number(v))
		return fail(x, where, "\"mastery_score\" must be a number from 0 to 1");
	double d = json_number_value(v);
	if (!(d >= 0 && d <= 1))
		return fail(x, where, "\"mastery_score\" must be a number from 0 to 1");
	double scaled = d * 10000;
	if (fabs(scaled - round(scaled)) > 1e-6)
		return fail(x, where, "\"mastery_score\" may have at most 4 decimals");
	*out = round(scaled) / 10000;
	return 0;
}

static int get_long(struct ctx *x, json_t *obj, const char *key, int required, long lo, long hi,
		    long *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v) {
		if (required)
			return fail(x, "", "\"%s\" is missing", key);
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(x, "", "\"%s\" must be a whole number from %ld to %ld", key, lo, hi);
	*out = (long)json_integer_value(v);
	return 0;
}

/* The array field key with between lo and hi elements. */
static int get_array(struct ctx *x, json_t *obj, const char *key, size_t lo, size_t hi,
		     const char *where, json_t **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return fail(x, where, "\"%s\" is missing", key);
	if (!json_is_array(v))
		return fail(x, where, "\"%s\" must be a list", key);
	if (json_array_size(v) < lo || json_array_size(v) > hi)
		return fail(x, where, "\"%s\" must have %zu to %zu entries", key, lo, hi);
	*out = v;
	return 0;
}

static int language_valid(const char *s)
{
	size_t n = strlen(s), part = 0, parts = 0;
	if (n < 2 || n > 35)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char ch = s[i];
		if (ch == '-' || ch == '\0') {
			if (part == 0 || part > 8 || (parts == 0 && part > 3))
				return 0;
			parts++;
			part = 0;
			continue;
		}
		int alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
		if (!alpha && !(parts > 0 && ch >= '0' && ch <= '9'))
			return 0;
		part++;
	}
	return 1;
}

/* An IRI we can put in XML and statements as is: a URN, no spaces or
 * characters that IRIs forbid. */
static int activity_id_valid(const char *s)
{
	if (strncmp(s, "urn:", 4) != 0 || strlen(s) < 6 || strlen(s) > 400)
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || strchr("<>\"{}|\\^`", *p))
			return 0;
	return 1;
}

/* ---- the parts ---- */

static int parse_option(struct ctx *x, json_t *o, const char *where, struct native_option *opt)
{
	static const char *const keys[] = { "id", "text", "correct", "feedback", NULL };
	if (!json_is_object(o))
		return fail(x, where, "must be an object");
	if (only_keys(x, o, where, keys) || get_id(x, o, "id", where, &opt->id) ||
	    get_text(x, o, "text", 1, 0, where, &opt->text) ||
	    get_text(x, o, "feedback", 0, 1, where, &opt->feedback))
		return -1;
	json_t *c = json_object_get(o, "correct");
	if (c && !json_is_boolean(c))
		return fail(x, where, "\"correct\" must be true or false");
	opt->correct = c && json_is_true(c);
	return 0;
}

static int parse_question(struct ctx *x, json_t *q, const char *where, struct native_question *qu)
{
	static const char *const keys[] = { "id", "type", "text", "explanation", "options", NULL };
	if (!json_is_object(q))
		return fail(x, where, "must be an object");
	json_t *opts;
	if (only_keys(x, q, where, keys) || get_id(x, q, "id", where, &qu->id) ||
	    get_text(x, q, "text", 1, 1, where, &qu->text) ||
	    get_text(x, q, "explanation", 1, 1, where, &qu->explanation) ||
	    get_array(x, q, "options", 2, NATIVE_MAX_OPTIONS, where, &opts))
		return -1;
	json_t *type = json_object_get(q, "type");
	qu->type = NATIVE_SINGLE;
	if (type) {
		const char *t = json_string_value(type);
		if (t && strcmp(t, "multiple") == 0)
			qu->type = NATIVE_MULTIPLE;
		else if (!t || strcmp(t, "single") != 0)
			return fail(x, where, "\"type\" must be \"single\" or \"multiple\"");
	}
	qu->noptions = (int)json_array_size(opts);
	qu->options = calloc((size_t)qu->noptions, sizeof(*qu->options));
	if (!qu->options)
		return fail(x, where, "out of memory");
	int ncorrect = 0;
	for (int i = 0; i < qu->noptions; i++) {
		char w[224];
		snprintf(w, sizeof(w), "%s.options[%d]", where, i);
		if (parse_option(x, json_array_get(opts, (size_t)i), w, &qu->options[i]))
			return -1;
		for (int j = 0; j < i; j++)
			if (strcmp(qu->options[j].id, qu->options[i].id) == 0)
				return fail(x, w, "the id \"%s\" is used twice in this question",
					    qu->options[i].id);
		ncorrect += qu->options[i].correct;
	}
	if (qu->type == NATIVE_SINGLE && ncorrect != 1)
		return fail(x, where, "a \"single\" question needs exactly one option with "
			    "\"correct\": true (it has %d)", ncorrect);
	if (qu->type == NATIVE_MULTIPLE && ncorrect < 1)
		return fail(x, where, "a \"multiple\" question needs at least one option with "
			    "\"correct\": true");
	return 0;
}

static int parse_page(struct ctx *x, json_t *p, const char *where, struct native_page *pg)
{
	static const char *const keys[] = { "video", "title", "captions", "poster", NULL };
	memset(pg, 0, sizeof(*pg));
	pg->title = pg->captions = pg->poster = "";
	if (json_is_string(p)) {
		const char *s = json_string_value(p);
		pg->kind = NATIVE_PAGE_MARKDOWN;
		if (strlen(s) != json_string_length(p) || !native_path_valid(s))
			return fail(x, where, "must be a relative path inside the course folder "
				    "(letters, digits, '.', '_', '-' and '/'; no \"..\")");
		if (!native_path_has_ext(s, markdown_exts))
			return fail(x, where, "a page is a Markdown file ending in .md, or a video "
				    "object {\"video\": ...}");
		pg->file = s;
		return 0;
	}
	if (!json_is_object(p))
		return fail(x, where, "must be a Markdown file name or a video object");
	pg->kind = NATIVE_PAGE_VIDEO;
	if (only_keys(x, p, where, keys) ||
	    get_path(x, p, "video", 1, where, native_video_exts, "video", &pg->file) ||
	    get_text(x, p, "title", 1, 0, where, &pg->title) ||
	    get_path(x, p, "captions", 0, where, caption_exts, "captions (WebVTT)", &pg->captions) ||
	    get_path(x, p, "poster", 0, where, native_image_exts, "image", &pg->poster))
		return -1;
	return 0;
}

static int parse_quiz(struct ctx *x, json_t *quiz, const char *where, struct native_module *m)
{
	static const char *const keys[] = { "mastery_score", "questions", NULL };
	char w[128];
	snprintf(w, sizeof(w), "%s.quiz", where);
	if (!json_is_object(quiz))
		return fail(x, w, "must be an object with \"questions\"");
	json_t *qs;
	if (only_keys(x, quiz, w, keys) || get_mastery(x, quiz, w, &m->mastery_score) ||
	    get_array(x, quiz, "questions", 1, NATIVE_MAX_QUESTIONS, w, &qs))
		return -1;
	m->nquestions = (int)json_array_size(qs);
	m->questions = calloc((size_t)m->nquestions, sizeof(*m->questions));
	if (!m->questions)
		return fail(x, w, "out of memory");
	for (int i = 0; i < m->nquestions; i++) {
		char qw[192];
		snprintf(qw, sizeof(qw), "%s.questions[%d]", w, i);
		if (parse_question(x, json_array_get(qs, (size_t)i), qw, &m->questions[i]))
			return -1;
		for (int j = 0; j < i; j++)
			if (strcmp(m->questions[j].id, m->questions[i].id) == 0)
				return fail(x, qw, "the id \"%s\" is used twice in this quiz",
					    m->questions[i].id);
	}
	return 0;
}

static int parse_module(struct ctx *x, json_t *mo, const char *where, double course_mastery,
			struct native_module *m)
{
	static const char *const keys[] = { "id", "title", "description", "pages", "quiz", NULL };
	if (!json_is_object(mo))
		return fail(x, where, "must be an object");
	json_t *pages;
	if (only_keys(x, mo, where, keys) || get_id(x, mo, "id", where, &m->id) ||
	    get_text(x, mo, "title", 1, 0, where, &m->title) ||
	    get_text(x, mo, "description", 0, 1, where, &m->description) ||
	    get_array(x, mo, "pages", 1, NATIVE_MAX_PAGES, where, &pages))
		return -1;
	if (!m->description[0])
		m->description = m->title;
	m->npages = (int)json_array_size(pages);
	m->pages = calloc((size_t)m->npages, sizeof(*m->pages));
	if (!m->pages)
		return fail(x, where, "out of memory");
	for (int i = 0; i < m->npages; i++) {
		char w[128];
		snprintf(w, sizeof(w), "%s.pages[%d]", where, i);
		if (parse_page(x, json_array_get(pages, (size_t)i), w, &m->pages[i]))
			return -1;
	}
	m->mastery_score = course_mastery;
	json_t *quiz = json_object_get(mo, "quiz");
	if (quiz && parse_quiz(x, quiz, where, m))
		return -1;
	return 0;
}

static int parse_roles(struct ctx *x, json_t *root, struct native_course *c)
{
	json_t *roles = json_object_get(root, "roles");
	if (!roles)
		return 0;
	if (!json_is_array(roles) || json_array_size(roles) > NATIVE_MAX_ROLES)
		return fail(x, "", "\"roles\" must be a list of at most %d role names", NATIVE_MAX_ROLES);
	c->nroles = (int)json_array_size(roles);
	c->roles = calloc((size_t)c->nroles + 1, sizeof(*c->roles));
	if (!c->roles)
		return fail(x, "", "out of memory");
	for (int i = 0; i < c->nroles; i++) {
		json_t *r = json_array_get(roles, (size_t)i);
		const char *s = json_string_value(r);
		if (!s || strlen(s) != json_string_length(r) || !native_id_valid(s))
			return fail(x, "", "roles[%d] must be a role name of a-z, 0-9 and '-'", i);
		for (int j = 0; j < i; j++)
			if (strcmp(c->roles[j], s) == 0)
				return fail(x, "", "roles[%d]: \"%s\" is listed twice", i, s);
		c->roles[i] = s;
	}
	return 0;
}

int native_course_parse(const char *buf, size_t len, struct native_course *c, char *err,
			size_t errsize)
{
	static const char *const keys[] = { "id", "activity_id", "title", "description", "language",
					    "minutes", "valid_months", "roles", "mastery_score",
					    "modules", NULL };
	struct ctx x = { err, errsize };
	memset(c, 0, sizeof(*c));
	if (len > NATIVE_JSON_MAX) {
		snprintf(err, errsize, "course.json: larger than %d bytes", NATIVE_JSON_MAX);
		return -1;
	}
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errsize, "course.json:%d: %s", je.line, je.text);
		return -1;
	}
	c->json = root;
	c->language = "nb-NO";
	c->mastery_score = 0.8;
	c->valid_months = 12;
	json_t *modules = NULL;
	const char *lang = "";
	if (!json_is_object(root)) {
		fail(&x, "", "the file must hold one JSON object");
		goto bad;
	}
	if (only_keys(&x, root, "", keys) || get_id(&x, root, "id", "", &c->id) ||
	    get_text(&x, root, "activity_id", 1, 0, "", &c->activity_id))
		goto bad;
	if (!activity_id_valid(c->activity_id)) {
		fail(&x, "", "\"activity_id\" must be a URN such as urn:vern:kurs:%s (no spaces)", c->id);
		goto bad;
	}
	if (get_text(&x, root, "title", 1, 0, "", &c->title) ||
	    get_text(&x, root, "description", 1, 1, "", &c->description) ||
	    get_text(&x, root, "language", 0, 0, "", &lang))
		goto bad;
	if (lang[0]) {
		if (!language_valid(lang)) {
			fail(&x, "", "\"language\" must be a language tag such as nb-NO or nn-NO");
			goto bad;
		}
		c->language = lang;
	}
	if (get_long(&x, root, "minutes", 1, 1, 600, &c->minutes) ||
	    get_long(&x, root, "valid_months", 0, 0, 120, &c->valid_months) ||
	    parse_roles(&x, root, c) || get_mastery(&x, root, "", &c->mastery_score) ||
	    get_array(&x, root, "modules", 1, NATIVE_MAX_MODULES, "", &modules))
		goto bad;
	c->nmodules = (int)json_array_size(modules);
	c->modules = calloc((size_t)c->nmodules, sizeof(*c->modules));
	if (!c->modules) {
		fail(&x, "", "out of memory");
		goto bad;
	}
	for (int i = 0; i < c->nmodules; i++) {
		char w[64];
		snprintf(w, sizeof(w), "modules[%d]", i);
		if (parse_module(&x, json_array_get(modules, (size_t)i), w, c->mastery_score,
				 &c->modules[i]))
			goto bad;
		for (int j = 0; j < i; j++)
			if (strcmp(c->modules[j].id, c->modules[i].id) == 0) {
				fail(&x, w, "the id \"%s\" is used by modules[%d] too", c->modules[i].id, j);
				goto bad;
			}
	}
	return 0;
bad:
	native_course_free(c);
	return -1;
}

void native_course_free(struct native_course *c)
{
	for (int i = 0; c->modules && i < c->nmodules; i++) {
		struct native_module *m = &c->modules[i];
		for (int q = 0; m->questions && q < m->nquestions; q++)
			free(m->questions[q].options);
		free(m->questions);
		free(m->pages);
	}
	free(c->modules);
	free(c->roles);
	if (c->json)
		json_decref(c->json);
	memset(c, 0, sizeof(*c));
}
