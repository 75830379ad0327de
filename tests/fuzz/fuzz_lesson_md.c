/* fuzz_lesson_md.c: libFuzzer target for lesson pages of native courses
 * (courses/native_markdown.c). A refusal must name the file; a rendered
 * page may only hold the tags a lesson allows (no raw HTML ever gets
 * through) and only images below media/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "native_course.h"
#include "native_markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_tags(const char *html)
{
	static const char *const ok[] = { "p", "em", "strong", "a", "ul", "ol", "li", "h2", "h3", "h4",
					  "h5", "h6", "blockquote", "code", "pre", "img", "hr", "br", NULL };
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		int found = 0;
		for (const char *const *t = ok; *t && !found; t++)
			found = strlen(*t) == n && strncmp(*t, name, n) == 0;
		if (!found)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct native_md md;
	char err[512];
	if (native_md_render("side.md", buf, size, &md, err, sizeof(err)) != 0) {
		if (strncmp(err, "side.md", 7) != 0 || md.body_html || md.nimages)
			abort();
	} else {
		if (!md.title || !md.title[0])
			abort();
		check_tags(md.body_html);
		check_tags(md.title_html);
		for (int i = 0; i < md.nimages; i++)
			if (strncmp(md.images[i], "media/", 6) != 0 || !native_path_valid(md.images[i]))
				abort();
		native_md_free(&md);
	}
	free(buf);
	return 0;
}
