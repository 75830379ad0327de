/* routes.c: every HTTP route Vern serves, in one table.
 *
 * Each folder owns its handlers (server/api_*.c, lrs/, courses/, admin/);
 * this file only says which path and methods reach which handler and how
 * large a body each accepts (0: none, -1: the configured max_body_bytes). */
#include "routes.h"

#include "api_health.h"
#include "api_test.h"
#include "lrs.h"
#include "scim.h"
#include "www.h"

const struct http_route routes[] = {
	{ HTTP_GET, "/healthz", api_health_get, 0 },
	{ HTTP_GET | HTTP_POST, "/api/test/writes", api_test_writes, 4096 },
	{ HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_OPTIONS, "/xapi/**",
	  lrs_dispatch, -1 },
	{ HTTP_GET, "/api/me", www_me, 0 },
	{ HTTP_GET, "/assets/*", www_asset, 0 },
	{ HTTP_GET, "/", www_page, 0 },
	{ HTTP_GET, "/logg-inn", www_page, 0 },
	{ HTTP_GET, "/min-side", www_page, 0 },
	{ HTTP_GET, "/leder", www_page, 0 },
	{ HTTP_GET, "/hr", www_page, 0 },
	{ HTTP_GET, "/ombud", www_page, 0 },
	{ HTTP_GET, "/admin", www_page, 0 },
	{ HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_OPTIONS,
	  "/scim/v2/**", scim_dispatch, SCIM_MAX_BODY },
	{ 0, NULL, NULL, 0 },
};

/* Errors on these paths are written in the path's own format. */
const struct http_error_format http_error_formats[] = {
	{ "/scim/", scim_http_error },
	{ NULL, NULL },
};
