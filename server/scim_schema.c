/* scim_schema.c: the attribute tables of the SCIM schemas Vern serves (see
 * scim_schema.h), value coercion against them, and their JSON form for
 * /Schemas and /ResourceTypes.
 *
 * Vern keeps the attributes identity systems send (Microsoft Entra ID's
 * default mapping among them); password, photos, ims, entitlements, roles
 * and certificates are not part of the schema and are dropped. */
#include "scim_schema.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define END { NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL }

/* Shorthands: a read-write string, a read-only one. */
#define STR(n, d) { n, SCIM_STRING, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none", d, NULL, NULL, NULL }
#define RO_STR(n, d) { n, SCIM_STRING, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none", d, NULL, NULL, NULL }
#define BOOL(n, d) { n, SCIM_BOOLEAN, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none", d, NULL, NULL, NULL }

static const char *const email_types[] = { "work", "home", "other", NULL };
static const char *const phone_types[] = { "work", "home", "mobile", "fax", "pager", "other", NULL };
static const char *const address_types[] = { "work", "home", "other", NULL };
static const char *const member_types[] = { "User", "Group", NULL };
static const char *const group_ref_types[] = { "User", "Group", NULL };
static const char *const user_ref[] = { "User", NULL };
static const char *const external_ref[] = { "external", NULL };
static const char *const uri_ref[] = { "uri", NULL };
static const char *const resource_types[] = { "User", "Group", NULL };

static const struct scim_attr name_subs[] = {
	STR("formatted", "The full name, formatted for display."),
	STR("familyName", "The family name."),
	STR("givenName", "The given name."),
	STR("middleName", "The middle name(s)."),
	STR("honorificPrefix", "Title before the name, e.g. Dr."),
	STR("honorificSuffix", "Suffix after the name."),
	END,
};

static const struct scim_attr email_subs[] = {
	STR("value", "The email address."),
	STR("display", "A label for display."),
	{ "type", SCIM_STRING, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "work, home or other.", NULL, email_types, NULL },
	BOOL("primary", "The preferred address."),
	END,
};

static const struct scim_attr phone_subs[] = {
	STR("value", "The phone number."),
	STR("display", "A label for display."),
	{ "type", SCIM_STRING, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "work, home, mobile, fax, pager or other.", NULL, phone_types, NULL },
	BOOL("primary", "The preferred number."),
	END,
};

static const struct scim_attr address_subs[] = {
	STR("formatted", "The full address, formatted for display."),
	STR("streetAddress", "Street and number."),
	STR("locality", "City or locality."),
	STR("region", "State or region."),
	STR("postalCode", "Postal code."),
	STR("country", "Country (ISO 3166-1 alpha-2)."),
	{ "type", SCIM_STRING, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "work, home or other.", NULL, address_types, NULL },
	BOOL("primary", "The preferred address."),
	END,
};

static const struct scim_attr user_group_subs[] = {
	RO_STR("value", "The id of the group."),
	{ "$ref", SCIM_REFERENCE, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "The URI of the group.", NULL, NULL, group_ref_types },
	RO_STR("display", "The group's display name."),
	RO_STR("type", "direct."),
	END,
};

