/* people_import.c: CSV provisioning of units and employees.
 *
 * Two file kinds, told apart by their header line (names in any order and
 * case; ',' or ';' separated; UTF-8):
 *   units:     unit_id, name, parent_id, agency (ja/nei, yes/no, 1/0)
 *   employees: employee_id, name, email, unit_id, manager_id, roles
 *              (role codes separated by '|' or ' '), active, start_date
 * Only the id and name columns are required. An employee file is a full
 * list unless --partial: active employees missing from it are deactivated
 * (never deleted), and an import that would deactivate more than half of
 * the active staff is refused without --force (a truncated export must not
 * empty the municipality). The whole file is one write transaction. */
#include "people_import.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "csv.h"
#include "db.h"
#include "events.h"
#include "people.h"

#define MAX_IMPORT_BYTES (200u * 1024 * 1024)
#define MAX_REPORTED_ERRORS 50

enum col { C_ID, C_NAME, C_EMAIL, C_UNIT, C_MANAGER, C_ROLES, C_ACTIVE, C_START, C_PARENT, C_AGENCY, NCOLS };

static const char *const col_names[NCOLS][3] = {
	[C_ID] = { "employee_id", "unit_id", "id" },
	[C_NAME] = { "name", "navn", NULL },
	[C_EMAIL] = { "email", "epost", NULL },
	[C_UNIT] = { "unit_id", "unit", "enhet" },
	[C_MANAGER] = { "manager_id", "manager", "leder" },
	[C_ROLES] = { "roles", "roller", NULL },
	[C_ACTIVE] = { "active", "aktiv", NULL },
	[C_START] = { "start_date", "startdato", NULL },
	[C_PARENT] = { "parent_id", "parent", "overordnet" },
	[C_AGENCY] = { "agency", "virksomhet", NULL },
};

struct row {
	int line;
	int bad;        /* refused while reading: skipped by the writer */
	char *f[NCOLS]; /* strdup'ed, NULL when the column is absent */
};

struct job {
	int units;                 /* the file is a units file */
	struct row *rows;
	size_t n;
	const struct import_options *opt;
	struct import_result res;
	FILE *out, *err;
	int errors;
	int refused;
};

static void row_error(struct job *j, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void row_error(struct job *j, int line, const char *fmt, ...)
{
	if (j->errors++ < MAX_REPORTED_ERRORS) {
		va_list ap;
		va_start(ap, fmt);
		fprintf(j->err, "line %d: ", line);
		vfprintf(j->err, fmt, ap);
		fputc('\n', j->err);
		va_end(ap);
	}
}

/* yes/no in the spellings HR exports use; -1 when neither. */
static int parse_flag(const char *s, int dflt)
{
	if (!s || !*s)
		return dflt;
	static const char *const yes[] = { "1", "ja", "yes", "true", "j", "y", "x", NULL };
	static const char *const no[] = { "0", "nei", "no", "false", "n", NULL };
	for (int i = 0; yes[i]; i++)
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
	for (int i = 0; no[i]; i++)
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	return -1;
}

/* Splits "leder|personvernkoordinator" or with spaces/commas into p->roles. */
static int split_roles(char *s, struct person *p)
{
	p->nroles = 0;
	for (char *tok = strtok(s, "| ,"); tok; tok = strtok(NULL, "| ,")) {
		if (p->nroles == PEOPLE_MAX_ROLES)
			return -1;
		p->roles[p->nroles++] = tok;
	}
	return 0;
}

static int do_units(struct db_conn *c, struct job *j)
{
	/* Parents may come after children: repeat until no row makes progress. */
	char *done = calloc(j->n ? j->n : 1, 1);
	if (!done)
		return DB_ERROR;
	size_t left = j->n;
	int rc = DB_OK;
	while (left > 0 && rc == DB_OK) {
		size_t progress = 0;
		for (size_t i = 0; i < j->n && rc == DB_OK; i++) {
			struct row *r = &j->rows[i];
			if (done[i] || r->bad) {
				if (!done[i]) {
					done[i] = 1;
					left--;
					progress++;
				}
				continue;
			}
			char err[200];
			rc = people_unit_upsert(c, r->f[C_ID], r->f[C_NAME], r->f[C_PARENT],
						parse_flag(r->f[C_AGENCY], 0) == 1, err, sizeof(err));
			if (rc == DB_INVALID && strncmp(err, "unknown parent", 14) == 0) {
				rc = DB_OK; /* try again in the next round */
				continue;
			}
			if (rc == DB_INVALID) {
				row_error(j, r->line, "%s", err);
				rc = DB_OK;
			}
			done[i] = 1;
			left--;
			progress++;
			j->res.units++;
		}
		if (progress == 0) {
			for (size_t i = 0; i < j->n; i++)
				if (!done[i])
					row_error(j, j->rows[i].line, "parent unit %s is neither in the file nor in Vern",
						  j->rows[i].f[C_PARENT]);
			break;
		}
	}
	free(done);
	return rc;
}

static int upsert_row(struct db_conn *c, struct job *j, struct row *r, int with_manager,
		      enum person_change *change)
{
	char roles[CSV_MAX_FIELD];
	snprintf(roles, sizeof(roles), "%s", r->f[C_ROLES] ? r->f[C_ROLES] : "");
	struct person p = {
		.external_id = r->f[C_ID], .name = r->f[C_NAME], .email = r->f[C_EMAIL],
		.unit = r->f[C_UNIT], .manager = with_manager ? r->f[C_MANAGER] : NULL,
		.start_date = r->f[C_START], .active = parse_flag(r->f[C_ACTIVE], 1),
	};
	if (split_roles(roles, &p) != 0) {
		row_error(j, r->line, "%s", "too many roles");
		return DB_OK;
	}
	char err[200];
	int rc = people_employee_upsert(c, &p, change, err, sizeof(err));
	if (rc == DB_INVALID) {
		r->bad = 1;
		row_error(j, r->line, "%s", err);
		return DB_OK;
	}
	return rc;
}

static int manager_known(struct db_conn *c, const char *ext)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM employees WHERE external_id = ?");
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, ext, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_ROW;
}

