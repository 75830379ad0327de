/* demo_org.c: builds and writes the demo municipality's organisation (see
 * demo_org.h).
 *
 * Demo kommune has five sectors, each led by a kommunaldirektør with an
 * informasjonssikkerhetskoordinator (ISK) and advisers in the sector staff,
 * and 40 agencies: schools, kindergartens, nursing homes, home care, NAV,
 * technical and cultural services, administration. Every agency has a
 * virksomhetsleder and a personvernkoordinator (PKO); the larger ones
 * have units, each with a leder. Everyone's manager is the leader above
 * them, up to the kommunedirektør. The kommunedirektør's staff holds the
 * personvernombud; HR og organisasjon holds the HR people; some leaders
 * and IT staff are systemeiere. About 2% have left (inactive, history
 * kept). Names, emails (@demo.kommune.no) and start dates come from a
 * fixed-seed generator, so a second run writes the same rows. */
#include "demo_org.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "people.h"

#define EMAIL_DOMAIN "demo.kommune.no"

/* ---- a fixed-seed generator (splitmix64) ---- */

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

static int pick(struct rng *r, int n)
{
	return (int)(next(r) % (uint64_t)n);
}

static double unit_interval(struct rng *r)
{
	return (double)(next(r) >> 11) / 9007199254740992.0;
}

/* ---- the municipality ---- */

static const char *const school_units[] = { "1.–4. trinn", "5.–7. trinn", "SFO", NULL };
static const char *const lower_secondary_units[] = { "8. trinn", "9. trinn", "10. trinn", NULL };
static const char *const nursing_units[] = { "Langtidsavdelingen", "Skjermet enhet", "Korttidsavdelingen",
					     "Kjøkken og renhold", NULL };
static const char *const home_care_units[] = { "Sone 1", "Sone 2", "Nattpatruljen", NULL };
static const char *const housing_units[] = { "Furulia bofellesskap", "Granly bofellesskap",
					     "Aktivitetssenteret", NULL };
static const char *const nav_units[] = { "Oppfølging", "Sosiale tjenester", NULL };
static const char *const fire_units[] = { "Beredskap", "Forebyggende", NULL };
static const char *const property_units[] = { "Drift", "Renhold", "Prosjekt", NULL };
static const char *const mental_units[] = { "Poliklinikk", "Bolig og oppfølging", NULL };
static const char *const road_units[] = { "Vei", "Park og idrett", NULL };
static const char *const child_units[] = { "Mottak og undersøkelse", "Tiltak og oppfølging", NULL };

struct agency {
	const char *code, *name;
	int weight;
	const char *const *units;
	int system_owner;     /* its virksomhetsleder is a systemeier */
};

struct sector {
	const char *code, *name;
	const struct agency *agencies;
};

static const struct agency oppvekst[] = {
	{ "NORDBY", "Nordby skole", 58, school_units, 0 },
	{ "SORBYEN", "Sørbyen skole", 50, school_units, 0 },
	{ "OSTRELIA", "Østre Lia skole", 44, school_units, 0 },
	{ "VESTLY", "Vestly skole", 38, school_units, 0 },
	{ "BAKKEHAUGEN", "Bakkehaugen skole", 33, school_units, 0 },
	{ "FJELLSTAD", "Fjellstad ungdomsskole", 52, lower_secondary_units, 1 },
	{ "HAUGTUN", "Haugtun ungdomsskole", 45, lower_secondary_units, 0 },
	{ "SOLSIKKEN", "Solsikken barnehage", 20, NULL, 0 },
	{ "TYTTEBAER", "Tyttebærskogen barnehage", 18, NULL, 0 },
	{ "REVESKOGEN", "Reveskogen barnehage", 16, NULL, 0 },
	{ "EPLEHAGEN", "Eplehagen barnehage", 22, NULL, 0 },
	{ "KIRKEBAKKEN", "Kirkebakken barnehage", 14, NULL, 0 },
	{ "TROLLSKOGEN", "Trollskogen barnehage", 17, NULL, 0 },
	{ "PPT", "PPT – pedagogisk-psykologisk tjeneste", 12, NULL, 1 },
	{ "BARNEVERN", "Barneverntjenesten", 28, child_units, 1 },
	{ NULL, NULL, 0, NULL, 0 },
};

