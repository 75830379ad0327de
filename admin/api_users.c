/* api_users.c: accounts and roles for the admin page (see api_users.h).
 * An admin cannot delete, deactivate or drop the admin role of their own
 * account, so the last admin never locks everyone out by a slip. */
#include "api_users.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "db.h"
#include "http.h"
#include "password.h"
#include "server.h"
#include "session.h"
#include "users.h"

static long long path_id(struct http_request *req)
{
	const char *s = req->params[0];
	char *end;
	long long id = strtoll(s, &end, 10);
	if (!*s || *end || id <= 0) {
		http_send_error(req, 404, "not_found", "Fant ikke kontoen.");
		return 0;
	}
	return id;
}

static json_t *load_user(struct http_request *req, long long id)
{
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *u = users_json(c, id);
	db_reader_put(req->srv->db, c);
	return u;
}

static void send_user(struct http_request *req, int status, long long id, const char *password)
{
	json_t *u = load_user(req, id);
	if (!u) {
		http_send_error(req, 404, "not_found", "Fant ikke kontoen.");
		return;
	}
	if (password)
		json_object_set_new(u, "password", json_string(password));
	http_send_json(req, status, u);
	json_decref(u);
}

/* Reads "roles": an array of role strings, into roles (pointers into j). */
static int roles_of(struct http_request *req, json_t *j, const char **roles, int *n)
{
	json_t *arr = json_object_get(j, "roles");
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > USERS_MAX_ROLES) {
		http_send_error(req, 400, "invalid", "roles må være en liste med høyst %d roller.", USERS_MAX_ROLES);
		return -1;
	}
	size_t i;
	json_t *r;
	json_array_foreach(arr, i, r) {
		const char *text = json_string_value(r);
		if (!text || !users_role_ok(text)) {
			http_send_error(req, 400, "invalid", "Ukjent rolle (admin, hr, ombud eller leader:ENHET).");
			return -1;
		}
		roles[(*n)++] = text;
	}
	return 0;
}

/* A password from the body, checked, or a generated one (generated = 1). */
static int password_from(struct http_request *req, json_t *j, char *pw, size_t size, int *generated)
{
	json_t *v = json_object_get(j, "password");
	*generated = !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0);
	if (*generated) {
		password_generate(pw, size);
		return 0;
	}
	char err[200];
	if (!json_is_string(v) || json_string_length(v) >= size ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_send_error(req, 400, "invalid", "Passordet er ugyldig.");
		return -1;
	}
	snprintf(pw, size, "%s", json_string_value(v));
	if (password_acceptable(pw, err, sizeof(err)) != 0) {
		http_send_error(req, 400, "weak_password", "%s", err);
		return -1;
	}
	return 0;
}

void api_users_list(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *list = load_user(req, 0);
	if (!list) {
		http_send_error(req, 500, "internal", "Kontoene kunne ikke leses.");
		return;
	}
	if (audit_record(req->srv, &p, 0, "view_users", "kontoer og roller") != 0) {
		json_decref(list);
		http_send_error(req, 503, "audit_failed", "Oppslaget kunne ikke logges, og vises derfor ikke.");
		return;
	}
	json_t *out = json_pack("{s:o}", "users", list);
	http_send_json(req, 200, out);
	json_decref(out);
}

void api_users_create(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	json_t *j = http_body_json(req);
	if (!j)
		return;
	struct user_new u = { 0 };
	u.username = json_string_value(json_object_get(j, "username"));
	u.display_name = json_string_value(json_object_get(j, "display_name"));
	u.employee = json_string_value(json_object_get(j, "employee"));
	if (u.display_name && !*u.display_name)
		u.display_name = NULL;
	if (u.employee && !*u.employee)
		u.employee = NULL;
	char pw[PASSWORD_MAX_BYTES + 1], hash[PASSWORD_HASH_MAX], err[256];
	int generated;
	if (!u.username) {
		json_decref(j);
		http_send_error(req, 400, "invalid", "Oppgi et brukernavn.");
		return;
	}
	if (roles_of(req, j, u.roles, &u.nroles) != 0 ||
	    password_from(req, j, pw, sizeof(pw), &generated) != 0) {
		json_decref(j);
		return;
	}
	if (password_hash(pw, hash) != 0) {
		json_decref(j);
		http_send_error(req, 500, "internal", "Passordet kunne ikke lagres.");
		return;
	}
	u.password_hash = hash;
	long long id;
	int rc = users_create(req->srv->db, &u, &id, err, sizeof(err));
	char detail[128];
	snprintf(detail, sizeof(detail), "opprettet konto %s", u.username);
	json_decref(j);
	if (rc != 0) {
		sodium_memzero(pw, sizeof(pw));
		http_send_error(req, 400, "invalid", "%s", err);
		return;
	}
	(void)audit_record(req->srv, &p, 0, "user_create", detail);
	send_user(req, 201, id, generated ? pw : NULL);
	sodium_memzero(pw, sizeof(pw));
}

