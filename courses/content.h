/* content.h: serving course files.
 *
 *   GET /content/<course>/<version dir>/<path>  a file of an imported package
 *   GET /content-assets/<name>                  run-time host script and
 *                                               scorm-again (content origin)
 *   GET /player/<name>                          the player's script and style
 *
 * Package files are served with their media type, nosniff, an ETag, byte
 * ranges (video), and a Content-Security-Policy that lets the content run
 * its own scripts but connect, frame and post forms only to its own origin
 * (and the LRS for cmi5), and be framed only by the player. With
 * content_origin set they are served only on that host; without it, HTML
 * is refused as a top-level document (Sec-Fetch-Dest: document), so a link
 * to uploaded HTML cannot run as the signed-in user outside the sandboxed
 * player frame. */
#ifndef VERN_COURSES_CONTENT_H
#define VERN_COURSES_CONTENT_H

struct http_request;

void content_file(struct http_request *req);
void content_asset(struct http_request *req);
void player_asset(struct http_request *req);

/* The Content-Security-Policy header line ("Content-Security-Policy: ...\r\n")
 * for package content and the run-time host page. */
void content_csp(struct http_request *req, char *buf, unsigned long size);

#endif
