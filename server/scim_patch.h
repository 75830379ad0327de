/* scim_patch.h: changing a SCIM resource held as JSON: the attributes of a
 * POST or PUT body, and the operations of a PATCH request (RFC 7644
 * section 3.5.2), including the shapes Microsoft Entra ID sends:
 * capitalised "Replace"/"Add"/"Remove", booleans as "True"/"False",
 * path-less replace with a value object whose keys are paths
 * ("name.givenName", "urn:...:enterprise:2.0:User:department"), a bare id
 * as the manager's value, and "Remove" of members given as a value list.
 *
 * A resource document here holds only writable attributes, by canonical
 * name; extension attributes sit in an object under the extension URN. */
#ifndef VERN_SCIM_PATCH_H
#define VERN_SCIM_PATCH_H

#include <jansson.h>
#include <stddef.h>

#include "scim_schema.h"

/* Most operations in one PATCH request. */
#define SCIM_PATCH_MAX_OPS 1000

/* Builds a new document from a POST/PUT body: known writable attributes
 * are coerced and kept, read-only and unknown ones ignored (RFC 7643
 * section 2.2 and 7644 section 3.3). Returns the document, or NULL with
 * *scim_type and err set (an attribute with a value of the wrong type). */
json_t *scim_doc_from_body(const struct scim_resource_type *rt, const json_t *body,
			   const char **scim_type, char *err, size_t errsize);

/* Applies the PatchOp body's operations to doc in order. On failure doc is
 * half-changed and must be discarded; the return is 400 with *scim_type
 * (invalidSyntax, invalidPath, noTarget, invalidValue or mutability) and
 * err set. Returns 0 on success. */
int scim_patch_apply(const struct scim_resource_type *rt, json_t *doc, const json_t *body,
		     const char **scim_type, char *err, size_t errsize);

/* Case-insensitive member lookup in a JSON object (SCIM names are
 * case-insensitive); NULL if absent. Borrowed. */
json_t *scim_json_get(const json_t *obj, const char *name);

#endif
