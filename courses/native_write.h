/* native_write.h: the text files of a built native course: cmi5.xml and
 * one HTML page per module (the AU). native.c reads and checks the
 * sources, then writes what these return. */
#ifndef VERN_COURSES_NATIVE_WRITE_H
#define VERN_COURSES_NATIVE_WRITE_H

#include <stddef.h>

#include "native_course.h"
#include "native_markdown.h"

/* Where the runtime files go inside the package. */
#define NATIVE_ASSET_DIR "assets"

/* The publisher id of module m's AU: "<activity_id>:modul:<module id>". */
void native_au_id(const struct native_course *c, const struct native_module *m, char *out,
		  size_t size);

/* The AU's launch file: "<module id>.html". */
void native_au_url(const struct native_module *m, char *out, size_t size);

/* cmi5.xml for the course: one AU per module, AnyWindow, moveOn
 * CompletedAndPassed with masteryScore for a module with a quiz, else
 * Completed. Returns a malloc'd NUL-terminated text (length in *len), or
 * NULL when out of memory. */
char *native_write_cmi5(const struct native_course *c, size_t *len);

/* The HTML page of module index mi; md[p] is the rendered Markdown of page
 * p (unused for video pages). Returns as native_write_cmi5. */
char *native_write_module(const struct native_course *c, int mi, const struct native_md *md,
			  size_t *len);

#endif
