/* api_courses.h: the administrators' course endpoints.
 *
 *   POST /api/courses?filename=F[&id=ID&title=T&minutes=N&valid_months=N]
 *        body: the package (zip) as application/zip or octet-stream;
 *        imports it like `vern course import` (201 with the course and
 *        version, 422 with the reason when the package is refused)
 *   GET  /api/courses                  the catalogue with versions
 *   POST /api/courses/<id>/waive       {"employee": EXTERNAL_ID, "au": AU_ID,
 *                                      "reason": "Administrative"} (cmi5)
 *
 * Each handler's first call is access_require(ACCESS_ADMIN). */
#ifndef VERN_COURSES_API_COURSES_H
#define VERN_COURSES_API_COURSES_H

struct http_request;

void courses_upload(struct http_request *req);
/* The upload route's before_body: only admins get their package read. */
int courses_upload_allowed(struct http_request *req);
void courses_list(struct http_request *req);
void courses_waive(struct http_request *req);

#endif
