/* assets.c: lookup in the compiled-in player files (see assets.h). */
#include "assets.h"

#include <string.h>

#include "mime.h"

const struct asset *assets_find(const char *name)
{
	for (const struct asset *a = assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

const char *assets_type(const char *name)
{
	return mime_type(name);
}
