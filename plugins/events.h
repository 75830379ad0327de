/* events.h: employee changes waiting for the plugins' on_employee hooks
 * (the plugin_events table of migrations/005_plugins.sql). Writers of
 * employees call plugin_events_employee in the same transaction as the
 * change, so a change is never lost and never reported when it was rolled
 * back; the plugin host's worker reads and deletes them. */
#ifndef VERN_PLUGIN_EVENTS_H
#define VERN_PLUGIN_EVENTS_H

struct db_conn;

/* Records that employee_id changed; change is an enum person_change
 * (people.h); PERSON_UNCHANGED records nothing. Returns a DB_* code. */
int plugin_events_employee(struct db_conn *c, long long employee_id, int change);

/* The word on_employee receives for an enum person_change. */
const char *plugin_events_change_name(int change);

#endif
