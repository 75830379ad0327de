/* import.c: course package import, all-or-nothing (see import.h), and the
 * `vern course` command. */
#include "import.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "db.h"
#include "hex.h"
#include "log.h"
#include "manifest.h"
#include "outline.h"
#include "unpack.h"

/* Provided by courses/native.c (native course folders to cmi5 packages).
 * Weak, so this file links before that code exists; the import of a
 * native folder then fails with a clear message. */
int native_build(const char *src_dir, const char *out_dir, char *err, size_t errsize)
	__attribute__((weak));

#define PATH_MAX_LEN 4096

void course_import_opts_init(struct course_import_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->minutes = -1;
	opts->valid_months = -1;
}

int course_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > COURSE_ID_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char raw[32];
	randombytes_buf(raw, bytes);
	sodium_bin2hex(out, bytes * 2 + 1, raw, bytes);
}

/* Makes a course id from a manifest identifier or IRI: its last path
 * segment, lowercased, runs of other characters turned into '-'. */
static void slug_from(const char *ident, char *out, size_t size)
{
	const char *s = ident;
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == '/')
		len--;
	if (strstr(ident, "://")) {
		const char *slash = NULL;
		for (size_t i = 0; i < len; i++)
			if (s[i] == '/')
				slash = s + i;
		if (slash && (size_t)(slash - s) + 1 < len) {
			len -= (size_t)(slash - s) + 1;
			s = slash + 1;
		}
	}
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < size && o < COURSE_ID_MAX; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = c;
		else if (o > 0 && out[o - 1] != '-')
			out[o++] = '-';
	}
	while (o > 0 && out[o - 1] == '-')
		o--;
	out[o] = '\0';
	if (o == 0)
		snprintf(out, size, "kurs");
}

/* ---- the package's files ---- */

/* 1 if href (without query and fragment, percent-decoded) names a regular
 * file inside the package folder open as dirfd. */
static int launch_file_exists(int dirfd, const char *href)
{
	char path[2048];
	size_t o = 0;
	for (const char *p = href; *p && *p != '?' && *p != '#'; p++) {
		if (o + 1 >= sizeof(path))
			return 0;
		if (*p == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
			path[o++] = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
			p += 2;
		} else {
			path[o++] = *p;
		}
	}
	path[o] = '\0';
	if (o == 0 || path[0] == '/' || memchr(path, '\0', o) != NULL || strstr(path, ".."))
		return 0;
	struct stat sb;
	return fstatat(dirfd, path, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode);
}

static const char *manifest_file_name(const struct manifest *m)
{
	return m->kind == MANIFEST_CMI5 ? "cmi5.xml" : "imsmanifest.xml";
}

/* Checks every launchable item. Returns the number of launchable items, or
 * -1 with err set. */
static int check_items(const char *dir, const struct manifest *m, const char *source, char *err,
		       size_t errsize)
{
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(err, errsize, "%s: the unpacked package cannot be read", source);
		return -1;
	}
	int launchable = 0, rc = 0;
	for (int i = 0; i < m->nitems && rc == 0; i++) {
		const struct manifest_item *it = &m->items[i];
		int is_launch = it->node == MANIFEST_NODE_AU ||
				(it->node == MANIFEST_NODE_ITEM && it->scormtype != MANIFEST_TYPE_NONE);
		if (!is_launch)
			continue;
		launchable++;
		if (it->href_external)
			continue;
		if (!it->href[0] || !launch_file_exists(dirfd, it->href)) {
			snprintf(err, errsize, "%s: %s:%d: %s '%.100s' launches '%.200s', which is not a "
				 "file in the package", source, manifest_file_name(m), it->line,
				 it->node == MANIFEST_NODE_AU ? "AU" : "item", it->identifier, it->href);
			rc = -1;
		}
	}
	close(dirfd);
	if (rc == 0 && launchable == 0) {
		snprintf(err, errsize, "%s: %s: the package has nothing to launch (no SCO, asset or AU)",
			 source, manifest_file_name(m));
		return -1;
	}
	return rc == 0 ? launchable : -1;
}

static long long tree_bytes(int dirfd)
{
	long long total = 0;
	DIR *d = fdopendir(dirfd);
	if (!d) {
		close(dirfd);
		return 0;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		struct stat sb;
		if (fstatat(dirfd, e->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISREG(sb.st_mode))
			total += sb.st_size;
		else if (S_ISDIR(sb.st_mode)) {
			int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0)
				total += tree_bytes(sub);
		}
	}
	closedir(d);
	return total;
}