static const struct agency helse[] = {
	{ "SOLBAKKEN", "Solbakken sykehjem", 110, nursing_units, 0 },
	{ "FJORDTUN", "Fjordtun sykehjem", 95, nursing_units, 0 },
	{ "LINDEHAVEN", "Lindehaven sykehjem", 70, nursing_units, 0 },
	{ "HJEMNORD", "Hjemmetjenesten nord", 85, home_care_units, 1 },
	{ "HJEMSOR", "Hjemmetjenesten sør", 80, home_care_units, 0 },
	{ "LEGEVAKT", "Legevakt", 28, NULL, 1 },
	{ "HELSESTASJON", "Helsestasjon og skolehelsetjeneste", 24, NULL, 0 },
	{ "PSYKISK", "Psykisk helse og rus", 42, mental_units, 0 },
	{ "BOAKTIVITET", "Bo- og aktivitetstjenester", 75, housing_units, 0 },
	{ "TILDELING", "Tildelingskontoret", 10, NULL, 1 },
	{ "NAV", "NAV Demo", 36, nav_units, 1 },
	{ "FYSIO", "Fysio- og ergoterapitjenesten", 16, NULL, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

static const struct agency teknisk[] = {
	{ "EIENDOM", "Eiendom", 60, property_units, 1 },
	{ "VANN", "Vann og avløp", 25, NULL, 1 },
	{ "VEIPARK", "Vei og park", 30, road_units, 0 },
	{ "PLAN", "Plan og byggesak", 18, NULL, 1 },
	{ "BRANN", "Brann og redning", 42, fire_units, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

static const struct agency kultur[] = {
	{ "BIBLIOTEK", "Demo bibliotek", 14, NULL, 1 },
	{ "KULTURSKOLE", "Kulturskolen", 22, NULL, 0 },
	{ "KULTURHUS", "Kulturhuset Storstuen", 12, NULL, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

static const struct agency administrasjon[] = {
	{ "HR", "HR og organisasjon", 14, NULL, 1 },
	{ "OKONOMI", "Økonomi", 16, NULL, 1 },
	{ "IT", "IT og digitalisering", 18, NULL, 1 },
	{ "SERVICETORG", "Servicetorget og dokumentsenter", 12, NULL, 1 },
	{ "POLITISK", "Politisk sekretariat", 6, NULL, 0 },
	{ NULL, NULL, 0, NULL, 0 },
};

static const struct sector sectors[] = {
	{ "OPPVEKST", "Oppvekst og utdanning", oppvekst },
	{ "HELSE", "Helse og omsorg", helse },
	{ "TEKNISK", "Teknisk", teknisk },
	{ "KULTUR", "Kultur", kultur },
	{ "ADM", "Administrasjon", administrasjon },
};
#define NSECTORS (int)(sizeof(sectors) / sizeof(sectors[0]))

/* Sector staff besides the kommunaldirektør: the ISK and two advisers. */
#define SECTOR_STAFF 3
/* The kommunedirektør's staff: the personvernombud and three advisers. */
#define TOP_STAFF 4

static const char *const first_names[] = {
	"Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Bjørg",
	"Hilde", "Anna", "Solveig", "Marianne", "Randi", "Ida", "Nina", "Maria", "Elisabeth",
	"Kristin", "Bente", "Heidi", "Silje", "Hanne", "Gro", "Camilla", "Tone", "Linda",
	"Ingeborg", "Julie", "Sara", "Emma", "Nora", "Thea", "Ragnhild", "Mona", "Turid", "Siri",
	"Åse", "Aisha", "Fatima", "Agnieszka", "Mari", "Tuva", "Vilde", "Anne-Lise", "Guro",
	"Jan", "Per", "Bjørn", "Ole", "Lars", "Kjell", "Knut", "Arne", "Svein", "Thomas", "Hans",
	"Geir", "Tor", "Morten", "Terje", "Odd", "Erik", "Martin", "Andreas", "John", "Anders",
	"Rune", "Trond", "Tore", "Jon", "Magnus", "Kristian", "Håkon", "Jonas", "Espen", "Øyvind",
	"Stian", "Sindre", "Ahmed", "Mohammed", "Piotr", "Tomasz", "Ali", "Emil", "Even", "Ola",
	"Eirik", "Sigurd", "Jørgen", "Pål",
};

static const char *const last_names[] = {
	"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen",
	"Jensen", "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen",
	"Johannessen", "Andreassen", "Jacobsen", "Dahl", "Jørgensen", "Henriksen", "Lund",
	"Halvorsen", "Sørensen", "Jakobsen", "Moen", "Gundersen", "Iversen", "Strand", "Solberg",
	"Svendsen", "Eide", "Knutsen", "Martinsen", "Paulsen", "Bakken", "Kristoffersen",
	"Mathisen", "Lie", "Amundsen", "Nguyen", "Rasmussen", "Ali", "Lunde", "Solheim", "Berge",
	"Moe", "Nygård", "Bakke", "Kristensen", "Fredriksen", "Holm", "Lien", "Hauge",
	"Christensen", "Andresen", "Nielsen", "Knudsen", "Evensen", "Sæther", "Aas", "Myhre",
	"Hanssen", "Ahmed", "Haugland", "Thomassen", "Sivertsen", "Simonsen", "Danielsen",
	"Berntsen", "Sandvik", "Rønning", "Arnesen", "Antonsen", "Næss", "Vik", "Haug",
	"Ellingsen", "Thorsen", "Edvardsen", "Birkeland", "Isaksen", "Gulbrandsen", "Ruud",
	"Aasen", "Strøm", "Myklebust", "Tangen", "Ødegård", "Eliassen", "Helland", "Bøe",
	"Aune", "Mikkelsen", "Tveit", "Brekke", "Abrahamsen", "Madsen", "Khan", "Hussain",
	"Kowalski", "Nowak", "Mohammed", "Hassan", "Ødegaard", "Våge", "Årdal",
};
#define NFIRST (int)(sizeof(first_names) / sizeof(first_names[0]))
#define NLAST (int)(sizeof(last_names) / sizeof(last_names[0]))

/* ---- building ---- */

struct builder {
	struct demo_org *org;
	struct rng rng;
	long anchor;
	int cap_units, cap_people;
	char **emails;           /* open addressing set of used addresses */
	size_t email_slots;
	int next_id;
};

static int add_unit(struct builder *b, const char *ext, const char *name, int parent, int is_agency)
{
	struct demo_org *o = b->org;
	if (o->nunits == b->cap_units) {
		int cap = b->cap_units ? b->cap_units * 2 : 64;
		struct demo_unit *u = realloc(o->units, (size_t)cap * sizeof(*u));
		if (!u)
			return -1;
		o->units = u;
		b->cap_units = cap;
	}
	struct demo_unit *u = &o->units[o->nunits];
	memset(u, 0, sizeof(*u));
	/* Unit ids in lower case: "demo-nordby", "demo-nordby-1". */
	for (size_t i = 0; ext[i] && i + 1 < sizeof(u->ext); i++)
		u->ext[i] = (char)(ext[i] >= 'A' && ext[i] <= 'Z' ? ext[i] + 32 : ext[i]);
	snprintf(u->name, sizeof(u->name), "%s", name);
	u->parent = parent;
	u->is_agency = is_agency;
	if (is_agency)
		o->agencies++;
	return o->nunits++;
}

/* ASCII for an email address: lowercase, æ ø å and friends spelt out. */
static void email_part(const char *in, char *out, size_t size)
{
	static const struct {
		const char *from, *to;
	} map[] = {
		{ "æ", "ae" }, { "Æ", "ae" }, { "ø", "o" }, { "Ø", "o" }, { "å", "a" }, { "Å", "a" },
		{ "é", "e" }, { "ö", "o" }, { "ä", "a" }, { "ü", "u" },
	};
	size_t o = 0;
	while (*in && o + 3 < size) {
		size_t i;
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strncmp(in, map[i].from, strlen(map[i].from)) == 0)
				break;
		if (i < sizeof(map) / sizeof(map[0])) {
			o += (size_t)snprintf(out + o, size - o, "%s", map[i].to);
			in += strlen(map[i].from);
			continue;
		}
		char c = *in++;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if ((c >= 'a' && c <= 'z') || c == '-')
			out[o++] = c;
	}
	out[o] = '\0';
}

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Claims addr in the set; 0 if it was free, 1 if taken, -1 on no memory. */
static int claim_email(struct builder *b, const char *addr)
{
	size_t i = (size_t)(hash_text(addr) % b->email_slots);
	for (; b->emails[i]; i = (i + 1) % b->email_slots)
		if (strcmp(b->emails[i], addr) == 0)
			return 1;
	b->emails[i] = strdup(addr);
	return b->emails[i] ? 0 : -1;
}

static int add_person(struct builder *b, int unit, int manager, long min_tenure_days)
{
	struct demo_org *o = b->org;
	if (o->npeople == b->cap_people)
		return -1;
	struct demo_person *p = &o->people[o->npeople];
	memset(p, 0, sizeof(*p));
	snprintf(p->ext, sizeof(p->ext), "%d", b->next_id++);
	const char *first = first_names[pick(&b->rng, NFIRST)];
	const char *last = last_names[pick(&b->rng, NLAST)];
	snprintf(p->name, sizeof(p->name), "%s %s", first, last);
	char f[40], l[40], addr[112];
	email_part(first, f, sizeof(f));
	email_part(last, l, sizeof(l));
	for (int n = 1;; n++) {
		if (n == 1)
			snprintf(addr, sizeof(addr), "%s.%s@%s", f, l, EMAIL_DOMAIN);
		else
			snprintf(addr, sizeof(addr), "%s.%s%d@%s", f, l, n, EMAIL_DOMAIN);
		int taken = claim_email(b, addr);
		if (taken < 0)
			return -1;
		if (!taken)
			break;
	}
	snprintf(p->email, sizeof(p->email), "%s", addr);
	p->unit = unit;
	p->manager = manager;
	p->active = 1;
	/* Tenure: a few started in the last half year, most long ago. */
	double r = unit_interval(&b->rng);
	long days = r < 0.06 ? 14 + pick(&b->rng, 170)
			     : 180 + (long)(unit_interval(&b->rng) * unit_interval(&b->rng) * 30 * 365);
	if (days < min_tenure_days)
		days = min_tenure_days + pick(&b->rng, 3650);
	p->start_day = b->anchor - days;
	return o->npeople++;
}

static void give(struct demo_person *p, const char *role)
{
	if (p->nroles < DEMO_MAX_ROLES && !demo_has_role(p, role))
		p->roles[p->nroles++] = role;
}

int demo_has_role(const struct demo_person *p, const char *role)
{
	for (int i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], role) == 0)
			return 1;
	return 0;
}

/* Head counts per agency (leaders included), summing exactly to total:
 * shares by weight, rounding by largest remainder. */
static int head_counts(int total, int *out, int n, const int *weights)
{
	long sum = 0;
	for (int i = 0; i < n; i++)
		sum += weights[i];
	int given = 0;
	double *rest = malloc((size_t)n * sizeof(*rest));
	if (!rest)
		return -1;
	for (int i = 0; i < n; i++) {
		double share = (double)total * weights[i] / (double)sum;
		out[i] = (int)share;
		rest[i] = share - out[i];
		given += out[i];
	}
	while (given < total) {
		int best = 0;
		for (int i = 1; i < n; i++)
			if (rest[i] > rest[best])
				best = i;
		out[best]++;
		rest[best] = -1;
		given++;
	}
	free(rest);
	return 0;
}

static int build_agency(struct builder *b, const struct agency *a, int sector_unit, int director,
			int heads)
{
	struct demo_org *o = b->org;
	char ext[48];
	snprintf(ext, sizeof(ext), "DEMO-%s", a->code);
	int unit = add_unit(b, ext, a->name, sector_unit, 1);
	int leader = unit < 0 ? -1 : add_person(b, unit, director, 5 * 365);
	if (leader < 0)
		return -1;
	give(&o->people[leader], "virksomhetsleder");
	if (a->system_owner)
		give(&o->people[leader], "systemeier");
	/* Units when the agency is large enough for them. */
	int nunits = 0, sub[8], sub_leader[8];
	for (int i = 0; a->units && a->units[i] && heads >= 40 && i < 8; i++) {
		char sub_ext[64];
		snprintf(sub_ext, sizeof(sub_ext), "DEMO-%s-%d", a->code, i + 1);
		sub[nunits] = add_unit(b, sub_ext, a->units[i], unit, 0);
		sub_leader[nunits] = sub[nunits] < 0 ? -1 : add_person(b, sub[nunits], leader, 2 * 365);
		if (sub_leader[nunits] < 0)
			return -1;
		give(&o->people[sub_leader[nunits]], "leder");
		nunits++;
	}
	int staff = heads - 1 - nunits;
	/* With units, two stay at the agency (office staff), the rest are
	 * spread over the units. */
	for (int i = 0; i < staff; i++) {
		int in_unit = nunits > 0 && i >= 2;
		int k = in_unit ? (i - 2) % nunits : 0;
		int p = add_person(b, in_unit ? sub[k] : unit, in_unit ? sub_leader[k] : leader, 0);
		if (p < 0)
			return -1;
		struct demo_person *pp = &o->people[p];
		if (i == 0)
			give(pp, "personvernkoordinator");
		else if (strcmp(a->code, "HR") == 0 && i <= 4)
			give(pp, "hr");
		else if (strcmp(a->code, "IT") == 0 && i <= 2)
			give(pp, "systemeier");
		else if (unit_interval(&b->rng) < 0.02)
			pp->active = 0; /* has left; the history stays */
	}
	return 0;
}

int demo_org_build(struct demo_org *org, long anchor_day)
{
	memset(org, 0, sizeof(*org));
	struct builder b = { .org = org, .rng = { 0x5EED2026DE30ULL }, .anchor = anchor_day,
			     .cap_people = DEMO_EMPLOYEES, .email_slots = 4 * DEMO_EMPLOYEES,
			     .next_id = 100001 };
	org->people = calloc(DEMO_EMPLOYEES, sizeof(*org->people));
	b.emails = calloc(b.email_slots, sizeof(*b.emails));
	int rc = org->people && b.emails ? 0 : -1;

	int weights[64], heads[64], nagencies = 0;
	for (int s = 0; s < NSECTORS; s++)
		for (const struct agency *a = sectors[s].agencies; a->code; a++)
			weights[nagencies++] = a->weight;
	int fixed = 1 + TOP_STAFF + NSECTORS * (1 + SECTOR_STAFF);
	if (rc == 0)
		rc = head_counts(DEMO_EMPLOYEES - fixed, heads, nagencies, weights);

	int root = rc ? -1 : add_unit(&b, "demo-kommune", "Demo kommune", -1, 0);
	int top = root < 0 ? -1 : add_person(&b, root, -1, 8 * 365);
	int staff_unit = top < 0 ? -1 : add_unit(&b, "DEMO-STAB", "Kommunedirektørens stab", root, 0);
	rc = staff_unit < 0 ? -1 : 0;
	if (rc == 0)
		give(&org->people[top], "leder");
	for (int i = 0; rc == 0 && i < TOP_STAFF; i++) {
		int p = add_person(&b, staff_unit, top, 0);
		if (p < 0)
			rc = -1;
		else if (i == 0)
			give(&org->people[p], "personvernombud");
	}
	int a = 0;
	for (int s = 0; rc == 0 && s < NSECTORS; s++) {
		char ext[48];
		snprintf(ext, sizeof(ext), "DEMO-%s", sectors[s].code);
		int unit = add_unit(&b, ext, sectors[s].name, root, 0);
		int director = unit < 0 ? -1 : add_person(&b, unit, top, 6 * 365);
		if (director < 0) {
			rc = -1;
			break;
		}
		give(&org->people[director], "kommunaldirektor");
		for (int i = 0; rc == 0 && i < SECTOR_STAFF; i++) {
			int p = add_person(&b, unit, director, 0);
			if (p < 0)
				rc = -1;
			else if (i == 0)
				give(&org->people[p], "informasjonssikkerhetskoordinator");
		}
		for (const struct agency *ag = sectors[s].agencies; rc == 0 && ag->code; ag++, a++)
			rc = build_agency(&b, ag, unit, director, heads[a]);
	}
	for (size_t i = 0; b.emails && i < b.email_slots; i++)
		free(b.emails[i]);
	free(b.emails);
	if (rc != 0 || org->npeople != DEMO_EMPLOYEES) {
		demo_org_free(org);
		return -1;
	}
	return 0;
}

void demo_org_free(struct demo_org *org)
{
	free(org->units);
	free(org->people);
	memset(org, 0, sizeof(*org));
}

const char *demo_day_text(long day, char *buf, size_t size)
{
	time_t t = (time_t)day * 86400;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
	return buf;
}

/* ---- writing ---- */

struct write_job {
	const struct demo_org *org;
	struct demo_org_result *res;
	char *err;
	size_t errsize;
};

static int write_org(struct db_conn *c, void *arg)
{
	struct write_job *j = arg;
	const struct demo_org *o = j->org;
	char err[200];
	for (int i = 0; i < o->nunits; i++) {
		const struct demo_unit *u = &o->units[i];
		int rc = people_unit_upsert(c, u->ext, u->name, u->parent < 0 ? NULL : o->units[u->parent].ext,
					    u->is_agency, err, sizeof(err));
		if (rc != DB_OK) {
			snprintf(j->err, j->errsize, "unit %s: %s", u->ext, rc == DB_INVALID ? err : "database error");
			return rc;
		}
	}
	/* Managers come before the people they lead (the builder's order). */
	for (int i = 0; i < o->npeople; i++) {
		const struct demo_person *p = &o->people[i];
		char start[16];
		struct person row = {
			.external_id = p->ext, .name = p->name, .email = p->email,
			.unit = o->units[p->unit].ext,
			.manager = p->manager < 0 ? NULL : o->people[p->manager].ext,
			.start_date = demo_day_text(p->start_day, start, sizeof(start)),
			.active = p->active, .nroles = p->nroles,
		};
		for (int r = 0; r < p->nroles; r++)
			row.roles[r] = p->roles[r];
		enum person_change change;
		int rc = people_employee_upsert(c, &row, &change, err, sizeof(err));
		if (rc != DB_OK) {
			snprintf(j->err, j->errsize, "employee %s: %s", p->ext, rc == DB_INVALID ? err : "database error");
			return rc;
		}
		if (change == PERSON_UNCHANGED)
			j->res->unchanged++;
		else if (change == PERSON_CREATED)
			j->res->created++;
		else
			j->res->updated++;
	}
	return DB_OK;
}

int demo_org_write(struct db *db, const struct demo_org *org, struct demo_org_result *res,
		   char *err, size_t errsize)
{
	memset(res, 0, sizeof(*res));
	snprintf(err, errsize, "the database write failed");
	struct write_job j = { org, res, err, errsize };
	if (db_write(db, write_org, &j) != DB_OK) {
		memset(res, 0, sizeof(*res));
		return -1;
	}
	return 0;
}
