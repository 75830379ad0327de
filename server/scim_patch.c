/* scim_patch.c: POST/PUT bodies and PATCH operations applied to a SCIM
 * resource document (see scim_patch.h).
 *
 * Every change goes through one place, apply(): the path is parsed and
 * bound to the schema (so names are matched case-insensitively and stored
 * canonically), the value coerced to the attribute's type, and the
 * document changed per the RFC's rules for add, replace and remove.
 * Where the RFC says "noTarget" for a value filter that matches nothing
 * but the filter is a plain `attr eq "x"` (emails[type eq "work"].value),
 * Vern adds the element instead, as identity systems expect. */
#include "scim_patch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "scim_filter.h"

enum kind { ADD, REPLACE, REMOVE };

struct ctx {
	const struct scim_resource_type *rt;
	json_t *doc;
	const char **scim_type;
	char *err;
	size_t errsize;
	int lenient;            /* body mode: skip unknown and read-only attributes */
};

json_t *scim_json_get(const json_t *obj, const char *name)
{
	const char *k;
	json_t *v;
	json_t *exact = json_object_get(obj, name);
	if (exact)
		return exact;
	json_object_foreach((json_t *)obj, k, v)
		if (strcasecmp(k, name) == 0)
			return v;
	return NULL;
}

static int fail(struct ctx *x, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *x, const char *type, const char *fmt, ...)
{
	*x->scim_type = type;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err, x->errsize, fmt, ap);
	va_end(ap);
	return 400;
}

/* The object holding p's attribute: the document or the extension's
 * object (created when create is set). */
static json_t *container(struct ctx *x, const struct scim_path *p, int create)
{
	if (!p->in_extension)
		return x->doc;
	json_t *ext = json_object_get(x->doc, p->schema->id);
	if (!ext && create) {
		ext = json_object();
		json_object_set_new(x->doc, p->schema->id, ext);
	}
	return ext;
}

/* Elements of a multi-valued attribute are the same when their "value"
 * (and "type", when both have one) agree; otherwise when equal. */
static int same_element(const json_t *a, const json_t *b)
{
	const json_t *va = json_object_get(a, "value"), *vb = json_object_get(b, "value");
	if (va && vb) {
		const json_t *ta = json_object_get(a, "type"), *tb = json_object_get(b, "type");
		return json_equal(va, vb) && (!ta || !tb || json_equal(ta, tb));
	}
	return json_equal(a, b);
}

/* Keeps at most one primary: the element keep. */
static void only_primary(json_t *arr, const json_t *keep)
{
	if (!json_is_true(json_object_get(keep, "primary")))
		return;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e)
		if (e != keep)
			json_object_del(e, "primary");
}

static void merge(json_t *into, const json_t *from)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)from, k, v)
		json_object_set(into, k, v);
}

/* The element a plain `attr eq value` filter describes, for adding it
 * when none matches; NULL for any other filter. */
static json_t *element_for(const struct scim_filter *f)
{
	if (f->op != SCIM_F_EQ || !f->path.a || f->path.a->type == SCIM_COMPLEX ||
	    json_is_null(f->value))
		return NULL;
	json_t *e = json_object();
	json_object_set(e, f->path.a->name, f->value);
	return e;
}

static int coerce(struct ctx *x, const struct scim_attr *a, const json_t *v, int as_element,
		  json_t **out, int *isnull)
{
	char msg[200];
	*out = scim_coerce(a, v, as_element, isnull, msg, sizeof(msg));
	if (!*out && !*isnull)
		return fail(x, "invalidValue", "%s", msg);
	return 0;
}

/* add/replace/remove of a sub-attribute on the matching elements of a
 * multi-valued attribute (all of them when f is NULL). */
static int on_elements(struct ctx *x, enum kind k, const struct scim_path *p, const json_t *value)
{
	json_t *c = container(x, p, k != REMOVE);
	json_t *arr = c ? json_object_get(c, p->a->name) : NULL;
	json_t *sv = NULL;
	int isnull = 0;
	if (k != REMOVE) {
		int rc = p->s ? coerce(x, p->s, value, 0, &sv, &isnull)
			      : coerce(x, p->a, value, 1, &sv, &isnull);
		if (rc)
			return rc;
		if (!p->s && !json_is_object(sv)) {
			json_decref(sv);
			return fail(x, "invalidValue", "the value for %s[...] must be an object", p->a->name);
		}
	}
	int matched = 0;
	size_t i;
	json_t *e;
	json_array_foreach(arr, i, e) {
		if (!json_is_object(e) || (p->filter && !scim_filter_match(p->filter, e)))
			continue;
		matched++;
		if (k == REMOVE) {
			if (p->s)
				json_object_del(e, p->s->name);
			else {
				json_array_remove(arr, i);
				i--;
			}
			continue;
		}
		if (!p->s) {
			if (k == REPLACE)
				json_object_clear(e);
			merge(e, sv);
		} else if (isnull) {
			json_object_del(e, p->s->name);
		} else {
			json_object_set(e, p->s->name, sv);
		}
		only_primary(arr, e);
	}
	if (matched == 0 && k != REMOVE && !isnull) {
		json_t *e = p->filter ? element_for(p->filter) : json_object();
		if (!e) {
			json_decref(sv);
			return fail(x, "noTarget", "no value of %s matches the filter", p->a->name);
		}
		if (p->s)
			json_object_set(e, p->s->name, sv);
		else
			merge(e, sv);
		if (!arr) {
			arr = json_array();
			json_object_set_new(c, p->a->name, arr);
		}
		json_array_append_new(arr, e);
		only_primary(arr, e);
	}
	json_decref(sv);
	if (arr && json_array_size(arr) == 0)
		json_object_del(c, p->a->name);
	return 0;
}

