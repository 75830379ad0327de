/* csv.h: an RFC 4180 reader for imports: quoted fields with doubled
 * quotes and embedded newlines, CRLF or LF, a UTF-8 byte order mark, and
 * ',' or ';' as separator (Norwegian spreadsheets write ';'), detected from
 * the header line. Fields must be valid UTF-8. */
#ifndef VERN_CSV_H
#define VERN_CSV_H

#include <stddef.h>

#define CSV_MAX_FIELDS 64
#define CSV_MAX_FIELD 4096

struct csv {
	const char *p, *end;
	char sep;
	int line;                 /* line number where the current record starts */
	int at_line;              /* line number of the read position */
	char *fields[CSV_MAX_FIELDS];
	int nfields;
	char buf[CSV_MAX_FIELDS * 256 + CSV_MAX_FIELD];
	char err[160];
};

/* Starts reading text (not copied; must outlive the reader). */
void csv_init(struct csv *r, const char *text, size_t len);

/* Reads the next record into r->fields. Returns 1 for a record, 0 at the
 * end, -1 on malformed input (r->err says what, r->line where). Blank
 * lines are skipped. */
int csv_next(struct csv *r);

#endif
