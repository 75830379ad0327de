/* native.c: builds a native course folder into a cmi5 package (see
 * native.h).
 *
 * Two phases. First everything is read and checked: course.json
 * (native_course.c), each Markdown page (native_markdown.c) and each media
 * file it or course.json names; the module pages and cmi5.xml are
 * rendered in memory (native_write.c). Only when all of that succeeded is
 * anything written, so a mistake in the last page leaves no output.
 * Files are opened below the course folder one path component at a time
 * with O_NOFOLLOW, so a symbolic link cannot pull in a file from outside. */
#include "native.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "native_assets.h"
#include "native_course.h"
#include "native_markdown.h"
#include "native_write.h"

#define MEDIA_MAX 400   /* distinct media files in one course */

/* ---- files below a folder ---- */

/* Opens rel (checked by native_path_valid) below dirfd, never through a
 * symbolic link. Directories on the way must exist unless create_dirs. */
static int open_below(int dirfd, const char *rel, int flags, int create_dirs)
{
	char part[NATIVE_PATH_MAX + 1];
	int cur = dirfd;
	const char *p = rel;
	for (;;) {
		size_t n = strcspn(p, "/");
		if (n > NATIVE_PATH_MAX) {
			errno = ENAMETOOLONG;
			break;
		}
		memcpy(part, p, n);
		part[n] = '\0';
		int last = p[n] == '\0';
		if (!last && create_dirs && mkdirat(cur, part, 0755) != 0 && errno != EEXIST)
			break;
		int fd = openat(cur, part, last ? flags | O_NOFOLLOW | O_CLOEXEC
					  : O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0644);
		int e = errno;
		if (cur != dirfd)
			close(cur);
		errno = e;
		if (fd < 0 || last)
			return fd;
		cur = fd;
		p += n + 1;
	}
	if (cur != dirfd) {
		int e = errno;
		close(cur);
		errno = e;
	}
	return -1;
}

/* Opens a regular file below dirfd for reading; err names it and, when
 * given, what named it. */
static int open_regular(int dirfd, const char *rel, const char *named_by, char *err, size_t errsize)
{
	int fd = open_below(dirfd, rel, O_RDONLY | O_NONBLOCK, 0);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	const char *why = fd >= 0 ? "is not a regular file"
		: errno == ELOOP || errno == ENOTDIR ? "is a symbolic link or not below the course folder"
		: errno == ENOENT ? "does not exist" : strerror(errno);
	if (fd >= 0)
		close(fd);
	snprintf(err, errsize, "%s: the file %s%s%s", rel, why, named_by ? " (named in " : "",
		 named_by ? named_by : "");
	if (named_by)
		snprintf(err + strlen(err), errsize - strlen(err), ")");
	return -1;
}

