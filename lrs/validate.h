/* validate.h: every rule the xAPI spec (1.0.3 and 2.0) sets for statements.
 *
 * A rejected statement is reported with the JSON path of the offending
 * value ("statements[3].object.definition.choices[0].id" or, for a single
 * statement, "object.definition...") and the rule it broke, in words a
 * client developer understands. Nothing is modified. */
#ifndef VERN_LRS_VALIDATE_H
#define VERN_LRS_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

#include "lrs.h"

struct lrs_verror {
	char path[256];
	char rule[256];
};

/* Validates one statement as received from a client (before the LRS adds
 * id, stored, authority, version). path_prefix is "" or e.g. "[3]".
 * Returns 0 when valid, -1 with e filled otherwise. */
int lrs_validate_statement(const json_t *statement, enum lrs_version v,
			   const char *path_prefix, struct lrs_verror *e);

/* Validates an Agent or Group object given as a query or document
 * parameter (agent=, "agent" of state/profile). Must carry exactly one IFI
 * (an identified Group is accepted). Returns 0 or -1 with e filled. */
int lrs_validate_agent_param(const json_t *agent, enum lrs_version v,
			     struct lrs_verror *e);

/* Format checks used by validation and by parameter parsing. Each returns
 * 1 when s is valid. */
int lrs_is_iri(const char *s);            /* absolute IRI (scheme:...) */
int lrs_is_uuid(const char *s);           /* RFC 4122 text form, any variant */
int lrs_is_timestamp(const char *s);      /* ISO 8601 / RFC 3339 date-time */
int lrs_is_duration(const char *s);       /* ISO 8601 duration (PnYnMnDTnHnMnS, PnW) */
int lrs_is_language_tag(const char *s);   /* RFC 5646 */
int lrs_is_mailto(const char *s);         /* mailto:addr@host */

/* Parses an ISO 8601 timestamp into ms since the epoch (UTC). Returns 0,
 * or -1 when malformed. */
int lrs_parse_timestamp(const char *s, long long *ms);

#endif
