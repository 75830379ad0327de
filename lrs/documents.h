/* documents.h: the xAPI document resources and the Activities and Agents
 * resources.
 *
 *   /xapi/activities/state     lrs_state()             (activity, agent, registration, stateId)
 *   /xapi/activities/profile   lrs_activity_profile()  (activity, profileId)
 *   /xapi/agents/profile       lrs_agent_profile()     (agent, profileId)
 *   /xapi/activities           lrs_activities()        canonical Activity definition
 *   /xapi/agents               lrs_agents()            Person object
 *
 * The dispatcher (lrs.c) has authenticated the client, checked its scope,
 * unwrapped the alternate request syntax and answered OPTIONS; x->method is
 * GET, HEAD, PUT, POST or DELETE. Each handler answers exactly once. */
#ifndef VERN_LRS_DOCUMENTS_H
#define VERN_LRS_DOCUMENTS_H

#include <stddef.h>

#include "lrs.h"

void lrs_state(struct lrs_ctx *x);
void lrs_activity_profile(struct lrs_ctx *x);
void lrs_agent_profile(struct lrs_ctx *x);
void lrs_activities(struct lrs_ctx *x);
void lrs_agents(struct lrs_ctx *x);

/* Exposed for unit tests. */

/* 1 when the If-Match / If-None-Match header value (a list of entity tags,
 * possibly weak, or "*") names etag (stored quoted: "\"<hex>\""). */
int lrs_etag_list_matches(const char *header, const char *etag);

/* RFC 7231 HTTP-date for ms since the epoch: "Tue, 15 Nov 1994 08:12:31 GMT".
 * buf needs 30 bytes. */
const char *lrs_http_date(long long ms, char *buf, size_t size);

/* The JSON Document Merge of xAPI on document texts: every top-level
 * property of update replaces the stored one of the same name, the others
 * are kept. Values are copied byte for byte (numbers are not reformatted);
 * stored properties keep their order and new ones follow. On success returns
 * 0 with *out (malloc'd, NUL-terminated) and *out_len; -1 when stored is not
 * a JSON object (or repeats a property name), -2 the same for update, -3 out
 * of memory. */
int lrs_document_merge(const char *stored, size_t stored_len, const char *update,
		       size_t update_len, char **out, size_t *out_len);

/* Writes (replaces) a State document for Vern itself, e.g. the cmi5
 * LMS.LaunchData document, on the writer connection c inside the caller's
 * db_write job (so it commits with the caller's other rows). registration
 * may be NULL. Returns DB_OK, DB_INVALID (bad agent or registration) or
 * DB_ERROR. */
struct db_conn;
int lrs_state_put_internal(struct db_conn *c, const char *activity, const json_t *agent,
			   const char *registration, const char *state_id,
			   const char *content_type, const char *body, size_t len);

#endif
