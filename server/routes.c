/* routes.c: every HTTP route Vern serves, in one table.
 *
 * Each folder owns its handlers (server/api_*.c, lrs/, courses/, admin/);
 * this file only says which path and methods reach which handler and how
 * large a body each accepts (0: none, -1: the configured max_body_bytes). */
#include "routes.h"

#include "api_health.h"
#include "api_test.h"
#include "lrs.h"
#include "www.h"
#include "api_campaigns.h"
#include "api_mail.h"
#include "api_test_mail.h"
#include "api_test_session.h"
#include "mail_link.h"

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
	{ HTTP_POST, "/api/test/session", api_test_session, 4096 },
	{ HTTP_POST, "/api/test/mail-tick", api_test_mail_tick, 4096 },
	{ HTTP_GET | HTTP_POST, "/e/*", mail_link_page, 4096 },
	{ HTTP_POST, "/e/*/ny", mail_link_renew, 4096 },
	{ HTTP_GET | HTTP_POST, "/api/campaigns", api_campaigns, 262144 },
	{ HTTP_GET | HTTP_POST | HTTP_PUT | HTTP_DELETE, "/api/campaigns/*", api_campaign, 262144 },
	{ HTTP_POST, "/api/campaigns/*/*", api_campaign_action, 4096 },
	{ HTTP_GET, "/api/mail/templates", api_mail_templates, 0 },
	{ HTTP_GET | HTTP_PUT | HTTP_DELETE, "/api/mail/templates/*", api_mail_template, 262144 },
	{ HTTP_POST, "/api/mail/templates/*/*", api_mail_template_preview, 262144 },
	{ HTTP_GET, "/api/mail/status", api_mail_status, 0 },
	{ HTTP_POST, "/api/mail/test", api_mail_test, 4096 },
	{ 0, NULL, NULL, 0 },
};
