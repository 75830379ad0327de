/* multipart.h: multipart/mixed bodies for xAPI statements with attachments
 * (RFC 2046 section 5.1).
 *
 * Parsing is zero-copy: part bodies point into the request body; only the
 * few headers xAPI uses are copied into the part. Reading refuses anything
 * ambiguous: a missing, malformed or repeated boundary parameter, the
 * boundary inside a part, a part without its blank line, a missing closing
 * delimiter, repeated or malformed part headers, control characters in a
 * header, a part Content-Length that disagrees with the part, too many
 * parts or headers. The line ending (CRLF, or bare LF from sloppy clients)
 * is taken from the first delimiter line and must be used throughout.
 * Preamble and epilogue are ignored. */
#ifndef VERN_LRS_MULTIPART_H
#define VERN_LRS_MULTIPART_H

#include <stddef.h>

#define LRS_MULTIPART_MAX_PARTS 256
#define LRS_MULTIPART_MAX_HEADERS 32     /* header lines per part */
#define LRS_MULTIPART_MAX_HEADER_LINE 1024

struct lrs_part {
	/* Points to content_type_buf: the media type lowercased and trimmed,
	 * followed by its parameters as sent ("text/plain; charset=UTF-8");
	 * "" when the part has no Content-Type. */
	const char *content_type;
	char content_type_buf[256];
	char sha2[129];                /* X-Experience-API-Hash as sent, "" if absent */
	char transfer_encoding[32];    /* Content-Transfer-Encoding lowercased, "" if absent */
	const char *body;              /* into the request body */
	size_t len;
};

/* Parses body (len bytes) with the boundary taken from content_type (the
 * request's Content-Type header, "multipart/mixed; boundary=..."; the
 * boundary may be quoted). Fills up to max parts. Returns the number of
 * parts (>= 1), or -1 with err set to a sentence saying what is wrong. */
int lrs_multipart_parse(const char *content_type, const char *body, size_t len,
			struct lrs_part *parts, int max, char *err, size_t errsize);

/* 1 when the part's media type is exactly application/json (parameters
 * such as charset allowed), else 0. */
int lrs_part_is_json(const struct lrs_part *part);

/* Builds a multipart/mixed body: first part application/json with json,
 * then one part per attachment, each with Content-Type,
 * Content-Transfer-Encoding: binary and X-Experience-API-Hash. The
 * boundary is random, alphanumeric, and appears nowhere in the content;
 * the response header is then "multipart/mixed; boundary=<boundary>".
 * A content_type that is empty or holds control characters is sent as
 * application/octet-stream. Returns a malloc'd body (the caller frees it)
 * and sets *len and boundary (needs 64 bytes), or NULL on out of memory or
 * when a sha2 is not 1 to 128 hex digits. */
struct lrs_out_part {
	const char *content_type;
	const char *sha2;
	const void *data;
	size_t len;
};
char *lrs_multipart_build(const char *json, size_t json_len,
			  const struct lrs_out_part *parts, int nparts,
			  char *boundary, size_t *len);

#endif
