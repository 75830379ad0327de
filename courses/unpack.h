/* unpack.h: safe extraction of uploaded course packages (zip files).
 *
 * A package is unpacked all-or-nothing: entries are written into a fresh
 * directory beside the destination (dest_dir + ".tmp-XXXXXX"), which is
 * renamed to dest_dir only when every entry was accepted and written. On
 * any refusal the temporary directory is removed again and dest_dir is
 * never created.
 *
 * Refused: a file that is not a zip with a central directory (the entries
 * are the ones the central directory lists, as for other zip tools);
 * encrypted entries; absolute names, a `..`, `.` or empty path component,
 * backslashes, names that are not UTF-8 or hold NUL or other control
 * characters (C0, DEL, C1), overlong names or paths deeper than
 * UNPACK_MAX_DEPTH; symbolic and hard links, devices, fifos and
 * sockets; the same name twice, also when the names differ only in ASCII
 * case or a file and a directory share a name; more than max_entries
 * entries; more than max_total_bytes unpacked (bytes actually written are
 * counted, the sizes in the zip headers are not trusted); an entry that
 * unpacks to more than max_ratio times its compressed size.
 *
 * Files are created 0644 and directories 0755 whatever the zip says;
 * timestamps and owners are not restored. Nothing is ever opened through a
 * symbolic link (every open is relative to the parent directory's fd, with
 * O_NOFOLLOW). */
#ifndef VERN_COURSES_UNPACK_H
#define VERN_COURSES_UNPACK_H

#include <stddef.h>
#include <stdint.h>

#define UNPACK_MAX_NAME 1024     /* bytes in an entry name */
#define UNPACK_MAX_COMPONENT 255 /* bytes in one path component */
#define UNPACK_MAX_DEPTH 32      /* path components in an entry name */

/* An entry is ratio-checked only once it has written this much: a small
 * file of blanks compresses a thousandfold and harms nobody. */
#define UNPACK_RATIO_MIN_BYTES (1024 * 1024)

struct unpack_limits {
	uint64_t max_entries;     /* files and directories, counted together */
	uint64_t max_total_bytes; /* bytes written, all entries together */
	/* Most unpacked bytes per compressed byte of one entry; 0 turns the
	 * check off. Where the compressed size of an entry is not known, the
	 * whole package's unpacked size is compared with the zip file's size
	 * instead. */
	uint64_t max_ratio;
};

/* Fills lim with the defaults for uploads: 20000 entries, 2 GiB, ratio 100. */
void unpack_limits_init(struct unpack_limits *lim);

/* Unpacks the zip file at zip_path into the directory dest_dir, which must
 * not exist yet (its parent must). Returns 0 on success; -1 on any refusal
 * or error, with err set to one English sentence for the log that names
 * the offending entry where there is one (names are quoted with
 * non-printable bytes escaped). On -1 nothing is left behind. */
int unpack_zip(const char *zip_path, const char *dest_dir, const struct unpack_limits *lim,
	       char *err, size_t errlen);

/* Removes path and, when it is a directory, everything below it, never
 * following symbolic links (a link is removed, not its target). For
 * throwing away an unpacked package. Returns 0, or -1 with errno set; a
 * path that does not exist is not an error. */
int unpack_remove_tree(const char *path);

#endif