/* ---- native course.json ---- */

struct native_meta {
	char id[COURSE_ID_MAX + 1];
	char activity_id[512];
	char title[256];
	long minutes, valid_months;
};

static int read_course_json(const char *dir, const char *source, struct native_meta *nm,
			    char *err, size_t errsize)
{
	char path[PATH_MAX_LEN];
	snprintf(path, sizeof(path), "%s/course.json", dir);
	json_error_t je;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		snprintf(err, errsize, "%s: course.json:%d: %s", source, je.line, je.text);
		return -1;
	}
	const char *id = json_string_value(json_object_get(j, "id"));
	const char *act = json_string_value(json_object_get(j, "activity_id"));
	const char *title = json_string_value(json_object_get(j, "title"));
	json_t *min = json_object_get(j, "minutes"), *valid = json_object_get(j, "valid_months");
	int rc = -1;
	if (!id || !course_id_valid(id))
		snprintf(err, errsize, "%s: course.json: \"id\" must be 1-64 of a-z, 0-9 and '-'", source);
	else if (!act || strncmp(act, "urn:", 4) != 0 || strlen(act) >= sizeof(nm->activity_id))
		snprintf(err, errsize, "%s: course.json: \"activity_id\" must be a URN such as "
			 "urn:vern:kurs:%s", source, id);
	else if (!title || !*title || strlen(title) >= sizeof(nm->title))
		snprintf(err, errsize, "%s: course.json: \"title\" must be a non-empty string", source);
	else if ((min && !json_is_integer(min)) || (valid && !json_is_null(valid) && !json_is_integer(valid)))
		snprintf(err, errsize, "%s: course.json: \"minutes\" and \"valid_months\" must be "
			 "whole numbers", source);
	else {
		snprintf(nm->id, sizeof(nm->id), "%s", id);
		snprintf(nm->activity_id, sizeof(nm->activity_id), "%s", act);
		snprintf(nm->title, sizeof(nm->title), "%s", title);
		nm->minutes = min ? (long)json_integer_value(min) : -1;
		nm->valid_months = json_is_integer(valid) ? (long)json_integer_value(valid) : 0;
		rc = 0;
	}
	json_decref(j);
	return rc;
}

/* ---- the catalogue ---- */

/* Decides the course id and activity id on a read connection. */
static int resolve_course(struct db *db, const struct manifest *m, const char *kind,
			  const struct course_import_opts *o, const struct native_meta *nm,
			  struct course_import_result *res, char *err, size_t errsize)
{
	struct db_conn *c = db_reader_get(db);
	int rc = 0;
	char id[COURSE_ID_MAX + 1] = "";
	if (o->course_id)
		snprintf(id, sizeof(id), "%s", o->course_id);
	else if (nm)
		snprintf(id, sizeof(id), "%s", nm->id);
	else {
		sqlite3_stmt *st = db_stmt(c, "SELECT course_id FROM course_versions WHERE publisher_id = ?"
					      " AND kind = ? ORDER BY id DESC LIMIT 1");
		if (st) {
			sqlite3_bind_text(st, 1, m->identifier, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
			if (sqlite3_step(st) == SQLITE_ROW)
				snprintf(id, sizeof(id), "%s", (const char *)sqlite3_column_text(st, 0));
		}
		if (!id[0]) {
			char base[COURSE_ID_MAX + 1];
			slug_from(m->identifier, base, sizeof(base));
			snprintf(id, sizeof(id), "%s", base);
			for (int n = 2; n < 1000; n++) {
				sqlite3_stmt *q = db_stmt(c, "SELECT 1 FROM courses WHERE id = ?");
				if (!q)
					break;
				sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
				int taken = sqlite3_step(q) == SQLITE_ROW;
				sqlite3_reset(q);
				if (!taken)
					break;
				char suffix[16];
				int sl = snprintf(suffix, sizeof(suffix), "-%d", n);
				snprintf(id, sizeof(id), "%.*s%s", COURSE_ID_MAX - sl, base, suffix);
			}
		}
	}
	snprintf(res->course_id, sizeof(res->course_id), "%s", id);
	sqlite3_stmt *st = db_stmt(c, "SELECT activity_id FROM courses WHERE id = ?");
	if (st) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(res->activity_id, sizeof(res->activity_id), "%s",
				 (const char *)sqlite3_column_text(st, 0));
			res->created = 0;
		} else {
			res->created = 1;
			if (nm)
				snprintf(res->activity_id, sizeof(res->activity_id), "%s", nm->activity_id);
			else
				snprintf(res->activity_id, sizeof(res->activity_id), "urn:vern:kurs:%s", id);
		}
	} else {
		rc = -1;
		snprintf(err, errsize, "the course catalogue cannot be read");
	}
	if (rc == 0 && nm && strcmp(res->activity_id, nm->activity_id) != 0) {
		snprintf(err, errsize, "course %s has activity id %s, but course.json says %s", id,
			 res->activity_id, nm->activity_id);
		rc = -1;
	}
	db_reader_put(db, c);
	return rc;
}

