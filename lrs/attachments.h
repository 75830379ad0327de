/* attachments.h: statement attachments (xAPI "Attachments" and signed
 * statements).
 *
 * For a POST/PUT of statements in a multipart/mixed body, checks that the
 * first part is application/json, that every other part has an
 * X-Experience-API-Hash (SHA-256, SHA-384 or SHA-512 in hex) that its
 * content really hashes to and that names an attachment of the
 * statements, that parts are Content-Transfer-Encoding: binary (assumed
 * when absent), that every attachment declared without fileUrl has a part,
 * and that signed statements (usageType
 * http://adlnet.gov/expapi/attachments/signature) carry a well-formed JWS
 * (compact serialization, alg RS256/RS384/RS512) whose payload matches the
 * statement under the xAPI statement comparison rules. The RSA signature
 * itself is not verified (libsodium has no RSA). */
#ifndef VERN_LRS_ATTACHMENTS_H
#define VERN_LRS_ATTACHMENTS_H

#include <jansson.h>
#include <stddef.h>

#include "lrs.h"
#include "multipart.h"
#include "validate.h"

#define LRS_SIGNATURE_USAGE "http://adlnet.gov/expapi/attachments/signature"

/* statements: the array of statements (already validated one by one; a
 * single object is accepted too). parts[0] is the JSON part;
 * parts[1..nparts-1] the attachment parts. Attachments of a SubStatement
 * object count like the statement's own. Returns 0 when everything
 * matches (then every part 1..nparts-1 holds the content of at least one
 * declared attachment, whether or not that attachment also has a fileUrl),
 * or -1 with e filled: e->path names the statement and attachment
 * ("[2].attachments[0]", "attachments[0]" for a single statement) or the
 * part ("part 3"), e->rule says what is wrong. */
int lrs_attachments_check(const json_t *statements, const struct lrs_part *parts,
			  int nparts, enum lrs_version v, struct lrs_verror *e);

/* Checks statements sent as plain application/json: an attachment without
 * fileUrl, or a signature attachment (its JWS must be sent as a part),
 * needs a multipart request, so it is refused. Returns 0 or -1 with e
 * filled. */
int lrs_attachments_check_json_only(const json_t *statements, struct lrs_verror *e);

/* The index (1..nparts-1) of the first part whose X-Experience-API-Hash
 * equals sha2 (hex compared case-insensitively), or -1. Use it to store
 * the content of each attachment after lrs_attachments_check(). */
int lrs_attachments_find_part(const struct lrs_part *parts, int nparts, const char *sha2);

/* 1 when statements a and b match under the xAPI statement comparison
 * rules (Data 2.3.1): id, authority, stored, version and attachments are
 * ignored (id and timestamp are compared only when both have them,
 * timestamps as points in time), so are verb display and activity
 * definitions; Group members are unordered; UUIDs, the mbox domain and
 * mbox_sha1sum compare case-insensitively; numbers by value; a missing
 * objectType equals its default; durations compare to 0.01 s. Else 0. */
int lrs_statements_match(const json_t *a, const json_t *b);

/* Lowercase hex SHA-256 of data into hex (needs 65 bytes). */
void lrs_sha256_hex(const void *data, size_t len, char *hex);

#endif
