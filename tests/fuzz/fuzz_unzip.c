/* fuzz_unzip.c: libFuzzer target for the package unpacker
 * (courses/unpack.c). The input is written to a file and unpacked with
 * small limits into a scratch directory made once per process. A refusal
 * must say why and leave nothing behind; a success must give a tree of
 * plain files (0644) and directories (0755) only, within the limits. The
 * tree is removed after each run. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unpack.h"

#define FUZZ_MAX_ENTRIES 64
#define FUZZ_MAX_BYTES (4 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char scratch[64], zip[96], dest[96];

/* Walks the unpacked tree; returns the number of entries, aborting on
 * anything that should not be there. */
static uint64_t walk(int dirfd, uint64_t *bytes, int depth)
{
	if (depth > UNPACK_MAX_DEPTH)
		abort();
	DIR *d = fdopendir(dirfd);
	if (!d)
		abort();
	uint64_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		struct stat st;
		if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			abort();
		n++;
		if (S_ISREG(st.st_mode)) {
			if ((st.st_mode & 07777) != 0644)
				abort();
			*bytes += (uint64_t)st.st_size;
		} else if (S_ISDIR(st.st_mode)) {
			if ((st.st_mode & 07777) != 0755)
				abort();
			int fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
			if (fd < 0)
				abort();
			n += walk(fd, bytes, depth + 1);
		} else {
			abort();   /* a link, device or fifo got through */
		}
	}
	closedir(d);
	return n;
}

/* Number of entries in the scratch directory. */
static int scratch_count(void)
{
	DIR *d = opendir(scratch);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (d)
		closedir(d);
	return n;
}

static void remove_scratch(void)
{
	unpack_remove_tree(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!scratch[0]) {
		strcpy(scratch, "/tmp/vern-fuzz-unzip-XXXXXX");
		if (!mkdtemp(scratch))
			abort();
		atexit(remove_scratch);
		snprintf(zip, sizeof(zip), "%s/in.zip", scratch);
		snprintf(dest, sizeof(dest), "%s/pkg", scratch);
	}
	FILE *f = fopen(zip, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
		abort();

	struct unpack_limits lim = { FUZZ_MAX_ENTRIES, FUZZ_MAX_BYTES, 100 };
	char err[300] = "";
	if (unpack_zip(zip, dest, &lim, err, sizeof(err)) == 0) {
		int fd = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd < 0)
			abort();
		uint64_t bytes = 0;
		if (walk(fd, &bytes, 0) > FUZZ_MAX_ENTRIES || bytes > FUZZ_MAX_BYTES)
			abort();
		if (scratch_count() != 2 || unpack_remove_tree(dest) != 0)
			abort();
	} else if (!err[0] || scratch_count() != 1) {
		abort();
	}
	unlink(zip);
	return 0;
}
