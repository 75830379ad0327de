/* api_mail.h: the admin JSON API for email (admins only).
 *
 *   GET    /api/mail/templates               every template (no bodies)
 *   GET    /api/mail/templates/NAME          one template, its variables and
 *                                            the shipped text of a built-in
 *   PUT    /api/mail/templates/NAME          {"subject", "text", "html",
 *                                            "description", "kind" (new only)}
 *   DELETE /api/mail/templates/NAME          built-in: back to the shipped
 *                                            text; own: delete (unless used)
 *   POST   /api/mail/templates/NAME/preview  render (unsaved edits in the
 *                                            body) with a sample person
 *   GET    /api/mail/status                  outbox counts and recent failures
 *   POST   /api/mail/test                    {"to"}: queue the test email */
#ifndef VERN_API_MAIL_H
#define VERN_API_MAIL_H

struct http_request;

void api_mail_templates(struct http_request *req);
void api_mail_template(struct http_request *req);
void api_mail_template_preview(struct http_request *req);
void api_mail_status(struct http_request *req);
void api_mail_test(struct http_request *req);

#endif
