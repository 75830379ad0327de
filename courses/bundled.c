/* bundled.c: imports the bundled native courses once (see bundled.h). */
#include "bundled.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db.h"
#include "import.h"

/* 1 if the course already has an imported version. */
static int has_version(struct db *db, const char *course_id)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM course_versions WHERE course_id = ? LIMIT 1");
	int found = 0;
	if (st) {
		sqlite3_bind_text(st, 1, course_id, -1, SQLITE_STATIC);
		found = sqlite3_step(st) == SQLITE_ROW;
	}
	db_reader_put(db, c);
	return found;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int courses_install_bundled(struct db *db, const struct config *cfg, const char *dir, FILE *out)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(out, "no bundled courses: %s cannot be read\n", dir);
		return 0;
	}
	char *names[256];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 256)
		if (course_id_valid(e->d_name))
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);

	int imported = 0;
	for (int i = 0; i < n; i++) {
		char path[1024], json[1100];
		struct stat sb;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		snprintf(json, sizeof(json), "%s/course.json", path);
		if (imported < 0 || stat(json, &sb) != 0 || has_version(db, names[i]))
			continue;
		struct course_import_opts opts;
		course_import_opts_init(&opts);
		opts.course_id = names[i];
		struct course_import_result res;
		char err[1024];
		if (courses_import_path(db, cfg, path, &opts, &res, err, sizeof(err)) != 0) {
			fprintf(stderr, "bundled course %s: %s\n", names[i], err);
			imported = -1;
			continue;
		}
		fprintf(out, "installed course %s: %s (%d modules)\n", res.course_id, res.title, res.items);
		imported++;
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	return imported;
}
