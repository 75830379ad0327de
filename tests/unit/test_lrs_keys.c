/* test_lrs_keys.c: the statement query index (lrs/keys.c, lrs/terms.c,
 * lrs/definitions.c) through lrs_store_internal: rows shared through
 * StatementRefs in either order, voiding before the target arrives,
 * statements.index_keys always equal to the statement's rows, the writer's
 * caches surviving a rolled-back batch, term ids found by request threads
 * (lrs_terms_prefind) trusted only while nothing undid them, the sort of
 * queued rows,
 * lrs_keys_reindex and lrs_keys_forget, and the statement_index view other
 * modules read. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "extract.h"
#include "index.h"
#include "keys.h"
#include "lrs.h"
#include "server.h"
#include "server_fixture.h"
#include "terms.h"
#include "unit.h"


#define VERB "http://adlnet.gov/expapi/verbs/completed"
#define ACT "https://vern.test/a/1"

static json_t *simple(const char *id, const char *who, const char *verb, const char *act)
{
	return json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s}}", "id", id, "actor", "mbox", who, "verb",
			 "id", verb, "object", "id", act);
}

static json_t *ref(const char *id, const char *who, const char *verb, const char *target)
{
	return json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s}}", "id", id, "actor", "mbox", who,
			 "verb", "id", verb, "object", "objectType", "StatementRef", "id", target);
}

/* Does a filter on (kind, value) through the view find statement id? */
static int matches(int kind, const char *value, const char *id)
{
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM statement_index i JOIN statements s "
				      "ON s.seq = i.seq WHERE i.kind = ? AND i.value = ? AND s.id = ?");
	int n = -1;
	if (st) {
		sqlite3_bind_int(st, 1, kind);
		sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, id, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	db_reader_put(srv.db, c);
	return n > 0;
}

/* statement_keys holds exactly the rows the statements' lists name, and
 * every row names a term that exists. */
static void check_lists_agree(void)
{
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT seq, index_keys FROM statements");
	long long listed = 0;
	int bad = 0;
	while (st && sqlite3_step(st) == SQLITE_ROW) {
		long long seq = sqlite3_column_int64(st, 0);
		const char *p = (const char *)sqlite3_column_text(st, 1);
		while (p && *p) {
			char *end;
			long long k = strtoll(p, &end, 10);
			if (end == p)
				break;
			p = end;
			listed++;
			sqlite3_stmt *q = db_stmt(c, "SELECT direct FROM statement_keys WHERE term = ? AND seq = ?");
			sqlite3_bind_int64(q, 1, k >> 1);
			sqlite3_bind_int64(q, 2, seq);
			if (sqlite3_step(q) != SQLITE_ROW || sqlite3_column_int(q, 0) != (int)(k & 1))
				bad++;
			sqlite3_reset(q);
		}
	}
	db_reader_put(srv.db, c);
	CHECK(bad == 0);
	CHECK(listed == fixture_scalar("SELECT count(*) FROM statement_keys", NULL));
	CHECK(fixture_scalar("SELECT count(*) FROM statement_keys k LEFT JOIN lrs_terms t ON t.id = k.term "
		     "WHERE t.id IS NULL", NULL) == 0);
}

static void refs_in_either_order(void)
{
	const char *b = "00000000-0000-4000-8000-00000000000b", *a = "00000000-0000-4000-8000-00000000000a",
		   *c = "00000000-0000-4000-8000-00000000000c";
	/* a targets b before b exists; c targets a */
	CHECK(fixture_store(ref(a, "mailto:a@vern.test", "http://vern.test/v/liked", b)) == 0);
	CHECK(fixture_store(ref(c, "mailto:c@vern.test", "http://vern.test/v/shared", a)) == 0);
	CHECK(!matches(1, VERB, a));
	CHECK(fixture_store(simple(b, "mailto:b@vern.test", VERB, ACT)) == 0);
	/* b's rows reached a, and through a, c */
	CHECK(matches(1, VERB, a));
	CHECK(matches(2, ACT, a));
	CHECK(matches(3, "mbox:mailto:b@vern.test", a));
	CHECK(matches(5, VERB "\x1f" ACT, a));
	CHECK(matches(5, VERB "\x1f" ACT, c));
	/* a later statement targeting a inherits a's rows, b's included */
	const char *d = "00000000-0000-4000-8000-00000000000d";
	CHECK(fixture_store(ref(d, "mailto:d@vern.test", "http://vern.test/v/noted", a)) == 0);
	CHECK(matches(2, ACT, d));
	CHECK(matches(1, "http://vern.test/v/liked", d));
	CHECK(!matches(1, VERB, "00000000-0000-4000-8000-0000000000ff"));
	check_lists_agree();
}

