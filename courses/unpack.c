/* unpack.c: safe zip extraction for course packages (see unpack.h).
 *
 * The work is split in three: names are checked as text first (name_problem)
 * and against every name seen so far (names_record: exact and ASCII-case-
 * insensitive duplicates, files against directories); only then is the
 * entry created, below one directory fd (the temporary root) with openat
 * and O_NOFOLLOW at every step, so nothing outside the root can be reached
 * even if a check were wrong. Data is copied in blocks while counting the
 * bytes written and the compressed bytes libarchive consumed, which is what
 * the size and ratio limits compare.
 *
 * libarchive converts names to the calling thread's locale. The server
 * runs in the C locale, where a zip's UTF-8 names cannot be converted, so
 * the reading runs under a thread-local C.UTF-8 locale (uselocale), which
 * changes nothing for other threads. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utf8.h"

#define UNPACK_BLOCK (64 * 1024)
#define REMOVE_MAX_DEPTH 64

void unpack_limits_init(struct unpack_limits *lim)
{
	lim->max_entries = 20000;
	lim->max_total_bytes = (uint64_t)2 * 1024 * 1024 * 1024;
	lim->max_ratio = 100;
}

/* ---- names as text ---- */

/* 1 when the bytes at s start a control character: C0, DEL or C1. */
static int is_control(const unsigned char *s)
{
	return s[0] < 0x20 || s[0] == 0x7f || (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f);
}

/* 1 when s is valid UTF-8 without control characters. */
static int text_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	while (left) {
		size_t n = utf8_seq_len(p, left);
		if (!n || is_control(p))
			return 0;
		p += n;
		left -= n;
	}
	return 1;
}

/* Writes the len bytes of name into out as a quoted, printable string for
 * an error message: NUL and other control characters, quotes, backslashes
 * (and every byte >= 0x80 when the name is not valid UTF-8) become \xNN;
 * long names are cut with "...". */
static void quote_bytes(char *out, size_t n, const char *name, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const int utf8 = !memchr(name, '\0', len) && text_ok(name);
	const unsigned char *p = (const unsigned char *)name, *end = p + len;
	size_t o = 0;
	const size_t room = n < 140 ? n : 140;
	if (room < 8) {
		if (n)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	while (p < end) {
		if (o + 6 >= room) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		int escape = *p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\' ||
			     (*p >= 0x80 && (!utf8 || (p + 1 < end && is_control(p))));
		if (escape) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		} else {
			out[o++] = (char)*p;
		}
		p++;
	}
	out[o++] = '"';
	out[o] = '\0';
}

static void quote_name(char *out, size_t n, const char *name)
{
	quote_bytes(out, n, name, strlen(name));
}

/* Checks one entry name (a directory's trailing '/' already removed).
 * Returns NULL when it is acceptable, else why not. */
static const char *name_problem(const char *name)
{
	size_t len = strlen(name);
	if (len == 0)
		return "has an empty name";
	if (len > UNPACK_MAX_NAME)
		return "has a name longer than 1024 bytes";
	if (name[0] == '/')
		return "has an absolute path";
	if (strchr(name, '\\'))
		return "has a backslash in its name";
	const unsigned char *p = (const unsigned char *)name;
	while (*p) {
		size_t n = utf8_seq_len(p, strlen((const char *)p));
		if (!n)
			return "has a name that is not valid UTF-8";
		if (is_control(p))
			return "has a control character in its name";
		p += n;
	}
	int depth = 0;
	for (const char *c = name; ; ) {
		const char *slash = strchr(c, '/');
		size_t clen = slash ? (size_t)(slash - c) : strlen(c);
		if (clen == 0)
			return "has an empty path component (//)";
		if (clen == 1 && c[0] == '.')
			return "has a '.' path component";
		if (clen == 2 && c[0] == '.' && c[1] == '.')
			return "has a '..' path component";
		if (clen > UNPACK_MAX_COMPONENT)
			return "has a path component longer than 255 bytes";
		if (++depth > UNPACK_MAX_DEPTH)
			return "is nested deeper than 32 directories";
		if (!slash)
			break;
		c = slash + 1;
	}
	return NULL;
}

