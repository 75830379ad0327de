/* mail_demo.h: the demo's email campaign, for `vern demo` and `make run`. */
#ifndef VERN_MAIL_DEMO_H
#define VERN_MAIL_DEMO_H

struct db;

/* Creates (once) the active demo campaign "Sikkerhetsmåneden" for every
 * employee: the first lesson goes out when the server starts, the next
 * ones each following Monday at 08:00, with reminders and a Monday digest
 * to leaders. Lessons are the bundled courses present in the catalogue.
 * Returns 0 (also when it exists already or there are no courses yet) or
 * -1. */
int mail_demo_setup(struct db *db);

#endif