static void voided_before_target(void)
{
	const char *t = "00000000-0000-4000-8000-000000000101", *v = "00000000-0000-4000-8000-000000000102";
	CHECK(fixture_store(ref(v, "mailto:v@vern.test", "http://adlnet.gov/expapi/verbs/voided", t)) == 0);
	CHECK(fixture_store(simple(t, "mailto:t@vern.test", VERB, ACT)) == 0);
	CHECK(fixture_scalar("SELECT voided FROM statements WHERE id = ?", t) == 1);
	CHECK(fixture_scalar("SELECT voided FROM statements WHERE id = ?", v) == 0);
	check_lists_agree();
}

/* A batch rolled back after making new terms and merging a definition:
 * nothing of it stays, and the writer's caches do not pretend it did. */
static void rolled_back_batch(void)
{
	const char *x = "00000000-0000-4000-8000-000000000201";
	json_t *good = json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s, s:{s:{s:s}}}, s:{s:s}}", "id", x,
				 "actor", "mbox", "mailto:new@vern.test", "verb", "id",
				 "http://vern.test/v/brand-new", "object", "id", "https://vern.test/a/new",
				 "definition", "name", "nb", "Ny", "context", "registration",
				 "00000000-0000-4000-8000-0000000002ff");
	/* voiding a voiding statement fails the whole batch in the writer */
	json_t *bad = ref("00000000-0000-4000-8000-000000000202", "mailto:new@vern.test",
			  "http://adlnet.gov/expapi/verbs/voided", "00000000-0000-4000-8000-000000000102");
	json_t *batch = json_pack("[O, o]", good, bad);
	CHECK(fixture_store(batch) == 400);
	CHECK(fixture_scalar("SELECT count(*) FROM statements WHERE id = ?", x) == 0);
	CHECK(fixture_scalar("SELECT count(*) FROM lrs_terms WHERE value = 'http://vern.test/v/brand-new'", NULL) == 0);
	CHECK(fixture_scalar("SELECT count(*) FROM activities WHERE id = 'https://vern.test/a/new'", NULL) == 0);
	/* the same values again, alone: stored with real terms and definition */
	CHECK(fixture_store(good) == 0);
	CHECK(matches(1, "http://vern.test/v/brand-new", x));
	CHECK(matches(3, "mbox:mailto:new@vern.test", x));
	CHECK(fixture_scalar("SELECT count(*) FROM statements WHERE registration = ?",
		     "00000000-0000-4000-8000-0000000002ff") == 1);
	CHECK(fixture_scalar("SELECT count(*) FROM activities WHERE id = 'https://vern.test/a/new' "
		     "AND definition IS NOT NULL", NULL) == 1);
	check_lists_agree();
}

/* What the writer makes of terms a request thread looked up (prefind). */
struct prefind_case {
	struct lrs_extract ex;
	long long ghost;     /* the id the rolled-back job gave the new verb */
	long long reused;    /* the id a later term got */
	int prefound;        /* lrs_terms_prefound in the last job */
	struct lrs_keyset keys;
};

/* A new verb's term, looked up by a "request thread" before its job is
 * rolled back. */
static int ghost_job(struct db_conn *c, void *arg)
{
	struct prefind_case *p = arg;
	if (lrs_term_id(c, LRS_IX_VERB, "http://vern.test/v/ghost", &p->ghost) != DB_OK)
		return DB_ERROR;
	lrs_terms_prefind(srv.db, &p->ex);
	return DB_INVALID;
}

static int reuse_job(struct db_conn *c, void *arg)
{
	struct prefind_case *p = arg;
	return lrs_term_id(c, LRS_IX_VERB, "http://vern.test/v/other", &p->reused);
}

static int keys_job(struct db_conn *c, void *arg)
{
	struct prefind_case *p = arg;
	p->prefound = lrs_terms_prefound(c, &p->ex);
	return lrs_keys_of(c, &p->ex, NULL, &p->keys);
}

static long long verb_term(const struct lrs_extract *ex)
{
	for (size_t i = 0; i < ex->nrows; i++)
		if (ex->rows[i].kind == LRS_IX_VERB)
			return ex->rows[i].term;
	return -1;
}

static int has_key(const struct lrs_keyset *k, long long term)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->k[i].term == term)
			return 1;
	return 0;
}

