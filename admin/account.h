/* account.h: a signed-in person's own account.
 *
 *   POST /api/konto/passord   {"current", "new"}: changes the password;
 *                             every session of the account ends, so the
 *                             person signs in again with the new one.
 *
 * A wrong current password counts as a failed sign-in (lockout), so this
 * cannot be used to guess passwords faster than the sign-in page. */
#ifndef VERN_ACCOUNT_H
#define VERN_ACCOUNT_H

struct http_request;

void account_password(struct http_request *req);

#endif