static void update(struct http_request *req, struct principal *p, long long id)
{
	json_t *j = http_body_json(req);
	if (!j)
		return;
	const char *roles[USERS_MAX_ROLES];
	int nroles = 0;
	json_t *name = json_object_get(j, "display_name"), *active = json_object_get(j, "active");
	int has_roles = json_object_get(j, "roles") != NULL;
	char err[256];
	if ((name && !json_is_string(name)) || (active && !json_is_boolean(active))) {
		json_decref(j);
		http_send_error(req, 400, "invalid", "display_name må være tekst og active true eller false.");
		return;
	}
	if (roles_of(req, j, roles, &nroles) != 0) {
		json_decref(j);
		return;
	}
	int self = id == p->user_id, keeps_admin = 0;
	for (int i = 0; i < nroles; i++)
		keeps_admin |= strcmp(roles[i], "admin") == 0;
	if (self && ((active && !json_is_true(active)) || (has_roles && !keeps_admin))) {
		json_decref(j);
		http_send_error(req, 409, "self", "Du kan ikke deaktivere deg selv eller fjerne din egen admin-rolle.");
		return;
	}
	int rc = users_update(req->srv->db, id, json_string_value(name), active ? json_is_true(active) : -1,
			      err, sizeof(err));
	if (rc == 0 && has_roles)
		rc = users_set_roles(req->srv->db, id, roles, nroles, err, sizeof(err));
	if (rc == 0 && active && !json_is_true(active))
		rc = session_end_all(req->srv->db, id, 0);
	json_decref(j);
	if (rc != 0) {
		http_send_error(req, strstr(err, "Fant ikke") ? 404 : 400, "invalid", "%s",
				err[0] ? err : "Endringen kunne ikke lagres.");
		return;
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "endret konto %lld", id);
	(void)audit_record(req->srv, p, 0, "user_update", detail);
	send_user(req, 200, id, NULL);
}

void api_users_one(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	long long id = path_id(req);
	if (!id)
		return;
	if (req->method == HTTP_PUT) {
		update(req, &p, id);
		return;
	}
	if (req->method == HTTP_DELETE) {
		char err[256], detail[64];
		if (id == p.user_id) {
			http_send_error(req, 409, "self", "Du kan ikke slette din egen konto.");
			return;
		}
		if (session_end_all(req->srv->db, id, 0) != 0 ||
		    users_remove(req->srv->db, id, err, sizeof(err)) != 0) {
			http_send_error(req, 404, "not_found", "Fant ikke kontoen.");
			return;
		}
		snprintf(detail, sizeof(detail), "slettet konto %lld", id);
		(void)audit_record(req->srv, &p, 0, "user_remove", detail);
		static const char ok[] = "{\"ok\":true}";
		http_send(req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1, NULL);
		return;
	}
	char detail[64];
	snprintf(detail, sizeof(detail), "konto %lld", id);
	if (audit_record(req->srv, &p, 0, "view_user", detail) != 0) {
		http_send_error(req, 503, "audit_failed", "Oppslaget kunne ikke logges, og vises derfor ikke.");
		return;
	}
	send_user(req, 200, id, NULL);
}

void api_users_password(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	long long id = path_id(req);
	if (!id)
		return;
	json_t *j = req->body_len ? http_body_json(req) : json_object();
	if (!j)
		return;
	char pw[PASSWORD_MAX_BYTES + 1], hash[PASSWORD_HASH_MAX], err[256];
	int generated;
	int rc = password_from(req, j, pw, sizeof(pw), &generated);
	json_decref(j);
	if (rc != 0)
		return;
	if (password_hash(pw, hash) != 0 || users_set_password(req->srv->db, id, hash, err, sizeof(err)) != 0) {
		sodium_memzero(pw, sizeof(pw));
		http_send_error(req, 404, "not_found", "Fant ikke kontoen.");
		return;
	}
	(void)session_end_all(req->srv->db, id, 0);
	char detail[64];
	snprintf(detail, sizeof(detail), "nytt passord for konto %lld", id);
	(void)audit_record(req->srv, &p, 0, "user_password", detail);
	send_user(req, 200, id, generated ? pw : NULL);
	sodium_memzero(pw, sizeof(pw));
}

static void simple_change(struct http_request *req, int totp)
{
	struct principal p;
	if (access_require(req, ACCESS_ADMIN, &p) != 0)
		return;
	long long id = path_id(req);
	if (!id)
		return;
	char err[256], detail[64];
	int rc = totp ? users_totp_reset(req->srv->db, id, err, sizeof(err))
		      : users_unlock(req->srv->db, id, err, sizeof(err));
	if (rc != 0) {
		http_send_error(req, 404, "not_found", "Fant ikke kontoen.");
		return;
	}
	if (totp)
		(void)session_end_all(req->srv->db, id, 0);
	snprintf(detail, sizeof(detail), "%s konto %lld", totp ? "nullstilte tofaktor for" : "låste opp", id);
	(void)audit_record(req->srv, &p, 0, totp ? "user_totp_reset" : "user_unlock", detail);
	send_user(req, 200, id, NULL);
}

void api_users_totp_reset(struct http_request *req)
{
	simple_change(req, 1);
}

void api_users_unlock(struct http_request *req)
{
	simple_change(req, 0);
}
