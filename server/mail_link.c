/* mail_link.c: the link pages (see mail_link.h). */
#include "mail_link.h"

#include <civetweb.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"
#include "http.h"
#include "log.h"
#include "mail.h"
#include "mail_buf.h"
#include "mail_template.h"
#include "mail_token.h"
#include "server.h"
#include "session.h"

#define PAGE_HEADERS                                                                              \
	"Content-Security-Policy: default-src 'none'; style-src 'self'; img-src 'self';"          \
	" form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n"                          \
	"X-Robots-Tag: noindex, nofollow\r\n"

static const char renew_path[] = "ny-lenke";

struct course_info {
	char title[256];
	long long minutes;
};

static void municipality(struct server *srv, char *buf, size_t size)
{
	snprintf(buf, size, "Vern");
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT value FROM meta WHERE key = 'municipality_name'");
	if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0));
	if (st)
		sqlite3_reset(st);
	db_reader_put(srv->db, c);
}

static void send_page(struct http_request *req, int status, const char *title, const char *body,
		      const char *extra_headers)
{
	char town[256], headers[1024];
	municipality(req->srv, town, sizeof town);
	snprintf(headers, sizeof headers, PAGE_HEADERS "%s", extra_headers ? extra_headers : "");
	struct mail_buf b = { 0 };
	mail_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"nb\">\n<head>\n<meta charset=\"utf-8\">\n"
			  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			  "<meta name=\"robots\" content=\"noindex, nofollow\">\n"
			  "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	mail_buf_html(&b, title);
	mail_buf_puts(&b, " – Vern</title>\n<link rel=\"stylesheet\" href=\"/assets/vern.css\">\n</head>\n"
			  "<body>\n<header id=\"topp\"><span class=\"merke\">Vern</span><span>");
	mail_buf_html(&b, town);
	mail_buf_puts(&b, "</span></header>\n<main>\n");
	mail_buf_puts(&b, body);
	mail_buf_puts(&b, "\n<p class=\"dempet\">");
	mail_buf_html(&b, req->srv->cfg.mail_contact_line);
	mail_buf_puts(&b, "</p>\n</main>\n</body>\n</html>\n");
	if (b.failed) {
		mail_buf_free(&b);
		http_send_error(req, 500, "no_memory", "Tomt for minne.");
		return;
	}
	http_send(req, status, "text/html; charset=utf-8", b.p, b.len, headers);
	mail_buf_free(&b);
}

static int course_info(struct server *srv, const char *course, struct course_info *ci)
{
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT title, coalesce(minutes, 10) FROM courses WHERE id = ?");
	int rc = -1;
	if (st) {
		sqlite3_bind_text(st, 1, course, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			snprintf(ci->title, sizeof ci->title, "%s", (const char *)sqlite3_column_text(st, 0));
			ci->minutes = sqlite3_column_int64(st, 1);
			rc = 0;
		}
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
	return rc;
}

static int employee_active(struct server *srv, long long id)
{
	struct db_conn *c = db_reader_get(srv->db);
	sqlite3_stmt *st = db_stmt(c, "SELECT active FROM employees WHERE id = ?");
	int active = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, id);
		active = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
		sqlite3_reset(st);
	}
	db_reader_put(srv->db, c);
	return active;
}

/* A state-changing POST must come from our own page: browsers send
 * Sec-Fetch-Site and Origin with form POSTs. */
static int same_origin(struct http_request *req)
{
	const char *site = http_header(req, "Sec-Fetch-Site");
	if (site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0)
		return 0;
	const char *origin = http_header(req, "Origin");
	/* Under Referrer-Policy: no-referrer browsers send "Origin: null";
	 * then Sec-Fetch-Site above is what tells. */
	if (!origin || strcmp(origin, "null") == 0)
		return 1;
	const char *bases[2] = { req->srv->cfg.public_url, req->srv->base_url };
	for (int i = 0; i < 2; i++) {
		const char *b = bases[i];
		const char *host = strstr(b, "://");
		if (!host)
			continue;
		const char *end = strchr(host + 3, '/');
		size_t n = end ? (size_t)(end - b) : strlen(b);
		if (strlen(origin) == n && strncasecmp(origin, b, n) == 0)
			return 1;
	}
	return 0;
}

