/* scim_filter.h: SCIM filters and attribute paths (RFC 7644 section
 * 3.4.2.2 and 3.5.2): parsing into a tree, binding the tree to a
 * resource type's schema, and matching it against a resource.
 *
 *   filter    userName eq "ola@demo.no" and (emails[type eq "work"] pr or not (active eq false))
 *   PATCH     emails[type eq "work"].value, name.givenName,
 *   path      urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager
 *
 * Parsing knows only the grammar (it is what the fuzz target drives);
 * binding resolves attribute names case-insensitively against the schema,
 * checks operators against attribute types (invalidFilter / invalidPath),
 * and records the canonical attributes, so matching reads the resource
 * (canonical JSON, extension attributes under their schema URN) directly. */
#ifndef VERN_SCIM_FILTER_H
#define VERN_SCIM_FILTER_H

#include <jansson.h>
#include <stddef.h>

#include "scim_schema.h"

/* Longest filter or path text accepted, and deepest nesting. */
#define SCIM_FILTER_MAX_LEN 4096
#define SCIM_FILTER_MAX_DEPTH 32

enum scim_fop {
	SCIM_F_EQ, SCIM_F_NE, SCIM_F_CO, SCIM_F_SW, SCIM_F_EW, SCIM_F_GT, SCIM_F_LT,
	SCIM_F_GE, SCIM_F_LE, SCIM_F_PR, SCIM_F_AND, SCIM_F_OR, SCIM_F_NOT, SCIM_F_VALUEPATH,
};

struct scim_filter;

/* An attribute path: [uri:]attr[.sub], and in PATCH paths also
 * attr[filter][.sub]. Strings are owned. */
struct scim_path {
	char *uri;                        /* schema URN, or NULL */
	char *attr;
	char *sub;                        /* or NULL */
	struct scim_filter *filter;       /* PATCH value filter, or NULL */
	/* set by binding: */
	const struct scim_schema *schema; /* NULL for a common attribute (id, meta, ...) */
	const struct scim_attr *a;
	const struct scim_attr *s;        /* the sub-attribute, or NULL */
	int in_element;                   /* names a sub-attribute of a value filter's element */
	int in_extension;                 /* lives under the extension's URN key */
};

struct scim_filter {
	enum scim_fop op;
	struct scim_path path;            /* comparisons, pr, and the valuePath's attribute */
	json_t *value;                    /* comparisons: string, number, true, false or null */
	struct scim_filter *left, *right; /* and/or: both; not and valuePath: left */
};

/* Parses a filter. Returns the tree, or NULL with err set. */
struct scim_filter *scim_filter_parse(const char *text, char *err, size_t errsize);
void scim_filter_free(struct scim_filter *f);

/* Parses a PATCH path. Returns 0, or -1 with err set (p is then empty). */
int scim_path_parse(const char *text, struct scim_path *p, char *err, size_t errsize);
void scim_path_clear(struct scim_path *p);

/* Binds to rt's schemas. parent: inside a value filter, the multi-valued
 * attribute whose sub-attributes the names refer to (else NULL). Returns 0
 * or -1 with err set. */
int scim_filter_bind(struct scim_filter *f, const struct scim_resource_type *rt,
		     const struct scim_attr *parent, char *err, size_t errsize);
int scim_path_bind(struct scim_path *p, const struct scim_resource_type *rt,
		   const struct scim_attr *parent, char *err, size_t errsize);

/* 1 when the bound filter matches resource (an element object when the
 * filter was bound with a parent), else 0. */
int scim_filter_match(const struct scim_filter *f, const json_t *resource);

/* The value a bound path names in resource (without filter): the
 * attribute, or its sub-attribute; NULL if absent. Borrowed. For a sub
 * of a multi-valued attribute this is NULL (use the elements). */
json_t *scim_path_get(const struct scim_path *p, const json_t *resource);

/* Writes the filter in canonical form (lowercase operators, single
 * spaces, parentheses only where grouping needs them) into buf; it parses
 * back to the same tree. Returns the length, or -1 when it does not fit. */
int scim_filter_format(const struct scim_filter *f, char *buf, size_t size);

#endif
