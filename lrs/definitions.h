/* definitions.h: the canonical definition of each activity (the activities
 * table), merged from the definitions statements carry. */
#ifndef VERN_LRS_DEFINITIONS_H
#define VERN_LRS_DEFINITIONS_H

#include "db.h"

/* Writer only (inside a db_write job): records activity id, merging
 * definition (compact JSON object text, or NULL) into the stored one
 * (a JSON merge patch). Skips the database when this connection already
 * merged the same definition text into this activity (merging the same
 * patch twice changes nothing), with the cache dropped whenever
 * db_conn_epoch() moves. Returns 0 or a DB_E* code. */
int lrs_definition_merge(struct db_conn *c, const char *id, const char *definition);

#endif