struct store_job {
	const struct course_import_opts *o;
	struct course_import_result *res;
	const char *dir, *publisher_id, *source;
	const char *outline;
	long minutes, valid_months; /* < 0: keep */
	char *err;
	size_t errsize;
};

static int store_version(struct db_conn *c, void *arg)
{
	struct store_job *j = arg;
	struct course_import_result *r = j->res;
	long long now = now_ms();
	sqlite3_stmt *st = db_stmt(c,
		"INSERT INTO courses(id, activity_id, title, kind, minutes, valid_months, created_ms)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"
		" ON CONFLICT(id) DO UPDATE SET title = excluded.title, kind = excluded.kind,"
		" minutes = CASE WHEN ?8 THEN excluded.minutes ELSE minutes END,"
		" valid_months = CASE WHEN ?9 THEN excluded.valid_months ELSE valid_months END");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, r->activity_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, r->kind, -1, SQLITE_STATIC);
	if (j->minutes >= 0)
		sqlite3_bind_int64(st, 5, j->minutes);
	if (j->valid_months > 0)
		sqlite3_bind_int64(st, 6, j->valid_months);
	sqlite3_bind_int64(st, 7, now);
	sqlite3_bind_int(st, 8, j->minutes >= 0);
	sqlite3_bind_int(st, 9, j->valid_months >= 0);
	int rc = db_exec_stmt(c, st, "course_upsert");
	if (rc == DB_CONFLICT) {
		snprintf(j->err, j->errsize, "%s: the activity id %s belongs to another course",
			 j->source, r->activity_id);
		return DB_INVALID;
	}
	if (rc != DB_OK)
		return rc;
	st = db_stmt(c, "SELECT COALESCE(MAX(version), 0) + 1 FROM course_versions WHERE course_id = ?");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->course_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return DB_ERROR;
	r->version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	st = db_stmt(c, "INSERT INTO course_versions(course_id, version, kind, dir, publisher_id, title,"
			" outline, source, bytes, imported_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_text(st, 1, r->course_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, r->version);
	sqlite3_bind_text(st, 3, r->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, j->publisher_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->title, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, j->outline, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, j->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 9, r->bytes);
	sqlite3_bind_int64(st, 10, now);
	return db_exec_stmt(c, st, "course_version_insert");
}

/* ---- the import ---- */

static int ensure_dir(const char *path)
{
	if (mkdir(path, 0755) == 0 || errno == EEXIST) {
		struct stat sb;
		return lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : -1;
	}
	return -1;
}

static const char *last_part(const char *path)
{
	size_t len = strlen(path);
	while (len > 1 && path[len - 1] == '/')
		len--;
	const char *p = path + len;
	while (p > path && p[-1] != '/')
		p--;
	return p;
}

/* Unpacks or builds the package at path into incoming (which must not
 * exist). Fills *nm and sets *is_native for native folders. */
