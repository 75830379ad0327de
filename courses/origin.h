/* origin.h: where the player runs and where course content runs.
 *
 * The player (/learn/...) runs on public_url. Uploaded course content
 * (/content/...) and the SCORM run-time host page (/content-run/...) run on
 * content_origin when it is set: a different host, so the content never
 * sees the session cookie and cannot read any page of Vern's own. Without
 * content_origin they share public_url's origin (see README: content is
 * then only as trustworthy as the admins who upload it). */
#ifndef VERN_COURSES_ORIGIN_H
#define VERN_COURSES_ORIGIN_H

#include <stddef.h>

struct http_request;

#define ORIGIN_MAX 600

/* "scheme://host[:port]" of public_url (the player). */
void origin_player(struct http_request *req, char *buf, size_t size);

/* The origin content is served from: content_origin, or the player's. */
void origin_content(struct http_request *req, char *buf, size_t size);

/* 1 when content_origin is set. */
int origin_separate(struct http_request *req);

/* 1 when the request came to the content origin's host (always 1 when
 * content_origin is not set). */
int origin_request_is_content(struct http_request *req);

#endif
