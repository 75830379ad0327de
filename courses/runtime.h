/* runtime.h: the SCORM run-time on the content origin.
 *
 * A SCO launch (player.c) opens /content-run/<token> in the player's
 * sandboxed frame. That host page holds the SCORM API (scorm-again:
 * window.API for 1.2, window.API_1484_11 for 2004, with the initial data
 * model inlined) and loads the SCO in a frame of its own, on the same
 * origin, so the SCO finds the API where SCORM says to look. The API
 * commits to /content-run/<token>/commit (synchronous XHR; the final commit
 * and the one on page hide by sendBeacon) and reports Initialize to
 * /content-run/<token>/event. The token is the only credential: it names
 * one SCO session of one attempt.
 *
 * Each commit stores the CMI data (suspend_data, location, score,
 * completion and success status, session and total time, interactions)
 * and emits the statements of the ADL SCORM profile; when every SCO of the
 * course is done, the course's own completed (and passed) statements, which
 * count as the completion of the course. */
#ifndef VERN_COURSES_RUNTIME_H
#define VERN_COURSES_RUNTIME_H

#include <jansson.h>

struct http_request;
struct launch;
struct server;

void runtime_host(struct http_request *req);
void runtime_commit(struct http_request *req);
void runtime_event(struct http_request *req);
/* GET /content-return: the page a cmi5 AU returns to (returnURL); it tells
 * the player the AU has ended. */
void runtime_return(struct http_request *req);

/* The initial data model of a SCO launch (for scorm-again's loadFromJSON).
 * New reference or NULL. */
json_t *runtime_initial_cmi(struct server *srv, const struct launch *l, const json_t *item);

/* Serialises the run-time handlers of one attempt. */
void runtime_lock(long long attempt_id);
void runtime_unlock(long long attempt_id);

#endif