/* The "new links" form: 400 for a broken link, 200 when asked for. */
static void page_broken(struct http_request *req, int status)
{
	send_page(req, status, "Lenken virker ikke",
		  "<h1>Lenken virker ikke</h1>\n"
		  "<p>Lenken er ufullstendig eller ugyldig. Kanskje ble den delt over to linjer i e-posten?</p>\n"
		  "<p>Skriv inn e-postadressen din, så sender vi deg nye lenker til leksjonene du ikke har fullført.</p>\n"
		  "<form method=\"post\" action=\"/e/ny-lenke\">\n"
		  "<label for=\"epost\">E-postadresse</label>\n"
		  "<input id=\"epost\" name=\"epost\" type=\"email\" autocomplete=\"email\" required maxlength=\"254\">\n"
		  "<p><button type=\"submit\">Send meg nye lenker</button></p>\n</form>",
		  NULL);
}

static void page_expired(struct http_request *req, const char *token, const struct mail_link *l)
{
	struct course_info ci;
	if (course_info(req->srv, l->course_id, &ci) != 0)
		snprintf(ci.title, sizeof ci.title, "leksjonen");
	char date[64];
	mail_format_date(l->expires * 1000, date, sizeof date);
	struct mail_buf b = { 0 };
	mail_buf_puts(&b, "<h1>Lenken er utløpt</h1>\n<p>Lenken til «");
	mail_buf_html(&b, ci.title);
	mail_buf_printf(&b, "» gjaldt til %s. Du kan få en ny lenke på e-post.</p>\n", date);
	mail_buf_puts(&b, "<form method=\"post\" action=\"/e/");
	mail_buf_html(&b, token);
	mail_buf_puts(&b, "/ny\">\n<p><button type=\"submit\">Send meg en ny lenke</button></p>\n</form>");
	send_page(req, 410, "Lenken er utløpt", b.failed ? "<h1>Lenken er utløpt</h1>" : b.p, NULL);
	mail_buf_free(&b);
}

static void page_gone(struct http_request *req)
{
	send_page(req, 410, "Lenken gjelder ikke lenger",
		  "<h1>Lenken gjelder ikke lenger</h1>\n"
		  "<p>Leksjonen eller brukeren finnes ikke lenger i Vern. Ta kontakt om du mener dette er feil.</p>",
		  NULL);
}

static void page_landing(struct http_request *req, const char *token, const struct course_info *ci)
{
	struct mail_buf b = { 0 };
	mail_buf_puts(&b, "<h1>");
	mail_buf_html(&b, ci->title);
	mail_buf_printf(&b, "</h1>\n<p>En kort leksjon på omtrent %lld minutter.</p>\n", ci->minutes);
	mail_buf_puts(&b, "<form method=\"post\" action=\"/e/");
	mail_buf_html(&b, token);
	mail_buf_puts(&b, "\">\n<p><button type=\"submit\">Start</button></p>\n</form>\n");
	mail_buf_printf(&b, "<p class=\"dempet\">Lenken er personlig. Når du trykker Start, blir du logget inn for"
			    " denne leksjonen i %ld minutter. Du trenger ikke passord.</p>",
			req->srv->cfg.mail_session_minutes);
	send_page(req, 200, ci->title, b.failed ? "<h1>Leksjon</h1>" : b.p, NULL);
	mail_buf_free(&b);
}

struct start_job {
	long long campaign, employee, now;
	const char *course;
};

static int record_start(struct db_conn *c, void *arg)
{
	struct start_job *j = arg;
	sqlite3_stmt *st = db_stmt(c,
		"UPDATE campaign_recipients SET started_ms = ?4 WHERE campaign_id = ?1 AND employee_id = ?2"
		" AND course_id = ?3 AND started_ms IS NULL");
	if (!st)
		return DB_ERROR;
	sqlite3_bind_int64(st, 1, j->campaign);
	sqlite3_bind_int64(st, 2, j->employee);
	sqlite3_bind_text(st, 3, j->course, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, j->now);
	return db_exec_stmt(c, st, "campaign_recipient_started");
}

static void start(struct http_request *req, const struct mail_link *l)
{
	struct server *srv = req->srv;
	long ttl = srv->cfg.mail_session_minutes * 60;
	char cookie[SESSION_TOKEN_LEN + 1];
	if (session_create(srv->db, 0, l->employee_id, "learn", l->course_id, ttl, cookie, NULL) != 0) {
		send_page(req, 503, "Prøv igjen", "<h1>Noe gikk galt</h1>\n<p>Vi fikk ikke logget deg inn. Prøv igjen om litt.</p>", NULL);
		return;
	}
	if (l->campaign_id) {
		struct start_job j = { l->campaign_id, l->employee_id, session_now_ms(), l->course_id };
		db_write(srv->db, record_start, &j); /* statistics only: the sign-in stands */
	}
	log_event(LOG_INFO, "mail_link_started", "employee=%lld course=%s campaign=%lld key=%u",
		  l->employee_id, l->course_id, l->campaign_id, l->kid);
	char headers[512];
	session_cookie(req, cookie, ttl, headers, sizeof headers);
	sodium_memzero(cookie, sizeof cookie);
	size_t n = strlen(headers);
	snprintf(headers + n, sizeof headers - n, "Location: /learn/%s\r\n", l->course_id);
	send_page(req, 303, "Starter leksjonen", "<h1>Starter leksjonen …</h1>", headers);
}

