/* native.h: native courses (a folder with course.json and Markdown pages,
 * see native_course.h) built into a standard cmi5 package, which Vern
 * then imports and plays like any other cmi5 course.
 *
 * The package holds cmi5.xml (course id = the course's activity_id, one AU
 * per module), one HTML page per module (<module id>.html), assets/ with
 * the AU runtime (vern-au.js, a cmi5 AU client) and its style sheet, and
 * the media files the course uses, at the same paths as in the source. */
#ifndef VERN_COURSES_NATIVE_H
#define VERN_COURSES_NATIVE_H

#include <stddef.h>

/* Reads src_dir/course.json and every page and media file it names,
 * checks them all, and only then writes the package into out_dir, which
 * is created when missing and must otherwise be empty. No file is
 * followed through a symbolic link. Returns 0, or -1 with err set to one
 * message naming the file and the line or field ("sider/02.md:14: raw
 * HTML is not allowed ..."); on an error after writing began, what was
 * written is left for the caller to remove. */
int native_build(const char *src_dir, const char *out_dir, char *err, size_t errsize);

/* `vern course build SRC_DIR OUT_DIR`: builds a course folder so its
 * author can check it (and open the pages in a browser). argv holds the
 * words after "build". Returns the process exit code. */
int native_build_command(int argc, char **argv);

#endif
