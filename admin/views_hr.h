/* views_hr.h: the HR / appraisal JSON API (page /hr): find an employee,
 * see their role requirements against their completions (expiring soon,
 * overdue), the learning goals agreed in the last appraisal talk, and
 * export it all for HR systems.
 *
 *   GET /api/hr/ansatte?q=TEXT&enhet=ID   search (at most 50)
 *   GET /api/hr/ansatt/{id}               one employee (see views_hr.c)
 *   PUT /api/hr/ansatt/{id}/laeringsmal   {"tekst", "dato"}: learning goals
 *   GET /api/hr/ansatt/{id}/eksport?format=json|csv
 *   GET /api/hr/eksport?format=json|csv&enhet=ID   everyone (in the unit)
 *
 * HR and admins see everyone; leaders only the staff of the subtrees they
 * lead (the appraisal talk is the leader's). Every answer and export
 * naming a person is audited first. */
#ifndef VERN_VIEWS_HR_H
#define VERN_VIEWS_HR_H

struct http_request;

void views_hr_search(struct http_request *req);
void views_hr_employee(struct http_request *req);
void views_hr_goals(struct http_request *req);
void views_hr_employee_export(struct http_request *req);
void views_hr_export(struct http_request *req);

#endif
