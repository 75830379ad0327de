/* native_markdown.h: one lesson page of a native course, from Markdown to
 * safe HTML with libcmark.
 *
 * A page starts with a level-1 heading, its title. Headings below it move
 * one level down when rendered (the module's title is the page's <h1>, the
 * page title an <h2>, "##" an <h3>...). The page is checked as it is
 * parsed, and refused with "FILE:LINE: message" when it holds:
 *   - raw HTML (a block or inline tag; HTML comments are allowed and
 *     dropped), which also could never pass the content's CSP;
 *   - a link that is not http(s):, mailto: or tel: (javascript:, data:,
 *     relative links...), or an image that is not a file in media/ with an
 *     image extension, or has no alternative text;
 *   - no title, or a second level-1 heading.
 * Rendering uses cmark's safe mode as well, so raw HTML could not get
 * through even if a check were missed. */
#ifndef VERN_COURSES_NATIVE_MARKDOWN_H
#define VERN_COURSES_NATIVE_MARKDOWN_H

#include <stddef.h>

#define NATIVE_MD_MAX (256 * 1024)    /* bytes of one page */
#define NATIVE_MD_MAX_IMAGES 50

struct native_md {
	char *title;            /* plain text of the title (UTF-8) */
	char *title_html;       /* the title's inline HTML, no surrounding tag */
	char *body_html;        /* everything after the title */
	char *images[NATIVE_MD_MAX_IMAGES]; /* media paths the page shows */
	int image_lines[NATIVE_MD_MAX_IMAGES];
	int nimages;
};

/* Checks and renders len bytes of Markdown; name is used in messages.
 * Returns 0 with *out filled (free with native_md_free), or -1 with err
 * set and *out empty. */
int native_md_render(const char *name, const char *md, size_t len, struct native_md *out,
		     char *err, size_t errsize);

void native_md_free(struct native_md *md);

#endif
