/* test_unpack.c: the safe zip unpacker (courses/unpack.c).
 *
 * Each test builds its zip with libarchive's writer inside a fresh work
 * directory, unpacks it to work/pkg, and on a refusal checks that the work
 * directory holds nothing but the zip again (no pkg, no pkg.tmp-*). */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unpack.h"
#include "unit.h"

struct zentry {
	const char *name;
	char type;              /* 'f' file, 'd' directory, 'l' symlink */
	size_t size;            /* file: bytes of fill */
	char fill;
	const char *target;     /* symlink target */
};

static char work[64], zip[128], dest[128];

static void fresh_work(void)
{
	strcpy(work, "/tmp/vern-unpack-XXXXXX");
	if (!mkdtemp(work))
		abort();
	snprintf(zip, sizeof(zip), "%s/pkg.zip", work);
	snprintf(dest, sizeof(dest), "%s/pkg", work);
}

static int make_zip(const struct zentry *list, int n)
{
	struct archive *w = archive_write_new();
	archive_write_set_format_zip(w);
	if (archive_write_open_filename(w, zip) != ARCHIVE_OK)
		return -1;
	char *block = calloc(1, 1 << 20);
	for (int i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, list[i].name);
		if (list[i].type == 'd') {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0777);
		} else if (list[i].type == 'l') {
			archive_entry_set_filetype(e, AE_IFLNK);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_symlink(e, list[i].target);
		} else {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, 0777);
			archive_entry_set_size(e, (la_int64_t)list[i].size);
		}
		if (archive_write_header(w, e) != ARCHIVE_OK)
			printf("# write header %s: %s\n", list[i].name, archive_error_string(w));
		memset(block, list[i].fill, 1 << 20);
		for (size_t left = list[i].type == 'f' ? list[i].size : 0; left; ) {
			size_t k = left < (1 << 20) ? left : (1 << 20);
			archive_write_data(w, block, k);
			left -= k;
		}
		archive_entry_free(e);
	}
	free(block);
	archive_write_close(w);
	archive_write_free(w);
	return 0;
}

/* Number of entries in the work directory besides "." and "..". */
static int work_count(void)
{
	DIR *d = opendir(work);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void done_work(void)
{
	CHECK(unpack_remove_tree(work) == 0);
}

static void small_limits(struct unpack_limits *lim)
{
	lim->max_entries = 100;
	lim->max_total_bytes = 10 * 1024 * 1024;
	lim->max_ratio = 100;
}

/* Builds a zip from list, unpacks it and expects a refusal whose message
 * contains want; nothing may be left beside the zip. */
static void expect_refusal(const struct zentry *list, int n, const struct unpack_limits *lim, const char *want)
{
	char err[300] = "";
	fresh_work();
	CHECK(make_zip(list, n) == 0);
	CHECK(unpack_zip(zip, dest, lim, err, sizeof(err)) == -1);
	if (!strstr(err, want))
		printf("#   error \"%s\" lacks \"%s\"\n", err, want);
	CHECK(strstr(err, want) != NULL);
	CHECK(work_count() == 1);
	done_work();
}

static void test_ok_package(void)
{
	const struct zentry list[] = {
		{ "imsmanifest.xml", 'f', 100, 'x', NULL },
		{ "content/", 'd', 0, 0, NULL },
		{ "content/index.html", 'f', 5, 'h', NULL },
		{ "content/sub/deep/\xc3\xa6\xc3\xb8\xc3\xa5.txt", 'f', 3, 'n', NULL },
		{ "content/empty.txt", 'f', 0, 0, NULL },
		{ "Content2/", 'd', 0, 0, NULL },
	};
	struct unpack_limits lim;
	char err[300] = "", path[256];
	struct stat st;
	fresh_work();
	unpack_limits_init(&lim);
	CHECK(make_zip(list, 6) == 0);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(work_count() == 2);   /* pkg.zip and pkg */

	snprintf(path, sizeof(path), "%s/content/index.html", dest);
	CHECK(stat(path, &st) == 0 && st.st_size == 5 && (st.st_mode & 07777) == 0644);
	FILE *f = fopen(path, "r");
	char buf[8] = "";
	CHECK(f && fread(buf, 1, 5, f) == 5);
	if (f)
		fclose(f);
	CHECK_STR(buf, "hhhhh");
	snprintf(path, sizeof(path), "%s/content/sub/deep/\xc3\xa6\xc3\xb8\xc3\xa5.txt", dest);
	CHECK(stat(path, &st) == 0 && st.st_size == 3);
	snprintf(path, sizeof(path), "%s/content/sub", dest);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0755);
	CHECK(stat(dest, &st) == 0 && (st.st_mode & 07777) == 0755);
	snprintf(path, sizeof(path), "%s/Content2", dest);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));

	/* The destination exists now: a second unpack is refused, and the
	 * first tree is untouched. */
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(err, "already exists") != NULL);
	CHECK(work_count() == 2);
	snprintf(path, sizeof(path), "%s/imsmanifest.xml", dest);
	CHECK(stat(path, &st) == 0 && st.st_size == 100);
	done_work();
}

