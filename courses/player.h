/* player.h: the course player for learners.
 *
 *   GET  /learn/<course>              the player page (outline, frame, navigation)
 *   GET  /api/learn/<course>          outline with the learner's status and the
 *                                     item to resume at
 *   POST /api/learn/<course>/launch   {"item": ID?, "restart": bool?} starts a
 *                                     SCO/AU session: {"item", "url", "method"}
 *
 * Every call needs a session with an employee; a learn-scope session (from
 * an email link) may open only its own course. The page frames the content
 * in a sandboxed iframe on the content origin (origin.h); SCORM sessions
 * run through the run-time host (runtime.h), cmi5 AUs (and native courses)
 * are launched with the cmi5 parameters (cmi5.h). The learner's attempt
 * stays on the course version it was started on; "restart" after a
 * completed attempt starts a new one on the newest version. */
#ifndef VERN_COURSES_PLAYER_H
#define VERN_COURSES_PLAYER_H

struct http_request;

void player_page(struct http_request *req);
void learn_get(struct http_request *req);
void learn_launch(struct http_request *req);

#endif
