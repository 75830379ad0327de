/* agent.h: identity of xAPI Agents and Groups.
 *
 * An Agent or identified Group is identified by exactly one inverse
 * functional identifier (IFI): mbox, mbox_sha1sum, openid or account.
 * lrs_agent_key() turns it into one canonical string, used as the index
 * key wherever statements, documents and queries compare agents:
 *
 *   mbox:mailto:a@example.org
 *   mbox_sha1sum:<40 hex, lowercase>
 *   openid:<uri>
 *   account:<homePage> <name>      (one space between; homePage has none)
 */
#ifndef VERN_LRS_AGENT_H
#define VERN_LRS_AGENT_H

#include <jansson.h>
#include <stddef.h>

/* Writes the key of agent's IFI into buf. Returns 0, or -1 when agent is
 * not an object with exactly one well-typed IFI, or buf is too small. Does
 * not validate IRIs or emails: lrs_validate_* does that. */
int lrs_agent_key(const json_t *agent, char *buf, size_t size);

#endif