/* ---- names against each other ----
 * An open-addressing hash set keyed by the ASCII-lowercased path. Every
 * directory a name passes through is recorded too (implicitly), so "a"
 * the file and "a/x" collide, and "A/x" after "a/y" is caught. */

struct name_slot {
	char *key;              /* lowercased; NULL for a free slot */
	char *exact;            /* as in the zip */
	unsigned char is_dir, is_explicit;
};

struct name_set {
	struct name_slot *slots;
	size_t cap, count;      /* cap is a power of two */
};

static uint64_t name_hash(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

static struct name_slot *names_find(const struct name_set *set, const char *key)
{
	size_t i = (size_t)name_hash(key) & (set->cap - 1);
	while (set->slots[i].key && strcmp(set->slots[i].key, key) != 0)
		i = (i + 1) & (set->cap - 1);
	return &set->slots[i];
}

static int names_grow(struct name_set *set)
{
	struct name_set bigger = { NULL, set->cap ? set->cap * 2 : 256, set->count };
	bigger.slots = calloc(bigger.cap, sizeof(*bigger.slots));
	if (!bigger.slots)
		return -1;
	for (size_t i = 0; i < set->cap; i++)
		if (set->slots[i].key)
			*names_find(&bigger, set->slots[i].key) = set->slots[i];
	free(set->slots);
	*set = bigger;
	return 0;
}

static void names_free(struct name_set *set)
{
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i].key);   /* exact shares the allocation */
	free(set->slots);
	set->slots = NULL;
	set->cap = set->count = 0;
}

/* Adds a name of len bytes (a prefix of path). Returns the slot, or NULL
 * on out of memory. */
static struct name_slot *names_add(struct name_set *set, const char *path, size_t len, int is_dir, int is_explicit)
{
	if ((set->count + 1) * 2 > set->cap && names_grow(set) != 0)
		return NULL;
	char *mem = malloc(2 * len + 2);
	if (!mem)
		return NULL;
	for (size_t i = 0; i < len; i++)
		mem[i] = (path[i] >= 'A' && path[i] <= 'Z') ? (char)(path[i] - 'A' + 'a') : path[i];
	mem[len] = '\0';
	memcpy(mem + len + 1, path, len);
	mem[2 * len + 1] = '\0';
	struct name_slot *slot = names_find(set, mem);
	slot->key = mem;
	slot->exact = mem + len + 1;
	slot->is_dir = (unsigned char)is_dir;
	slot->is_explicit = (unsigned char)is_explicit;
	set->count++;
	return slot;
}

/* Looks up the first len bytes of path, lowercased. */
static struct name_slot *names_lookup(struct name_set *set, const char *path, size_t len)
{
	char key[UNPACK_MAX_NAME + 1];
	for (size_t i = 0; i < len; i++)
		key[i] = (path[i] >= 'A' && path[i] <= 'Z') ? (char)(path[i] - 'A' + 'a') : path[i];
	key[len] = '\0';
	if (!set->cap)
		return NULL;
	struct name_slot *slot = names_find(set, key);
	return slot->key ? slot : NULL;
}

/* Records name (checked by name_problem) and every directory above it.
 * Returns 0, or -1 with *why set and *other the clashing earlier name (or
 * NULL). */
static int names_record(struct name_set *set, const char *name, int is_dir, const char **why, const char **other)
{
	*other = NULL;
	for (const char *slash = strchr(name, '/'); slash; slash = strchr(slash + 1, '/')) {
		size_t len = (size_t)(slash - name);
		struct name_slot *slot = names_lookup(set, name, len);
		if (!slot) {
			if (!names_add(set, name, len, 1, 0))
				goto oom;
			continue;
		}
		*other = slot->exact;
		if (!slot->is_dir) {
			*why = "is inside a path that is also a file";
			return -1;
		}
		if (strncmp(slot->exact, name, len) != 0) {
			*why = "has a directory differing only in case from";
			return -1;
		}
	}
	size_t len = strlen(name);
	struct name_slot *slot = names_lookup(set, name, len);
	if (!slot) {
		if (!names_add(set, name, len, is_dir, 1))
			goto oom;
		return 0;
	}
	*other = slot->exact;
	if (strcmp(slot->exact, name) != 0) {
		*why = "differs only in case from";
		return -1;
	}
	if (is_dir && slot->is_dir && !slot->is_explicit) {
		slot->is_explicit = 1;   /* "a/" after "a/x": the same directory */
		return 0;
	}
	if (is_dir != slot->is_dir) {
		*why = "is both a file and a directory";
		*other = NULL;
		return -1;
	}
	*why = "is a duplicate name";
	*other = NULL;
	return -1;
oom:
	*why = "cannot be recorded: out of memory";
	return -1;
}

