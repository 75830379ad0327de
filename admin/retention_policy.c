/* retention_policy.c: the retention policy in words, for the ombud, for
 * every employee's data export and for GET /api/oppbevaring (see
 * retention.h). The text is made from the configured periods, so what
 * people read is what the job does. */
#include "retention.h"

#include <stdio.h>

#include "access.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "server.h"

json_t *retention_policy(const struct config *cfg, struct db_conn *c)
{
	const char *action = cfg->retention_delete_statements ? "delete" : "pseudonymise";
	const char *done = cfg->retention_delete_statements
		? "slettet"
		: "pseudonymisert (navn, e-post og ansatt-id byttes ut med et pseudonym, og fritekstsvar "
		  "og vedlegg fjernes)";
	char text[2048];
	snprintf(text, sizeof(text),
		 "Vern lagrer rådata om læring – xAPI-utsagn, fremdrift og forsøk i kurs – i %ld dager. "
		 "Deretter blir de %s. Beviset på gjennomført kurs (hvem, hvilket kurs, når og resultat) "
		 "beholdes, slik at kommunen kan dokumentere opplæringen. Når en ansatt slutter, blir "
		 "rådata om vedkommende %s %ld dager etter sluttdatoen; e-postadresse, e-poster, tildelte "
		 "kurs, læringsmål fra medarbeidersamtaler og innlogginger slettes, mens beviset på "
		 "gjennomførte kurs og oppmøte beholdes. Innloggingsøkter "
		 "slettes når de utløper. Loggen over hvem som har sett personopplysninger, beholdes "
		 "slik at personvernombudet kan kontrollere bruken. Sletting og pseudonymisering kjøres "
		 "automatisk hver natt (GDPR art. 5 nr. 1 bokstav e).",
		 cfg->retention_statement_days, done, cfg->retention_delete_statements ? "slettet" : "pseudonymisert",
		 cfg->retention_inactive_days);
	json_t *out = json_pack("{s:I, s:I, s:s, s:s}", "statement_days",
				(json_int_t)cfg->retention_statement_days, "inactive_days",
				(json_int_t)cfg->retention_inactive_days, "action", action, "text", text);
	if (!out)
		return NULL;
	/* The same in rows and Norwegian keys, as the ombud page shows it. */
	char stmt_days[64], gone_days[64], session_text[64];
	snprintf(stmt_days, sizeof(stmt_days), "%ld dager", cfg->retention_statement_days);
	snprintf(gone_days, sizeof(gone_days), "%ld dager etter sluttdato", cfg->retention_inactive_days);
	snprintf(session_text, sizeof(session_text), "Til den utløper (%ld minutter)", cfg->session_minutes);
	const char *how = cfg->retention_delete_statements ? "Slettes" : "Pseudonymiseres";
	json_object_set_new(out, "tekst", json_string(text));
	json_object_set_new(out, "regler", json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s},"
						      " {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
		"navn", "Rå læringsdata (xAPI-utsagn, fremdrift, forsøk)", "periode", stmt_days, "handling", how,
		"navn", "Rådata om ansatte som har sluttet", "periode", gone_days, "handling",
		cfg->retention_delete_statements
			? "Slettes; e-post, tildelinger, læringsmål og innlogginger slettes"
			: "Pseudonymiseres; e-post, tildelinger, læringsmål og innlogginger slettes",
		"navn", "Bevis på gjennomført kurs (hvem, hva, når, resultat)", "periode", "Varig", "handling",
		"Beholdes",
		"navn", "Innloggingsøkter", "periode", session_text, "handling", "Slettes",
		"navn", "Logg over hvem som har sett personopplysninger", "periode", "Varig", "handling",
		"Beholdes for kontroll"));
	json_object_set_new(out, "last_run", json_null());
	sqlite3_stmt *st = c ? db_stmt(c,
		"SELECT run_ms, as_of, statements_pseudonymised, statements_deleted, documents_deleted,"
		" attempts_deleted, employees_processed, finished FROM retention_runs ORDER BY id DESC LIMIT 1")
			     : NULL;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		json_object_set_new(out, "last_run",
			json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:b}",
				  "run_ms", (json_int_t)sqlite3_column_int64(st, 0),
				  "as_of", (const char *)sqlite3_column_text(st, 1),
				  "statements_pseudonymised", (json_int_t)sqlite3_column_int64(st, 2),
				  "statements_deleted", (json_int_t)sqlite3_column_int64(st, 3),
				  "documents_deleted", (json_int_t)sqlite3_column_int64(st, 4),
				  "attempts_deleted", (json_int_t)sqlite3_column_int64(st, 5),
				  "employees_processed", (json_int_t)sqlite3_column_int64(st, 6),
				  "finished", sqlite3_column_int(st, 7)));
	if (st)
		sqlite3_reset(st);
	return out;
}

void retention_policy_get(struct http_request *req)
{
	struct principal p;
	if (access_require(req, ACCESS_EMPLOYEE | ACCESS_LEADER | ACCESS_HR | ACCESS_OMBUD | ACCESS_ADMIN,
			   &p) != 0)
		return;
	struct db_conn *c = db_reader_get(req->srv->db);
	json_t *out = retention_policy(&req->srv->cfg, c);
	db_reader_put(req->srv->db, c);
	if (!out) {
		http_send_error(req, 500, "internal", "Kunne ikke lage svaret.");
		return;
	}
	http_send_json(req, 200, out);
	json_decref(out);
}
