/* views_attendance.h: blended learning. A leader registers who attended a
 * classroom session, staff meeting or dilemma training; each attendee gets
 * an xAPI "attended" statement (object: the course's activity, instructor:
 * the leader, grouping: the session's own activity). For courses the admin
 * has marked as satisfiable by attendance, such a statement counts as a
 * completion.
 *
 *   GET    /api/kurs/oppmote          courses and whether attendance counts
 *   PUT    /api/kurs/{id}/oppmote     admin: attendance satisfies the course
 *   DELETE /api/kurs/{id}/oppmote     admin: it no longer does
 *   POST   /api/leder/oppmote         register a session and its attendees
 *   GET    /api/leder/oppmote?enhet=  sessions registered in a unit's subtree */
#ifndef VERN_VIEWS_ATTENDANCE_H
#define VERN_VIEWS_ATTENDANCE_H

struct http_request;

#define VIEWS_ATTENDED_VERB "http://adlnet.gov/expapi/verbs/attended"

struct db_conn;

/* 1 when an "attended" statement for course_id counts as a completion (the
 * admin marked the course), 0 when not, -1 on a database error. For the
 * completion derivation (server/completions.c), on the writer connection. */
int views_attendance_counts(struct db_conn *c, const char *course_id);

void views_attendance_courses(struct http_request *req);
void views_attendance_mark(struct http_request *req);
void views_attendance_sessions(struct http_request *req);

#endif
