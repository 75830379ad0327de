/* native_assets.h: the files every built native course carries in its
 * assets/ folder: the AU runtime (vern-au.js) and its style sheet
 * (vern-au.css). Their sources are in courses/au/; the build embeds them
 * into the binary (courses/au/embed.sh), so `vern` needs no files beside
 * it to build a course. */
#ifndef VERN_COURSES_NATIVE_ASSETS_H
#define VERN_COURSES_NATIVE_ASSETS_H

#include <stddef.h>

struct native_asset {
	const char *name;              /* file name, e.g. "vern-au.js" */
	const unsigned char *data;
	size_t size;
};

extern const struct native_asset native_assets[];
extern const int native_assets_count;

#endif