static void renew_form_post(struct http_request *req)
{
	char email[300] = "";
	const char *type = http_header(req, "Content-Type");
	if (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 || !req->body ||
	    mg_get_var(req->body, req->body_len, "epost", email, sizeof email) <= 0) {
		send_page(req, 400, "Nye lenker",
			  "<h1>Nye lenker</h1>\n<p>Skriv inn e-postadressen din i skjemaet.</p>\n"
			  "<p><a href=\"/e/ny-lenke\">Tilbake til skjemaet</a></p>", NULL);
		return;
	}
	struct db_conn *c = db_reader_get(req->srv->db);
	long long ids[4];
	int n = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM employees WHERE (email = ?1 OR email = lower(?1))"
				      " AND active = 1 LIMIT 4");
	if (st) {
		sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
		while (n < 4 && sqlite3_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	db_reader_put(req->srv->db, c);
	for (int i = 0; i < n; i++)
		mail_enqueue_open_links(req->srv, ids[i]);
	/* The same answer whether or not the address is known. */
	send_page(req, 200, "Nye lenker",
		  "<h1>Takk</h1>\n<p>Hvis adressen hører til en ansatt med leksjoner som ikke er fullført, får du en"
		  " e-post med nye lenker i løpet av noen minutter.</p>", NULL);
}

void mail_link_page(struct http_request *req)
{
	const char *token = req->params[0];
	if (strcmp(token, renew_path) == 0) {
		if (req->method != HTTP_POST) {
			page_broken(req, 200);
			return;
		}
		if (!same_origin(req)) {
			send_page(req, 403, "Ikke tillatt", "<h1>Ikke tillatt</h1>\n<p>Skjemaet må sendes fra Verns egen side.</p>", NULL);
			return;
		}
		renew_form_post(req);
		return;
	}
	struct mail_keyring ring;
	struct mail_link l;
	if (mail_keyring_get(req->srv, &ring) != 0) {
		send_page(req, 503, "Prøv igjen", "<h1>Noe gikk galt</h1>\n<p>Prøv igjen om litt.</p>", NULL);
		return;
	}
	long long now = session_now_ms() / 1000;
	int rc = mail_token_verify(&ring, token, now, &l);
	sodium_memzero(&ring, sizeof ring);
	if (rc == MAIL_TOKEN_BAD) {
		page_broken(req, 400);
		return;
	}
	if (rc == MAIL_TOKEN_EXPIRED) {
		page_expired(req, token, &l);
		return;
	}
	struct course_info ci;
	if (course_info(req->srv, l.course_id, &ci) != 0 || !employee_active(req->srv, l.employee_id)) {
		page_gone(req);
		return;
	}
	if (req->method != HTTP_POST) {
		page_landing(req, token, &ci);
		return;
	}
	if (!same_origin(req)) {
		send_page(req, 403, "Ikke tillatt", "<h1>Ikke tillatt</h1>\n<p>Trykk Start på siden lenken åpner.</p>", NULL);
		return;
	}
	start(req, &l);
}

void mail_link_renew(struct http_request *req)
{
	if (!same_origin(req)) {
		send_page(req, 403, "Ikke tillatt", "<h1>Ikke tillatt</h1>\n<p>Skjemaet må sendes fra Verns egen side.</p>", NULL);
		return;
	}
	struct mail_keyring ring;
	struct mail_link l;
	if (mail_keyring_get(req->srv, &ring) != 0) {
		send_page(req, 503, "Prøv igjen", "<h1>Noe gikk galt</h1>\n<p>Prøv igjen om litt.</p>", NULL);
		return;
	}
	int rc = mail_token_verify(&ring, req->params[0], session_now_ms() / 1000, &l);
	sodium_memzero(&ring, sizeof ring);
	if (rc == MAIL_TOKEN_BAD) {
		page_broken(req, 400);
		return;
	}
	char err[256];
	if (mail_enqueue_lesson(req->srv, l.employee_id, l.course_id, "ny-lenke", err, sizeof err) != 0) {
		page_gone(req);
		return;
	}
	send_page(req, 200, "Ny lenke er sendt",
		  "<h1>Ny lenke er sendt</h1>\n<p>Vi har sendt en ny lenke til e-postadressen din. Den kommer i"
		  " løpet av noen minutter.</p>", NULL);
}
