/* fuzz_csv.c: libFuzzer target for the CSV reader (server/csv.c). Every
 * field must lie inside the reader's buffer and be NUL-terminated UTF-8;
 * reading must always end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static struct csv r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	csv_init(&r, (const char *)data, size);
	int rc, records = 0;
	while ((rc = csv_next(&r)) == 1) {
		if (r.nfields < 1 || r.nfields > CSV_MAX_FIELDS)
			abort();
		for (int i = 0; i < r.nfields; i++)
			if (r.fields[i] < r.buf || r.fields[i] + strlen(r.fields[i]) >= r.buf + sizeof(r.buf))
				abort();
		if (++records > (int)size + 1)
			abort();
	}
	return 0;
}
