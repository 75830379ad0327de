/* content.c: sends package files, the run-time assets and the player's
 * assets (see content.h). Files are streamed in blocks, never read whole. */
#include "content.h"

#include <civetweb.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "db.h"
#include "http.h"
#include "import.h"
#include "mime.h"
#include "origin.h"
#include "server.h"

void content_csp(struct http_request *req, char *buf, unsigned long size)
{
	char player[ORIGIN_MAX], content[ORIGIN_MAX];
	origin_player(req, player, sizeof(player));
	origin_content(req, content, sizeof(content));
	if (origin_separate(req)) {
		/* Its own origin holds nothing but content; the LRS (for cmi5)
		 * answers on the player's origin without cookies. */
		snprintf(buf, size,
			 "Content-Security-Policy: default-src 'self' 'unsafe-inline' 'unsafe-eval' data: "
			 "blob:; connect-src 'self' %s/xapi/ %s/api/cmi5/; form-action 'self'; "
			 "base-uri 'self'; object-src 'none'; frame-ancestors %s %s\r\n",
			 player, player, player, content);
	} else {
		/* One origin for all: content may connect only below the paths
		 * that are meant for it, never to Vern's other endpoints. */
		snprintf(buf, size,
			 "Content-Security-Policy: default-src 'self' 'unsafe-inline' 'unsafe-eval' data: "
			 "blob:; connect-src %s/content/ %s/content-run/ %s/xapi/ %s/api/cmi5/; "
			 "frame-src %s/content/ %s/content-run/ blob: data:; form-action %s/content/; "
			 "base-uri 'self'; object-src 'none'; frame-ancestors 'self'\r\n",
			 content, content, content, content, content, content, content);
	}
}

static void http_date(time_t t, char *buf, size_t size)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* Writes a complete response head; status and length as given. */
static int send_head(struct http_request *req, int status, const char *type, long long len,
		     const char *extra)
{
	char head[4096], date[40];
	http_date(time(NULL), date, sizeof(date));
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %lld\r\n"
			 "X-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n%s\r\n",
			 status, mg_get_response_code_text(req->conn, status), date, type, len,
			 extra ? extra : "");
	if (n < 0 || (size_t)n >= sizeof(head)) {
		http_send_error(req, 500, "internal", "the response headers are too long");
		return -1;
	}
	req->status = status;
	db_wait_reads(req->srv->db); /* see http_send */
	return mg_write(req->conn, head, (size_t)n) == n ? 0 : -1;
}

/* Parses a single "bytes=a-b" range against size. Returns 1 with *from and
 * *to (inclusive) set, 0 when there is no usable Range, -1 when it cannot
 * be satisfied. */
static int parse_range(const char *h, long long size, long long *from, long long *to)
{
	if (!h || strncasecmp(h, "bytes=", 6) != 0 || strchr(h, ','))
		return 0;
	const char *p = h + 6;
	char *end;
	if (*p == '-') {
		long long n = strtoll(p + 1, &end, 10);
		if (end == p + 1 || *end || n <= 0)
			return 0;
		if (size == 0)
			return -1;
		*from = n >= size ? 0 : size - n;
		*to = size - 1;
		return 1;
	}
	long long a = strtoll(p, &end, 10);
	if (end == p || *end != '-' || a < 0)
		return 0;
	p = end + 1;
	long long b = size - 1;
	if (*p) {
		b = strtoll(p, &end, 10);
		if (end == p || *end || b < a)
			return 0;
		if (b >= size)
			b = size - 1;
	}
	if (a >= size)
		return -1;
	*from = a;
	*to = b;
	return 1;
}

static void stream_fd(struct http_request *req, int fd, long long from, long long len)
{
	if (req->method == HTTP_HEAD || len == 0)
		return;
	/* On the heap: request threads have small stacks. */
	enum { BLOCK = 65536 };
	char *buf = malloc(BLOCK);
	if (!buf || lseek(fd, from, SEEK_SET) < 0) {
		free(buf);
		return;
	}
	while (len > 0) {
		ssize_t r = read(fd, buf, len < BLOCK ? (size_t)len : BLOCK);
		if (r <= 0 || mg_write(req->conn, buf, (size_t)r) != r)
			break;
		len -= r;
	}
	free(buf);
}

