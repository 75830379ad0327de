/* routes.c: every HTTP route Vern serves, in one table.
 *
 * Each folder owns its handlers (server/api_*.c, lrs/, courses/, admin/);
 * this file only says which path and methods reach which handler and how
 * large a body each accepts (0: none, -1: the configured max_body_bytes). */
#include "routes.h"

#include "api_health.h"
#include "api_incidents.h"
#include "api_plugins.h"
#include "api_test.h"
#include "lrs.h"
#include "scim.h"
#include "www.h"
#include "api_campaigns.h"
#include "api_mail.h"
#include "api_test_mail.h"
#include "mail_link.h"
#include "api_test_session.h"
#include "views_attendance.h"
#include "views_hr.h"
#include "views_leader.h"
#include "views_ombud.h"
#include "../courses/api_courses.h"
#include "../courses/cmi5.h"
#include "../courses/content.h"
#include "../courses/player.h"
#include "../courses/runtime.h"
#include "login.h"
#include "retention.h"
#include "min_side.h"
#include "api_users.h"
#include "account.h"

const struct http_route routes[] = {
	{ HTTP_GET, "/healthz", api_health_get, 0 },
	{ HTTP_GET | HTTP_POST, "/api/test/writes", api_test_writes, 4096 },
	{ HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_DELETE | HTTP_OPTIONS, "/xapi/**",
	  lrs_dispatch, -1 },
	{ HTTP_GET, "/api/me", www_me, 0 },
	{ HTTP_GET, "/api/plugins", api_plugins_list, 0 },
	{ HTTP_POST, "/api/plugins/reload", api_plugins_reload, 0 },
	{ HTTP_GET | HTTP_POST, "/api/plugins/*/reports/*", api_plugins_report, 65536 },
	{ HTTP_POST, "/api/incidents", api_incidents_post, 4096 },
	{ HTTP_POST, "/api/test/plugins/*", api_test_plugins, 4096 },
	{ HTTP_GET, "/assets/vendor/*", www_vendor_asset, 0 },
	{ HTTP_GET, "/assets/*", www_asset, 0 },
	{ HTTP_GET, "/", www_page, 0 },
	{ HTTP_GET, "/logg-inn", www_page, 0 },
	{ HTTP_GET, "/min-side", www_page, 0 },
	{ HTTP_GET, "/leder", www_page, 0 },
	{ HTTP_GET, "/hr", www_page, 0 },
	{ HTTP_GET, "/ombud", www_page, 0 },
	{ HTTP_GET, "/admin", www_page, 0 },
	{ HTTP_POST, "/api/test/session", api_test_session, 4096 },
	{ HTTP_GET, "/api/leder/enheter", views_leader_units, 0 },
	{ HTTP_GET, "/api/leder/enhet/*", views_leader_unit, 0 },
	{ HTTP_POST, "/api/leder/paminnelse", views_leader_remind, 65536 },
	{ HTTP_GET | HTTP_POST, "/api/leder/oppmote", views_attendance_sessions, 65536 },
	{ HTTP_GET, "/api/kurs/oppmote", views_attendance_courses, 0 },
	{ HTTP_PUT | HTTP_DELETE, "/api/kurs/*/oppmote", views_attendance_mark, 0 },
	{ HTTP_GET, "/api/hr/ansatte", views_hr_search, 0 },
	{ HTTP_GET, "/api/hr/ansatt/*", views_hr_employee, 0 },
	{ HTTP_PUT, "/api/hr/ansatt/*/laeringsmal", views_hr_goals, 16384 },
	{ HTTP_GET, "/api/hr/ansatt/*/eksport", views_hr_employee_export, 0 },
	{ HTTP_GET, "/api/hr/eksport", views_hr_export, 0 },
	{ HTTP_GET, "/api/ombud/rapport", views_ombud_report, 0 },
	{ HTTP_GET, "/api/ombud/revisjonslogg", views_ombud_audit_log, 0 },
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
	{ HTTP_GET, "/learn/*", player_page, 0 },
	{ HTTP_GET, "/api/learn/*", learn_get, 0 },
	{ HTTP_POST, "/api/learn/*/launch", learn_launch, 4096 },
	{ HTTP_GET, "/player/*", player_asset, 0 },
	{ HTTP_GET, "/content/**", content_file, 0 },
	{ HTTP_GET, "/content-assets/*", content_asset, 0 },
	{ HTTP_GET, "/content-return", runtime_return, 0 },
	{ HTTP_GET, "/content-run/*", runtime_host, 0 },
	{ HTTP_POST, "/content-run/*/commit", runtime_commit, -1 },
	{ HTTP_POST, "/content-run/*/event", runtime_event, 4096 },
	{ HTTP_POST | HTTP_OPTIONS, "/api/cmi5/fetch/*", cmi5_fetch, 4096 },
	{ HTTP_GET, "/api/courses", courses_list, 0 },
	{ HTTP_POST, "/api/courses", courses_upload, HTTP_BODY_UPLOAD },
	{ HTTP_POST, "/api/courses/*/waive", courses_waive, 4096 },
	{ HTTP_GET, "/api/login", login_csrf, 0 },
	{ HTTP_POST, "/api/login", login_password, 16384 },
	{ HTTP_GET, "/api/login/totp", login_totp_get, 0 },
	{ HTTP_POST, "/api/login/totp", login_totp_post, 4096 },
	{ HTTP_POST, "/api/logout", login_logout, 4096 },
	{ HTTP_POST, "/api/logout-everywhere", login_logout_everywhere, 4096 },
	{ HTTP_GET, "/api/oppbevaring", retention_policy_get, 0 },
	{ HTTP_GET, "/api/min-side", min_side_get, 0 },
	{ HTTP_GET, "/api/min-side/kursbevis/*", min_side_certificate, 0 },
	{ HTTP_GET, "/api/min-side/eksport", min_side_export, 0 },
	{ HTTP_POST, "/api/konto/passord", account_password, 8192 },
	{ HTTP_GET, "/min-side/kursbevis", www_page, 0 },
	{ HTTP_GET, "/api/admin/brukere", api_users_list, 0 },
	{ HTTP_POST, "/api/admin/brukere", api_users_create, 16384 },
	{ HTTP_GET | HTTP_PUT | HTTP_DELETE, "/api/admin/brukere/*", api_users_one, 16384 },
	{ HTTP_POST, "/api/admin/brukere/*/passord", api_users_password, 4096 },
	{ HTTP_POST, "/api/admin/brukere/*/totp-nullstill", api_users_totp_reset, 0 },
	{ HTTP_POST, "/api/admin/brukere/*/las-opp", api_users_unlock, 0 },
	{ HTTP_GET | HTTP_POST, "/api/admin/lrs-klienter", api_lrs_clients, 16384 },
	{ HTTP_DELETE, "/api/admin/lrs-klienter/*", api_lrs_client_remove, 0 },
	{ HTTP_GET, "/api/admin/oppbevaring", api_retention, 0 },
	{ HTTP_POST, "/api/admin/oppbevaring/kjor", api_retention_run, 0 },
	{ HTTP_GET | HTTP_HEAD | HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE | HTTP_OPTIONS,
	  "/scim/v2/**", scim_dispatch, SCIM_MAX_BODY },
	{ 0, NULL, NULL, 0 },
};

/* Errors on these paths are written in the path's own format. */
const struct http_error_format http_error_formats[] = {
	{ "/scim/", scim_http_error },
	{ NULL, NULL },
};

const struct http_body_guard http_body_guards[] = {
	{ courses_upload, courses_upload_allowed },
	{ NULL, NULL },
};
