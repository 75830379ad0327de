/* test_manifest.c: the SCORM 1.2 / 2004 and cmi5 manifest parser
 * (courses/manifest.c). The samples are written to a temporary package
 * directory and read with manifest_parse_dir, as the importer does; the
 * refusals also go through manifest_parse_buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "manifest.h"
#include "unpack.h"
#include "unit.h"

static const char scorm12[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<manifest identifier=\"com.example.fire12\" version=\"1.3\"\n"
	"    xmlns=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\"\n"
	"    xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\"\n"
	"    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
	"  <metadata>\n"
	"    <schema>ADL SCORM</schema>\n"
	"    <schemaversion>1.2</schemaversion>\n"
	"    <lom><general><title><langstring>Not this title</langstring></title></general></lom>\n"
	"  </metadata>\n"
	"  <organizations default=\"ORG1\">\n"
	"    <organization identifier=\"ORG0\"><title>Other</title>\n"
	"      <item identifier=\"NOPE\" identifierref=\"RES1\"><title>Not read</title></item>\n"
	"    </organization>\n"
	"    <organization identifier=\"ORG1\">\n"
	"      <title>Brannvern   for\n"
	"        nybegynnere</title>\n"
	"      <item identifier=\"MOD1\">\n"
	"        <title>Modul 1</title>\n"
	"        <item identifier=\"SCO1\" identifierref=\"RES1\" parameters=\"?lang=nb\">\n"
	"          <title>Intro</title>\n"
	"          <adlcp:masteryscore>80</adlcp:masteryscore>\n"
	"          <adlcp:datafromlms>start=1</adlcp:datafromlms>\n"
	"        </item>\n"
	"        <item identifier=\"SCO2\" identifierref=\"RES2\" isvisible=\"false\">\n"
	"          <title>Pr\xc3\xb8ve</title>\n"
	"          <adlcp:masteryscore> 75.5 </adlcp:masteryscore>\n"
	"        </item>\n"
	"      </item>\n"
	"      <item identifier=\"DOC\" identifierref=\"RES3\"><title>PDF</title></item>\n"
	"    </organization>\n"
	"  </organizations>\n"
	"  <resources xml:base=\"content/\">\n"
	"    <resource identifier=\"RES1\" type=\"webcontent\" adlcp:scormtype=\"sco\" href=\"intro/index.html?x=1\">\n"
	"      <file href=\"intro/index.html\"/>\n"
	"    </resource>\n"
	"    <resource identifier=\"RES2\" type=\"webcontent\" adlcp:scormtype=\"sco\" xml:base=\"test/\" href=\"index.html\"/>\n"
	"    <resource identifier=\"RES3\" type=\"webcontent\" adlcp:scormtype=\"asset\" href=\"doc.pdf\"/>\n"
	"  </resources>\n"
	"</manifest>\n";

static const char scorm2004[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<manifest identifier=\"com.example.golf\" version=\"1\"\n"
	"    xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\"\n"
	"    xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\"\n"
	"    xmlns:adlseq=\"http://www.adlnet.org/xsd/adlseq_v1p3\"\n"
	"    xmlns:adlnav=\"http://www.adlnet.org/xsd/adlnav_v1p3\"\n"
	"    xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">\n"
	"  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>\n"
	"  <organizations default=\"ORG\">\n"
	"    <organization identifier=\"ORG\" adlseq:objectivesGlobalToSystem=\"false\">\n"
	"      <title>Golf Explained</title>\n"
	"      <item identifier=\"PLAY\" identifierref=\"RES1\" parameters=\"#page2\">\n"
	"        <title>Playing</title>\n"
	"        <adlcp:completionThreshold completedByMeasure=\"true\" minProgressMeasure=\"0.75\"/>\n"
	"        <adlcp:dataFromLMS>mode=review</adlcp:dataFromLMS>\n"
	"        <imsss:sequencing>\n"
	"          <imsss:objectives>\n"
	"            <imsss:primaryObjective objectiveID=\"PRIMARYOBJ\" satisfiedByMeasure=\"true\">\n"
	"              <imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure>\n"
	"            </imsss:primaryObjective>\n"
	"          </imsss:objectives>\n"
	"        </imsss:sequencing>\n"
	"        <adlnav:presentation><adlnav:navigationInterface/></adlnav:presentation>\n"
	"      </item>\n"
	"      <item identifier=\"ETIQ\" identifierref=\"RES2\"><title>Etiquette</title></item>\n"
	"      <imsss:sequencing><imsss:controlMode choice=\"true\" flow=\"true\"/></imsss:sequencing>\n"
	"    </organization>\n"
	"  </organizations>\n"
	"  <resources>\n"
	"    <resource identifier=\"RES1\" type=\"webcontent\" adlcp:scormType=\"sco\" href=\"shared/launch.html?content=playing\"/>\n"
	"    <resource identifier=\"RES2\" type=\"webcontent\" adlcp:scormType=\"sco\" href=\"shared/launch.html#x\"/>\n"
	"  </resources>\n"
	"</manifest>\n";

static const char cmi5[] =
	"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
	"<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">\n"
	"  <course id=\"https://example.com/courses/fire\">\n"
	"    <title>\n"
	"      <langstring lang=\"en-US\">Fire safety</langstring>\n"
	"      <langstring lang=\"nb-NO\">Brannvern</langstring>\n"
	"    </title>\n"
	"    <description><langstring lang=\"en-US\">About fire</langstring></description>\n"
	"  </course>\n"
	"  <block id=\"https://example.com/courses/fire/block1\">\n"
	"    <title><langstring lang=\"en-US\">Basics</langstring></title>\n"
	"    <au id=\"https://example.com/courses/fire/au1\" moveOn=\"CompletedAndPassed\" masteryScore=\"0.8\"\n"
	"        launchMethod=\"OwnWindow\" activityType=\"http://adlnet.gov/expapi/activities/lesson\">\n"
	"      <title><langstring lang=\"en-US\">Lesson 1</langstring></title>\n"
	"      <description><langstring lang=\"en-US\">Not a title</langstring></description>\n"
	"      <url>au1/index.html</url>\n"
	"      <launchParameters>{\"level\":1}</launchParameters>\n"
	"      <entitlementKey>key-1</entitlementKey>\n"
	"    </au>\n"
	"    <au id=\"https://example.com/courses/fire/au2\">\n"
	"      <title><langstring lang=\"de\">Lektion 2</langstring><langstring lang=\"no\">Leksjon 2</langstring></title>\n"
	"      <url>https://content.example.com/au2/</url>\n"
	"    </au>\n"
	"  </block>\n"
	"</courseStructure>\n";

static char pkg[64];

static void write_file(const char *name, const char *text)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", pkg, name);
	FILE *f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void fresh_pkg(void)
{
	strcpy(pkg, "/tmp/vern-manifest-XXXXXX");
	if (!mkdtemp(pkg))
		abort();
}

/* Parses text as the given file from a package directory. */
static int parse_as(const char *name, const char *text, struct manifest *m, char *err, size_t errlen)
{
	fresh_pkg();
	write_file(name, text);
	int rc = manifest_parse_dir(pkg, m, err, errlen);
	unpack_remove_tree(pkg);
	return rc;
}