static void prefound_terms(void)
{
	/* a committed term: prefound, and the writer uses it as found */
	json_t *st = simple("00000000-0000-4000-8000-000000000401", "mailto:pre@vern.test", VERB, ACT);
	CHECK(fixture_store(json_incref(st)) == 0);
	struct prefind_case p = { 0 };
	CHECK(lrs_extract(st, &p.ex) == 0);
	lrs_terms_prefind(srv.db, &p.ex);
	long long verb = verb_term(&p.ex);
	CHECK(verb > 0);
	CHECK(verb == fixture_scalar("SELECT id FROM lrs_terms WHERE kind = 1 AND value = ?", VERB));
	CHECK(db_write(srv.db, keys_job, &p) == DB_OK);
	CHECK(p.prefound == 1);
	CHECK(has_key(&p.keys, verb));
	lrs_keyset_free(&p.keys);
	lrs_extract_free(&p.ex);
	json_decref(st);

	/* a term from a job that was rolled back, its id then taken by
	 * another term: the prefound id is not trusted */
	memset(&p, 0, sizeof(p));
	st = simple("00000000-0000-4000-8000-000000000402", "mailto:pre@vern.test",
		    "http://vern.test/v/ghost", ACT);
	CHECK(lrs_extract(st, &p.ex) == 0);
	CHECK(db_write(srv.db, ghost_job, &p) == DB_INVALID);
	CHECK(p.ghost > 0 && verb_term(&p.ex) == p.ghost);
	CHECK(db_write(srv.db, reuse_job, &p) == DB_OK);
	CHECK(p.reused == p.ghost); /* the rolled-back id was given out again */
	CHECK(db_write(srv.db, keys_job, &p) == DB_OK);
	CHECK(p.prefound == 0);
	CHECK(!has_key(&p.keys, p.ghost));
	long long real = fixture_scalar("SELECT id FROM lrs_terms WHERE kind = 1 AND value = "
					"'http://vern.test/v/ghost'", NULL);
	CHECK(real > 0 && real != p.ghost && has_key(&p.keys, real));
	lrs_keyset_free(&p.keys);
	lrs_extract_free(&p.ex);
	json_decref(st);
}

/* Whether row a comes before (part, term, seq) in the written order. */
static int row_before(const struct lrs_key_row *a, long long term, long long seq)
{
	if (LRS_PART_OF(a->seq) != LRS_PART_OF(seq))
		return LRS_PART_OF(a->seq) < LRS_PART_OF(seq);
	return a->term < term || (a->term == term && a->seq < seq);
}

/* The row of sorted q for (term, seq), or NULL. */
static const struct lrs_key_row *find_pair(const struct lrs_key_queue *q, long long term, long long seq)
{
	size_t lo = 0, hi = q->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct lrs_key_row *r = &q->r[mid];
		if (r->term == term && r->seq == seq)
			return r;
		if (row_before(r, term, seq))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* lrs_keys_sort (radix passes for large queues) leaves each (term, seq)
 * once, in increasing (part, term, seq) order, as the first of its rows to
 * arrive, for small and wide ranges of terms and seqs (within one part and
 * across many). */
static void sort_keeps_first_in_order(void)
{
	const long long spans[][2] = { { 7, 3 }, { 100000, 20000 }, { 1LL << 42, 1LL << 33 },
				       { 1, 1 }, { 5, 1LL << 50 }, { 0, 100 },
				       { 50, 3LL << LRS_PART_SHIFT }, { 0, 5LL << LRS_PART_SHIFT } };
	unsigned seed = 12345;
	for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
		for (size_t n = 1; n <= 40000; n *= 7) {
			struct lrs_key_queue q = { 0 };
			q.r = malloc(n * sizeof(*q.r));
			struct lrs_key_row *in = malloc(n * sizeof(*in));
			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245u + 12345u;
				/* span 0: any 64-bit term, negative ones too (registration keys) */
				unsigned long long wide = (unsigned long long)seed << 40 ^
							  (unsigned long long)seed * 0x9e3779b97f4a7c15ull;
				long long term = spans[s][0] ? 1 + (long long)(wide % (unsigned long long)spans[s][0])
							     : (long long)wide;
				seed = seed * 1103515245u + 12345u;
				long long seq = 1000 + (long long)(((unsigned long long)seed << 16 ^ seed) %
								  (unsigned long long)spans[s][1]);
				q.r[i] = in[i] = (struct lrs_key_row){ term, seq, (int)(seed >> 7 & 1), i };
			}
			q.n = q.cap = n;
			lrs_keys_sort(&q);
			int ok = 1;
			for (size_t i = 0; ok && i < q.n; i++) {
				const struct lrs_key_row *r = &q.r[i], *was = &in[r->order];
				ok = r->order < n && was->term == r->term && was->seq == r->seq &&
				     was->direct == r->direct;
				if (ok && i)
					ok = row_before(&r[-1], r->term, r->seq);
			}
			for (size_t i = 0; ok && i < n; i++) {
				const struct lrs_key_row *f = find_pair(&q, in[i].term, in[i].seq);
				ok = f && f->order <= i;
			}
			CHECK(ok);
			free(in);
			lrs_key_queue_free(&q);
		}
	}
}

