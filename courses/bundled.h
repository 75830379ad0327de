/* bundled.h: installs the courses that ship with Vern (courses/<id>/ folders
 * holding a course.json) into a database, once: `vern demo` and
 * `vern course install-bundled` use it. */
#ifndef VERN_COURSES_BUNDLED_H
#define VERN_COURSES_BUNDLED_H

#include <stdio.h>

struct config;
struct db;

/* Imports every folder of dir that holds a course.json and whose course has
 * no imported version yet. Reports each course on out. Returns the number
 * imported, or -1 when one failed (its error printed on stderr). */
int courses_install_bundled(struct db *db, const struct config *cfg, const char *dir, FILE *out);

#endif
