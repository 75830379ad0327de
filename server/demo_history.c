/* demo_history.c: the demo municipality's learning history (see
 * demo_history.h).
 *
 * Who completed what, and when, is decided per employee by a generator
 * seeded with their id, so it does not depend on anyone else: each
 * employee has a diligence that makes the keen ones complete most courses
 * and some none. About 60-80% have completed each basic course, many in
 * last October (the national security month campaign), the rest spread
 * over the last two years, so some completions have expired (courses are
 * valid 12 months); some did last year's October too. Tested courses
 * have failed attempts before a pass, and a few failures with no pass.
 * Nobody completes anything before their first week. */
#include "demo_history.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lrs.h"
#include "people.h"
#include "server.h"

#define VERB_PASSED "http://adlnet.gov/expapi/verbs/passed"
#define VERB_FAILED "http://adlnet.gov/expapi/verbs/failed"
#define VERB_COMPLETED "http://adlnet.gov/expapi/verbs/completed"
#define COURSE_TYPE "http://adlnet.gov/expapi/activities/course"
/* Statements handed to the LRS per write (well under lrs_max_batch). */
#define BATCH 2000

const struct demo_course demo_courses[] = {
	{ "personvern-grunnkurs", "Personvern – grunnkurs", 20, 1, { "ansatt" }, 0.78 },
	{ "informasjonssikkerhet-grunnkurs", "Informasjonssikkerhet – grunnkurs", 20, 1, { "ansatt" }, 0.74 },
	{ "taushetsplikt", "Taushetsplikt og deling av opplysninger", 15, 0, { "ansatt" }, 0.69 },
	{ "phishing", "Svindel og phishing på e-post", 10, 1, { "ansatt" }, 0.66 },
	{ "avvik", "Å oppdage og melde avvik", 15, 0, { "ansatt" }, 0.61 },
	{ "personvern-for-ledere", "Personvern for ledere", 30, 0,
	  { "leder", "virksomhetsleder", "kommunaldirektor" }, 0.68 },
	{ "pko-opplaering", "Personvernkoordinatorens oppgaver", 45, 1, { "personvernkoordinator" }, 0.72 },
	{ "isk-opplaering", "Informasjonssikkerhetskoordinatorens oppgaver", 45, 1,
	  { "informasjonssikkerhetskoordinator", "systemeier" }, 0.60 },
	{ NULL, NULL, 0, 0, { NULL }, 0 },
};

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double chance(struct rng *r)
{
	return (double)(next(r) >> 11) / 9007199254740992.0;
}

static long between(struct rng *r, long lo, long hi)
{
	return hi <= lo ? lo : lo + (long)(next(r) % (uint64_t)(hi - lo + 1));
}

struct maker {
	struct server *srv;
	long anchor;
	long october_start, october_end;   /* last October, day numbers */
	const char *home;
	json_t *batch;
	struct demo_history_result *res;
	char *err;
	size_t errsize;
};

static int flush(struct maker *m)
{
	if (json_array_size(m->batch) == 0)
		return 0;
	char err[300];
	int status = lrs_store_internal(m->srv, m->batch, NULL, err, sizeof(err));
	json_array_clear(m->batch);
	if (status != 0) {
		snprintf(m->err, m->errsize, "the LRS refused the history (%d): %s", status, err);
		return -1;
	}
	return 0;
}

/* A UUID made from what the statement is (so the same statement gets the
 * same id on every run). */
static void statement_id(const struct maker *m, const char *who, const char *course, const char *kind,
			 long when_ms, char out[37])
{
	char key[512];
	snprintf(key, sizeof(key), "vern-demo|%ld|%s|%s|%s|%s|%lld", m->anchor, m->home, who, course, kind,
		 (long long)when_ms);
	unsigned char b[16];
	crypto_generichash(b, sizeof(b), (const unsigned char *)key, strlen(key), NULL, 0);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x50);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* One statement: kind is "passed", "failed" or "completed". */
