/* www.c: serves the static pages and assets in cfg.www_dir (see www.h).
 * Names are checked against a strict alphabet, so no request can leave the
 * directory; every page gets the strict CSP. */
#include "www.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "access.h"
#include "http.h"
#include "server.h"

#define WWW_MAX_FILE (4L << 20)

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".json", "application/json" },
};

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	if (!dot)
		return NULL;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return NULL;
}

/* 1 if name is a plain file name: letters, digits, '-', '_', one or more
 * '.' not first, no '/', at most 100 characters. */
static int plain_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 100 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return 0;
	}
	return strstr(name, "..") == NULL;
}

static void send_file_from(struct http_request *req, const char *dir, const char *name,
			   const char *extra)
{
	const char *type = type_of(name);
	if (!plain_name(name) || !type) {
		http_send_error(req, 404, "not_found", "Fant ikke siden.");
		return;
	}
	char path[CONFIG_STR_MAX + 128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	struct stat sb;
	if (!f || fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > WWW_MAX_FILE) {
		if (f)
			fclose(f);
		http_send_error(req, 404, "not_found", "Fant ikke siden.");
		return;
	}
	char *buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
	size_t got = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
	fclose(f);
	if (!buf || got != (size_t)sb.st_size) {
		free(buf);
		http_send_error(req, 500, "read_failed", "Kunne ikke lese filen.");
		return;
	}
	http_send(req, 200, type, buf, got, extra);
	free(buf);
}

static void send_file(struct http_request *req, const char *name, const char *extra)
{
	send_file_from(req, req->srv->cfg.www_dir, name, extra);
}

void www_vendor_asset(struct http_request *req)
{
	send_file_from(req, req->srv->cfg.vendor_dir, req->params[0], WWW_CSP);
}

void www_asset(struct http_request *req)
{
	send_file(req, req->params[0], WWW_CSP);
}

static const struct {
	const char *path, *file;
} pages[] = {
	{ "/", "index.html" },
	{ "/logg-inn", "logg-inn.html" },
	{ "/min-side", "min-side.html" },
	{ "/leder", "leder.html" },
	{ "/hr", "hr.html" },
	{ "/ombud", "ombud.html" },
	{ "/admin", "admin.html" },
	{ "/min-side/kursbevis", "kursbevis.html" },
};

void www_page(struct http_request *req)
{
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(req->path, pages[i].path) == 0) {
			send_file(req, pages[i].file, WWW_CSP);
			return;
		}
	http_send_error(req, 404, "not_found", "Fant ikke siden.");
}

void www_me(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ~0u, &p) != 0)
		return;
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ ACCESS_EMPLOYEE, "employee" }, { ACCESS_LEADER, "leader" }, { ACCESS_HR, "hr" },
		{ ACCESS_OMBUD, "ombud" },       { ACCESS_ADMIN, "admin" },   { ACCESS_LEARN, "learn" },
	};
	json_t *roles = json_array();
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (p.roles & names[i].bit)
			json_array_append_new(roles, json_string(names[i].name));
	json_t *out = json_pack("{s:s, s:o, s:s, s:s}", "name", p.name, "roles", roles, "csrf",
				p.s.csrf, "scope", p.s.scope);
	if (p.employee_id)
		json_object_set_new(out, "employee_id", json_integer(p.employee_id));
	http_send_json(req, 200, out);
	json_decref(out);
}