/* 1 if s is 16 lowercase hex digits (a version directory). */
static int is_version_dir(const char *s, size_t n)
{
	if (n != 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

void content_file(struct http_request *req)
{
	if (!origin_request_is_content(req)) {
		http_send_error(req, 404, "not_found",
				"Kursinnhold vises bare fra innholdsadressen (content_origin).");
		return;
	}
	/* params[0] is "<course>/<version dir>/<path>", already decoded and
	 * free of "..", "." and empty segments (http.c). */
	const char *rest = req->params[0];
	const char *s1 = strchr(rest, '/');
	const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	char course[COURSE_ID_MAX + 1];
	if (!s1 || !s2 || !s2[1] || (size_t)(s1 - rest) > COURSE_ID_MAX ||
	    !is_version_dir(s1 + 1, (size_t)(s2 - s1 - 1))) {
		http_send_error(req, 404, "not_found", "Fant ikke filen.");
		return;
	}
	snprintf(course, sizeof(course), "%.*s", (int)(s1 - rest), rest);
	if (!course_id_valid(course)) {
		http_send_error(req, 404, "not_found", "Fant ikke filen.");
		return;
	}
	const char *type = mime_type(s2 + 1);
	if (!origin_separate(req) && mime_is_active(type)) {
		const char *dest = http_header(req, "Sec-Fetch-Dest");
		if (dest && strcmp(dest, "document") == 0) {
			http_send_error(req, 403, "content_only_in_player",
					"Kursinnhold kan bare åpnes i kursspilleren.");
			return;
		}
	}
	char path[CONFIG_STR_MAX + 4200];
	int n = snprintf(path, sizeof(path), "%s/content/%s", req->srv->cfg.data_dir, rest);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		http_send_error(req, 404, "not_found", "Fant ikke filen.");
		return;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_send_error(req, 404, "not_found", "Fant ikke filen.");
		return;
	}
	char etag[64], lastmod[40], csp[2048], extra[3072];
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"", (unsigned long long)sb.st_size,
		 (unsigned long long)sb.st_mtime);
	http_date(sb.st_mtime, lastmod, sizeof(lastmod));
	content_csp(req, csp, sizeof(csp));
	const char *inm = http_header(req, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		snprintf(extra, sizeof(extra), "ETag: %s\r\nCache-Control: private, max-age=3600\r\n%s",
			 etag, csp);
		send_head(req, 304, type, 0, extra);
		close(fd);
		return;
	}
	long long from = 0, to = (long long)sb.st_size - 1;
	int r = parse_range(http_header(req, "Range"), (long long)sb.st_size, &from, &to);
	if (r < 0) {
		snprintf(extra, sizeof(extra), "Content-Range: bytes */%lld\r\n%s",
			 (long long)sb.st_size, csp);
		send_head(req, 416, "text/plain", 0, extra);
		close(fd);
		return;
	}
	char range[96] = "";
	if (r > 0)
		snprintf(range, sizeof(range), "Content-Range: bytes %lld-%lld/%lld\r\n", from, to,
			 (long long)sb.st_size);
	snprintf(extra, sizeof(extra),
		 "ETag: %s\r\nLast-Modified: %s\r\nCache-Control: private, max-age=3600\r\n"
		 "Accept-Ranges: bytes\r\n%s%s",
		 etag, lastmod, range, csp);
	long long len = sb.st_size == 0 ? 0 : to - from + 1;
	if (send_head(req, r > 0 ? 206 : 200, type, len, extra) == 0)
		stream_fd(req, fd, from, len);
	close(fd);
}

/* 1 if the request's Accept-Encoding allows gzip. */
static int accepts_gzip(struct http_request *req)
{
	const char *ae = http_header(req, "Accept-Encoding");
	return ae && strstr(ae, "gzip") != NULL;
}

static void send_asset(struct http_request *req, const struct asset *a, const char *extra)
{
	char etag[48], more[2560], gzname[128];
	const char *type = assets_type(a->name);
	size_t len = (size_t)(a->end - a->data);
	snprintf(gzname, sizeof(gzname), "%s.gz", a->name);
	const struct asset *gz = accepts_gzip(req) ? assets_find(gzname) : NULL;
	if (gz && (size_t)(gz->end - gz->data) < len)
		a = gz;
	else
		gz = NULL;
	len = (size_t)(a->end - a->data);
	/* Assets change only with the binary: its version and the size. */
	snprintf(etag, sizeof(etag), "\"%s-%zx%s\"", VERN_VERSION, len, gz ? "-gz" : "");
	snprintf(more, sizeof(more), "ETag: %s\r\nCache-Control: public, max-age=600\r\n"
		 "Vary: Accept-Encoding\r\n%s%s", etag, gz ? "Content-Encoding: gzip\r\n" : "",
		 extra ? extra : "");
	const char *inm = http_header(req, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		send_head(req, 304, type, 0, more);
		return;
	}
	if (send_head(req, 200, type, (long long)len, more) == 0 &&
	    req->method != HTTP_HEAD)
		mg_write(req->conn, a->data, len);
}

void content_asset(struct http_request *req)
{
	static const char *const allowed[] = { "host.js", "scorm12.min.js", "scorm2004.min.js", NULL };
	const char *name = req->params[0];
	for (int i = 0; allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0) {
			const struct asset *a = assets_find(name);
			if (a) {
				send_asset(req, a, "Access-Control-Allow-Origin: *\r\n");
				return;
			}
		}
	http_send_error(req, 404, "not_found", "Fant ikke filen.");
}

void player_asset(struct http_request *req)
{
	static const char *const allowed[] = { "player.js", "player.css", NULL };
	const char *name = req->params[0];
	for (int i = 0; allowed[i]; i++)
		if (strcmp(name, allowed[i]) == 0) {
			const struct asset *a = assets_find(name);
			if (a) {
				send_asset(req, a, NULL);
				return;
			}
		}
	http_send_error(req, 404, "not_found", "Fant ikke filen.");
}