/* Definitions merge in order, also when the same one comes back. */
static void definitions_merge(void)
{
	const char *act = "https://vern.test/a/def";
	const char *defs[] = { "{\"name\":{\"nb\":\"En\"}}", "{\"name\":{\"en\":\"One\"},\"type\":\"http://t/1\"}",
			       "{\"name\":{\"nb\":\"En\"}}", "{\"type\":\"http://t/2\"}" };
	for (int i = 0; i < 4; i++) {
		json_t *s = json_pack("{s:{s:s}, s:{s:s}, s:{s:s, s:o}}", "actor", "mbox", "mailto:d@vern.test",
				      "verb", "id", VERB, "object", "id", act, "definition",
				      json_loads(defs[i], 0, NULL));
		CHECK(fixture_store(s) == 0);
	}
	struct db_conn *c = db_reader_get(srv.db);
	sqlite3_stmt *st = db_stmt(c, "SELECT definition FROM activities WHERE id = ?");
	sqlite3_bind_text(st, 1, act, -1, SQLITE_STATIC);
	json_t *got = NULL;
	if (sqlite3_step(st) == SQLITE_ROW)
		got = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	db_reader_put(srv.db, c);
	json_t *want = json_loads("{\"name\":{\"nb\":\"En\",\"en\":\"One\"},\"type\":\"http://t/2\"}", 0, NULL);
	CHECK(got && json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

struct change {
	const char *id;
	json_t *statement;
	int forget;
};

static int change_job(struct db_conn *c, void *arg)
{
	struct change *ch = arg;
	sqlite3_stmt *st = db_stmt(c, "SELECT seq FROM statements WHERE id = ?");
	sqlite3_bind_text(st, 1, ch->id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return DB_NOTFOUND;
	long long seq = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return ch->forget ? lrs_keys_forget(c, seq) : lrs_keys_reindex(c, seq, ch->statement);
}

static void reindex_and_forget(void)
{
	const char *id = "00000000-0000-4000-8000-000000000301";
	CHECK(fixture_store(simple(id, "mailto:old@vern.test", VERB, "https://vern.test/a/3")) == 0);
	CHECK(matches(3, "mbox:mailto:old@vern.test", id));
	struct change ch = { id, simple(id, "mailto:pseudonym@vern.test", VERB, "https://vern.test/a/3"), 0 };
	CHECK(db_write(srv.db, change_job, &ch) == DB_OK);
	CHECK(!matches(3, "mbox:mailto:old@vern.test", id));
	CHECK(matches(3, "mbox:mailto:pseudonym@vern.test", id));
	CHECK(matches(5, VERB "\x1fhttps://vern.test/a/3", id));
	check_lists_agree();
	json_decref(ch.statement);
	ch = (struct change){ id, NULL, 1 };
	CHECK(db_write(srv.db, change_job, &ch) == DB_OK);
	CHECK(!matches(2, "https://vern.test/a/3", id));
	CHECK(fixture_scalar("SELECT count(*) FROM statement_keys k JOIN statements s ON s.seq = k.seq "
		     "WHERE s.id = ?", id) == 0);

	/* a statement with a registration: its registration row goes too */
	const char *rid = "00000000-0000-4000-8000-000000000302";
	json_t *st = simple(rid, "mailto:old@vern.test", VERB, "https://vern.test/a/3");
	json_object_set_new(st, "context", json_pack("{s:s}", "registration",
						      "0000ABCD-0000-4000-8000-0000000003ff"));
	CHECK(fixture_store(st) == 0);
	CHECK(lrs_index_ensure(srv.db, NULL) == DB_OK);
	CHECK(fixture_scalar("SELECT count(*) FROM statement_registrations r JOIN statements s "
		     "ON s.seq = r.seq WHERE s.id = ?", rid) == 1);
	ch = (struct change){ rid, NULL, 1 };
	CHECK(db_write(srv.db, change_job, &ch) == DB_OK);
	CHECK(fixture_scalar("SELECT count(*) FROM statement_registrations r JOIN statements s "
		     "ON s.seq = r.seq WHERE s.id = ?", rid) == 0);
}

int main(void)
{
	if (fixture_open("lrs-keys") != 0)
		return 1;
	UNIT_RUN(refs_in_either_order);
	UNIT_RUN(voided_before_target);
	UNIT_RUN(rolled_back_batch);
	UNIT_RUN(prefound_terms);
	UNIT_RUN(sort_keeps_first_in_order);
	UNIT_RUN(definitions_merge);
	UNIT_RUN(reindex_and_forget);
	return fixture_close();
}
