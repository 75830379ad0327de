/* agent.c: the canonical key of an Agent's or Group's IFI (see agent.h). */
#include "agent.h"

#include <ctype.h>
#include <string.h>

/* buf = a b c (c may be NULL); the length, or -1 when it does not fit.
 * Called for every agent of every statement: no printf machinery. */
static int join(char *buf, size_t size, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = c ? strlen(c) : 0;
	if (la + lb + lc >= size)
		return -1;
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb);
	if (c)
		memcpy(buf + la + lb, c, lc);
	buf[la + lb + lc] = '\0';
	return (int)(la + lb + lc);
}

int lrs_agent_key(const json_t *agent, char *buf, size_t size)
{
	if (!json_is_object(agent))
		return -1;
	const json_t *mbox = json_object_get(agent, "mbox");
	const json_t *sha1 = json_object_get(agent, "mbox_sha1sum");
	const json_t *openid = json_object_get(agent, "openid");
	const json_t *account = json_object_get(agent, "account");
	int count = (mbox != NULL) + (sha1 != NULL) + (openid != NULL) + (account != NULL);
	if (count != 1)
		return -1;
	int n;
	if (mbox) {
		if (!json_is_string(mbox))
			return -1;
		n = join(buf, size, "mbox:", json_string_value(mbox), NULL);
	} else if (sha1) {
		if (!json_is_string(sha1))
			return -1;
		n = join(buf, size, "mbox_sha1sum:", json_string_value(sha1), NULL);
		if (n > 0)
			for (char *p = buf + 13; *p; p++)
				*p = (char)tolower((unsigned char)*p);
	} else if (openid) {
		if (!json_is_string(openid))
			return -1;
		n = join(buf, size, "openid:", json_string_value(openid), NULL);
	} else {
		const json_t *home = json_object_get(account, "homePage");
		const json_t *name = json_object_get(account, "name");
		if (!json_is_string(home) || !json_is_string(name))
			return -1;
		if (strchr(json_string_value(home), ' '))
			return -1;
		n = join(buf, size, "account:", json_string_value(home), " ");
		if (n >= 0 && join(buf + n, size - (size_t)n, json_string_value(name), "", NULL) < 0)
			n = -1;
	}
	return n < 0 ? -1 : 0;
}
