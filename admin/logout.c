/* logout.c: signing out of this session or of every session (see
 * login.h). Both need the session's CSRF token, so no other site can sign
 * a person out; a request without a live session just clears the cookie. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "access.h"
#include "http.h"
#include "log.h"
#include "login.h"
#include "server.h"
#include "session.h"

static void answer(struct http_request *req, int form)
{
	char cookie[256];
	session_cookie(req, NULL, 0, cookie, sizeof(cookie));
	if (form) {
		char headers[320];
		snprintf(headers, sizeof(headers), "Location: /logg-inn?ut=1\r\n%s", cookie);
		http_send(req, 303, "text/plain; charset=utf-8", "", 0, headers);
		return;
	}
	static const char ok[] = "{\"ok\":true}";
	http_send(req, 200, "application/json; charset=utf-8", ok, sizeof(ok) - 1, cookie);
}

void login_logout(struct http_request *req)
{
	int form = login_is_form(req);
	struct session s;
	if (session_from_request(req, &s) != 0) {
		answer(req, form);
		return;
	}
	if (!session_csrf_ok(req, &s)) {
		http_send_error(req, 403, "csrf", "Skjemaet er utløpt. Last siden på nytt og prøv igjen.");
		return;
	}
	if (session_end(req) != 0) {
		http_send_error(req, 503, "storage_failed", "Utloggingen kunne ikke lagres. Prøv igjen.");
		return;
	}
	log_event(LOG_INFO, "logout", "user_id=%lld employee_id=%lld", s.user_id, s.employee_id);
	answer(req, form);
}

void login_logout_everywhere(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ~0u, &p) != 0)
		return;
	if (session_end_all(req->srv->db, p.user_id, p.employee_id) != 0) {
		http_send_error(req, 503, "storage_failed", "Utloggingen kunne ikke lagres. Prøv igjen.");
		return;
	}
	log_event(LOG_INFO, "logout_everywhere", "user_id=%lld employee_id=%lld", p.user_id,
		  p.employee_id);
	answer(req, login_is_form(req));
}
