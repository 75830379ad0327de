/* mime.c: extension to media type for course content and the player's own
 * files. Unknown types are sent as application/octet-stream with nosniff,
 * so a browser never guesses HTML out of a file that is not named so. */
#include "mime.h"

#include <string.h>
#include <strings.h>

static const struct {
	const char *ext, *type;
} types[] = {
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "xhtml", "application/xhtml+xml" }, { "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" }, { "css", "text/css; charset=utf-8" },
	{ "json", "application/json" }, { "xml", "application/xml" }, { "xsd", "application/xml" },
	{ "txt", "text/plain; charset=utf-8" }, { "csv", "text/csv; charset=utf-8" },
	{ "vtt", "text/vtt; charset=utf-8" }, { "srt", "text/plain; charset=utf-8" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "svg", "image/svg+xml" }, { "webp", "image/webp" },
	{ "avif", "image/avif" }, { "ico", "image/x-icon" }, { "bmp", "image/bmp" },
	{ "mp4", "video/mp4" }, { "m4v", "video/mp4" }, { "webm", "video/webm" },
	{ "ogv", "video/ogg" }, { "mov", "video/quicktime" }, { "mp3", "audio/mpeg" },
	{ "m4a", "audio/mp4" }, { "wav", "audio/wav" }, { "ogg", "audio/ogg" },
	{ "oga", "audio/ogg" }, { "aac", "audio/aac" }, { "woff", "font/woff" },
	{ "woff2", "font/woff2" }, { "ttf", "font/ttf" }, { "otf", "font/otf" },
	{ "eot", "application/vnd.ms-fontobject" }, { "pdf", "application/pdf" },
	{ "wasm", "application/wasm" }, { "swf", "application/x-shockwave-flash" },
	{ "zip", "application/zip" },
};

const char *mime_type(const char *name)
{
	const char *slash = strrchr(name, '/');
	const char *dot = strrchr(slash ? slash : name, '.');
	if (dot)
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

int mime_is_active(const char *type)
{
	return strncmp(type, "text/html", 9) == 0 || strncmp(type, "application/xhtml", 17) == 0 ||
	       strncmp(type, "image/svg", 9) == 0 || strncmp(type, "application/xml", 15) == 0;
}