/* Reads a whole regular file of at most max bytes (NUL added). */
static int read_below(int dirfd, const char *rel, size_t max, const char *named_by, char **out,
		      size_t *len, char *err, size_t errsize)
{
	int fd = open_regular(dirfd, rel, named_by, err, errsize);
	if (fd < 0)
		return -1;
	char *buf = malloc(max + 2);
	size_t n = 0;
	if (!buf) {
		close(fd);
		snprintf(err, errsize, "%s: out of memory", rel);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errsize, "%s: %s", rel, strerror(errno));
			close(fd);
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(err, errsize, "%s: larger than %zu KB", rel, max / 1024);
			close(fd);
			free(buf);
			return -1;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int write_below(int dirfd, const char *rel, const void *data, size_t len, char *err,
		       size_t errsize)
{
	int fd = open_below(dirfd, rel, O_WRONLY | O_CREAT | O_EXCL, 1);
	if (fd < 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (close(fd) != 0) {
		snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
		return -1;
	}
	return 0;
}

static int copy_below(int srcfd, int outfd, const char *rel, char *err, size_t errsize)
{
	int in = open_regular(srcfd, rel, NULL, err, errsize);
	if (in < 0)
		return -1;
	int out = open_below(outfd, rel, O_WRONLY | O_CREAT | O_EXCL, 1);
	int rc = -1;
	if (out < 0) {
		snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
		goto done;
	}
	char buf[65536];
	for (;;) {
		ssize_t r = read(in, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errsize, "%s: %s", rel, strerror(errno));
			goto done;
		}
		if (r == 0)
			break;
		if (write_all(out, buf, (size_t)r) != 0) {
			snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
			goto done;
		}
	}
	if (fsync(out) != 0) {
		snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
		goto done;
	}
	rc = 0;
done:
	close(in);
	if (out >= 0 && close(out) != 0 && rc == 0) {
		snprintf(err, errsize, "cannot write %s: %s", rel, strerror(errno));
		rc = -1;
	}
	return rc;
}

/* out_dir: created when missing, else it must be an empty folder. */
static int open_out_dir(const char *out_dir, char *err, size_t errsize)
{
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
		snprintf(err, errsize, "cannot create %s: %s", out_dir, strerror(errno));
		return -1;
	}
	int fd = open(out_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errsize, "%s: %s", out_dir, strerror(errno));
		return -1;
	}
	int dup_fd = dup(fd);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		snprintf(err, errsize, "%s: %s", out_dir, strerror(errno));
		if (dup_fd >= 0)
			close(dup_fd);
		close(fd);
		return -1;
	}
	struct dirent *e;
	int empty = 1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = 0;
	closedir(d);
	if (!empty) {
		snprintf(err, errsize, "%s is not empty; give a new or empty folder for the package",
			 out_dir);
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- the build ---- */

struct build {
	int srcfd;
	struct native_course course;
	struct native_md *md[NATIVE_MAX_MODULES];    /* per module, one per page */
	char *html[NATIVE_MAX_MODULES];
	size_t html_len[NATIVE_MAX_MODULES];
	char *cmi5;
	size_t cmi5_len;
	const char *media[MEDIA_MAX];                /* points into course or md */
	int nmedia;
	char *err;
	size_t errsize;
};

/* Checks that a media file exists and remembers it for copying. */
static int add_media(struct build *b, const char *rel, const char *named_by)
{
	for (int i = 0; i < b->nmedia; i++)
		if (strcmp(b->media[i], rel) == 0)
			return 0;
	if (b->nmedia == MEDIA_MAX) {
		snprintf(b->err, b->errsize, "%s: more than %d media files in one course", named_by,
			 MEDIA_MAX);
		return -1;
	}
	int fd = open_regular(b->srcfd, rel, named_by, b->err, b->errsize);
	if (fd < 0)
		return -1;
	close(fd);
	b->media[b->nmedia++] = rel;
	return 0;
}

static int read_module(struct build *b, int mi)
{
	const struct native_module *m = &b->course.modules[mi];
	b->md[mi] = calloc((size_t)m->npages, sizeof(struct native_md));
	if (!b->md[mi]) {
		snprintf(b->err, b->errsize, "out of memory");
		return -1;
	}
	for (int p = 0; p < m->npages; p++) {
		const struct native_page *pg = &m->pages[p];
		char named[96];
		snprintf(named, sizeof(named), "course.json modules[%d].pages[%d]", mi, p);
		if (pg->kind == NATIVE_PAGE_VIDEO) {
			if (add_media(b, pg->file, named) ||
			    (pg->captions[0] && add_media(b, pg->captions, named)) ||
			    (pg->poster[0] && add_media(b, pg->poster, named)))
				return -1;
			continue;
		}
		char *text;
		size_t len;
		if (read_below(b->srcfd, pg->file, NATIVE_MD_MAX, named, &text, &len, b->err,
			       b->errsize) != 0)
			return -1;
		int rc = native_md_render(pg->file, text, len, &b->md[mi][p], b->err, b->errsize);
		free(text);
		if (rc != 0)
			return -1;
		const struct native_md *md = &b->md[mi][p];
		for (int i = 0; i < md->nimages; i++) {
			char at[NATIVE_PATH_MAX + 32];
			snprintf(at, sizeof(at), "%s line %d", pg->file, md->image_lines[i]);
			if (add_media(b, md->images[i], at))
				return -1;
		}
	}
	b->html[mi] = native_write_module(&b->course, mi, b->md[mi], &b->html_len[mi]);
	if (!b->html[mi]) {
		snprintf(b->err, b->errsize, "out of memory");
		return -1;
	}
	return 0;
}

static int prepare(struct build *b, const char *src_dir)
{
	b->srcfd = open(src_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->srcfd < 0) {
		snprintf(b->err, b->errsize, "%s: %s", src_dir, strerror(errno));
		return -1;
	}
	char *json;
	size_t len;
	if (read_below(b->srcfd, "course.json", NATIVE_JSON_MAX, NULL, &json, &len, b->err,
		       b->errsize) != 0)
		return -1;
	int rc = native_course_parse(json, len, &b->course, b->err, b->errsize);
	free(json);
	if (rc != 0)
		return -1;
	for (int mi = 0; mi < b->course.nmodules; mi++)
		if (read_module(b, mi) != 0)
			return -1;
	b->cmi5 = native_write_cmi5(&b->course, &b->cmi5_len);
	if (!b->cmi5) {
		snprintf(b->err, b->errsize, "out of memory");
		return -1;
	}
	return 0;
}

static int write_package(struct build *b, const char *out_dir)
{
	int outfd = open_out_dir(out_dir, b->err, b->errsize);
	if (outfd < 0)
		return -1;
	int rc = -1;
	if (write_below(outfd, "cmi5.xml", b->cmi5, b->cmi5_len, b->err, b->errsize))
		goto out;
	for (int mi = 0; mi < b->course.nmodules; mi++) {
		char url[128];
		native_au_url(&b->course.modules[mi], url, sizeof(url));
		if (write_below(outfd, url, b->html[mi], b->html_len[mi], b->err, b->errsize))
			goto out;
	}
	for (int i = 0; i < native_assets_count; i++) {
		char rel[128];
		snprintf(rel, sizeof(rel), NATIVE_ASSET_DIR "/%s", native_assets[i].name);
		if (write_below(outfd, rel, native_assets[i].data, native_assets[i].size, b->err,
				b->errsize))
			goto out;
	}
	for (int i = 0; i < b->nmedia; i++)
		if (copy_below(b->srcfd, outfd, b->media[i], b->err, b->errsize))
			goto out;
	if (fsync(outfd) != 0) {
		snprintf(b->err, b->errsize, "cannot write %s: %s", out_dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(outfd);
	return rc;
}

int native_build(const char *src_dir, const char *out_dir, char *err, size_t errsize)
{
	struct build *b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errsize, "out of memory");
		return -1;
	}
	b->srcfd = -1;
	b->err = err;
	b->errsize = errsize;
	err[0] = '\0';
	int rc = prepare(b, src_dir);
	if (rc == 0)
		rc = write_package(b, out_dir);
	for (int mi = 0; mi < NATIVE_MAX_MODULES; mi++) {
		if (b->md[mi])
			for (int p = 0; p < b->course.modules[mi].npages; p++)
				native_md_free(&b->md[mi][p]);
		free(b->md[mi]);
		free(b->html[mi]);
	}
	free(b->cmi5);
	native_course_free(&b->course);
	if (b->srcfd >= 0)
		close(b->srcfd);
	free(b);
	return rc;
}