/* add/replace/remove of a whole attribute, or a sub-attribute of a
 * single-valued complex one. */
static int on_attribute(struct ctx *x, enum kind k, const struct scim_path *p, const json_t *value)
{
	const struct scim_attr *a = p->a;
	json_t *c = container(x, p, k != REMOVE);
	if (k == REMOVE) {
		json_t *cur = c ? json_object_get(c, a->name) : NULL;
		if (!cur)
			return 0;
		if (p->s) {
			json_object_del(cur, p->s->name);
			if (json_object_size(cur) == 0)
				json_object_del(c, a->name);
		} else if (a->multi && value && !json_is_null(value)) {
			/* Entra: {"op":"Remove","path":"members","value":[{"value":"id"}]} */
			json_t *gone;
			int isnull, rc = coerce(x, a, value, 0, &gone, &isnull);
			if (rc)
				return rc;
			size_t i, j;
			json_t *e, *g;
			json_array_foreach(cur, i, e)
				json_array_foreach(gone, j, g)
					if (same_element(e, g)) {
						json_array_remove(cur, i);
						i--;
						break;
					}
			json_decref(gone);
			if (json_array_size(cur) == 0)
				json_object_del(c, a->name);
		} else {
			json_object_del(c, a->name);
		}
		return 0;
	}
	json_t *v;
	int isnull;
	if (p->s) {
		int rc = coerce(x, p->s, value, 0, &v, &isnull);
		if (rc)
			return rc;
		json_t *cur = json_object_get(c, a->name);
		if (isnull) {
			if (cur)
				json_object_del(cur, p->s->name);
			return 0;
		}
		if (!json_is_object(cur)) {
			cur = json_object();
			json_object_set_new(c, a->name, cur);
		}
		json_object_set_new(cur, p->s->name, v);
		return 0;
	}
	int rc = coerce(x, a, value, 0, &v, &isnull);
	if (rc)
		return rc;
	if (isnull) {
		json_object_del(c, a->name);
		return 0;
	}
	json_t *cur = json_object_get(c, a->name);
	if (a->multi && k == ADD && json_is_array(cur)) {
		size_t i, j;
		json_t *e, *have;
		json_array_foreach(v, i, e) {
			int dup = 0;
			json_array_foreach(cur, j, have)
				if (same_element(have, e)) {
					merge(have, e);
					only_primary(cur, have);
					dup = 1;
					break;
				}
			if (!dup) {
				json_array_append(cur, e);
				only_primary(cur, e);
			}
		}
		json_decref(v);
		return 0;
	}
	if (a->type == SCIM_COMPLEX && !a->multi && json_is_object(cur)) {
		/* RFC 7644 3.5.2.3: sub-attributes not given stay. */
		merge(cur, v);
		json_decref(v);
		return 0;
	}
	json_object_set_new(c, a->name, v);
	return 0;
}

static int apply(struct ctx *x, enum kind k, const char *path_text, const json_t *value);

/* add/replace without a path: every member of the value object is an
 * attribute path (or an extension URN holding attributes). */
static int apply_object(struct ctx *x, enum kind k, const json_t *value)
{
	if (!json_is_object(value))
		return fail(x, "invalidSyntax", "an operation without a path needs an object as its value");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)value, key, v) {
		if (strcasecmp(key, "schemas") == 0 || strcasecmp(key, "id") == 0 ||
		    strcasecmp(key, "meta") == 0)
			continue;
		const char *ext = x->rt->extension ? x->rt->extension->id : NULL;
		if (ext && strcasecmp(key, ext) == 0) {
			if (!json_is_object(v))
				return fail(x, "invalidValue", "%s must be an object", ext);
			const char *sk;
			json_t *sv;
			json_object_foreach(v, sk, sv) {
				char path[512];
				snprintf(path, sizeof(path), "%s:%s", ext, sk);
				int rc = apply(x, k, path, sv);
				if (rc)
					return rc;
			}
			continue;
		}
		int rc = apply(x, k, key, v);
		if (rc)
			return rc;
	}
	return 0;
}

