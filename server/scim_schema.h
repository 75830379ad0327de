/* scim_schema.h: the SCIM 2.0 schemas Vern serves (RFC 7643): the core
 * User and Group schemas, the enterprise User extension, the common
 * attributes (id, externalId, meta), and the two resource types. One table
 * drives everything: attribute lookup (case-insensitive, as SCIM requires),
 * value coercion, the /Schemas and /ResourceTypes answers. */
#ifndef VERN_SCIM_SCHEMA_H
#define VERN_SCIM_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#define SCIM_SCHEMA_USER "urn:ietf:params:scim:schemas:core:2.0:User"
#define SCIM_SCHEMA_GROUP "urn:ietf:params:scim:schemas:core:2.0:Group"
#define SCIM_SCHEMA_ENTERPRISE "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
#define SCIM_SCHEMA_SPC "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
#define SCIM_SCHEMA_RESOURCE_TYPE "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
#define SCIM_SCHEMA_SCHEMA "urn:ietf:params:scim:schemas:core:2.0:Schema"
#define SCIM_MSG_ERROR "urn:ietf:params:scim:api:messages:2.0:Error"
#define SCIM_MSG_LIST "urn:ietf:params:scim:api:messages:2.0:ListResponse"
#define SCIM_MSG_PATCH "urn:ietf:params:scim:api:messages:2.0:PatchOp"

enum scim_type {
	SCIM_STRING, SCIM_BOOLEAN, SCIM_DECIMAL, SCIM_INTEGER, SCIM_DATETIME,
	SCIM_REFERENCE, SCIM_COMPLEX, SCIM_BINARY,
};
enum scim_mutability { SCIM_READ_WRITE, SCIM_READ_ONLY, SCIM_IMMUTABLE, SCIM_WRITE_ONLY };
enum scim_returned { SCIM_RET_DEFAULT, SCIM_RET_ALWAYS, SCIM_RET_NEVER, SCIM_RET_REQUEST };

struct scim_attr {
	const char *name;                 /* canonical spelling; NULL ends a list */
	enum scim_type type;
	int multi;
	int required;
	int case_exact;
	enum scim_mutability mutability;
	enum scim_returned returned;
	const char *uniqueness;           /* "none", "server" or "global" */
	const char *description;
	const struct scim_attr *sub;      /* sub-attributes of a complex attribute */
	const char *const *canonical;     /* canonical values, or NULL */
	const char *const *ref_types;     /* reference types, or NULL */
};

struct scim_schema {
	const char *id;                   /* the schema URN */
	const char *name;
	const char *description;
	const struct scim_attr *attrs;
};

struct scim_resource_type {
	const char *id;                   /* "User", "Group" */
	const char *endpoint;             /* "/Users" */
	const char *description;
	const struct scim_schema *schema; /* the core schema */
	const struct scim_schema *extension; /* or NULL */
};

extern const struct scim_resource_type scim_user_type;
extern const struct scim_resource_type scim_group_type;

/* The common attributes of every resource: id, externalId, meta, schemas. */
extern const struct scim_attr scim_common_attrs[];

/* Case-insensitive lookup of name among attrs (NULL-terminated); NULL if
 * absent. */
const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, const char *name);

/* The schema of rt whose id is uri (case-insensitive): its core schema or
 * its extension; NULL if neither. */
const struct scim_schema *scim_schema_of(const struct scim_resource_type *rt, const char *uri);

/* Coerces a client value to what attribute a holds, leniently where
 * identity systems are known to differ from the RFC: "True"/"False"
 * strings for booleans, numbers for strings, a scalar for a single-valued
 * complex attribute with a "value" sub-attribute (a manager id), one object
 * for a multi-valued attribute. as_element: v is one element of a
 * multi-valued attribute. Read-only and unknown sub-attributes are
 * dropped. Returns a new reference, NULL with *out_null = 1 for JSON null
 * (unassign), or NULL with err set when the value cannot be used. */
json_t *scim_coerce(const struct scim_attr *a, const json_t *v, int as_element, int *out_null,
		    char *err, size_t errsize);

/* The /Schemas resource for s, and the /ResourceTypes resource for rt,
 * with meta.location under base (".../scim/v2"). New references. */
json_t *scim_schema_json(const struct scim_schema *s, const char *base);
json_t *scim_resource_type_json(const struct scim_resource_type *rt, const char *base);

/* Every schema served, NULL-terminated. */
extern const struct scim_schema *const scim_all_schemas[];

/* Longest string value accepted in any attribute. */
#define SCIM_MAX_STRING 2048
/* Most elements in a user's multi-valued attribute (emails, addresses). */
#define SCIM_MAX_VALUES 100

#endif
