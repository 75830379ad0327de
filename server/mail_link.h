/* mail_link.h: the pages behind the links in lesson emails.
 *
 *   GET  /e/TOKEN      landing page: the lesson's title and a Start button.
 *                      Records nothing and signs no one in, so mail
 *                      scanners (Safe Links and others) that fetch every
 *                      link change nothing.
 *   POST /e/TOKEN      Start: signs the employee in with a short learn-scope
 *                      session for that one course and answers 303 to
 *                      /learn/<course>.
 *   POST /e/TOKEN/ny   an expired link: email a fresh one to the employee.
 *   GET  /e/ny-lenke   a broken link: a form asking for the email address;
 *   POST /e/ny-lenke   emails fresh links to the open lessons, answering
 *                      the same whether or not the address is known.
 * Pages are in Norwegian bokmål, with no referrer, no indexing, no script
 * and no caching. */
#ifndef VERN_MAIL_LINK_H
#define VERN_MAIL_LINK_H

struct http_request;

void mail_link_page(struct http_request *req);   /* GET, HEAD and POST /e/TOKEN */
void mail_link_renew(struct http_request *req);  /* POST /e/TOKEN/ny */

#endif