static int apply(struct ctx *x, enum kind k, const char *path_text, const json_t *value)
{
	if (!path_text) {
		if (k == REMOVE)
			return fail(x, "noTarget", "remove needs a path");
		return apply_object(x, k, value);
	}
	const char *ext = x->rt->extension ? x->rt->extension->id : NULL;
	if (ext && strcasecmp(path_text, ext) == 0) {
		if (k == REMOVE) {
			json_object_del(x->doc, ext);
			return 0;
		}
		if (k == REPLACE)
			json_object_del(x->doc, ext);
		json_t *wrapped = json_pack("{s:O}", ext, value);
		int rc = wrapped ? apply_object(x, k, wrapped) : 400;
		json_decref(wrapped);
		return rc;
	}
	struct scim_path p;
	char msg[256];
	if (scim_path_parse(path_text, &p, msg, sizeof(msg)) != 0 ||
	    scim_path_bind(&p, x->rt, NULL, msg, sizeof(msg)) != 0) {
		scim_path_clear(&p);
		if (x->lenient)
			return 0;
		return fail(x, "invalidPath", "path \"%.200s\": %s", path_text, msg);
	}
	const struct scim_attr *target = p.s ? p.s : p.a;
	int rc = 0;
	if (p.a->mutability == SCIM_READ_ONLY || target->mutability == SCIM_READ_ONLY) {
		if (!x->lenient)
			rc = fail(x, "mutability", "%s is read-only", target->name);
	} else if (p.a->multi && (p.filter || p.s)) {
		rc = on_elements(x, k, &p, value);
	} else {
		rc = on_attribute(x, k, &p, value);
	}
	scim_path_clear(&p);
	return rc;
}

/* Drops what became empty: an empty extension object or complex value. */
static void tidy(json_t *doc)
{
	const char *k;
	json_t *v, *tmp;
	json_object_foreach_safe(doc, tmp, k, v) {
		if (json_is_object(v)) {
			tidy(v);
			if (json_object_size(v) == 0)
				json_object_del(doc, k);
		} else if (json_is_array(v) && json_array_size(v) == 0) {
			json_object_del(doc, k);
		}
	}
}

json_t *scim_doc_from_body(const struct scim_resource_type *rt, const json_t *body,
			   const char **scim_type, char *err, size_t errsize)
{
	json_t *doc = json_object();
	struct ctx x = { rt, doc, scim_type, err, errsize, 1 };
	if (!json_is_object(body)) {
		fail(&x, "invalidSyntax", "the body must be a JSON object");
		json_decref(doc);
		return NULL;
	}
	if (apply_object(&x, REPLACE, body) != 0) {
		json_decref(doc);
		return NULL;
	}
	tidy(doc);
	return doc;
}

static int op_kind(const char *op, enum kind *k)
{
	if (!op)
		return -1;
	if (strcasecmp(op, "add") == 0)
		*k = ADD;
	else if (strcasecmp(op, "replace") == 0)
		*k = REPLACE;
	else if (strcasecmp(op, "remove") == 0)
		*k = REMOVE;
	else
		return -1;
	return 0;
}

int scim_patch_apply(const struct scim_resource_type *rt, json_t *doc, const json_t *body,
		     const char **scim_type, char *err, size_t errsize)
{
	struct ctx x = { rt, doc, scim_type, err, errsize, 0 };
	if (!json_is_object(body))
		return fail(&x, "invalidSyntax", "the body must be a JSON object");
	const json_t *schemas = scim_json_get(body, "schemas");
	if (schemas) {
		int found = 0;
		size_t i;
		const json_t *s;
		json_array_foreach(schemas, i, s)
			found |= json_is_string(s) && strcasecmp(json_string_value(s), SCIM_MSG_PATCH) == 0;
		if (!found)
			return fail(&x, "invalidSyntax", "schemas must hold %s", SCIM_MSG_PATCH);
	}
	const json_t *ops = scim_json_get(body, "Operations");
	if (!json_is_array(ops) || json_array_size(ops) == 0)
		return fail(&x, "invalidSyntax", "Operations must be a non-empty array");
	if (json_array_size(ops) > SCIM_PATCH_MAX_OPS) {
		return fail(&x, "invalidValue", "a PATCH may hold at most %d operations",
			    SCIM_PATCH_MAX_OPS);
	}
	size_t i;
	const json_t *op;
	json_array_foreach(ops, i, op) {
		enum kind k;
		const json_t *path = scim_json_get(op, "path");
		const json_t *value = scim_json_get(op, "value");
		if (!json_is_object(op) || op_kind(json_string_value(scim_json_get(op, "op")), &k) != 0)
			return fail(&x, "invalidSyntax", "every operation needs \"op\": add, replace or remove");
		if (path && !json_is_string(path))
			return fail(&x, "invalidSyntax", "path must be a string");
		if (k != REMOVE && !value)
			return fail(&x, "invalidSyntax", "%s needs a value", k == ADD ? "add" : "replace");
		/* An empty path is no path (some clients send ""). */
		const char *p = path && json_string_length(path) ? json_string_value(path) : NULL;
		int rc = apply(&x, k, p, value);
		if (rc)
			return rc;
	}
	tidy(doc);
	return 0;
}