static int add_statement(struct maker *m, struct rng *r, const struct demo_person *p,
			 const struct demo_course *c, const char *kind, long day)
{
	long long ms = ((long long)day * 86400 + between(r, 6 * 3600, 14 * 3600 + 1800)) * 1000 +
		       between(r, 0, 999);
	char id[37], ts[32], activity[128], duration[32];
	statement_id(m, p->ext, c->id, kind, (long)(ms / 1000), id);
	lrs_format_time(ms, ts, sizeof(ts));
	snprintf(activity, sizeof(activity), "urn:vern:kurs:%s", c->id);
	long minutes = between(r, c->minutes * 6 / 10, c->minutes * 16 / 10);
	snprintf(duration, sizeof(duration), "PT%ldM%ldS", minutes, between(r, 0, 59));
	const char *verb = strcmp(kind, "passed") == 0 ? VERB_PASSED
			 : strcmp(kind, "failed") == 0 ? VERB_FAILED : VERB_COMPLETED;
	const char *nb = strcmp(kind, "passed") == 0 ? "bestod"
		       : strcmp(kind, "failed") == 0 ? "bestod ikke" : "fullførte";
	json_t *result;
	if (c->tested) {
		long raw = strcmp(kind, "failed") == 0 ? between(r, 3, 7) : between(r, 8, 10);
		result = json_pack("{s:b, s:b, s:{s:f, s:I, s:i, s:i}, s:s}", "success", raw >= 8,
				   "completion", 1, "score", "scaled", raw / 10.0, "raw", (json_int_t)raw,
				   "min", 0, "max", 10, "duration", duration);
	} else {
		result = json_pack("{s:b, s:s}", "completion", 1, "duration", duration);
	}
	json_t *st = json_pack("{s:s, s:o, s:{s:s, s:{s:s, s:s}}, s:{s:s, s:s, s:{s:{s:s}, s:s}},"
			       " s:o, s:{s:s, s:s}, s:s}",
			       "id", id, "actor", people_agent(m->home, p->ext, p->name),
			       "verb", "id", verb, "display", "nb-NO", nb, "en-US", kind,
			       "object", "objectType", "Activity", "id", activity, "definition", "name",
			       "nb-NO", c->title, "type", COURSE_TYPE,
			       "result", result, "context", "platform", "Vern", "language", "nb-NO",
			       "timestamp", ts);
	if (!st) {
		snprintf(m->err, m->errsize, "out of memory");
		return -1;
	}
	json_array_append_new(m->batch, st);
	m->res->statements++;
	if (strcmp(kind, "failed") == 0)
		m->res->failed++;
	else
		m->res->passed++;
	return json_array_size(m->batch) >= BATCH ? flush(m) : 0;
}

static int must_take(const struct demo_person *p, const struct demo_course *c)
{
	for (int i = 0; i < 4 && c->roles[i]; i++)
		if (strcmp(c->roles[i], "ansatt") == 0 || demo_has_role(p, c->roles[i]))
			return 1;
	return 0;
}

/* A completion day for course c, or -1 when the employee has not had time. */
static long completion_day(const struct maker *m, struct rng *r, const struct demo_person *p, int basic)
{
	long first = p->start_day + 7;
	if (first > m->anchor)
		return -1;
	long day = basic && chance(r) < 0.45 ? between(r, m->october_start, m->october_end)
					     : between(r, m->anchor - 730, m->anchor);
	if (day < first)
		day = between(r, first, m->anchor);
	return day;
}

static int person_history(struct maker *m, const struct demo_person *p)
{
	struct rng r = { 0xD3110ULL };
	for (const char *s = p->ext; *s; s++)
		r.s = r.s * 131 + (unsigned char)*s;
	next(&r);
	double diligence = 0.5 + chance(&r);
	for (const struct demo_course *c = demo_courses; c->id; c++) {
		if (!must_take(p, c))
			continue;
		int basic = strcmp(c->roles[0], "ansatt") == 0;
		double want = c->rate * diligence;
		int done = chance(&r) < (want > 0.98 ? 0.98 : want);
		long day = completion_day(m, &r, p, basic);
		if (day < 0)
			continue;
		if (!done) {
			if (c->tested && chance(&r) < 0.06 && add_statement(m, &r, p, c, "failed", day))
				return -1;
			continue;
		}
		/* Last year's round too, for some of this October's. */
		long before = day - 365 + between(&r, -5, 5);
		if (basic && day >= m->october_start && day <= m->october_end && chance(&r) < 0.35 &&
		    before >= p->start_day + 7 &&
		    add_statement(m, &r, p, c, c->tested ? "passed" : "completed", before))
			return -1;
		/* A failed try a few days before the pass. */
		long tried = day - between(&r, 1, 6);
		if (c->tested && chance(&r) < 0.12 && tried >= p->start_day + 7 &&
		    add_statement(m, &r, p, c, "failed", tried))
			return -1;
		if (add_statement(m, &r, p, c, c->tested ? "passed" : "completed", day))
			return -1;
	}
	return 0;
}

int demo_history_write(struct server *srv, const struct demo_org *org, long anchor_day,
		       struct demo_history_result *res, char *err, size_t errsize)
{
	memset(res, 0, sizeof(*res));
	if (sodium_init() < 0) {
		snprintf(err, errsize, "libsodium could not start");
		return -1;
	}
	time_t t = (time_t)anchor_day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	/* Last October: this year's once it is over, else last year's. */
	struct tm oct = { .tm_year = tm.tm_mon >= 10 ? tm.tm_year : tm.tm_year - 1, .tm_mon = 9, .tm_mday = 1 };
	struct maker m = { .srv = srv, .anchor = anchor_day, .home = srv->cfg.public_url,
			   .batch = json_array(), .res = res, .err = err, .errsize = errsize };
	m.october_start = (long)(timegm(&oct) / 86400);
	m.october_end = m.october_start + 30;
	int rc = m.batch ? 0 : -1;
	for (int i = 0; rc == 0 && i < org->npeople; i++)
		rc = person_history(&m, &org->people[i]);
	if (rc == 0)
		rc = flush(&m);
	json_decref(m.batch);
	return rc;
}
