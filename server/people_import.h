/* people_import.h: `vern people import FILE.csv`, provisioning from an HR
 * export. See people_import.c for the file formats. */
#ifndef VERN_PEOPLE_IMPORT_H
#define VERN_PEOPLE_IMPORT_H

#include <stddef.h>

struct db;

struct import_options {
	int dry_run;   /* print the diff, write nothing */
	int partial;   /* do not deactivate employees missing from the file */
	int force;     /* allow deactivating more than half of the active staff */
};

struct import_result {
	int created, updated, unchanged, deactivated, units;
};

/* Imports CSV text (units or employees, told apart by the header). The
 * diff lines go to out (may be NULL). All-or-nothing: any bad row refuses
 * the whole file and every bad line is reported to err_out. Returns 0, or
 * -1 when refused (nothing written). */
int people_import_csv(struct db *db, const char *text, size_t len, const struct import_options *opt,
		      struct import_result *res, void *out, void *err_out);

/* The CLI: vern people import FILE.csv [--dry-run] [--partial] [--force]. */
int people_command(struct db *db, int argc, char **argv);

#endif
