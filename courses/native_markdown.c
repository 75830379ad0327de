/* native_markdown.c: checks and renders one lesson page (see
 * native_markdown.h). One cmark parse, one walk over the tree that checks
 * every node and collects the images, then the title heading is taken out
 * and the rest rendered in safe mode. */
#include "native_markdown.h"

#include <cmark.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "native_course.h"
#include "utf8.h"

/* Line of n, or of its nearest ancestor that has one (cmark gives some
 * inline nodes no position). */
static int node_line(cmark_node *n)
{
	for (; n; n = cmark_node_parent(n))
		if (cmark_node_get_start_line(n) > 0)
			return cmark_node_get_start_line(n);
	return 1;
}

/* Line of the first byte that is not valid UTF-8, or 0 when all are. */
static int bad_utf8_line(const char *s, size_t n)
{
	int line = 1;
	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);
		if (k == 0 || s[i] == '\0')
			return line;
		if (s[i] == '\n')
			line++;
		i += k;
	}
	return 0;
}

/* Appends the plain text below n (text, code, breaks as spaces) to buf. */
static void plain_text(cmark_node *n, char *buf, size_t size)
{
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
		cmark_node_type t = cmark_node_get_type(c);
		size_t used = strlen(buf);
		if (t == CMARK_NODE_TEXT || t == CMARK_NODE_CODE)
			snprintf(buf + used, size - used, "%s", cmark_node_get_literal(c));
		else if (t == CMARK_NODE_SOFTBREAK || t == CMARK_NODE_LINEBREAK)
			snprintf(buf + used, size - used, " ");
		else
			plain_text(c, buf, size);
	}
}

static int link_allowed(const char *url)
{
	static const char *const schemes[] = { "https://", "http://", "mailto:", "tel:", NULL };
	for (const char *const *s = schemes; *s; s++)
		if (strncasecmp(url, *s, strlen(*s)) == 0 && url[strlen(*s)])
			return 1;
	return 0;
}