static void test_traversal(void)
{
	struct unpack_limits lim;
	small_limits(&lim);
	const struct zentry dotdot[] = { { "ok.txt", 'f', 1, 'a', NULL }, { "../evil", 'f', 4, 'e', NULL } };
	expect_refusal(dotdot, 2, &lim, "\"../evil\" has a '..' path component");
	const struct zentry inner[] = { { "a/../../evil", 'f', 4, 'e', NULL } };
	expect_refusal(inner, 1, &lim, "'..'");
	const struct zentry absolute[] = { { "/tmp/vern-unpack-evil", 'f', 4, 'e', NULL } };
	expect_refusal(absolute, 1, &lim, "absolute path");
	/* libarchive turns a zip name's backslashes into slashes, so they get
	 * the same checks; one that reached the unpacker would be refused. */
	const struct zentry backslash[] = { { "a\\..\\..\\evil", 'f', 4, 'e', NULL } };
	expect_refusal(backslash, 1, &lim, "'..'");
	const struct zentry control[] = { { "bad\x01name", 'f', 4, 'e', NULL } };
	expect_refusal(control, 1, &lim, "\"bad\\x01name\" has a control character");
	const struct zentry dot[] = { { "./a.txt", 'f', 4, 'e', NULL } };
	expect_refusal(dot, 1, &lim, "'.'");
	const struct zentry empty[] = { { "a//b.txt", 'f', 4, 'e', NULL } };
	expect_refusal(empty, 1, &lim, "empty path component");
	struct stat st;
	CHECK(stat("/tmp/vern-unpack-evil", &st) != 0);
}

static void test_links(void)
{
	struct unpack_limits lim;
	small_limits(&lim);
	const struct zentry link[] = {
		{ "index.html", 'f', 10, 'a', NULL },
		{ "passwd", 'l', 0, 0, "/etc/passwd" },
	};
	expect_refusal(link, 2, &lim, "\"passwd\" is a symbolic link");
	/* A link to a directory followed by a file "through" it. */
	const struct zentry through[] = {
		{ "up", 'l', 0, 0, ".." },
		{ "up/evil", 'f', 4, 'e', NULL },
	};
	expect_refusal(through, 2, &lim, "symbolic link");
}

static void test_duplicates(void)
{
	struct unpack_limits lim;
	small_limits(&lim);
	const struct zentry same[] = { { "a.txt", 'f', 1, 'a', NULL }, { "a.txt", 'f', 2, 'b', NULL } };
	expect_refusal(same, 2, &lim, "\"a.txt\" is a duplicate name");
	const struct zentry cased[] = { { "Readme.txt", 'f', 1, 'a', NULL }, { "README.TXT", 'f', 2, 'b', NULL } };
	expect_refusal(cased, 2, &lim, "\"README.TXT\" differs only in case from \"Readme.txt\"");
	const struct zentry dircase[] = { { "img/a.png", 'f', 1, 'a', NULL }, { "IMG/b.png", 'f', 2, 'b', NULL } };
	expect_refusal(dircase, 2, &lim, "differing only in case");
	const struct zentry filedir[] = { { "x", 'f', 1, 'a', NULL }, { "x/y", 'f', 2, 'b', NULL } };
	expect_refusal(filedir, 2, &lim, "\"x/y\" is inside a path that is also a file");
	const struct zentry dirfile[] = { { "x/y", 'f', 1, 'a', NULL }, { "x", 'f', 2, 'b', NULL } };
	expect_refusal(dirfile, 2, &lim, "is both a file and a directory");

	/* A directory entry after files inside it is the same directory. */
	const struct zentry late_dir[] = { { "d/a.txt", 'f', 1, 'a', NULL }, { "d/", 'd', 0, 0, NULL } };
	char err[300];
	fresh_work();
	CHECK(make_zip(late_dir, 2) == 0);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == 0);
	done_work();
}

static void test_too_many_entries(void)
{
	struct unpack_limits lim;
	small_limits(&lim);
	lim.max_entries = 10;
	struct zentry list[11];
	char names[11][24];
	for (int i = 0; i < 11; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d.txt", i);
		list[i] = (struct zentry){ names[i], 'f', 1, 'a', NULL };
	}
	expect_refusal(list, 11, &lim, "more than 10 entries");

	char err[300];
	fresh_work();
	CHECK(make_zip(list, 10) == 0);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == 0);
	done_work();
}

