/* api_users.h: the admin page's JSON API for accounts and roles, and for
 * LRS clients (api_lrs_clients.c). Admins only; every call passes
 * access_require(ACCESS_ADMIN) and, when it changes anything, the CSRF check.
 *
 *   GET    /api/admin/brukere                  every account (audited view)
 *   POST   /api/admin/brukere                  {username, display_name?, employee?,
 *                                               roles?: [...], password?}
 *   GET    /api/admin/brukere/ID
 *   PUT    /api/admin/brukere/ID               {display_name?, active?, roles?}
 *   DELETE /api/admin/brukere/ID
 *   POST   /api/admin/brukere/ID/passord       {password?}: a generated one is returned once
 *   POST   /api/admin/brukere/ID/totp-nullstill
 *   POST   /api/admin/brukere/ID/las-opp
 *   GET    /api/admin/lrs-klienter
 *   POST   /api/admin/lrs-klienter             {name, scopes?}: key and secret returned once
 *   DELETE /api/admin/lrs-klienter/KEY
 *   GET    /api/admin/oppbevaring              the retention policy and recent runs
 *   POST   /api/admin/oppbevaring/kjor         run the retention job now */
#ifndef VERN_API_USERS_H
#define VERN_API_USERS_H

struct http_request;

void api_users_list(struct http_request *req);
void api_users_create(struct http_request *req);
void api_users_one(struct http_request *req);
void api_users_password(struct http_request *req);
void api_users_totp_reset(struct http_request *req);
void api_users_unlock(struct http_request *req);

void api_lrs_clients(struct http_request *req);
void api_lrs_client_remove(struct http_request *req);

void api_retention(struct http_request *req);
void api_retention_run(struct http_request *req);

#endif