static void test_scorm12(void)
{
	struct manifest m;
	char err[300] = "x";
	CHECK(parse_as("imsmanifest.xml", scorm12, &m, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(m.kind == MANIFEST_SCORM12);
	CHECK_STR(manifest_kind_name(m.kind), "scorm12");
	CHECK_STR(m.identifier, "com.example.fire12");
	CHECK_STR(m.version, "1.3");
	CHECK_STR(m.schemaversion, "1.2");
	CHECK_STR(m.title, "Brannvern for nybegynnere");
	CHECK(m.nitems == 4);
	if (m.nitems == 4) {
		const struct manifest_item *it = m.items;
		CHECK_STR(it[0].identifier, "MOD1");
		CHECK(it[0].depth == 0 && it[0].scormtype == MANIFEST_TYPE_NONE);
		CHECK_STR(it[0].href, "");
		CHECK_STR(it[0].title, "Modul 1");

		CHECK_STR(it[1].identifier, "SCO1");
		CHECK(it[1].depth == 1 && it[1].scormtype == MANIFEST_TYPE_SCO);
		CHECK_STR(it[1].title, "Intro");
		CHECK_STR(it[1].href, "content/intro/index.html?x=1&lang=nb");
		CHECK_STR(it[1].resource, "RES1");
		CHECK(it[1].has_mastery_score && it[1].mastery_score == 80.0);
		CHECK_STR(it[1].launch_data, "start=1");
		CHECK(it[1].visible == 1);
		CHECK(it[1].line == 20);

		CHECK_STR(it[2].identifier, "SCO2");
		CHECK(it[2].depth == 1 && it[2].visible == 0);
		CHECK_STR(it[2].title, "Pr\xc3\xb8ve");
		CHECK_STR(it[2].href, "content/test/index.html");
		CHECK(it[2].has_mastery_score && it[2].mastery_score == 75.5);
		CHECK_STR(it[2].launch_data, "");

		CHECK_STR(it[3].identifier, "DOC");
		CHECK(it[3].depth == 0 && it[3].scormtype == MANIFEST_TYPE_ASSET);
		CHECK_STR(it[3].href, "content/doc.pdf");
		CHECK(!it[3].has_mastery_score);
	}
	manifest_free(&m);
	CHECK(m.items == NULL && m.nitems == 0);
	manifest_free(&m);   /* twice is harmless */
}

static void check_2004(const struct manifest *m)
{
	CHECK(m->kind == MANIFEST_SCORM2004);
	CHECK_STR(m->schemaversion, "2004 4th Edition");
	CHECK_STR(m->title, "Golf Explained");
	CHECK(m->nitems == 2);
	if (m->nitems != 2)
		return;
	const struct manifest_item *it = m->items;
	CHECK_STR(it[0].identifier, "PLAY");
	CHECK(it[0].scormtype == MANIFEST_TYPE_SCO);
	CHECK_STR(it[0].href, "shared/launch.html?content=playing#page2");
	CHECK(it[0].completed_by_measure == 1);
	CHECK(it[0].completion_threshold == 0.75);
	CHECK(it[0].satisfied_by_measure == 1);
	CHECK(it[0].min_normalized_measure == 0.6);
	CHECK_STR(it[0].launch_data, "mode=review");
	CHECK(!it[0].has_mastery_score);

	CHECK_STR(it[1].identifier, "ETIQ");
	CHECK_STR(it[1].href, "shared/launch.html#x");
	CHECK(it[1].completed_by_measure == 0 && it[1].completion_threshold == 1.0);
	CHECK(it[1].satisfied_by_measure == 0 && it[1].min_normalized_measure == 1.0);
}

/* Replaces every "from" in src with "to" (a malloc'd copy). */
static char *replace_all(const char *src, const char *from, const char *to)
{
	size_t n = strlen(from), m = strlen(to), count = 0;
	for (const char *p = strstr(src, from); p; p = strstr(p + n, from))
		count++;
	char *out = malloc(strlen(src) + count * (m > n ? m - n : 0) + 1), *o = out;
	const char *p = src, *hit;
	while ((hit = strstr(p, from))) {
		memcpy(o, p, (size_t)(hit - p));
		o += hit - p;
		memcpy(o, to, m);
		o += m;
		p = hit + n;
	}
	strcpy(o, p);
	return out;
}

static void test_scorm2004(void)
{
	struct manifest m;
	char err[300];
	CHECK(parse_as("imsmanifest.xml", scorm2004, &m, err, sizeof(err)) == 0);
	check_2004(&m);
	manifest_free(&m);

	/* The prefixes are only names: other ones read the same. */
	char *a = replace_all(scorm2004, "imsss:", "q:");
	char *b = replace_all(a, "xmlns:imsss", "xmlns:q");
	char *c = replace_all(b, "adlcp:", "cp:");
	char *d = replace_all(c, "xmlns:adlcp", "xmlns:cp");
	CHECK(manifest_parse_buffer(MANIFEST_FILE_IMS, d, strlen(d), &m, err, sizeof(err)) == 0);
	check_2004(&m);
	manifest_free(&m);

	/* Without <schemaversion> the namespaces tell the version. */
	char *e = replace_all(scorm2004, "<schemaversion>2004 4th Edition</schemaversion>", "");
	CHECK(manifest_parse_buffer(MANIFEST_FILE_IMS, e, strlen(e), &m, err, sizeof(err)) == 0);
	CHECK(m.kind == MANIFEST_SCORM2004);
	manifest_free(&m);
	char *f = replace_all(scorm12, "<schemaversion>1.2</schemaversion>", "");
	CHECK(manifest_parse_buffer(MANIFEST_FILE_IMS, f, strlen(f), &m, err, sizeof(err)) == 0);
	CHECK(m.kind == MANIFEST_SCORM12);
	manifest_free(&m);

	/* A 3rd edition completionThreshold is element text. */
	char *g = replace_all(scorm2004,
		"<adlcp:completionThreshold completedByMeasure=\"true\" minProgressMeasure=\"0.75\"/>",
		"<adlcp:completionThreshold>0.75</adlcp:completionThreshold>");
	CHECK(manifest_parse_buffer(MANIFEST_FILE_IMS, g, strlen(g), &m, err, sizeof(err)) == 0);
	check_2004(&m);
	manifest_free(&m);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	free(f);
	free(g);
}

static void test_cmi5(void)
{
	struct manifest m;
	char err[300];
	CHECK(parse_as("cmi5.xml", cmi5, &m, err, sizeof(err)) == 0);
	CHECK(m.kind == MANIFEST_CMI5);
	CHECK_STR(m.identifier, "https://example.com/courses/fire");
	CHECK_STR(m.title, "Brannvern");
	CHECK_STR(m.version, "");
	CHECK(m.nitems == 3);
	if (m.nitems == 3) {
		const struct manifest_item *it = m.items;
		CHECK(it[0].node == MANIFEST_NODE_BLOCK && it[0].depth == 0);
		CHECK_STR(it[0].identifier, "https://example.com/courses/fire/block1");
		CHECK_STR(it[0].title, "Basics");
		CHECK_STR(it[0].href, "");

		CHECK(it[1].node == MANIFEST_NODE_AU && it[1].depth == 1);
		CHECK_STR(it[1].identifier, "https://example.com/courses/fire/au1");
		CHECK_STR(it[1].title, "Lesson 1");
		CHECK_STR(it[1].href, "au1/index.html");
		CHECK(it[1].href_external == 0);
		CHECK(it[1].move_on == MANIFEST_MOVEON_COMPLETED_AND_PASSED);
		CHECK(it[1].launch_method == MANIFEST_LAUNCH_OWN_WINDOW);
		CHECK(it[1].has_mastery_score && it[1].mastery_score == 0.8);
		CHECK_STR(it[1].activity_type, "http://adlnet.gov/expapi/activities/lesson");
		CHECK_STR(it[1].launch_parameters, "{\"level\":1}");
		CHECK_STR(it[1].entitlement_key, "key-1");

		CHECK(it[2].node == MANIFEST_NODE_AU && it[2].depth == 1);
		CHECK_STR(it[2].title, "Leksjon 2");
		CHECK_STR(it[2].href, "https://content.example.com/au2/");
		CHECK(it[2].href_external == 1);
		CHECK(it[2].move_on == MANIFEST_MOVEON_NOT_APPLICABLE);
		CHECK(it[2].launch_method == MANIFEST_LAUNCH_ANY_WINDOW);
		CHECK(!it[2].has_mastery_score);
	}
	manifest_free(&m);
}

/* Parses text as imsmanifest.xml expecting a refusal whose message
 * contains want. */
static void expect_ims_error(const char *text, const char *want)
{
	struct manifest m;
	char err[300] = "";
	CHECK(manifest_parse_buffer(MANIFEST_FILE_IMS, text, strlen(text), &m, err, sizeof(err)) == -1);
	if (!strstr(err, want))
		printf("#   error \"%s\" lacks \"%s\"\n", err, want);
	CHECK(strstr(err, want) != NULL);
	CHECK(m.items == NULL && m.nitems == 0 && m.mem == NULL);
}

static void expect_cmi5_error(const char *text, const char *want)
{
	struct manifest m;
	char err[300] = "";
	CHECK(manifest_parse_buffer(MANIFEST_FILE_CMI5, text, strlen(text), &m, err, sizeof(err)) == -1);
	if (!strstr(err, want))
		printf("#   error \"%s\" lacks \"%s\"\n", err, want);
	CHECK(strstr(err, want) != NULL);
}

static void test_doctype_and_xxe_refused(void)
{
	expect_ims_error(
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE manifest [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n"
		"<manifest identifier=\"x\"><organizations><organization identifier=\"o\">"
		"<title>&xxe;</title><item identifier=\"i\"><title>t</title></item>"
		"</organization></organizations></manifest>\n",
		"imsmanifest.xml:2: a DOCTYPE is not allowed");
	expect_ims_error(
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE manifest SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n"
		"<manifest identifier=\"x\"/>\n",
		"imsmanifest.xml:2: a DOCTYPE is not allowed");
	expect_ims_error(
		"<!DOCTYPE manifest [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>\n<manifest/>\n",
		"imsmanifest.xml:1: a DOCTYPE is not allowed");
	/* Without a DTD an entity reference is simply undefined. */
	expect_ims_error("<manifest identifier=\"x\">\n<organizations>&xxe;</organizations></manifest>\n",
			 "imsmanifest.xml:2: undefined entity");
	expect_cmi5_error("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"b\">]><courseStructure/>",
			  "cmi5.xml:1: a DOCTYPE is not allowed");
}

static void test_billion_laughs_refused(void)
{
	static const char lol[] =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE lolz [\n"
		" <!ENTITY lol \"lol\">\n"
		" <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
		" <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
		" <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
		" <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
		" <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
		" <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
		" <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
		" <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
		" <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
		"]>\n"
		"<manifest identifier=\"x\"><organizations><organization identifier=\"o\">"
		"<title>&lol9;</title></organization></organizations></manifest>\n";
	clock_t t0 = clock();
	expect_ims_error(lol, "imsmanifest.xml:2: a DOCTYPE is not allowed");
	CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
}

static void test_malformed_names_line(void)
{
	expect_ims_error(
		"<?xml version=\"1.0\"?>\n"
		"<manifest identifier=\"x\">\n"
		"  <organizations>\n"
		"    <organization identifier=\"o\">\n"
		"      <title>t</titel>\n"
		"    </organization>\n"
		"  </organizations>\n"
		"</manifest>\n",
		"imsmanifest.xml:5: mismatched tag");
	expect_ims_error("<manifest>\n<organizations>\n", "imsmanifest.xml:3: no element found");
	expect_ims_error("", "imsmanifest.xml:1: no element found");
	expect_ims_error("<manifest xmlns:a=\"urn:x\">\n<b:item/></manifest>", "imsmanifest.xml:2: unbound prefix");
	expect_cmi5_error("<courseStructure>\n\n<course id=\"x\"><title></course>", "cmi5.xml:3: mismatched tag");
}

/* A one-item SCORM 1.2 manifest around a resource href and item
 * parameters. */
static char *one_item(const char *href, const char *params)
{
	static const char fmt[] =
		"<manifest identifier=\"m\" xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">\n"
		"<organizations><organization identifier=\"o\"><title>T</title>\n"
		"<item identifier=\"i\" identifierref=\"r\" parameters=\"%s\"><title>I</title></item>\n"
		"</organization></organizations>\n"
		"<resources><resource identifier=\"r\" adlcp:scormtype=\"sco\" href=\"%s\"/></resources>\n"
		"</manifest>\n";
	char *s = malloc(sizeof(fmt) + strlen(href) + strlen(params));
	sprintf(s, fmt, params, href);
	return s;
}

static void expect_href(const char *href, const char *params, const char *want)
{
	struct manifest m;
	char err[300];
	char *xml = one_item(href, params);
	int rc = manifest_parse_buffer(MANIFEST_FILE_IMS, xml, strlen(xml), &m, err, sizeof(err));
	CHECK(rc == 0);
	if (rc == 0 && m.nitems == 1)
		CHECK_STR(m.items[0].href, want);
	if (rc != 0)
		printf("#   %s\n", err);
	manifest_free(&m);
	free(xml);
}

static void test_parameters(void)
{
	expect_href("a.html", "", "a.html");
	expect_href("a.html", "?x=1", "a.html?x=1");
	expect_href("a.html", "x=1", "a.html?x=1");
	expect_href("a.html?y=2", "&amp;x=1", "a.html?y=2&x=1");
	expect_href("a.html?y=2", "??x=1", "a.html?y=2&x=1");
	expect_href("a.html", "#g", "a.html#g");
	expect_href("a.html#f", "#g", "a.html#f");
	expect_href("dir/a%20b.html", "", "dir/a%20b.html");
	expect_href("./a.html", "", "./a.html");
}

static void test_bad_hrefs(void)
{
	static const char *const bad[] = {
		"../../etc/passwd", "a/../../x.html", "%2e%2e/x.html", "a/%2E%2e/%2e./x", "/etc/passwd",
		"http://evil.example/x.html", "javascript:alert(1)", "//evil.example/x", "a\\..\\x.html",
		"file:///etc/passwd", "..",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *xml = one_item(bad[i], "");
		expect_ims_error(xml, "imsmanifest.xml:5: resource \"r\": href");
		free(xml);
	}
	/* A dotted name that is not ".." is fine. */
	expect_href("a..b/..c.html", "", "a..b/..c.html");
	/* Parameters cannot smuggle a path: they follow '?' or '#'. */
	expect_href("a.html", "../../x", "a.html?../../x");

	expect_ims_error(
		"<manifest xml:base=\"../\"><organizations><organization identifier=\"o\">\n"
		"<item identifier=\"i\" identifierref=\"r\"/></organization></organizations>\n"
		"<resources><resource identifier=\"r\" href=\"a.html\"/></resources></manifest>",
		"imsmanifest.xml:3: resource \"r\": xml:base \"../\"");
	expect_cmi5_error(
		"<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">\n"
		"<course id=\"c\"/>\n"
		"<au id=\"a\"><url>../x.html</url></au></courseStructure>",
		"cmi5.xml:3: au \"a\": url \"../x.html\"");
	expect_cmi5_error(
		"<courseStructure><course id=\"c\"/>\n<au id=\"a\"><url>javascript:alert(1)</url></au></courseStructure>",
		"cmi5.xml:2: au \"a\": url");
}

static void test_structure_errors(void)
{
	expect_ims_error(
		"<manifest><organizations default=\"missing\">\n"
		"<organization identifier=\"o\"><item identifier=\"i\"/></organization></organizations></manifest>",
		"imsmanifest.xml:1: the default organization \"missing\" does not exist");
	expect_ims_error(
		"<manifest><organizations><organization identifier=\"o\">\n"
		"<item identifier=\"i\" identifierref=\"nope\"/></organization></organizations></manifest>",
		"imsmanifest.xml:2: item \"i\" refers to a resource \"nope\" that does not exist");
	expect_ims_error(
		"<manifest><organizations><organization identifier=\"o\">\n"
		"<item identifier=\"i\"/>\n<item identifier=\"i\"/></organization></organizations></manifest>",
		"imsmanifest.xml:3: the identifier \"i\" is used twice");
	expect_ims_error(
		"<manifest><organizations><organization identifier=\"o\">\n"
		"<item><title>no id</title></item></organization></organizations></manifest>",
		"imsmanifest.xml:2: an <item> has no identifier");
	expect_ims_error(
		"<manifest xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\"><organizations>\n"
		"<organization identifier=\"o\"><item identifier=\"i\">\n"
		"<adlcp:masteryscore>lots</adlcp:masteryscore></item></organization></organizations></manifest>",
		"imsmanifest.xml:3: item \"i\": masteryscore is not a number from 0 to 100");
	expect_ims_error("<manifest>\n<organizations/></manifest>", "imsmanifest.xml:2: there is no <organization>");
	expect_ims_error("<manifest/>", "imsmanifest.xml:1: there is no <organizations>");
	expect_ims_error("<courseStructure/>", "imsmanifest.xml:1: the root element is <courseStructure>");
	expect_cmi5_error("<manifest/>", "cmi5.xml:1: the root element is <manifest>");
	expect_cmi5_error("<courseStructure>\n<course id=\"c\"/>\n<au id=\"a\" moveOn=\"Sometimes\"><url>a.html</url></au>"
			  "</courseStructure>", "cmi5.xml:3: au \"a\": moveOn \"Sometimes\" is not one of");
	expect_cmi5_error("<courseStructure>\n<course id=\"c\"/>\n<au id=\"a\" launchMethod=\"Popup\"><url>a.html</url></au>"
			  "</courseStructure>", "cmi5.xml:3: au \"a\": launchMethod");
	expect_cmi5_error("<courseStructure>\n<course id=\"c\"/>\n<au id=\"a\" masteryScore=\"1.5\"><url>a.html</url></au>"
			  "</courseStructure>", "cmi5.xml:3: au \"a\": masteryScore");
	expect_cmi5_error("<courseStructure>\n<course id=\"c\"/>\n<au id=\"a\"></au></courseStructure>",
			  "cmi5.xml:3: au \"a\" has no <url>");
	expect_cmi5_error("<courseStructure>\n<course id=\"c\"/>\n<block id=\"b\"/></courseStructure>",
			  "cmi5.xml:1: the course has no <au>");
	expect_cmi5_error("<courseStructure>\n<block id=\"b\"/></courseStructure>", "cmi5.xml:1: there is no <course>");

	/* Nesting is bounded. */
	char deep[MANIFEST_MAX_DEPTH * 3 + 64];
	strcpy(deep, "<manifest>");
	for (int i = 0; i < MANIFEST_MAX_DEPTH; i++)
		strcat(deep, "<a>");
	expect_ims_error(deep, "nested more than 128 deep");
}

static void test_package_dir(void)
{
	struct manifest m;
	char err[300], path[128];

	/* cmi5.xml wins over imsmanifest.xml. */
	fresh_pkg();
	write_file("imsmanifest.xml", scorm12);
	write_file("cmi5.xml", cmi5);
	CHECK(manifest_parse_dir(pkg, &m, err, sizeof(err)) == 0);
	CHECK(m.kind == MANIFEST_CMI5);
	manifest_free(&m);
	unpack_remove_tree(pkg);

	fresh_pkg();
	CHECK(manifest_parse_dir(pkg, &m, err, sizeof(err)) == -1);
	CHECK(strstr(err, "neither imsmanifest.xml nor cmi5.xml") != NULL);

	/* A manifest that is a symbolic link is not followed. */
	snprintf(path, sizeof(path), "%s/imsmanifest.xml", pkg);
	CHECK(symlink("/etc/hostname", path) == 0);
	CHECK(manifest_parse_dir(pkg, &m, err, sizeof(err)) == -1);
	CHECK_STR(err, "imsmanifest.xml: cannot open: it is a symbolic link");
	unpack_remove_tree(pkg);

	/* Errors from a file carry its name and line. */
	fresh_pkg();
	write_file("imsmanifest.xml", "<manifest>\n<oops></manifest>\n");
	CHECK(manifest_parse_dir(pkg, &m, err, sizeof(err)) == -1);
	CHECK_STR(err, "imsmanifest.xml:2: mismatched tag");
	unpack_remove_tree(pkg);
}

int main(void)
{
	UNIT_RUN(test_scorm12);
	UNIT_RUN(test_scorm2004);
	UNIT_RUN(test_cmi5);
	UNIT_RUN(test_doctype_and_xxe_refused);
	UNIT_RUN(test_billion_laughs_refused);
	UNIT_RUN(test_malformed_names_line);
	UNIT_RUN(test_parameters);
	UNIT_RUN(test_bad_hrefs);
	UNIT_RUN(test_structure_errors);
	UNIT_RUN(test_package_dir);
	return unit_done();
}
