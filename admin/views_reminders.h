/* views_reminders.h: reminders a leader (or HR) sends to staff who are
 * behind on their training, from the leader dashboard. */
#ifndef VERN_VIEWS_REMINDERS_H
#define VERN_VIEWS_REMINDERS_H

#include <jansson.h>

struct http_request;
struct principal;

/* Handles the body of POST /api/leder/paminnelse:
 *   {"ansatte": [employee id, ...] (1..1000), "kurs": course id (optional)}
 * Every employee must be one p may see (else 403 and nothing is sent). Each
 * gets a reminder email (template "paminnelse", with a one-click link) for
 * each requirement not met (only the named course when given); employees
 * with nothing outstanding are skipped. Answers 200 {"ansatte": people
 * reminded, "eposter": emails queued, "hoppet_over": N, "feil": [{ansatt_id,
 * melding}] (e.g. no email address), "levering": text} or an error. */
void views_reminders_send(struct http_request *req, const struct principal *p, json_t *body);

#endif
