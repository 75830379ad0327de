/* views_ombud.h: the data protection officer's (personvernombud) JSON API
 * (page /ombud): completion statistics per agency for the annual report,
 * without names or ids of people, and the audit log of who looked at whose
 * data.
 *
 *   GET /api/ombud/rapport?aar=YYYY[&format=csv]   statistics per agency
 *   GET /api/ombud/revisjonslogg?side=N[&handling=A][&fra=D&til=D]
 *
 * The statistics suppress every group under 5 people ("<5"). They are
 * readable by the ombud, HR and admins; the audit log by the ombud and
 * admins, and reading it is itself audited. */
#ifndef VERN_VIEWS_OMBUD_H
#define VERN_VIEWS_OMBUD_H

struct http_request;

/* Groups smaller than this are shown as "<5". */
#define VIEWS_MIN_GROUP 5

void views_ombud_report(struct http_request *req);
void views_ombud_audit_log(struct http_request *req);

#endif
