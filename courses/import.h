/* import.h: importing course packages (SCORM 1.2, SCORM 2004, cmi5 zips and
 * native course folders) into the data directory and the catalogue.
 *
 * An import is all-or-nothing. The zip is unpacked (unpack.c, with its
 * refusals) into data_dir/content/.incoming-XXXX, the manifest is read and
 * checked (every launch path must name a file inside the package), then the
 * folder is renamed to data_dir/content/<course id>/<version dir> and the
 * course, its new version and outline are written in one transaction. On
 * any refusal nothing is left behind and err names the file and, where
 * there is one, the manifest line.
 *
 * Re-importing a package of the same course (same manifest identifier or
 * cmi5 course id, or the same --id) adds a version; attempts already made
 * keep theirs, new attempts use the newest. */
#ifndef VERN_COURSES_IMPORT_H
#define VERN_COURSES_IMPORT_H

#include <stddef.h>

struct config;
struct db;

#define COURSE_ID_MAX 64

struct course_import_opts {
	const char *course_id;    /* NULL: the course this package was imported as
				   * before, or a new id made from its identifier */
	const char *title;        /* NULL: the manifest's */
	long minutes;             /* < 0: leave as is */
	long valid_months;        /* < 0: leave as is; 0: never expires */
	const char *source_name;  /* shown in messages; NULL: the path's last part */
};

struct course_import_result {
	char course_id[COURSE_ID_MAX + 1];
	char activity_id[512];
	char kind[16];            /* scorm12, scorm2004, cmi5, native */
	char title[256];
	int version;
	int items;                /* launchable items */
	int created;              /* 1 when the course is new */
	long long bytes;
};

/* Fills opts with "no overrides". */
void course_import_opts_init(struct course_import_opts *opts);

/* Imports path: a zip file (SCORM or cmi5 package) or a folder holding
 * course.json (a native course, built into a cmi5 package by native_build).
 * Content goes below cfg->data_dir/content. Returns 0 with *res filled, or
 * -1 with err set to one sentence naming the file (and manifest line). */
int courses_import_path(struct db *db, const struct config *cfg, const char *path,
			const struct course_import_opts *opts, struct course_import_result *res,
			char *err, size_t errsize);

/* 1 if s is a valid course id: 1-64 of a-z, 0-9 and '-', not starting with
 * '-'. */
int course_id_valid(const char *s);

/* `vern course import PATH [--id ID] [--title T] [--minutes N]
 * [--valid-months N]` and `vern course list`. argv holds the words after
 * "course". Returns the process exit code. */
int courses_command(const struct config *cfg, struct db *db, int argc, char **argv);

#endif
