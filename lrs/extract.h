/* extract.h: what a statement contributes to the query indexes and to the
 * activity definitions (see keys.h and 011_lrs_terms.sql). */
#ifndef VERN_LRS_EXTRACT_H
#define VERN_LRS_EXTRACT_H

#include <jansson.h>
#include <stddef.h>

enum lrs_index_kind { LRS_IX_VERB = 1, LRS_IX_ACTIVITY = 2, LRS_IX_AGENT = 3, LRS_IX_REGISTRATION = 4,
		      LRS_IX_VERB_ACTIVITY = 5 };

/* Kind 5 rows pair the verb with the object activity ("verb\x1factivity"),
 * so the commonest LMS query (verb and activity) is one index range of
 * exactly its matches. */
#define LRS_IX_PAIR_SEP '\x1f'

/* Writes the kind 5 value for verb and activity into buf. Returns 0, or -1
 * when it does not fit in size bytes. */
int lrs_verb_activity_key(const char *verb, const char *activity, char *buf, size_t size);

struct lrs_index_row {
	int kind;
	int direct;
	char *value;
	long long term; /* its lrs_terms id when prefound (terms.h), else 0 */
};

struct lrs_activity_def {
	char *id;
	char *definition; /* compact JSON, or NULL */
};

struct lrs_extract_chunk;

struct lrs_extract {
	struct lrs_index_row *rows;
	size_t nrows, rows_cap;
	struct lrs_activity_def *acts;
	size_t nacts, acts_cap;
	unsigned long terms_epoch; /* set by lrs_terms_prefind (terms.h); 0: none */
	/* rows, acts, values and ids come from these (a statement's usually
	 * fit one): a batch of statements made a dozen small allocations per
	 * statement before */
	struct lrs_extract_chunk *chunks;
};

/* Collects the index rows and activities of a validated statement
 * (authority included when present). Returns 0, or -1 on out of memory.
 * Rows are in order direct first is not guaranteed: insert them with
 * INSERT OR IGNORE after sorting by direct descending (lrs_extract does). */
int lrs_extract(const json_t *statement, struct lrs_extract *out);
void lrs_extract_free(struct lrs_extract *e);

/* The statement's own registration (its kind 4 row), or NULL. */
const char *lrs_extract_registration(const struct lrs_extract *e);

/* The key of a registration (a UUID, either case) in statement_registrations:
 * the two 64-bit halves of its 128 bits XORed (015_lrs_registration_keys.sql
 * computes the same in SQL). Different registrations may share a key. */
long long lrs_registration_key(const char *registration);

#endif
