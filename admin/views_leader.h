/* views_leader.h: the leader's JSON API (page /leder): the units a leader
 * may start from, one unit's dashboard (child units and staff with their
 * completion per course, the overdue list across the subtree, the trend
 * over the last 12 months), and reminders to staff who are behind.
 *
 * Leaders see only the subtrees they lead; HR and admins see every unit.
 * Every answer naming a person leaves an audit record first. */
#ifndef VERN_VIEWS_LEADER_H
#define VERN_VIEWS_LEADER_H

struct http_request;

/* GET /api/leder/enheter: {"enheter": [{id, navn, virksomhet, sti}]}. */
void views_leader_units(struct http_request *req);

/* GET /api/leder/enhet/{id}: the dashboard of one unit (see views_leader.c). */
void views_leader_unit(struct http_request *req);

/* POST /api/leder/paminnelse {"ansatte": [id...], "kurs": id?}: queues a
 * reminder email to each named employee who is behind. */
void views_leader_remind(struct http_request *req);

#endif