static int stage_package(const char *path, const char *incoming, const char *source,
			 int *is_native, struct native_meta *nm, char *err, size_t errsize)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		snprintf(err, errsize, "%s: %s", source, strerror(errno));
		return -1;
	}
	char e[1024];
	if (S_ISDIR(sb.st_mode)) {
		char cj[PATH_MAX_LEN];
		snprintf(cj, sizeof(cj), "%s/course.json", path);
		if (access(cj, R_OK) != 0) {
			snprintf(err, errsize, "%s: a folder must hold a native course (course.json); "
				 "SCORM and cmi5 packages are imported as zip files", source);
			return -1;
		}
		*is_native = 1;
		if (read_course_json(path, source, nm, err, errsize) != 0)
			return -1;
		if (!native_build) {
			snprintf(err, errsize, "%s: this build of Vern cannot build native courses "
				 "(courses/native.c is missing)", source);
			return -1;
		}
		if (mkdir(incoming, 0755) != 0) {
			snprintf(err, errsize, "%s: cannot create %s: %s", source, incoming, strerror(errno));
			return -1;
		}
		e[0] = '\0';
		if (native_build(path, incoming, e, sizeof(e)) != 0) {
			snprintf(err, errsize, "%s: %s", source, e[0] ? e : "the course could not be built");
			unpack_remove_tree(incoming);
			return -1;
		}
		return 0;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errsize, "%s: not a zip file or a course folder", source);
		return -1;
	}
	struct unpack_limits lim;
	unpack_limits_init(&lim);
	if (unpack_zip(path, incoming, &lim, e, sizeof(e)) != 0) {
		snprintf(err, errsize, "%s: %s", source, e);
		return -1;
	}
	return 0;
}

int courses_import_path(struct db *db, const struct config *cfg, const char *path,
			const struct course_import_opts *opts, struct course_import_result *res,
			char *err, size_t errsize)
{
	struct course_import_opts defaults;
	if (!opts) {
		course_import_opts_init(&defaults);
		opts = &defaults;
	}
	memset(res, 0, sizeof(*res));
	const char *source = opts->source_name ? opts->source_name : last_part(path);
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium could not start");
		return -1;
	}
	if (opts->course_id && !course_id_valid(opts->course_id)) {
		snprintf(err, errsize, "course id '%.80s' must be 1-64 of a-z, 0-9 and '-'", opts->course_id);
		return -1;
	}
	char content[CONFIG_STR_MAX + 16], incoming[CONFIG_STR_MAX + 96], vdir[40];
	snprintf(content, sizeof(content), "%s/content", cfg->data_dir);
	if (ensure_dir(cfg->data_dir) != 0 || ensure_dir(content) != 0) {
		snprintf(err, errsize, "cannot create %s: %s", content, strerror(errno));
		return -1;
	}
	random_hex(vdir, 8);
	snprintf(incoming, sizeof(incoming), "%s/.incoming-%s", content, vdir);

	struct native_meta nm;
	int is_native = 0;
	memset(&nm, 0, sizeof(nm));
	if (stage_package(path, incoming, source, &is_native, &nm, err, errsize) != 0)
		return -1;

	struct manifest m;
	char e[1024];
	json_t *outline = NULL;
	char *outline_text = NULL;
	char final_dir[CONFIG_STR_MAX + 160], course_dir[CONFIG_STR_MAX + 96];
	int made_course_dir = 0, placed = 0, rc = -1;
	memset(&m, 0, sizeof(m));
	if (manifest_parse_dir(incoming, &m, e, sizeof(e)) != 0) {
		snprintf(err, errsize, "%s: %s", source, e);
		goto out;
	}
	if (is_native && m.kind != MANIFEST_CMI5) {
		snprintf(err, errsize, "%s: the built native course has no cmi5.xml", source);
		goto out;
	}
	int launchable = check_items(incoming, &m, source, err, errsize);
	if (launchable < 0)
		goto out;
	res->items = launchable;
	snprintf(res->kind, sizeof(res->kind), "%s", is_native ? "native" : manifest_kind_name(m.kind));
	const char *title = opts->title ? opts->title : is_native ? nm.title
			  : m.title[0] ? m.title : m.identifier;
	snprintf(res->title, sizeof(res->title), "%s", title);
	if (resolve_course(db, &m, res->kind, opts, is_native ? &nm : NULL, res, err, errsize) != 0)
		goto out;
	outline = outline_from_manifest(&m, res->activity_id);
	outline_text = outline ? json_dumps(outline, JSON_COMPACT) : NULL;
	if (!outline_text) {
		snprintf(err, errsize, "%s: the outline could not be built (out of memory)", source);
		goto out;
	}
	int dfd = open(incoming, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	res->bytes = dfd >= 0 ? tree_bytes(dfd) : 0;

	snprintf(course_dir, sizeof(course_dir), "%s/%s", content, res->course_id);
	if (mkdir(course_dir, 0755) == 0)
		made_course_dir = 1;
	else if (errno != EEXIST) {
		snprintf(err, errsize, "cannot create %s: %s", course_dir, strerror(errno));
		goto out;
	}
	snprintf(final_dir, sizeof(final_dir), "%s/%s", course_dir, vdir);
	if (rename(incoming, final_dir) != 0) {
		snprintf(err, errsize, "cannot move the package to %s: %s", final_dir, strerror(errno));
		goto out;
	}
	placed = 1;

	struct store_job j = {
		.o = opts, .res = res, .dir = vdir, .publisher_id = m.identifier, .source = source,
		.outline = outline_text, .err = err, .errsize = errsize,
		.minutes = opts->minutes >= 0 ? opts->minutes : is_native && res->created ? nm.minutes : -1,
		.valid_months = opts->valid_months >= 0 ? opts->valid_months
			      : is_native && res->created ? nm.valid_months : -1,
	};
	err[0] = '\0';
	int w = db_write(db, store_version, &j);
	if (w != DB_OK) {
		if (!err[0])
			snprintf(err, errsize, "%s: the course could not be stored (database error)", source);
		goto out;
	}
	rc = 0;
	log_event(LOG_INFO, "course_imported", "course=%s version=%d kind=%s items=%d bytes=%lld",
		  res->course_id, res->version, res->kind, res->items, res->bytes);
out:
	if (rc != 0) {
		unpack_remove_tree(placed ? final_dir : incoming);
		if (made_course_dir)
			rmdir(course_dir);
	}
	manifest_free(&m);
	json_decref(outline);
	free(outline_text);
	return rc;
}

