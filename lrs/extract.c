/* extract.c: walks a statement for its index rows (verb, activities,
 * agents, registration; direct or related) and the activity definitions to
 * merge into the activities table. */
#include "extract.h"

#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "hex.h"
#include "json_text.h"

/* ---- the extract's memory: chunks freed together ---- */

struct lrs_extract_chunk {
	struct lrs_extract_chunk *next;
	size_t size, used;
	char data[];
};

#define CHUNK_SIZE 2048

static void *pool_alloc(struct lrs_extract *e, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct lrs_extract_chunk *c = e->chunks;
	if (!c || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;
		if (!(c = malloc(sizeof(*c) + size)))
			return NULL;
		c->next = e->chunks;
		c->size = size;
		c->used = 0;
		e->chunks = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	return p;
}

static char *pool_strdup(struct lrs_extract *e, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = pool_alloc(e, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

/* Makes room for one more of *n items of size each in *items (cap *cap). */
static int pool_grow(struct lrs_extract *e, void **items, size_t n, size_t *cap, size_t size,
		     size_t first)
{
	if (n < *cap)
		return 0;
	size_t more = *cap ? *cap * 2 : first;
	void *p = pool_alloc(e, more * size);
	if (!p)
		return -1;
	if (n)
		memcpy(p, *items, n * size);
	*items = p;
	*cap = more;
	return 0;
}

/* ---- rows and activities ---- */

static int add_row(struct lrs_extract *e, int kind, int direct, const char *value)
{
	if (!value || !*value)
		return 0;
	for (size_t i = 0; i < e->nrows; i++)
		if (e->rows[i].kind == kind && strcmp(e->rows[i].value, value) == 0) {
			if (direct)
				e->rows[i].direct = 1;
			return 0;
		}
	void *rows = e->rows;
	if (pool_grow(e, &rows, e->nrows, &e->rows_cap, sizeof(*e->rows), 8) != 0)
		return -1;
	e->rows = rows;
	char *copy = pool_strdup(e, value);
	if (!copy)
		return -1;
	e->rows[e->nrows++] = (struct lrs_index_row){ kind, direct, copy, 0 };
	return 0;
}

static int add_activity(struct lrs_extract *e, const json_t *activity, int direct)
{
	const char *id = json_string_value(json_object_get(activity, "id"));
	if (!id)
		return 0;
	if (add_row(e, LRS_IX_ACTIVITY, direct, id) != 0)
		return -1;
	const json_t *def = json_object_get(activity, "definition");
	void *acts = e->acts;
	if (pool_grow(e, &acts, e->nacts, &e->acts_cap, sizeof(*e->acts), 4) != 0)
		return -1;
	e->acts = acts;
	char *idc = pool_strdup(e, id);
	char *defc = json_is_object(def) ? lrs_json_dumps(def) : NULL; /* malloc'd */
	if (!idc || (json_is_object(def) && !defc)) {
		free(defc);
		return -1;
	}
	e->acts[e->nacts++] = (struct lrs_activity_def){ idc, defc };
	return 0;
}

/* An Agent or Group: its own key, and for Groups each member's key as a
 * related row (a member is not the actor itself). */
static int add_agent(struct lrs_extract *e, const json_t *agent, int direct)
{
	char key[1024];
	if (!json_is_object(agent))
		return 0;
	if (lrs_agent_key(agent, key, sizeof(key)) == 0 && add_row(e, LRS_IX_AGENT, direct, key) != 0)
		return -1;
	const json_t *members = json_object_get(agent, "member");
	size_t i;
	const json_t *m;
	json_array_foreach(members, i, m)
		if (lrs_agent_key(m, key, sizeof(key)) == 0 && add_row(e, LRS_IX_AGENT, 0, key) != 0)
			return -1;
	return 0;
}

static int add_context_activities(struct lrs_extract *e, const json_t *context)
{
	const json_t *ca = json_object_get(context, "contextActivities");
	static const char *const kinds[] = { "parent", "grouping", "category", "other" };
	for (size_t k = 0; k < 4; k++) {
		const json_t *v = json_object_get(ca, kinds[k]);
		if (json_is_object(v)) {
			if (add_activity(e, v, 0) != 0)
				return -1;
			continue;
		}
		size_t i;
		const json_t *a;
		json_array_foreach(v, i, a)
			if (add_activity(e, a, 0) != 0)
				return -1;
	}
	return 0;
}

static int add_context(struct lrs_extract *e, const json_t *context, int direct)
{
	if (!json_is_object(context))
		return 0;
	if (direct && add_row(e, LRS_IX_REGISTRATION, 1,
			      json_string_value(json_object_get(context, "registration"))) != 0)
		return -1;
	if (add_context_activities(e, context) != 0 ||
	    add_agent(e, json_object_get(context, "instructor"), 0) != 0 ||
	    add_agent(e, json_object_get(context, "team"), 0) != 0)
		return -1;
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(context, "contextAgents"), i, c)
		if (add_agent(e, json_object_get(c, "agent"), 0) != 0)
			return -1;
	json_array_foreach(json_object_get(context, "contextGroups"), i, c)
		if (add_agent(e, json_object_get(c, "group"), 0) != 0)
			return -1;
	return 0;
}

/* The object: an Activity, Agent/Group, or SubStatement (whose parts are
 * related only); StatementRefs are resolved at storage time. */
static int add_object(struct lrs_extract *e, const json_t *object, int direct)
{
	const char *type = json_string_value(json_object_get(object, "objectType"));
	if (!type || strcmp(type, "Activity") == 0)
		return add_activity(e, object, direct);
	if (strcmp(type, "Agent") == 0 || strcmp(type, "Group") == 0)
		return add_agent(e, object, direct);
	if (strcmp(type, "SubStatement") == 0) {
		if (add_agent(e, json_object_get(object, "actor"), 0) != 0 ||
		    add_object(e, json_object_get(object, "object"), 0) != 0 ||
		    add_context(e, json_object_get(object, "context"), 0) != 0)
			return -1;
	}
	return 0;
}

static int by_direct_desc(const void *a, const void *b)
{
	const struct lrs_index_row *x = a, *y = b;
	return y->direct - x->direct;
}

int lrs_verb_activity_key(const char *verb, const char *activity, char *buf, size_t size)
{
	size_t vl = strlen(verb), al = strlen(activity);
	if (vl + al + 2 > size)
		return -1;
	memcpy(buf, verb, vl);
	buf[vl] = LRS_IX_PAIR_SEP;
	memcpy(buf + vl + 1, activity, al + 1);
	return 0;
}

int lrs_extract(const json_t *st, struct lrs_extract *out)
{
	memset(out, 0, sizeof(*out));
	const json_t *verb = json_object_get(st, "verb");
	if (add_row(out, LRS_IX_VERB, 1, json_string_value(json_object_get(verb, "id"))) != 0 ||
	    add_agent(out, json_object_get(st, "actor"), 1) != 0 ||
	    add_object(out, json_object_get(st, "object"), 1) != 0 ||
	    add_context(out, json_object_get(st, "context"), 1) != 0 ||
	    add_agent(out, json_object_get(st, "authority"), 0) != 0) {
		lrs_extract_free(out);
		return -1;
	}
	const json_t *object = json_object_get(st, "object");
	const char *otype = json_string_value(json_object_get(object, "objectType"));
	const char *vid = json_string_value(json_object_get(verb, "id"));
	const char *aid = json_string_value(json_object_get(object, "id"));
	if (vid && aid && (!otype || strcmp(otype, "Activity") == 0)) {
		size_t size = strlen(vid) + strlen(aid) + 2;
		char small[512], *pair = size <= sizeof(small) ? small : malloc(size);
		int rc = pair ? lrs_verb_activity_key(vid, aid, pair, size) : -1;
		if (rc == 0)
			rc = add_row(out, LRS_IX_VERB_ACTIVITY, 1, pair);
		if (pair != small)
			free(pair);
		if (rc != 0) {
			lrs_extract_free(out);
			return -1;
		}
	}
	qsort(out->rows, out->nrows, sizeof(out->rows[0]), by_direct_desc);
	return 0;
}

long long lrs_registration_key(const char *registration)
{
	unsigned long long half[2] = { 0, 0 };
	int n = 0;
	for (const char *p = registration; *p && n < 32; p++) {
		if (*p == '-')
			continue;
		int d = hex_digit(*p); /* anything else counts as 0 */
		half[n / 16] = half[n / 16] << 4 | (unsigned)(d < 0 ? 0 : d);
		n++;
	}
	return (long long)(half[0] ^ half[1]);
}

const char *lrs_extract_registration(const struct lrs_extract *e)
{
	for (size_t i = 0; i < e->nrows; i++)
		if (e->rows[i].kind == LRS_IX_REGISTRATION && e->rows[i].direct)
			return e->rows[i].value;
	return NULL;
}

void lrs_extract_free(struct lrs_extract *e)
{
	for (size_t i = 0; i < e->nacts; i++)
		free(e->acts[i].definition);
	for (struct lrs_extract_chunk *c = e->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(e, 0, sizeof(*e));
}
