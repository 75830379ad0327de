/* events.c: recording employee changes for on_employee (see events.h). */
#include "events.h"

#include <sqlite3.h>
#include <time.h>

#include "db.h"
#include "people.h"

const char *plugin_events_change_name(int change)
{
	switch (change) {
	case PERSON_CREATED: return "created";
	case PERSON_UPDATED: return "updated";
	case PERSON_DEACTIVATED: return "deactivated";
	default: return "unchanged";
	}
}

int plugin_events_employee(struct db_conn *c, long long employee_id, int change)
{
	if (change == PERSON_UNCHANGED)
		return DB_OK;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO plugin_events(employee_id, change, created_ms)"
				      " VALUES(?, ?, ?)");
	if (!st)
		return DB_ERROR;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	sqlite3_bind_int64(st, 1, employee_id);
	sqlite3_bind_text(st, 2, plugin_events_change_name(change), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
	return db_exec_stmt(c, st, "plugin_event");
}