/* ---- `vern course` ---- */

static int parse_long(const char *s, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 100000)
		return -1;
	*out = v;
	return 0;
}

static int cmd_import(const struct config *cfg, struct db *db, int argc, char **argv)
{
	struct course_import_opts o;
	course_import_opts_init(&o);
	const char *path = NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		if (strcmp(a, "--id") == 0 && has_value)
			o.course_id = argv[++i];
		else if (strcmp(a, "--title") == 0 && has_value)
			o.title = argv[++i];
		else if (strcmp(a, "--minutes") == 0 && has_value) {
			if (parse_long(argv[++i], &o.minutes) != 0) {
				fprintf(stderr, "vern course import: --minutes needs a whole number\n");
				return 2;
			}
		} else if (strcmp(a, "--valid-months") == 0 && has_value) {
			if (parse_long(argv[++i], &o.valid_months) != 0) {
				fprintf(stderr, "vern course import: --valid-months needs a whole number "
						"(0: never expires)\n");
				return 2;
			}
		} else if (a[0] == '-' && a[1] == '-') {
			fprintf(stderr, "vern course import: unknown option %s\n", a);
			return 2;
		} else if (!path)
			path = a;
		else {
			fprintf(stderr, "vern course import: give one package (zip file or course folder)\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "vern course import: give a package (zip file or course folder)\n");
		return 2;
	}
	struct course_import_result r;
	char err[2048];
	if (courses_import_path(db, cfg, path, &o, &r, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern course import: %s\n", err);
		return 1;
	}
	printf("imported %s as course %s version %d (%s, %d launchable item%s, %.1f MB)%s\n",
	       last_part(path), r.course_id, r.version, r.kind, r.items, r.items == 1 ? "" : "s",
	       (double)r.bytes / 1e6, r.created ? ", new course" : "");
	printf("activity id: %s\n", r.activity_id);
	return 0;
}

static int cmd_list(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT c.id, c.kind, c.title, (SELECT MAX(version) FROM course_versions v"
		" WHERE v.course_id = c.id) FROM courses c ORDER BY c.id");
	printf("%-32s %-10s %-8s %s\n", "COURSE", "KIND", "VERSION", "TITLE");
	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%-32s %-10s %-8s %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		       sqlite3_column_type(st, 3) == SQLITE_NULL ? "-" : (const char *)sqlite3_column_text(st, 3),
		       sqlite3_column_text(st, 2));
	db_reader_put(db, c);
	return st ? 0 : 1;
}

int courses_command(const struct config *cfg, struct db *db, int argc, char **argv)
{
	if (argc >= 1 && strcmp(argv[0], "import") == 0)
		return cmd_import(cfg, db, argc - 1, argv + 1);
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(db);
	fprintf(stderr, "Usage: vern course import FILE.zip|FOLDER [--id ID] [--title TITLE] "
			"[--minutes N] [--valid-months N]\n"
			"       vern course list\n");
	return 2;
}
