/* mime.h: the media type of a course file from its extension. */
#ifndef VERN_COURSES_MIME_H
#define VERN_COURSES_MIME_H

/* The Content-Type for a file name (extension compared without case);
 * "application/octet-stream" when unknown. Text types carry charset=utf-8. */
const char *mime_type(const char *name);

/* 1 if the type can run script when opened as a document (HTML, XHTML,
 * SVG, XML). */
int mime_is_active(const char *type);

#endif
