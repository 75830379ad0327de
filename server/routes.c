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
#include "api_test_session.h"
#include "views_attendance.h"
#include "views_hr.h"
#include "views_leader.h"
#include "views_ombud.h"

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
	{ 0, NULL, NULL, 0 },
};