static void report(struct job *j, char sign, const struct row *r, const char *what)
{
	if (j->out)
		fprintf(j->out, "%c %s %s (%s)\n", sign, r->f[C_ID], r->f[C_NAME], what);
}

static int deactivate_missing(struct db_conn *c, struct job *j)
{
	sqlite3 *h = db_handle(c);
	if (sqlite3_exec(h, "CREATE TEMP TABLE IF NOT EXISTS import_ids(id TEXT PRIMARY KEY);"
			    "DELETE FROM import_ids;", NULL, NULL, NULL) != SQLITE_OK)
		return db_step_error(c, SQLITE_ERROR, "import_ids");
	sqlite3_stmt *ins;
	if (sqlite3_prepare_v2(h, "INSERT OR IGNORE INTO import_ids VALUES(?)", -1, &ins, NULL) != SQLITE_OK)
		return db_step_error(c, SQLITE_ERROR, "import_ids_insert");
	for (size_t i = 0; i < j->n; i++) {
		sqlite3_bind_text(ins, 1, j->rows[i].f[C_ID], -1, SQLITE_STATIC);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_stmt *sel;
	int active = 0, missing = 0;
	if (sqlite3_prepare_v2(h, "SELECT count(*), count(*) FILTER (WHERE external_id NOT IN"
				  " (SELECT id FROM import_ids)) FROM employees WHERE active = 1",
			       -1, &sel, NULL) != SQLITE_OK)
		return db_step_error(c, SQLITE_ERROR, "import_count");
	if (sqlite3_step(sel) == SQLITE_ROW) {
		active = sqlite3_column_int(sel, 0);
		missing = sqlite3_column_int(sel, 1);
	}
	sqlite3_finalize(sel);
	if (missing > 0 && missing * 2 > active && active > 10 && !j->opt->force) {
		fprintf(j->err, "refused: the file would deactivate %d of %d active employees; "
				"use --partial for a partial file or --force if this is right\n", missing, active);
		j->refused = 1;
		return DB_OK;
	}
	if (sqlite3_prepare_v2(h, "UPDATE employees SET active = 0, updated_ms = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"
				  " WHERE active = 1 AND external_id NOT IN (SELECT id FROM import_ids)"
				  " RETURNING external_id, name, id", -1, &sel, NULL) != SQLITE_OK)
		return db_step_error(c, SQLITE_ERROR, "import_deactivate");
	int rc;
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		if (plugin_events_employee(c, sqlite3_column_int64(sel, 2), PERSON_DEACTIVATED) != DB_OK) {
			sqlite3_finalize(sel);
			return DB_ERROR;
		}
		j->res.deactivated++;
		if (j->out)
			fprintf(j->out, "- %s %s (deactivated)\n", (const char *)sqlite3_column_text(sel, 0),
				(const char *)sqlite3_column_text(sel, 1));
	}
	sqlite3_finalize(sel);
	return rc == SQLITE_DONE ? DB_OK : db_step_error(c, rc, "import_deactivate");
}