/* ---- extraction ---- */

struct unpacker {
	struct archive *a;
	int root;                        /* fd of the temporary directory */
	const struct unpack_limits *lim;
	uint64_t entries, total, zip_size;
	struct name_set names;
	char *block;                     /* UNPACK_BLOCK bytes */
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int failf(struct unpacker *u, const char *fmt, ...)
{
	if (u->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(u->err, u->errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Opens the directory name below dirfd, creating it first when create is
 * set. Never follows a symbolic link. Returns the fd or -1 (errno). */
static int open_dir_at(int dirfd, const char *name, int create)
{
	int created = 0;
	if (create) {
		if (mkdirat(dirfd, name, 0755) == 0)
			created = 1;
		else if (errno != EEXIST)
			return -1;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && created && fchmod(fd, 0755) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Creates the directories above name below the root and returns the fd of
 * the innermost (the root itself for a top-level name; the caller closes
 * it when it is not u->root), with *last pointing at the final component
 * inside copy. Returns -1 with errno on failure. */
static int open_parent(struct unpacker *u, const char *name, char *copy, const char **last)
{
	strcpy(copy, name);   /* name_problem bounded it by UNPACK_MAX_NAME */
	int fd = u->root;
	char *c = copy;
	for (char *slash = strchr(c, '/'); slash; slash = strchr(c, '/')) {
		*slash = '\0';
		int next = open_dir_at(fd, c, 1);
		int e = errno;
		if (fd != u->root)
			close(fd);
		if (next < 0) {
			errno = e;
			return -1;
		}
		fd = next;
		c = slash + 1;
	}
	*last = c;
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 1 when out bytes from in bytes is more than ratio allows. */
static int over_ratio(uint64_t out, uint64_t in, uint64_t ratio)
{
	if (in > UINT64_MAX / ratio)
		return 0;
	return out > in * ratio;
}

/* Copies the current entry's data into fd, enforcing the size and ratio
 * limits as the bytes come. */
static int copy_data(struct unpacker *u, int fd, const char *q)
{
	const struct unpack_limits *lim = u->lim;
	const int64_t start = archive_filter_bytes(u->a, -1);
	uint64_t written = 0;
	for (;;) {
		la_ssize_t n = archive_read_data(u->a, u->block, UNPACK_BLOCK);
		if (n == 0)
			return 0;
		if (n < 0)
			return failf(u, "entry %s cannot be unpacked: %s", q, archive_error_string(u->a));
		if ((uint64_t)n > lim->max_total_bytes - u->total)
			return failf(u, "the package unpacks to more than %llu bytes (at entry %s)",
				     (unsigned long long)lim->max_total_bytes, q);
		if (write_all(fd, u->block, (size_t)n) != 0)
			return failf(u, "entry %s cannot be written: %s", q, strerror(errno));
		u->total += (uint64_t)n;
		written += (uint64_t)n;
		if (!lim->max_ratio || written <= UNPACK_RATIO_MIN_BYTES)
			continue;
		const int64_t now = archive_filter_bytes(u->a, -1);
		if (start >= 0 && now > start) {
			if (over_ratio(written, (uint64_t)(now - start), lim->max_ratio))
				return failf(u, "entry %s is compressed more than %llu to 1 (a zip bomb?)",
					     q, (unsigned long long)lim->max_ratio);
		} else if (over_ratio(u->total, u->zip_size ? u->zip_size : 1, lim->max_ratio)) {
			return failf(u, "the package unpacks to more than %llu times its size (at entry %s)",
				     (unsigned long long)lim->max_ratio, q);
		}
	}
}

/* Checks and creates one entry. */
static int unpack_entry(struct unpacker *u, struct archive_entry *e)
{
	char q[160], q2[160];
	const char *raw = archive_entry_pathname(e);
	if (!raw)
		return failf(u, "entry %llu has no readable name", (unsigned long long)u->entries);
	quote_name(q, sizeof(q), raw);

	if (archive_entry_is_encrypted(e))
		return failf(u, "entry %s is encrypted", q);
	if (archive_entry_hardlink(e))
		return failf(u, "entry %s is a hard link", q);
	const mode_t type = archive_entry_filetype(e);
	if (type == AE_IFLNK)
		return failf(u, "entry %s is a symbolic link", q);
	if (type != AE_IFREG && type != AE_IFDIR)
		return failf(u, "entry %s is a device, fifo or socket, not a file", q);

	char name[UNPACK_MAX_NAME + 2];
	size_t len = strlen(raw);
	if (len > UNPACK_MAX_NAME + 1)
		return failf(u, "entry %s has a name longer than 1024 bytes", q);
	memcpy(name, raw, len + 1);
	if (len && name[len - 1] == '/') {
		if (type != AE_IFDIR)
			return failf(u, "entry %s is a file whose name ends in '/'", q);
		name[--len] = '\0';
	}
	const char *why = name_problem(name);
	if (why)
		return failf(u, "entry %s %s", q, why);
	const char *other;
	if (names_record(&u->names, name, type == AE_IFDIR, &why, &other) != 0) {
		if (!other)
			return failf(u, "entry %s %s", q, why);
		quote_name(q2, sizeof(q2), other);
		return failf(u, "entry %s %s %s", q, why, q2);
	}

	char copy[UNPACK_MAX_NAME + 1];
	const char *last;
	int dirfd = open_parent(u, name, copy, &last);
	if (dirfd < 0)
		return failf(u, "entry %s: cannot create its directory: %s", q, strerror(errno));
	int rc = 0;
	if (type == AE_IFDIR) {
		int fd = open_dir_at(dirfd, last, 1);
		if (fd < 0)
			rc = failf(u, "entry %s cannot be created: %s", q, strerror(errno));
		else
			close(fd);
	} else {
		int fd = openat(dirfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0) {
			rc = failf(u, "entry %s cannot be created: %s", q, strerror(errno));
		} else {
			if (fchmod(fd, 0644) != 0)
				rc = failf(u, "entry %s cannot be created: %s", q, strerror(errno));
			if (rc == 0)
				rc = copy_data(u, fd, q);
			if (close(fd) != 0 && rc == 0)
				rc = failf(u, "entry %s cannot be written: %s", q, strerror(errno));
		}
	}
	if (dirfd != u->root)
		close(dirfd);
	return rc;
}

/* Unpacks every entry with libarchive, reading fd. Only the seekable zip
 * reader is enabled: it goes by the central directory, as other zip tools
 * do, rather than by whatever local headers a walk from the front finds. */
static int unpack_entries(struct unpacker *u, int fd)
{
	u->a = archive_read_new();
	if (!u->a)
		return failf(u, "out of memory");
	archive_read_support_format_zip_seekable(u->a);
	if (archive_read_open_fd(u->a, fd, UNPACK_BLOCK) != ARCHIVE_OK)
		return failf(u, "the package is not a readable zip file: %s", archive_error_string(u->a));
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(u->a, &e);
		if (r == ARCHIVE_EOF)
			return 0;
		u->entries++;
		if (r != ARCHIVE_OK) {
			const char *name = r == ARCHIVE_WARN ? archive_entry_pathname(e) : NULL;
			char q[160];
			if (!name)
				return failf(u, "entry %llu cannot be read: %s",
					     (unsigned long long)u->entries, archive_error_string(u->a));
			quote_name(q, sizeof(q), name);
			return failf(u, "entry %s cannot be read: %s", q, archive_error_string(u->a));
		}
		if (u->entries > u->lim->max_entries)
			return failf(u, "the package has more than %llu entries",
				     (unsigned long long)u->lim->max_entries);
		if (unpack_entry(u, e) != 0)
			return -1;
	}
}

/* ---- a raw look at the zip's directory ----
 * libarchive hands names over as C strings, so a name holding a NUL byte
 * would arrive cut short ("a.txt\0evil.html" as "a.txt"), and it reads the
 * whole central directory into memory before the first entry is returned.
 * So before libarchive starts, the central directory is walked here the way
 * libarchive's seekable reader finds it: a name with a NUL, in the
 * directory or in the local header an entry points to (libarchive takes
 * the name from there), is refused, and so are more than max_entries
 * entries. Whatever this walk cannot make sense of is left to libarchive,
 * which refuses a zip without a usable central directory. */

#define ZIP_TAIL (16 * 1024)   /* how far from the end libarchive looks */

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
	size_t got = 0;
	if (off > (uint64_t)INT64_MAX - n)
		return -1;
	while (got < n) {
		ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* Finds where the central directory's entries start and the correction
 * for offsets (a zip with bytes in front of it), as libarchive does: the
 * last end record in the final 16 KiB, or the Zip64 record it points to.
 * Returns 0, or -1 when there is none. */
static int find_central_directory(int fd, uint64_t size, uint64_t *cd, int64_t *correction)
{
	unsigned char tail[ZIP_TAIL];
	const size_t n = size < ZIP_TAIL ? (size_t)size : ZIP_TAIL;
	const uint64_t base = size - n;
	if (n < 22 || read_at(fd, tail, n, base) != 0)
		return -1;
	size_t i = n - 22;
	while (i > 0 && memcmp(tail + i, "PK\5\6", 4) != 0)
		i--;
	if (i == 0)
		return -1;
	const unsigned char *e = tail + i;
	const uint64_t eocd = base + i;
	const uint32_t cd_size = le32(e + 12), cd_off = le32(e + 16);
	int ok = le16(e + 4) == 0 && le16(e + 6) == 0 && le16(e + 8) == le16(e + 10) &&
		 (uint64_t)cd_off + cd_size <= eocd;
	*cd = eocd - cd_size;
	*correction = (int64_t)*cd - (int64_t)cd_off;
	if (i >= 20 && memcmp(e - 20, "PK\6\7", 4) == 0 && le32(e - 20 + 4) == 0 && le32(e - 20 + 16) == 1) {
		unsigned char z[56];
		if (read_at(fd, z, sizeof(z), le64(e - 20 + 8)) == 0 && le64(z + 4) >= 44 &&
		    le64(z + 4) <= 16384 - 12 && le32(z + 16) == 0 && le32(z + 20) == 0 &&
		    le64(z + 24) == le64(z + 32)) {
			*cd = le64(z + 48);
			*correction = 0;
			ok = 1;
		}
	}
	return ok ? 0 : -1;
}

/* The local header offset from a Zip64 extra field, or off unchanged. */
static uint64_t zip64_local_offset(const unsigned char *h, const unsigned char *x, size_t xlen, uint64_t off)
{
	while (xlen >= 4) {
		size_t id = le16(x), len = le16(x + 2);
		if (len > xlen - 4)
			break;
		if (id == 0x0001) {
			size_t at = (le32(h + 24) == 0xffffffff ? 8 : 0) + (le32(h + 20) == 0xffffffff ? 8 : 0);
			return at + 8 <= len ? le64(x + 4 + at) : off;
		}
		x += 4 + len;
		xlen -= 4 + len;
	}
	return off;
}

static int refuse_nul(struct unpacker *u, const unsigned char *name, size_t len)
{
	char q[160];
	quote_bytes(q, sizeof(q), (const char *)name, len);
	return failf(u, "entry %s has a NUL byte in its name", q);
}

static int scan_directory(struct unpacker *u, int fd)
{
	uint64_t pos;
	int64_t correction;
	if (find_central_directory(fd, u->zip_size, &pos, &correction) != 0)
		return 0;
	unsigned char h[46], lh[30];
	unsigned char *var = malloc(2 * 65535);
	if (!var)
		return failf(u, "out of memory");
	uint64_t count = 0;
	int rc = 0;
	while (rc == 0 && read_at(fd, h, sizeof(h), pos) == 0 && memcmp(h, "PK\1\2", 4) == 0) {
		if (++count > u->lim->max_entries) {
			rc = failf(u, "the package has more than %llu entries", (unsigned long long)u->lim->max_entries);
			break;
		}
		const size_t nlen = le16(h + 28), xlen = le16(h + 30), clen = le16(h + 32);
		if (read_at(fd, var, nlen + xlen, pos + 46) != 0)
			break;
		if (memchr(var, '\0', nlen)) {
			rc = refuse_nul(u, var, nlen);
			break;
		}
		uint64_t local = (uint64_t)((int64_t)le32(h + 42) + correction);
		if (local == 0xffffffff)
			local = zip64_local_offset(h, var + nlen, xlen, local);
		if (read_at(fd, lh, sizeof(lh), local) == 0 && memcmp(lh, "PK\3\4", 4) == 0) {
			const size_t lnlen = le16(lh + 26);
			if (read_at(fd, var, lnlen, local + 30) == 0 && memchr(var, '\0', lnlen))
				rc = refuse_nul(u, var, lnlen);
		}
		pos += 46 + nlen + xlen + clen;
	}
	free(var);
	return rc;
}

/* Reads the whole zip into u->root. */
static int unpack_all(struct unpacker *u, const char *zip_path)
{
	struct stat st;
	int fd = open(zip_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return failf(u, "cannot read the package: %s", strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return failf(u, "the package is not a regular file");
	}
	u->zip_size = (uint64_t)st.st_size;
	int rc = scan_directory(u, fd);
	if (rc == 0)
		rc = unpack_entries(u, fd);
	close(fd);
	return rc;
}

/* Moves the finished tree into place, refusing to replace anything. */
static int move_into_place(const char *tmp, const char *dest)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	struct stat st;
	if (lstat(dest, &st) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(tmp, dest);
}

int unpack_zip(const char *zip_path, const char *dest_dir, const struct unpack_limits *lim,
	       char *err, size_t errlen)
{
	struct unpacker u = { .root = -1, .lim = lim, .err = err, .errlen = errlen };
	if (errlen)
		err[0] = '\0';
	if (!zip_path || !dest_dir || !lim || !dest_dir[0])
		return failf(&u, "unpack_zip: missing argument");

	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", dest_dir) >= (int)sizeof(tmp))
		return failf(&u, "the destination path is too long");
	struct stat st;
	if (lstat(dest_dir, &st) == 0 || errno != ENOENT)
		return failf(&u, "the destination %s already exists or cannot be checked", dest_dir);
	if (!mkdtemp(tmp))
		return failf(&u, "cannot create a directory beside %s: %s", dest_dir, strerror(errno));

	int rc = -1;
	u.root = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	u.block = malloc(UNPACK_BLOCK);
	if (u.root < 0 || !u.block) {
		failf(&u, "cannot open %s: %s", tmp, u.root < 0 ? strerror(errno) : "out of memory");
		goto out;
	}
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t before = utf8 ? uselocale(utf8) : (locale_t)0;
	rc = unpack_all(&u, zip_path);
	if (u.a)
		archive_read_free(u.a);
	if (utf8) {
		uselocale(before);
		freelocale(utf8);
	}
	if (rc == 0 && fchmod(u.root, 0755) != 0)
		rc = failf(&u, "cannot set the permissions of %s: %s", tmp, strerror(errno));
out:
	names_free(&u.names);
	free(u.block);
	if (u.root >= 0)
		close(u.root);
	if (rc == 0 && move_into_place(tmp, dest_dir) != 0)
		rc = failf(&u, "cannot move the package to %s: %s", dest_dir, strerror(errno));
	if (rc != 0)
		unpack_remove_tree(tmp);
	return rc;
}

/* ---- removal ---- */

static int remove_at(int dirfd, const char *name, int depth)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth > REMOVE_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	int rc = 0, saved = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (remove_at(fd, de->d_name, depth + 1) != 0 && rc == 0) {
			rc = -1;
			saved = errno;
		}
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0)
		errno = saved;
	return rc;
}

int unpack_remove_tree(const char *path)
{
	return remove_at(AT_FDCWD, path, 0);
}
