/* www.h: the web pages of the admin and learner views and their assets,
 * served from cfg.www_dir (admin/www in the source tree), and GET /api/me,
 * which tells a page who is signed in (name, roles, CSRF token). */
#ifndef VERN_WWW_H
#define VERN_WWW_H

struct http_request;

/* GET /assets/<file>: a style sheet, script, image or font from www_dir. */
void www_asset(struct http_request *req);

/* GET /assets/vendor/<file>: a script from an npm package, copied into
 * cfg.vendor_dir by the build (e.g. the QR code drawer for TOTP enrolment). */
void www_vendor_asset(struct http_request *req);

/* GET / , /min-side, /leder, /hr, /ombud, /admin, /logg-inn: the page's
 * HTML file from www_dir. Pages are static; they fetch their data from the
 * JSON API with the helpers in assets common.js. */
void www_page(struct http_request *req);

/* GET /api/me: {"name", "roles": [...], "csrf", "employee_id"} or 401. */
void www_me(struct http_request *req);

/* The Content-Security-Policy of every page (no inline script or style). */
#define WWW_CSP \
	"Content-Security-Policy: default-src 'self'; script-src 'self'; style-src 'self'; " \
	"img-src 'self' data:; connect-src 'self'; frame-src 'self'; object-src 'none'; " \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'\r\n"

#endif