static int do_employees(struct db_conn *c, struct job *j)
{
	enum person_change *changes = calloc(j->n ? j->n : 1, sizeof(*changes));
	char *deferred = calloc(j->n ? j->n : 1, 1);
	int rc = changes && deferred ? DB_OK : DB_ERROR;
	/* Pass 1: everyone, but a manager not yet in Vern waits for pass 2. */
	for (size_t i = 0; i < j->n && rc == DB_OK; i++) {
		struct row *r = &j->rows[i];
		if (r->bad)
			continue;
		const char *m = r->f[C_MANAGER];
		deferred[i] = m && *m && !manager_known(c, m);
		rc = upsert_row(c, j, r, !deferred[i], &changes[i]);
	}
	for (size_t i = 0; i < j->n && rc == DB_OK; i++) {
		if (!deferred[i] || j->rows[i].bad)
			continue;
		enum person_change ch;
		rc = upsert_row(c, j, &j->rows[i], 1, &ch);
		if (changes[i] == PERSON_UNCHANGED)
			changes[i] = ch;
	}
	for (size_t i = 0; i < j->n && rc == DB_OK; i++) {
		switch (changes[i]) {
		case PERSON_CREATED: j->res.created++; report(j, '+', &j->rows[i], "new"); break;
		case PERSON_UPDATED: j->res.updated++; report(j, '~', &j->rows[i], "changed"); break;
		case PERSON_DEACTIVATED: j->res.deactivated++; report(j, '-', &j->rows[i], "deactivated"); break;
		default: j->res.unchanged++;
		}
	}
	free(changes);
	free(deferred);
	if (rc == DB_OK && !j->opt->partial && j->errors == 0)
		rc = deactivate_missing(c, j);
	return rc;
}

static int import_job(struct db_conn *c, void *arg)
{
	struct job *j = arg;
	int rc = j->units ? do_units(c, j) : do_employees(c, j);
	if (rc != DB_OK)
		return rc;
	/* Refused or a dry run: roll this job back. */
	if (j->errors || j->refused || j->opt->dry_run)
		return DB_INVALID;
	return DB_OK;
}

/* Maps header names to columns; returns 0, or -1 with an error printed. */
static int read_header(struct csv *r, int idx[NCOLS], int *units, FILE *err)
{
	for (int k = 0; k < NCOLS; k++)
		idx[k] = -1;
	int has_employee = 0, has_unit_id = 0;
	for (int i = 0; i < r->nfields; i++) {
		const char *h = r->fields[i];
		if (strcasecmp(h, "employee_id") == 0)
			has_employee = 1;
		if (strcasecmp(h, "unit_id") == 0)
			has_unit_id = 1;
	}
	*units = !has_employee && has_unit_id;
	for (int i = 0; i < r->nfields; i++) {
		int found = 0;
		for (int k = 0; k < NCOLS && !found; k++) {
			if (k == C_ID && !*units && strcasecmp(r->fields[i], "unit_id") == 0)
				continue; /* an employee file's unit_id is C_UNIT */
			if (k == C_UNIT && *units)
				continue;
			for (int a = 0; a < 3 && col_names[k][a]; a++)
				if (strcasecmp(r->fields[i], col_names[k][a]) == 0) {
					if (idx[k] >= 0) {
						fprintf(err, "line 1: column %s appears twice\n", r->fields[i]);
						return -1;
					}
					idx[k] = i;
					found = 1;
					break;
				}
		}
		if (!found) {
			fprintf(err, "line 1: unknown column \"%s\"\n", r->fields[i]);
			return -1;
		}
	}
	if (idx[C_ID] < 0 || idx[C_NAME] < 0) {
		fprintf(err, "line 1: the header needs %s and name columns\n", *units ? "unit_id" : "employee_id");
		return -1;
	}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	const struct row *x = *(const struct row *const *)a, *y = *(const struct row *const *)b;
	int c = strcmp(x->f[C_ID] ? x->f[C_ID] : "", y->f[C_ID] ? y->f[C_ID] : "");
	return c ? c : x->line - y->line;
}

static void check_duplicates(struct job *j)
{
	struct row **sorted = malloc((j->n ? j->n : 1) * sizeof(*sorted));
	if (!sorted) {
		j->errors++;
		return;
	}
	for (size_t i = 0; i < j->n; i++)
		sorted[i] = &j->rows[i];
	qsort(sorted, j->n, sizeof(*sorted), by_id);
	for (size_t i = 1; i < j->n; i++)
		if (sorted[i]->f[C_ID] && sorted[i]->f[C_ID][0] &&
		    strcmp(sorted[i]->f[C_ID], sorted[i - 1]->f[C_ID] ? sorted[i - 1]->f[C_ID] : "") == 0)
			row_error(j, sorted[i]->line, "id %s appears more than once in the file", sorted[i]->f[C_ID]);
	free(sorted);
}

static void free_rows(struct job *j)
{
	for (size_t i = 0; i < j->n; i++)
		for (int k = 0; k < NCOLS; k++)
			free(j->rows[i].f[k]);
	free(j->rows);
}