static const struct scim_attr user_attrs[] = {
	{ "userName", SCIM_STRING, 0, 1, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "server",
	  "Unique identifier for the user, typically the sign-in name (UPN).", NULL, NULL, NULL },
	{ "name", SCIM_COMPLEX, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The components of the user's name.", name_subs, NULL, NULL },
	STR("displayName", "The name shown in Vern."),
	STR("nickName", "The casual name."),
	{ "profileUrl", SCIM_REFERENCE, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "A URI of the user's online profile.", NULL, NULL, external_ref },
	STR("title", "The job title."),
	STR("userType", "The relationship to the organisation, e.g. Employee."),
	STR("preferredLanguage", "The preferred language, e.g. nb-NO."),
	STR("locale", "The locale for formatting, e.g. nb-NO."),
	STR("timezone", "The time zone, e.g. Europe/Oslo."),
	BOOL("active", "false deactivates the employee in Vern; their history is kept."),
	{ "emails", SCIM_COMPLEX, 1, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "Email addresses; the primary (else work, else first) is the employee's email.",
	  email_subs, NULL, NULL },
	{ "phoneNumbers", SCIM_COMPLEX, 1, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "Phone numbers.", phone_subs, NULL, NULL },
	{ "addresses", SCIM_COMPLEX, 1, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "Physical mailing addresses.", address_subs, NULL, NULL },
	{ "groups", SCIM_COMPLEX, 1, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "The groups the user is a member of (set through Groups).", user_group_subs, NULL, NULL },
	END,
};

static const struct scim_attr manager_subs[] = {
	{ "value", SCIM_STRING, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The id of the manager's SCIM User.", NULL, NULL, NULL },
	{ "$ref", SCIM_REFERENCE, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "The URI of the manager's User.", NULL, NULL, user_ref },
	RO_STR("displayName", "The manager's name."),
	END,
};

static const struct scim_attr enterprise_attrs[] = {
	STR("employeeNumber", "The number the organisation gave the employee."),
	STR("costCenter", "The cost center."),
	STR("organization", "The organisation."),
	STR("division", "The division."),
	STR("department", "The unit in Vern: a unit whose id or name this is; created when none is."),
	{ "manager", SCIM_COMPLEX, 0, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The employee's manager in Vern.", manager_subs, NULL, NULL },
	END,
};

static const struct scim_attr member_subs[] = {
	{ "value", SCIM_STRING, 0, 0, 1, SCIM_IMMUTABLE, SCIM_RET_DEFAULT, "none",
	  "The id of a SCIM User.", NULL, NULL, NULL },
	{ "$ref", SCIM_REFERENCE, 0, 0, 0, SCIM_IMMUTABLE, SCIM_RET_DEFAULT, "none",
	  "The URI of the member.", NULL, NULL, group_ref_types },
	{ "type", SCIM_STRING, 0, 0, 0, SCIM_IMMUTABLE, SCIM_RET_DEFAULT, "none",
	  "User (groups cannot be members in Vern).", NULL, member_types, NULL },
	RO_STR("display", "The member's name."),
	END,
};

static const struct scim_attr group_attrs[] = {
	{ "displayName", SCIM_STRING, 0, 1, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The group's name; a Vern role code or name (optionally after \"vern-\") gives its "
	  "members that role.", NULL, NULL, NULL },
	{ "members", SCIM_COMPLEX, 1, 0, 0, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The members of the group.", member_subs, NULL, NULL },
	END,
};

static const struct scim_attr meta_subs[] = {
	{ "resourceType", SCIM_STRING, 0, 0, 1, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "User or Group.", NULL, resource_types, NULL },
	{ "created", SCIM_DATETIME, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "When the resource was added.", NULL, NULL, NULL },
	{ "lastModified", SCIM_DATETIME, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "When the resource last changed.", NULL, NULL, NULL },
	{ "location", SCIM_REFERENCE, 0, 0, 1, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "The URI of the resource.", NULL, NULL, uri_ref },
	{ "version", SCIM_STRING, 0, 0, 1, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "The version of the resource.", NULL, NULL, NULL },
	END,
};

const struct scim_attr scim_common_attrs[] = {
	{ "id", SCIM_STRING, 0, 0, 1, SCIM_READ_ONLY, SCIM_RET_ALWAYS, "server",
	  "The id Vern assigned.", NULL, NULL, NULL },
	{ "externalId", SCIM_STRING, 0, 0, 1, SCIM_READ_WRITE, SCIM_RET_DEFAULT, "none",
	  "The identity system's id; for a new user it becomes the stable employee id.",
	  NULL, NULL, NULL },
	{ "meta", SCIM_COMPLEX, 0, 0, 0, SCIM_READ_ONLY, SCIM_RET_DEFAULT, "none",
	  "Resource metadata.", meta_subs, NULL, NULL },
	{ "schemas", SCIM_REFERENCE, 1, 0, 1, SCIM_READ_ONLY, SCIM_RET_ALWAYS, "none",
	  "The schemas of the resource.", NULL, NULL, uri_ref },
	END,
};

static const struct scim_schema user_schema = {
	SCIM_SCHEMA_USER, "User", "User Account", user_attrs,
};
static const struct scim_schema enterprise_schema = {
	SCIM_SCHEMA_ENTERPRISE, "EnterpriseUser", "Enterprise User", enterprise_attrs,
};
static const struct scim_schema group_schema = {
	SCIM_SCHEMA_GROUP, "Group", "Group", group_attrs,
};

const struct scim_resource_type scim_user_type = {
	"User", "/Users", "User Account (a Vern employee)", &user_schema, &enterprise_schema,
};
const struct scim_resource_type scim_group_type = {
	"Group", "/Groups", "Group (may give its members a Vern role)", &group_schema, NULL,
};

const struct scim_schema *const scim_all_schemas[] = {
	&user_schema, &enterprise_schema, &group_schema, NULL,
};

const struct scim_attr *scim_attr_find(const struct scim_attr *attrs, const char *name)
{
	for (const struct scim_attr *a = attrs; a && a->name; a++)
		if (strcasecmp(a->name, name) == 0)
			return a;
	return NULL;
}

const struct scim_schema *scim_schema_of(const struct scim_resource_type *rt, const char *uri)
{
	if (strcasecmp(uri, rt->schema->id) == 0)
		return rt->schema;
	if (rt->extension && strcasecmp(uri, rt->extension->id) == 0)
		return rt->extension;
	return NULL;
}

/* ---- coercion ---- */

static json_t *coerce_simple(const struct scim_attr *a, const json_t *v, char *err, size_t errsize)
{
	switch (a->type) {
	case SCIM_BOOLEAN:
		if (json_is_boolean(v))
			return json_incref((json_t *)v);
		if (json_is_string(v)) {
			const char *s = json_string_value(v);
			if (strcasecmp(s, "true") == 0)
				return json_true();
			if (strcasecmp(s, "false") == 0)
				return json_false();
		}
		snprintf(err, errsize, "%s must be true or false", a->name);
		return NULL;
	case SCIM_INTEGER:
		if (json_is_integer(v))
			return json_incref((json_t *)v);
		snprintf(err, errsize, "%s must be an integer", a->name);
		return NULL;
	case SCIM_DECIMAL:
		if (json_is_number(v))
			return json_incref((json_t *)v);
		snprintf(err, errsize, "%s must be a number", a->name);
		return NULL;
	case SCIM_COMPLEX:
		break;
	default:
		if (json_is_string(v)) {
			if (json_string_length(v) > SCIM_MAX_STRING) {
				snprintf(err, errsize, "%s is longer than %d bytes", a->name, SCIM_MAX_STRING);
				return NULL;
			}
			return json_incref((json_t *)v);
		}
		if (json_is_integer(v))
			return json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
		snprintf(err, errsize, "%s must be a string", a->name);
		return NULL;
	}
	snprintf(err, errsize, "%s must be an object", a->name);
	return NULL;
}

static json_t *coerce_complex(const struct scim_attr *a, const json_t *v, char *err, size_t errsize)
{
	if (!json_is_object(v)) {
		if (!a->multi && !json_is_array(v) && scim_attr_find(a->sub, "value")) {
			/* {"path": "...:manager", "value": "id"}: a bare value. */
			json_t *obj = json_object();
			json_t *val = coerce_simple(scim_attr_find(a->sub, "value"), v, err, errsize);
			if (!val) {
				json_decref(obj);
				return NULL;
			}
			json_object_set_new(obj, "value", val);
			return obj;
		}
		snprintf(err, errsize, "%s must be an object", a->name);
		return NULL;
	}
	json_t *out = json_object();
	const char *k;
	json_t *sv;
	json_object_foreach((json_t *)v, k, sv) {
		const struct scim_attr *s = scim_attr_find(a->sub, k);
		if (!s || s->mutability == SCIM_READ_ONLY || json_is_null(sv))
			continue;
		json_t *c = coerce_simple(s, sv, err, errsize);
		if (!c) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(out, s->name, c);
	}
	return out;
}

json_t *scim_coerce(const struct scim_attr *a, const json_t *v, int as_element, int *out_null,
		    char *err, size_t errsize)
{
	*out_null = 0;
	if (json_is_null(v)) {
		*out_null = 1;
		return NULL;
	}
	if (a->multi && !as_element) {
		json_t *arr = json_array();
		if (!json_is_array(v)) {
			json_t *one = scim_coerce(a, v, 1, out_null, err, errsize);
			if (!one) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, one);
			return arr;
		}
		size_t i;
		const json_t *e;
		json_array_foreach(v, i, e) {
			int isnull;
			json_t *one = scim_coerce(a, e, 1, &isnull, err, errsize);
			if (isnull)
				continue;
			if (!one) {
				json_decref(arr);
				return NULL;
			}
			json_array_append_new(arr, one);
		}
		return arr;
	}
	return a->type == SCIM_COMPLEX ? coerce_complex(a, v, err, errsize)
				       : coerce_simple(a, v, err, errsize);
}

/* ---- /Schemas and /ResourceTypes ---- */

static const char *type_name(enum scim_type t)
{
	static const char *const names[] = { "string", "boolean", "decimal", "integer",
					     "dateTime", "reference", "complex", "binary" };
	return names[t];
}

static json_t *strings(const char *const *list)
{
	json_t *arr = json_array();
	for (; list && *list; list++)
		json_array_append_new(arr, json_string(*list));
	return arr;
}

static json_t *attrs_json(const struct scim_attr *attrs)
{
	static const char *const mut[] = { "readWrite", "readOnly", "immutable", "writeOnly" };
	static const char *const ret[] = { "default", "always", "never", "request" };
	json_t *arr = json_array();
	for (const struct scim_attr *a = attrs; a->name; a++) {
		json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:b, s:b, s:s, s:s, s:s}", "name", a->name,
				      "type", type_name(a->type), "multiValued", a->multi, "description",
				      a->description, "required", a->required, "caseExact", a->case_exact,
				      "mutability", mut[a->mutability], "returned", ret[a->returned],
				      "uniqueness", a->uniqueness);
		if (a->canonical)
			json_object_set_new(o, "canonicalValues", strings(a->canonical));
		if (a->ref_types)
			json_object_set_new(o, "referenceTypes", strings(a->ref_types));
		if (a->sub)
			json_object_set_new(o, "subAttributes", attrs_json(a->sub));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *scim_schema_json(const struct scim_schema *s, const char *base)
{
	return json_pack("{s:[s], s:s, s:s, s:s, s:o, s:{s:s, s:s++}}", "schemas", SCIM_SCHEMA_SCHEMA,
			 "id", s->id, "name", s->name, "description", s->description, "attributes",
			 attrs_json(s->attrs), "meta", "resourceType", "Schema", "location", base,
			 "/Schemas/", s->id);
}

json_t *scim_resource_type_json(const struct scim_resource_type *rt, const char *base)
{
	json_t *o = json_pack("{s:[s], s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s++}}", "schemas",
			      SCIM_SCHEMA_RESOURCE_TYPE, "id", rt->id, "name", rt->id, "endpoint",
			      rt->endpoint, "description", rt->description, "schema", rt->schema->id,
			      "meta", "resourceType", "ResourceType", "location", base,
			      "/ResourceTypes/", rt->id);
	if (o && rt->extension)
		json_object_set_new(o, "schemaExtensions",
				    json_pack("[{s:s, s:b}]", "schema", rt->extension->id, "required", 0));
	return o;
}
