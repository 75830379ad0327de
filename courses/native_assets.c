/* native_assets.c: the embedded AU runtime files (see native_assets.h).
 * The data comes from build/gen/native_assets_data.h, which the Makefile
 * generates from courses/au/ with courses/au/embed.sh. */
#include "native_assets.h"

#include "native_assets_data.h"
