/* demo_history.h: the demo municipality's learning history: xAPI
 * statements (passed, failed, completed) for the bundled courses, stored
 * through the LRS's own code (lrs_store_internal), so completions derive
 * from them as from any statement. */
#ifndef VERN_DEMO_HISTORY_H
#define VERN_DEMO_HISTORY_H

#include <stddef.h>

#include "demo_org.h"

struct server;

struct demo_history_result {
	long statements;     /* made (and stored, or found already stored) */
	long passed, failed; /* of those: completions and failed attempts */
};

/* Makes the history of everyone in org up to anchor_day and stores it in
 * batches. Statement ids are derived from the anchor, the agent's home
 * page and what the statement says, so a second run stores nothing new.
 * Returns 0, or -1 with err set. */
int demo_history_write(struct server *srv, const struct demo_org *org, long anchor_day,
		       struct demo_history_result *res, char *err, size_t errsize);

/* The bundled course catalogue (CATALOGUE.md): id, title, minutes; NULL
 * id ends the list. */
struct demo_course {
	const char *id, *title;
	int minutes;
	int tested;                 /* ends with a test: passed / failed */
	const char *roles[4];       /* who must take it ("ansatt": everyone) */
	double rate;                /* share of those who have completed it */
};
extern const struct demo_course demo_courses[];

#endif