static void test_zip_bomb(void)
{
	struct unpack_limits lim;
	small_limits(&lim);
	lim.max_ratio = 0;   /* only the size limit stops it */
	const struct zentry bomb[] = {
		{ "index.html", 'f', 100, 'a', NULL },
		{ "zeros.bin", 'f', 50 * 1024 * 1024, 0, NULL },
	};
	expect_refusal(bomb, 2, &lim, "more than 10485760 bytes (at entry \"zeros.bin\")");

	/* Within the size limit, the ratio stops it. */
	small_limits(&lim);
	const struct zentry dense[] = { { "zeros.bin", 'f', 5 * 1024 * 1024, 0, NULL } };
	expect_refusal(dense, 1, &lim, "\"zeros.bin\" is compressed more than 100 to 1");

	/* A small file of blanks is not ratio-checked. */
	const struct zentry blanks[] = { { "blank.txt", 'f', 512 * 1024, ' ', NULL } };
	char err[300];
	fresh_work();
	CHECK(make_zip(blanks, 1) == 0);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == 0);
	done_work();
}

/* Replaces every occurrence of from in the zip by to (same length). */
static void patch_zip(const char *from, const char *to, size_t len)
{
	FILE *f = fopen(zip, "r+b");
	static char data[1 << 16];
	size_t n = fread(data, 1, sizeof(data), f);
	for (size_t i = 0; i + len <= n; i++)
		if (memcmp(data + i, from, len) == 0)
			memcpy(data + i, to, len);
	rewind(f);
	fwrite(data, 1, n, f);
	fclose(f);
}

static void test_nul_in_name(void)
{
	struct unpack_limits lim;
	char err[300];
	small_limits(&lim);
	const struct zentry list[] = { { "ok.txt", 'f', 1, 'a', NULL }, { "a.txtQevil.html", 'f', 4, 'e', NULL } };
	fresh_work();
	CHECK(make_zip(list, 2) == 0);
	patch_zip("a.txtQ", "a.txt\0", 6);   /* in the central directory and the local header */
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == -1);
	CHECK_STR(err, "entry \"a.txt\\x00evil.html\" has a NUL byte in its name");
	CHECK(work_count() == 1);
	done_work();

	/* Only in the local header, which is where libarchive takes the name. */
	fresh_work();
	CHECK(make_zip(list, 2) == 0);
	FILE *f = fopen(zip, "r+b");
	static char data[1 << 16];
	size_t n = fread(data, 1, sizeof(data), f);
	char *hit = memmem(data, n, "a.txtQ", 6);   /* the first is the local header */
	CHECK(hit != NULL);
	if (hit)
		hit[5] = '\0';
	rewind(f);
	fwrite(data, 1, n, f);
	fclose(f);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(err, "has a NUL byte in its name") != NULL);
	CHECK(work_count() == 1);
	done_work();
}

static void test_not_a_zip(void)
{
	struct unpack_limits lim;
	char err[300];
	small_limits(&lim);
	fresh_work();
	FILE *f = fopen(zip, "w");
	fputs("this is not a zip file\n", f);
	fclose(f);
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == -1);
	CHECK(strstr(err, "not a readable zip") != NULL);
	CHECK(work_count() == 1);
	done_work();

	fresh_work();
	CHECK(unpack_zip(zip, dest, &lim, err, sizeof(err)) == -1);   /* no file at all */
	CHECK(work_count() == 0);
	done_work();
}

static void test_remove_tree_keeps_link_targets(void)
{
	char path[256], target[256];
	struct stat st;
	fresh_work();
	snprintf(target, sizeof(target), "%s/keep.txt", work);
	FILE *f = fopen(target, "w");
	fputs("keep", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/tree", work);
	CHECK(mkdir(path, 0755) == 0);
	snprintf(path, sizeof(path), "%s/tree/link", work);
	CHECK(symlink(target, path) == 0);
	snprintf(path, sizeof(path), "%s/tree/dirlink", work);
	CHECK(symlink(work, path) == 0);
	snprintf(path, sizeof(path), "%s/tree", work);
	CHECK(unpack_remove_tree(path) == 0);
	CHECK(lstat(path, &st) != 0);
	CHECK(stat(target, &st) == 0);
	CHECK(unpack_remove_tree(path) == 0);   /* already gone */
	done_work();
}

int main(void)
{
	UNIT_RUN(test_ok_package);
	UNIT_RUN(test_traversal);
	UNIT_RUN(test_links);
	UNIT_RUN(test_duplicates);
	UNIT_RUN(test_too_many_entries);
	UNIT_RUN(test_zip_bomb);
	UNIT_RUN(test_nul_in_name);
	UNIT_RUN(test_not_a_zip);
	UNIT_RUN(test_remove_tree_keeps_link_targets);
	return unit_done();
}
