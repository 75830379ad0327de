/* min_side.h: Min side, the employee's own page, and the employee's copy of
 * everything Vern holds about them (GDPR art. 15).
 *
 *   GET /api/min-side                assigned courses with due dates and
 *                                    status, completions with dates and scores
 *   GET /api/min-side/kursbevis/ID   a certificate of completion for a course
 *   GET /api/min-side/eksport        all my data as a JSON download
 *
 * Only the signed-in person's own data is ever read (the id comes from the
 * session, never from the request), and each view leaves an audit record
 * before anything is sent. */
#ifndef VERN_MIN_SIDE_H
#define VERN_MIN_SIDE_H

struct http_request;

void min_side_get(struct http_request *req);
void min_side_certificate(struct http_request *req);
void min_side_export(struct http_request *req);

#endif
