/* api_courses.c: upload, catalogue and waivers for administrators (see
 * api_courses.h). An upload is written to data_dir/uploads with a random
 * name (mode 0600), imported, and removed again whatever the outcome. */
#include "api_courses.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "cmi5.h"
#include "db.h"
#include "http.h"
#include "import.h"
#include "log.h"
#include "server.h"

/* A file name for messages: printable ASCII and UTF-8 kept, at most 200
 * bytes, path separators dropped. */
static void clean_name(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && o + 1 < size && o < 200; p++)
		if (*p >= 0x20 && *p != 0x7f && *p != '/' && *p != '\\')
			out[o++] = (char)*p;
	out[o] = '\0';
	if (!o)
		snprintf(out, size, "pakke.zip");
}

static int write_upload(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(path);
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) != 0) {
		unlink(path);
		return -1;
	}
	return 0;
}

static int param_long(struct http_request *req, const char *name, long *out)
{
	char buf[24];
	int n = http_query_param(req, name, buf, sizeof(buf));
	if (n == -1)
		return 0;
	char *end;
	long v = n > 0 ? strtol(buf, &end, 10) : -1;
	if (n <= 0 || *end || v < 0 || v > 100000)
		return -1;
	*out = v;
	return 0;
}

int courses_upload_allowed(struct http_request *req)
{
	struct principal p;
	return access_require(req, ACCESS_ADMIN, &p) != 0;
}

void courses_upload(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	if (!req->body || req->body_len == 0) {
		http_send_error(req, 400, "no_package", "Send kurspakken (zip) som innhold i forespørselen.");
		return;
	}
	const char *type = http_header(req, "Content-Type");
	if (type && strncasecmp(type, "application/zip", 15) != 0 &&
	    strncasecmp(type, "application/octet-stream", 24) != 0 &&
	    strncasecmp(type, "application/x-zip-compressed", 28) != 0) {
		http_send_error(req, 415, "bad_content_type",
				"Kurspakken sendes som application/zip eller application/octet-stream.");
		return;
	}
	char filename[256] = "", id[COURSE_ID_MAX + 2] = "", title[256] = "", name[256];
	if (http_query_param(req, "filename", filename, sizeof(filename)) == -2 ||
	    http_query_param(req, "id", id, sizeof(id)) == -2 ||
	    http_query_param(req, "title", title, sizeof(title)) == -2) {
		http_send_error(req, 400, "bad_parameter", "filename, id or title is too long");
		return;
	}
	clean_name(filename, name, sizeof(name));
	struct course_import_opts o;
	course_import_opts_init(&o);
	o.source_name = name;
	if (id[0])
		o.course_id = id;
	if (title[0])
		o.title = title;
	if (param_long(req, "minutes", &o.minutes) != 0 ||
	    param_long(req, "valid_months", &o.valid_months) != 0) {
		http_send_error(req, 400, "bad_parameter", "minutes and valid_months must be whole numbers");
		return;
	}
	char dir[CONFIG_STR_MAX + 16], path[CONFIG_STR_MAX + 64], hex[33];
	unsigned char raw[16];
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(dir, sizeof(dir), "%s/uploads", req->srv->cfg.data_dir);
	snprintf(path, sizeof(path), "%s/upload-%s.zip", dir, hex);
	if ((mkdir(req->srv->cfg.data_dir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(dir, 0700) != 0 && errno != EEXIST) || write_upload(path, req->body, req->body_len) != 0) {
		log_event(LOG_ERROR, "upload_write_failed", "error=\"%s\"", strerror(errno));
		http_send_error(req, 503, "storage_failed", "Kurspakken kunne ikke lagres.");
		return;
	}
	struct course_import_result r;
	char err[2048];
	int rc = courses_import_path(req->srv->db, &req->srv->cfg, path, &o, &r, err, sizeof(err));
	unlink(path);
	if (rc != 0) {
		log_event(LOG_WARN, "course_upload_refused", "by_user=%lld", p.user_id);
		http_send_error(req, 422, "package_refused", "%s", err);
		return;
	}
	json_t *out = json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:I, s:b}", "course", r.course_id,
				"version", r.version, "kind", r.kind, "title", r.title, "activity_id",
				r.activity_id, "items", r.items, "bytes", (json_int_t)r.bytes, "created",
				r.created);
	http_send_json(req, 201, out);
	json_decref(out);
}

void courses_list(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c,
		"SELECT c.id, c.activity_id, c.title, c.kind, c.minutes, c.valid_months,"
		" v.version, v.source, v.bytes, v.imported_ms FROM courses c"
		" LEFT JOIN course_versions v ON v.course_id = c.id ORDER BY c.id, v.version");
	json_t *list = json_array(), *cur = NULL;
	int rc = SQLITE_DONE;
	while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (!cur || strcmp(json_string_value(json_object_get(cur, "id")), id) != 0) {
			cur = json_pack("{s:s, s:s, s:s, s:s, s:[]}", "id", id, "activity_id",
					(const char *)sqlite3_column_text(st, 1), "title",
					(const char *)sqlite3_column_text(st, 2), "kind",
					(const char *)sqlite3_column_text(st, 3), "versions");
			if (sqlite3_column_type(st, 4) != SQLITE_NULL)
				json_object_set_new(cur, "minutes", json_integer(sqlite3_column_int64(st, 4)));
			if (sqlite3_column_type(st, 5) != SQLITE_NULL)
				json_object_set_new(cur, "valid_months", json_integer(sqlite3_column_int64(st, 5)));
			json_array_append_new(list, cur);
		}
		if (sqlite3_column_type(st, 6) != SQLITE_NULL)
			json_array_append_new(json_object_get(cur, "versions"),
				json_pack("{s:i, s:s, s:I, s:I}", "version", sqlite3_column_int(st, 6),
					  "source", (const char *)sqlite3_column_text(st, 7), "bytes",
					  (json_int_t)sqlite3_column_int64(st, 8), "imported_ms",
					  (json_int_t)sqlite3_column_int64(st, 9)));
	}
	db_reader_put(req->srv->db, c);
	if (!st || rc != SQLITE_DONE) {
		json_decref(list);
		http_send_error(req, 503, "storage_failed", "Kurslisten kunne ikke leses.");
		return;
	}
	json_t *out = json_pack("{s:o}", "courses", list);
	http_send_json(req, 200, out);
	json_decref(out);
}

void courses_waive(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *body = http_body_json(req);
	if (!body)
		return;
	const char *employee = json_string_value(json_object_get(body, "employee"));
	const char *au = json_string_value(json_object_get(body, "au"));
	const char *reason = json_string_value(json_object_get(body, "reason"));
	if (!employee || !au) {
		json_decref(body);
		http_send_error(req, 400, "invalid", "employee and au are required");
		return;
	}
	long long employee_id = 0;
	struct db_conn *c = db_reader_get(req->srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE external_id = ?");
	if (st) {
		sqlite3_bind_text(st, 1, employee, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			employee_id = sqlite3_column_int64(st, 0);
	}
	db_reader_put(req->srv->db, c);
	char err[512];
	int status = employee_id ? cmi5_waive(req->srv, req->params[0], employee_id, au,
					      reason ? reason : "Administrative", err, sizeof(err))
				 : 404;
	if (!employee_id)
		snprintf(err, sizeof(err), "no employee %.100s", employee);
	json_decref(body);
	if (status) {
		http_send_error(req, status, "not_waived", "%s", err);
		return;
	}
	json_t *out = json_pack("{s:b}", "waived", 1);
	http_send_json(req, 200, out);
	json_decref(out);
}