int people_import_csv(struct db *db, const char *text, size_t len, const struct import_options *opt,
		      struct import_result *res, void *out, void *err_out)
{
	struct job j = { .opt = opt, .out = out, .err = err_out ? err_out : stderr };
	struct csv *r = malloc(sizeof(*r));
	if (!r)
		return -1;
	csv_init(r, text, len);
	int idx[NCOLS];
	int rc = csv_next(r);
	if (rc <= 0) {
		fprintf(j.err, "line 1: %s\n", rc < 0 ? r->err : "the file is empty");
		free(r);
		return -1;
	}
	if (read_header(r, idx, &j.units, j.err) != 0) {
		free(r);
		return -1;
	}
	size_t cap = 0;
	while ((rc = csv_next(r)) == 1) {
		if (r->nfields == 1 && !r->fields[0][0])
			continue;
		if (j.n == cap) {
			cap = cap ? cap * 2 : 1024;
			struct row *grown = realloc(j.rows, cap * sizeof(*grown));
			if (!grown) {
				rc = -1;
				break;
			}
			j.rows = grown;
		}
		struct row *row = &j.rows[j.n++];
		memset(row, 0, sizeof(*row));
		row->line = r->line;
		for (int k = 0; k < NCOLS; k++)
			if (idx[k] >= 0 && idx[k] < r->nfields)
				row->f[k] = strdup(r->fields[idx[k]]);
		int before = j.errors;
		if (!row->f[C_ID] || !row->f[C_ID][0])
			row_error(&j, row->line, "%s", "the id is empty");
		else if (!row->f[C_NAME] || !row->f[C_NAME][0])
			row_error(&j, row->line, "%s", "the name is empty");
		else if (row->f[C_ACTIVE] && parse_flag(row->f[C_ACTIVE], 1) < 0)
			row_error(&j, row->line, "active must be ja/nei (was \"%s\")", row->f[C_ACTIVE]);
		else if (row->f[C_AGENCY] && parse_flag(row->f[C_AGENCY], 0) < 0)
			row_error(&j, row->line, "agency must be ja/nei (was \"%s\")", row->f[C_AGENCY]);
		else if (r->nfields > 1 && r->nfields < idx[C_NAME] + 1)
			row_error(&j, row->line, "%s", "too few fields");
		row->bad = j.errors != before;
	}
	if (rc < 0)
		row_error(&j, r->line, "%s", r->err);
	check_duplicates(&j);
	free(r);
	/* The writer runs even after errors, to report unknown units, managers
	 * and roles too; it rolls everything back when there is any error. */
	{
		int w = db_write(db, import_job, &j);
		if (w != DB_OK && w != DB_INVALID) {
			fprintf(j.err, "the database write failed\n");
			j.errors++;
		}
	}
	if (j.errors > MAX_REPORTED_ERRORS)
		fprintf(j.err, "... and %d more errors\n", j.errors - MAX_REPORTED_ERRORS);
	if (res)
		*res = j.res;
	free_rows(&j);
	return j.errors || j.refused ? -1 : 0;
}

static int read_file(const char *path, char **text, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "vern people import: cannot open %s\n", path);
		return -1;
	}
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= MAX_IMPORT_BYTES) {
				fprintf(stderr, "vern people import: %s is larger than %u MB\n", path,
					MAX_IMPORT_BYTES >> 20);
				free(buf);
				fclose(f);
				return -1;
			}
			char *grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = grown;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	*text = buf;
	*len = n;
	return 0;
}

int people_command(struct db *db, int argc, char **argv)
{
	struct import_options opt = { 0 };
	const char *file = NULL;
	if (argc < 1 || strcmp(argv[0], "import") != 0) {
		fprintf(stderr, "usage: vern people import FILE.csv [--dry-run] [--partial] [--force]\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			opt.dry_run = 1;
		else if (strcmp(argv[i], "--partial") == 0)
			opt.partial = 1;
		else if (strcmp(argv[i], "--force") == 0)
			opt.force = 1;
		else if (!file)
			file = argv[i];
		else {
			fprintf(stderr, "vern people import: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "vern people import: which file?\n");
		return 2;
	}
	char *text;
	size_t len;
	if (read_file(file, &text, &len) != 0)
		return 1;
	struct import_result res;
	int rc = people_import_csv(db, text, len, &opt, &res, stdout, stderr);
	free(text);
	if (rc != 0) {
		fprintf(stderr, "vern people import: %s refused, nothing was changed\n", file);
		return 1;
	}
	if (res.units)
		printf("%s%d units\n", opt.dry_run ? "dry run, nothing written: " : "", res.units);
	else
		printf("%screated %d, changed %d, deactivated %d, unchanged %d\n",
		       opt.dry_run ? "dry run, nothing written: " : "", res.created, res.updated,
		       res.deactivated, res.unchanged);
	return 0;
}
