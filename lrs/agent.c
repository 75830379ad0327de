/* agent.c: the canonical key of an Agent's or Group's IFI (see agent.h). */
#include "agent.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

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
		n = snprintf(buf, size, "mbox:%s", json_string_value(mbox));
	} else if (sha1) {
		if (!json_is_string(sha1))
			return -1;
		n = snprintf(buf, size, "mbox_sha1sum:%s", json_string_value(sha1));
		if (n > 0 && (size_t)n < size)
			for (char *p = buf + 13; *p; p++)
				*p = (char)tolower((unsigned char)*p);
	} else if (openid) {
		if (!json_is_string(openid))
			return -1;
		n = snprintf(buf, size, "openid:%s", json_string_value(openid));
	} else {
		const json_t *home = json_object_get(account, "homePage");
		const json_t *name = json_object_get(account, "name");
		if (!json_is_string(home) || !json_is_string(name))
			return -1;
		if (strchr(json_string_value(home), ' '))
			return -1;
		n = snprintf(buf, size, "account:%s %s", json_string_value(home),
			     json_string_value(name));
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
