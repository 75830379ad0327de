/* origin.c: the player's and the content's origins (see origin.h). */
#include "origin.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "server.h"

/* Copies scheme://authority of url (no path) into buf. */
static void origin_of(const char *url, char *buf, size_t size)
{
	const char *sep = strstr(url, "://");
	size_t len = strlen(url);
	if (sep) {
		const char *slash = strchr(sep + 3, '/');
		if (slash)
			len = (size_t)(slash - url);
	}
	snprintf(buf, size, "%.*s", (int)len, url);
}

void origin_player(struct http_request *req, char *buf, size_t size)
{
	origin_of(req->srv->cfg.public_url[0] ? req->srv->cfg.public_url : req->srv->base_url, buf,
		  size);
}

void origin_content(struct http_request *req, char *buf, size_t size)
{
	if (req->srv->cfg.content_origin[0])
		origin_of(req->srv->cfg.content_origin, buf, size);
	else
		origin_player(req, buf, size);
}

int origin_separate(struct http_request *req)
{
	return req->srv->cfg.content_origin[0] != '\0';
}

/* The authority of an origin without a default port. */
static void authority(const char *origin, char *buf, size_t size)
{
	const char *sep = strstr(origin, "://");
	const char *a = sep ? sep + 3 : origin;
	snprintf(buf, size, "%s", a);
	size_t n = strlen(buf);
	if (strncasecmp(origin, "http://", 7) == 0 && n > 3 && strcmp(buf + n - 3, ":80") == 0)
		buf[n - 3] = '\0';
	else if (strncasecmp(origin, "https://", 8) == 0 && n > 4 && strcmp(buf + n - 4, ":443") == 0)
		buf[n - 4] = '\0';
}

int origin_request_is_content(struct http_request *req)
{
	if (!origin_separate(req))
		return 1;
	const char *host = http_header(req, "Host");
	if (!host)
		return 0;
	char origin[ORIGIN_MAX], want[ORIGIN_MAX];
	origin_content(req, origin, sizeof(origin));
	authority(origin, want, sizeof(want));
	/* Host carries no scheme: drop a default port of either scheme. */
	char got[ORIGIN_MAX];
	snprintf(got, sizeof(got), "%s", host);
	size_t n = strlen(got);
	if (strncasecmp(origin, "http://", 7) == 0 && n > 3 && strcmp(got + n - 3, ":80") == 0)
		got[n - 3] = '\0';
	else if (strncasecmp(origin, "https://", 8) == 0 && n > 4 && strcmp(got + n - 4, ":443") == 0)
		got[n - 4] = '\0';
	return strcasecmp(got, want) == 0;
}