static int is_comment(const char *html)
{
	while (*html == ' ' || *html == '\t' || *html == '\n')
		html++;
	if (strncmp(html, "<!--", 4) != 0)
		return 0;
	const char *end = html + strlen(html);
	while (end > html && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n'))
		end--;
	return end - html >= 7 && strncmp(end - 3, "-->", 3) == 0;
}

struct walk {
	const char *name;
	char *err;
	size_t errsize;
	cmark_node *title;
	cmark_node **drop;       /* HTML comments, unlinked after the walk */
	size_t ndrop, capdrop;
	struct native_md *out;
};

static int walk_fail(struct walk *w, cmark_node *n, const char *msg, const char *detail)
{
	snprintf(w->err, w->errsize, "%s:%d: %s%s", w->name, node_line(n), msg, detail ? detail : "");
	return -1;
}

static int check_image(struct walk *w, cmark_node *n)
{
	const char *url = cmark_node_get_url(n);
	if (!url || !native_path_valid(url) || strncmp(url, "media/", 6) != 0 ||
	    !native_path_has_ext(url, native_image_exts))
		return walk_fail(w, n, "an image must be a file in media/ (.png, .jpg, .jpeg, .gif "
				 "or .webp), written ![description](media/name.png)", NULL);
	char alt[256] = "";
	plain_text(n, alt, sizeof(alt));
	if (strspn(alt, " \t") == strlen(alt))
		return walk_fail(w, n, "an image needs a description for those who cannot see it: "
				 "![what the image shows](", url);
	if (w->out->nimages == NATIVE_MD_MAX_IMAGES)
		return walk_fail(w, n, "too many images on one page", NULL);
	char *copy = strdup(url);
	if (!copy)
		return walk_fail(w, n, "out of memory", NULL);
	w->out->images[w->out->nimages] = copy;
	w->out->image_lines[w->out->nimages++] = node_line(n);
	return 0;
}

/* Checks one node as the walk enters it. */
static int check_node(struct walk *w, cmark_node *n)
{
	switch (cmark_node_get_type(n)) {
	case CMARK_NODE_HTML_BLOCK:
	case CMARK_NODE_HTML_INLINE:
		if (!is_comment(cmark_node_get_literal(n)))
			return walk_fail(w, n, "raw HTML is not allowed in a lesson; write it in Markdown", NULL);
		if (w->ndrop == w->capdrop) {
			size_t cap = w->capdrop ? w->capdrop * 2 : 16;
			cmark_node **d = realloc(w->drop, cap * sizeof(*d));
			if (!d)
				return walk_fail(w, n, "out of memory", NULL);
			w->drop = d;
			w->capdrop = cap;
		}
		w->drop[w->ndrop++] = n;
		return 0;
	case CMARK_NODE_HEADING:
		if (n != w->title && cmark_node_get_heading_level(n) == 1)
			return walk_fail(w, n, "only the page title may be a level-1 heading (#); "
					 "use ## for sections", NULL);
		return 0;
	case CMARK_NODE_LINK: {
		const char *url = cmark_node_get_url(n);
		if (!url || !link_allowed(url))
			return walk_fail(w, n, "a link must be an https://, http://, mailto: or tel: "
					 "address", NULL);
		return 0;
	}
	case CMARK_NODE_IMAGE:
		return check_image(w, n);
	default:
		return 0;
	}
}

/* The inline HTML inside "<h2>...</h2>\n" as cmark renders a heading. */
static char *heading_inner_html(cmark_node *heading)
{
	char *html = cmark_render_html(heading, CMARK_OPT_SAFE);
	if (!html)
		return NULL;
	char *open = strchr(html, '>');
	char *close = strstr(html, "</h");
	char *inner = NULL;
	if (open && close && close > open)
		inner = strndup(open + 1, (size_t)(close - open - 1));
	free(html);
	return inner;
}

int native_md_render(const char *name, const char *md, size_t len, struct native_md *out,
		     char *err, size_t errsize)
{
	memset(out, 0, sizeof(*out));
	if (len > NATIVE_MD_MAX) {
		snprintf(err, errsize, "%s: a page may be at most %d KB; split it in two",
			 name, NATIVE_MD_MAX / 1024);
		return -1;
	}
	int bad = bad_utf8_line(md, len);
	if (bad) {
		snprintf(err, errsize, "%s:%d: not valid UTF-8 text (save the file as UTF-8)", name, bad);
		return -1;
	}
	cmark_node *doc = cmark_parse_document(md, len, CMARK_OPT_DEFAULT);
	if (!doc) {
		snprintf(err, errsize, "%s: out of memory", name);
		return -1;
	}
	struct walk w = { name, err, errsize, NULL, NULL, 0, 0, out };
	int rc = -1;
	cmark_node *first = cmark_node_first_child(doc);
	if (!first || cmark_node_get_type(first) != CMARK_NODE_HEADING ||
	    cmark_node_get_heading_level(first) != 1) {
		snprintf(err, errsize, "%s:%d: a page starts with its title as a level-1 heading "
			 "(# Title)", name, first ? node_line(first) : 1);
		goto out;
	}
	w.title = first;

	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	int failed = 0;
	while (!failed && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
		if (ev == CMARK_EVENT_ENTER)
			failed = check_node(&w, cmark_iter_get_node(it)) != 0;
	cmark_iter_free(it);
	if (failed)
		goto out;
	for (size_t i = 0; i < w.ndrop; i++)
		cmark_node_free(w.drop[i]); /* unlinks it as well */

	/* Headings move one level down: the module title is the <h1>. */
	it = cmark_iter_new(doc);
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(n) == CMARK_NODE_HEADING) {
			int level = cmark_node_get_heading_level(n);
			cmark_node_set_heading_level(n, level < 6 ? level + 1 : 6);
		}
	}
	cmark_iter_free(it);

	char title[1024] = "";
	plain_text(first, title, sizeof(title));
	if (strspn(title, " \t") == strlen(title)) {
		snprintf(err, errsize, "%s:%d: the title heading is empty", name, node_line(first));
		goto out;
	}
	out->title = strdup(title);
	out->title_html = heading_inner_html(first);
	cmark_node_free(first);
	out->body_html = cmark_render_html(doc, CMARK_OPT_SAFE);
	if (!out->title || !out->title_html || !out->body_html) {
		snprintf(err, errsize, "%s: out of memory", name);
		goto out;
	}
	rc = 0;
out:
	free(w.drop);
	cmark_node_free(doc);
	if (rc != 0)
		native_md_free(out);
	return rc;
}

void native_md_free(struct native_md *md)
{
	free(md->title);
	free(md->title_html);
	free(md->body_html);
	for (int i = 0; i < md->nimages; i++)
		free(md->images[i]);
	memset(md, 0, sizeof(*md));
}
