/* test_native.c: native courses (courses/native*.c): course.json checks
 * and their messages, Markdown pages rendered safely (raw HTML, unsafe
 * links and images refused; only an allowlist of tags ever comes out),
 * native_build into a package that manifest_parse_dir reads as cmi5 with
 * the right AUs and moveOn, its refusals (missing files, symbolic links,
 * a non-empty output folder) leaving nothing behind, and every bundled
 * course in courses/ building cleanly with the catalogue's ids. Run from
 * the project root (as tests/run.sh does). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "manifest.h"
#include "native.h"
#include "native_course.h"
#include "native_markdown.h"
#include "unit.h"
#include "unpack.h"

/* ---- course.json ---- */

#define MINIMAL_MODULE "{\"id\":\"m1\",\"title\":\"M\",\"pages\":[\"a.md\"]}"
#define HEAD "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"K\",\"description\":\"D\",\"minutes\":5,"

static int parse_err(const char *json, char *err, size_t errsize)
{
	struct native_course c;
	int rc = native_course_parse(json, strlen(json), &c, err, errsize);
	if (rc == 0)
		native_course_free(&c);
	return rc;
}

static void test_course_minimal(void)
{
	const char *json = HEAD "\"modules\":[" MINIMAL_MODULE "]}";
	struct native_course c;
	char err[512] = "";
	CHECK(native_course_parse(json, strlen(json), &c, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK_STR(c.id, "k");
	CHECK_STR(c.language, "nb-NO");
	CHECK(c.valid_months == 12);
	CHECK(c.mastery_score == 0.8);
	CHECK(c.nmodules == 1 && c.modules[0].npages == 1 && c.modules[0].nquestions == 0);
	CHECK_STR(c.modules[0].description, "M");
	CHECK(c.modules[0].pages[0].kind == NATIVE_PAGE_MARKDOWN);
	native_course_free(&c);
	native_course_free(&c); /* safe twice */
}

static void test_course_full(void)
{
	const char *json = HEAD "\"language\":\"nn-NO\",\"valid_months\":24,\"roles\":[\"leder\",\"ansatt\"],"
		"\"mastery_score\":0.75,\"modules\":[{\"id\":\"m1\",\"title\":\"M\",\"description\":\"Om M\","
		"\"pages\":[\"sider/a.md\",{\"video\":\"media/f.mp4\",\"title\":\"Film\",\"captions\":\"media/f.vtt\","
		"\"poster\":\"media/f.jpg\"}],\"quiz\":{\"mastery_score\":1,\"questions\":["
		"{\"id\":\"q1\",\"type\":\"multiple\",\"text\":\"T\",\"explanation\":\"E\",\"options\":["
		"{\"id\":\"a\",\"text\":\"A\",\"correct\":true,\"feedback\":\"F\"},{\"id\":\"b\",\"text\":\"B\"},"
		"{\"id\":\"c\",\"text\":\"C\",\"correct\":true}]}]}},"
		"{\"id\":\"m2\",\"title\":\"N\",\"pages\":[\"b.md\"],\"quiz\":{\"questions\":["
		"{\"id\":\"q1\",\"text\":\"T\",\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\"},"
		"{\"id\":\"b\",\"text\":\"B\",\"correct\":true}]}]}}]}";
	struct native_course c;
	char err[512] = "";
	CHECK(native_course_parse(json, strlen(json), &c, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	if (c.nmodules != 2)
		return;
	CHECK_STR(c.language, "nn-NO");
	CHECK(c.valid_months == 24 && c.nroles == 2);
	CHECK_STR(c.roles[1], "ansatt");
	const struct native_module *m = &c.modules[0];
	CHECK(m->npages == 2 && m->pages[1].kind == NATIVE_PAGE_VIDEO);
	CHECK_STR(m->pages[1].captions, "media/f.vtt");
	CHECK(m->mastery_score == 1);
	CHECK(m->nquestions == 1 && m->questions[0].type == NATIVE_MULTIPLE);
	CHECK(m->questions[0].noptions == 3 && m->questions[0].options[2].correct);
	CHECK_STR(m->questions[0].options[0].feedback, "F");
	CHECK_STR(m->questions[0].options[1].feedback, "");
	CHECK(c.modules[1].mastery_score == 0.75); /* the course's */
	CHECK(c.modules[1].questions[0].type == NATIVE_SINGLE);
	native_course_free(&c);
}

static void test_course_errors(void)
{
	static const struct {
		const char *json, *error;
	} cases[] = {
		{ "{\"id\":\n\"k\",\n}", "course.json:3:" },
		{ "[1]", "course.json: the file must hold one JSON object" },
		{ "{\"id\":\"k\",\"id\":\"j\"}", "course.json:1: duplicate object key" },
		{ "{\"activity_id\":\"urn:x:y\"}", "course.json: \"id\" is missing" },
		{ "{\"id\":\"Person vern\"}", "course.json: \"id\" must be 1-64 of a-z" },
		{ "{\"id\":\"k-\"}", "\"id\" must be 1-64" },
		{ "{\"id\":\"k\",\"activity_id\":\"https://x/k\"}", "\"activity_id\" must be a URN such as urn:vern:kurs:k" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k x\"}", "\"activity_id\" must be a URN" },
		{ HEAD "\"titel\":\"x\"}", "course.json: unknown field \"titel\"" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"\"}", "\"title\" must not be empty" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"a\\nb\"}", "\"title\" contains control characters (line breaks" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"a\\u0000b\"}", "course.json:1: \\u0000 is not allowed" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":7}", "\"title\" must be a string" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"K\"}", "\"description\" is missing" },
		{ HEAD "\"minutes\":0}", "duplicate object key" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"K\",\"description\":\"D\",\"minutes\":0}",
		  "\"minutes\" must be a whole number from 1 to 600" },
		{ "{\"id\":\"k\",\"activity_id\":\"urn:vern:kurs:k\",\"title\":\"K\",\"description\":\"D\",\"minutes\":5.5}",
		  "\"minutes\" must be a whole number" },
		{ HEAD "\"valid_months\":-1}", "\"valid_months\" must be a whole number from 0 to 120" },
		{ HEAD "\"roles\":\"ansatt\"}", "\"roles\" must be a list" },
		{ HEAD "\"roles\":[\"Ansatt\"]}", "roles[0] must be a role name" },
		{ HEAD "\"roles\":[\"a\",\"a\"]}", "roles[1]: \"a\" is listed twice" },
		{ HEAD "\"mastery_score\":1.5}", "\"mastery_score\" must be a number from 0 to 1" },
		{ HEAD "\"mastery_score\":0.12345}", "\"mastery_score\" may have at most 4 decimals" },
		{ HEAD "\"language\":\"norsk bokmål\"}", "\"language\" must be a language tag" },
		{ HEAD "\"modules\":[]}", "\"modules\" must have 1 to 20 entries" },
		{ HEAD "\"modules\":{}}", "\"modules\" must be a list" },
		{ HEAD "\"modules\":[" MINIMAL_MODULE "," MINIMAL_MODULE "]}",
		  "course.json: modules[1]: the id \"m1\" is used by modules[0] too" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"../a.md\"]}]}",
		  "modules[0].pages[0]: must be a relative path inside the course folder" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"/etc/a.md\"]}]}", "modules[0].pages[0]: must be a relative path" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"sider/.a.md\"]}]}", "must be a relative path" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.txt\"]}]}", "modules[0].pages[0]: a page is a Markdown file ending in .md" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[]}]}", "modules[0]: \"pages\" must have 1 to 40 entries" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"sider\":1}]}", "modules[0]: unknown field \"sider\"" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[{\"video\":\"film.mp4\",\"title\":\"F\"}]}]}",
		  "modules[0].pages[0]: \"video\": video files belong in the folder media/" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[{\"video\":\"media/film.avi\",\"title\":\"F\"}]}]}",
		  "\"video\" must be a video file (.mp4, .webm, .ogv)" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[{\"video\":\"media/f.mp4\"}]}]}", "modules[0].pages[0]: \"title\" is missing" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[{\"video\":\"media/f.mp4\",\"title\":\"F\",\"captions\":\"media/f.srt\"}]}]}",
		  "\"captions\" must be a captions (WebVTT) file (.vtt)" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":[]}]}", "modules[0].quiz: must be an object with \"questions\"" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[]}}]}",
		  "modules[0].quiz: \"questions\" must have 1 to 40 entries" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\",\"correct\":true},{\"id\":\"b\",\"text\":\"B\",\"correct\":true}]}]}}]}",
		  "modules[0].quiz.questions[0]: a \"single\" question needs exactly one option with \"correct\": true (it has 2)" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"type\":\"multiple\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\"},{\"id\":\"b\",\"text\":\"B\"}]}]}}]}",
		  "a \"multiple\" question needs at least one option" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"type\":\"many\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\"},{\"id\":\"b\",\"text\":\"B\"}]}]}}]}",
		  "\"type\" must be \"single\" or \"multiple\"" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\",\"correct\":true}]}]}}]}",
		  "modules[0].quiz.questions[0]: \"options\" must have 2 to 10 entries" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\",\"correct\":true},{\"id\":\"a\",\"text\":\"B\"}]}]}}]}",
		  "modules[0].quiz.questions[0].options[1]: the id \"a\" is used twice in this question" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"text\":\"T\","
		  "\"options\":[{\"id\":\"a\",\"text\":\"A\",\"correct\":true},{\"id\":\"b\",\"text\":\"B\"}]}]}}]}",
		  "modules[0].quiz.questions[0]: \"explanation\" is missing" },
		{ HEAD "\"modules\":[{\"id\":\"m\",\"title\":\"M\",\"pages\":[\"a.md\"],\"quiz\":{\"questions\":[{\"id\":\"q\",\"text\":\"T\","
		  "\"explanation\":\"E\",\"options\":[{\"id\":\"a\",\"text\":\"A\",\"correct\":\"yes\"},{\"id\":\"b\",\"text\":\"B\"}]}]}}]}",
		  "options[0]: \"correct\" must be true or false" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "";
		int rc = parse_err(cases[i].json, err, sizeof(err));
		if (rc == 0 || !strstr(err, cases[i].error)) {
			printf("#   case %zu: got rc=%d \"%s\", want \"%s\"\n", i, rc, err, cases[i].error);
			CHECK(0);
		}
	}
}

static void test_paths(void)
{
	CHECK(native_path_valid("sider/01-intro.md"));
	CHECK(native_path_valid("media/Film_1.mp4"));
	CHECK(!native_path_valid(""));
	CHECK(!native_path_valid("a//b.md"));
	CHECK(!native_path_valid("a/"));
	CHECK(!native_path_valid("./a.md"));
	CHECK(!native_path_valid("a/../b.md"));
	CHECK(!native_path_valid("a b.md"));
	CHECK(!native_path_valid("a\\b.md"));
	CHECK(!native_path_valid("%2e%2e/a.md"));
	CHECK(native_id_valid("personvern-grunnkurs"));
	CHECK(!native_id_valid("-a") && !native_id_valid("a_b") && !native_id_valid(""));
}

/* ---- Markdown ---- */

static int md_err(const char *md, char *err, size_t errsize)
{
	struct native_md out;
	int rc = native_md_render("side.md", md, strlen(md), &out, err, errsize);
	if (rc == 0)
		native_md_free(&out);
	return rc;
}

/* 1 when every tag in html is one we allow in a lesson page. */
static int tags_allowed(const char *html)
{
	static const char *const ok[] = { "p", "em", "strong", "a", "ul", "ol", "li", "h2", "h3", "h4",
					  "h5", "h6", "blockquote", "code", "pre", "img", "hr", "br", NULL };
	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
		int found = 0;
		for (const char *const *t = ok; *t && !found; t++)
			found = strlen(*t) == n && strncmp(*t, name, n) == 0;
		if (!found) {
			printf("#   tag not allowed at: %.40s\n", p);
			return 0;
		}
	}
	return 1;
}

static void test_markdown_render(void)
{
	const char *md = "# Tittel & *mer*\n\nTekst med a < b & c > d og `<script>`.\n\n"
			 "<!-- en merknad -->\n\n## Del\n\n### Under\n\n- [Datatilsynet](https://www.datatilsynet.no)\n"
			 "- <mailto:post@kommune.no>\n\n![Et kart over kommunen](media/kart.png)\n\n"
			 "```\n<b>kode</b>\n```\n";
	struct native_md out;
	char err[512] = "";
	CHECK(native_md_render("side.md", md, strlen(md), &out, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	if (!out.body_html)
		return;
	CHECK_STR(out.title, "Tittel & mer");
	CHECK_STR(out.title_html, "Tittel &amp; <em>mer</em>");
	CHECK(strstr(out.body_html, "a &lt; b &amp; c &gt; d") != NULL);
	CHECK(strstr(out.body_html, "<code>&lt;script&gt;</code>") != NULL);
	CHECK(strstr(out.body_html, "merknad") == NULL);
	CHECK(strstr(out.body_html, "<h3>Del</h3>") != NULL);
	CHECK(strstr(out.body_html, "<h4>Under</h4>") != NULL);
	CHECK(strstr(out.body_html, "<h1") == NULL && strstr(out.body_html, "Tittel") == NULL);
	CHECK(strstr(out.body_html, "<a href=\"https://www.datatilsynet.no\">Datatilsynet</a>") != NULL);
	CHECK(strstr(out.body_html, "<img src=\"media/kart.png\" alt=\"Et kart over kommunen\" />") != NULL);
	CHECK(strstr(out.body_html, "&lt;b&gt;kode&lt;/b&gt;") != NULL);
	CHECK(tags_allowed(out.body_html));
	CHECK(tags_allowed(out.title_html));
	CHECK(out.nimages == 1);
	CHECK_STR(out.images[0], "media/kart.png");
	CHECK(out.image_lines[0] == 14);
	native_md_free(&out);
}

static void test_markdown_refusals(void)
{
	static const struct {
		const char *md, *error;
	} cases[] = {
		{ "", "side.md:1: a page starts with its title as a level-1 heading" },
		{ "Tekst\n", "side.md:1: a page starts with its title" },
		{ "## Tittel\n", "a page starts with its title as a level-1 heading" },
		{ "#   \n\nx\n", "side.md:1: the title heading is empty" },
		{ "# T\n\n# To\n", "side.md:3: only the page title may be a level-1 heading" },
		{ "# T\n\nx\n\n<script>alert(1)</script>\n", "side.md:5: raw HTML is not allowed" },
		{ "# T\n\n<div onclick=\"x()\">hei</div>\n", "side.md:3: raw HTML is not allowed" },
		{ "# T\n\nHei <b>du</b>\n", "side.md:3: raw HTML is not allowed" },
		{ "# T\n\n<img src=x onerror=alert(1)>\n", "raw HTML is not allowed" },
		{ "# T\n\n[klikk](javascript:alert(1))\n", "side.md:3: a link must be an https://" },
		{ "# T\n\n[klikk](JaVaScRiPt:alert(1))\n", "a link must be" },
		{ "# T\n\n[klikk](data:text/html,hei)\n", "a link must be" },
		{ "# T\n\n[klikk](annen-side.html)\n", "a link must be" },
		{ "# T\n\n[klikk]()\n", "a link must be" },
		{ "# T\n\n[klikk](https://)\n", "a link must be" },
		{ "# T\n\n![kart](https://example.com/kart.png)\n", "side.md:3: an image must be a file in media/" },
		{ "# T\n\n![kart](bilder/kart.png)\n", "an image must be a file in media/" },
		{ "# T\n\n![kart](media/../kart.png)\n", "an image must be a file in media/" },
		{ "# T\n\n![kart](media/kart.svg)\n", "an image must be a file in media/" },
		{ "# T\n\n![](media/kart.png)\n", "side.md:3: an image needs a description" },
		{ "# T\n\nx\n\nbad \xff byte\n", "side.md:5: not valid UTF-8" },
		{ "# T\n\nnul \0 byte\n", NULL }, /* strlen stops at the NUL: fine */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].error)
			continue;
		char err[512] = "";
		int rc = md_err(cases[i].md, err, sizeof(err));
		if (rc == 0 || !strstr(err, cases[i].error)) {
			printf("#   case %zu: got rc=%d \"%s\", want \"%s\"\n", i, rc, err, cases[i].error);
			CHECK(0);
		}
	}
	/* A NUL inside the text (not cut off by strlen) is refused too. */
	char err[512] = "";
	struct native_md out;
	CHECK(native_md_render("side.md", "# T\n\na\0b\n", 10, &out, err, sizeof(err)) == -1);
	CHECK(strstr(err, "side.md:3: not valid UTF-8") != NULL);
	/* Too large. */
	size_t big = NATIVE_MD_MAX + 1;
	char *huge = malloc(big + 1);
	memset(huge, 'a', big);
	memcpy(huge, "# T\n\n", 5);
	huge[big] = '\0';
	CHECK(native_md_render("stor.md", huge, big, &out, err, sizeof(err)) == -1);
	CHECK(strstr(err, "stor.md: a page may be at most 256 KB") != NULL);
	free(huge);
}

/* ---- native_build ---- */

static char tmp_root[256];

static void write_file(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	char mk[1100];
	snprintf(mk, sizeof(mk), "mkdir -p '%s'", path);
	if (system(mk) != 0)
		CHECK(0);
	*slash = '/';
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static int exists(const char *dir, const char *rel)
{
	char path[1024];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

static int dir_is_empty_or_missing(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n == 0;
}

static const char course_json[] =
	"{\"id\":\"testkurs\",\"activity_id\":\"urn:vern:kurs:testkurs\",\"title\":\"Test & prøve\","
	"\"description\":\"Om <testen>\",\"minutes\":5,\"modules\":["
	"{\"id\":\"intro\",\"title\":\"Innledning\",\"pages\":[\"sider/01.md\","
	"{\"video\":\"media/film.webm\",\"title\":\"Film\",\"captions\":\"media/film.vtt\"}]},"
	"{\"id\":\"test\",\"title\":\"Test\",\"pages\":[\"sider/02.md\"],\"quiz\":{\"mastery_score\":0.75,"
	"\"questions\":[{\"id\":\"q1\",\"text\":\"Spørsmål <1>?\",\"explanation\":\"Fordi.\\n\\nOg derfor.\","
	"\"options\":[{\"id\":\"a\",\"text\":\"Ja\",\"correct\":true},{\"id\":\"b\",\"text\":\"Nei\","
	"\"feedback\":\"Feil & galt\"}]}]}}]}";

static void make_course(const char *src)
{
	write_file(src, "course.json", course_json);
	write_file(src, "sider/01.md", "# Første side\n\nHei.\n\n![Logo](media/logo.png)\n");
	write_file(src, "sider/02.md", "# Andre side\n\nHei igjen.\n");
	write_file(src, "media/film.webm", "not really a film");
	write_file(src, "media/film.vtt", "WEBVTT\n");
	write_file(src, "media/logo.png", "png");
	write_file(src, "media/unused.png", "not copied");
}

static void test_build(void)
{
	char src[512], out[512], err[1024] = "";
	snprintf(src, sizeof(src), "%s/kilde", tmp_root);
	snprintf(out, sizeof(out), "%s/pakke", tmp_root);
	make_course(src);
	CHECK(native_build(src, out, err, sizeof(err)) == 0);
	CHECK_STR(err, "");
	CHECK(exists(out, "cmi5.xml") && exists(out, "intro.html") && exists(out, "test.html"));
	CHECK(exists(out, "assets/vern-au.js") && exists(out, "assets/vern-au.css"));
	CHECK(exists(out, "media/film.webm") && exists(out, "media/film.vtt") && exists(out, "media/logo.png"));
	CHECK(!exists(out, "media/unused.png") && !exists(out, "course.json") && !exists(out, "sider"));

	struct manifest m;
	CHECK(manifest_parse_dir(out, &m, err, sizeof(err)) == 0);
	CHECK(m.kind == MANIFEST_CMI5);
	CHECK_STR(m.identifier, "urn:vern:kurs:testkurs");
	CHECK_STR(m.title, "Test & prøve");
	CHECK(m.nitems == 2);
	if (m.nitems == 2) {
		CHECK(m.items[0].node == MANIFEST_NODE_AU);
		CHECK_STR(m.items[0].identifier, "urn:vern:kurs:testkurs:modul:intro");
		CHECK_STR(m.items[0].href, "intro.html");
		CHECK_STR(m.items[0].title, "Innledning");
		CHECK(m.items[0].move_on == MANIFEST_MOVEON_COMPLETED);
		CHECK(!m.items[0].has_mastery_score);
		CHECK(m.items[0].launch_method == MANIFEST_LAUNCH_ANY_WINDOW);
		CHECK_STR(m.items[1].identifier, "urn:vern:kurs:testkurs:modul:test");
		CHECK(m.items[1].move_on == MANIFEST_MOVEON_COMPLETED_AND_PASSED);
		CHECK(m.items[1].has_mastery_score && m.items[1].mastery_score == 0.75);
	}
	manifest_free(&m);

	/* The page: escaped texts, the quiz contract, no inline script/style. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/test.html", out);
	FILE *f = fopen(path, "r");
	static char html[65536];
	size_t n = f ? fread(html, 1, sizeof(html) - 1, f) : 0;
	if (f)
		fclose(f);
	html[n] = '\0';
	CHECK(strstr(html, "<script src=\"assets/vern-au.js\" defer></script>") != NULL);
	CHECK(strstr(html, "<script>") == NULL && strstr(html, "style=") == NULL && strstr(html, "<style") == NULL);
	CHECK(strstr(html, "<title>Test – Test &amp; prøve</title>") != NULL);
	CHECK(strstr(html, "Spørsmål &lt;1&gt;?") != NULL);
	CHECK(strstr(html, "data-question=\"q1\"") && strstr(html, "data-correct=\"a\"") &&
	      strstr(html, "data-mastery=\"0.75\""));
	CHECK(strstr(html, "<p>Fordi.</p>\n<p>Og derfor.</p>") != NULL);
	CHECK(strstr(html, "<p>Feil &amp; galt</p>") != NULL);
	CHECK(strstr(html, "<input type=\"radio\" name=\"q_q1\" id=\"q_q1_a\" value=\"a\"><label for=\"q_q1_a\">Ja</label>") != NULL);
	CHECK(strstr(html, "<span id=\"au-krav\">75</span> % riktige") != NULL);
	snprintf(path, sizeof(path), "%s/intro.html", out);
	f = fopen(path, "r");
	n = f ? fread(html, 1, sizeof(html) - 1, f) : 0;
	if (f)
		fclose(f);
	html[n] = '\0';
	CHECK(strstr(html, "data-video-id=\"film\"") != NULL);
	CHECK(strstr(html, "<track kind=\"captions\" src=\"media/film.vtt\"") != NULL);
	CHECK(strstr(html, "modul 1 av 2") != NULL);

	/* The same output folder again: refused, as it is not empty. */
	CHECK(native_build(src, out, err, sizeof(err)) == -1);
	CHECK(strstr(err, "is not empty") != NULL);
}

static void expect_build_error(const char *src, const char *want)
{
	char out[512], err[1024] = "";
	snprintf(out, sizeof(out), "%s/ut-%d", tmp_root, rand());
	int rc = native_build(src, out, err, sizeof(err));
	if (rc == 0 || !strstr(err, want)) {
		printf("#   got rc=%d \"%s\", want \"%s\"\n", rc, err, want);
		CHECK(0);
	}
	CHECK(dir_is_empty_or_missing(out)); /* checked before anything was written */
}

static void test_build_refusals(void)
{
	char src[512], path[1024];
	snprintf(src, sizeof(src), "%s/feil", tmp_root);
	make_course(src);
	snprintf(path, sizeof(path), "%s/sider/02.md", src);
	unlink(path);
	expect_build_error(src, "sider/02.md: the file does not exist (named in course.json modules[1].pages[0])");

	write_file(src, "sider/02.md", "# Andre\n\n<iframe src=\"https://x\"></iframe>\n");
	expect_build_error(src, "sider/02.md:3: raw HTML is not allowed");

	write_file(src, "sider/02.md", "# Andre\n\n![Mangler](media/borte.png)\n");
	expect_build_error(src, "media/borte.png: the file does not exist (named in sider/02.md line 3)");

	/* A symbolic link, to a file outside or inside, is never followed. */
	write_file(src, "sider/02.md", "# Andre\n\nOk.\n");
	snprintf(path, sizeof(path), "%s/media/logo.png", src);
	unlink(path);
	CHECK(symlink("/etc/passwd", path) == 0);
	expect_build_error(src, "media/logo.png: the file is a symbolic link or not below the course folder");
	unlink(path);
	write_file(src, "media/logo.png", "png");
	snprintf(path, sizeof(path), "%s/sider", src);
	char moved[1024];
	snprintf(moved, sizeof(moved), "%s/ekte-sider", src);
	CHECK(rename(path, moved) == 0);
	CHECK(symlink("ekte-sider", path) == 0);
	expect_build_error(src, "sider/01.md: the file is a symbolic link or not below the course folder");
	unlink(path);
	CHECK(rename(moved, path) == 0);

	snprintf(path, sizeof(path), "%s/media/film.vtt", src);
	unlink(path);
	CHECK(mkdir(path, 0755) == 0);
	expect_build_error(src, "media/film.vtt: the file is not a regular file");
	rmdir(path);

	write_file(src, "course.json", "{\"id\":\"x\",}");
	expect_build_error(src, "course.json:1:");
	snprintf(path, sizeof(path), "%s/course.json", src);
	unlink(path);
	expect_build_error(src, "course.json: the file does not exist");
	snprintf(path, sizeof(path), "%s/finnes-ikke", tmp_root);
	expect_build_error(path, "finnes-ikke: No such file or directory");
}

/* Every bundled course builds, and the catalogue's courses are there. */
static void test_bundled_courses(void)
{
	static const char *const catalogue[] = { "personvern-grunnkurs", "informasjonssikkerhet-grunnkurs",
						 "taushetsplikt", "phishing", "avvik", "personvern-for-ledere",
						 "pko-opplaering", "isk-opplaering", NULL };
	for (const char *const *id = catalogue; *id; id++) {
		char path[512];
		snprintf(path, sizeof(path), "courses/%s/course.json", *id);
		if (access(path, R_OK) != 0) {
			printf("#   bundled course %s is missing (%s)\n", *id, path);
			CHECK(0);
		}
	}
	DIR *d = opendir("courses");
	CHECK(d != NULL);
	if (!d)
		return;
	struct dirent *e;
	int built = 0;
	while ((e = readdir(d))) {
		char src[512], json[600], out[1024], err[2048] = "";
		snprintf(src, sizeof(src), "courses/%s", e->d_name);
		snprintf(json, sizeof(json), "%s/course.json", src);
		if (e->d_name[0] == '.' || access(json, R_OK) != 0)
			continue;
		snprintf(out, sizeof(out), "%s/bundled-%s", tmp_root, e->d_name);
		if (native_build(src, out, err, sizeof(err)) != 0) {
			printf("#   bundled course %s: %s\n", e->d_name, err);
			CHECK(0);
			continue;
		}
		built++;
		/* The catalogue's pins: the folder is the id, the activity id
		 * is urn:vern:kurs:<id>, and the package reads back as cmi5. */
		FILE *f = fopen(json, "r");
		static char text[NATIVE_JSON_MAX + 1];
		size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
		if (f)
			fclose(f);
		struct native_course c;
		CHECK(native_course_parse(text, n, &c, err, sizeof(err)) == 0);
		char act[300];
		snprintf(act, sizeof(act), "urn:vern:kurs:%s", e->d_name);
		CHECK_STR(c.id, e->d_name);
		CHECK_STR(c.activity_id, act);
		CHECK(c.valid_months == 12);
		CHECK(c.nroles >= 1);
		struct manifest m;
		CHECK(manifest_parse_dir(out, &m, err, sizeof(err)) == 0);
		CHECK_STR(m.identifier, act);
		CHECK(m.nitems == c.nmodules);
		int quizzes = 0;
		for (int i = 0; i < m.nitems && i < c.nmodules; i++) {
			const struct native_module *mod = &c.modules[i];
			if (mod->nquestions) {
				quizzes++;
				CHECK(mod->nquestions >= 4 && mod->nquestions <= 6);
				CHECK(m.items[i].move_on == MANIFEST_MOVEON_COMPLETED_AND_PASSED);
				CHECK(m.items[i].mastery_score == 0.8);
			} else {
				CHECK(m.items[i].move_on == MANIFEST_MOVEON_COMPLETED);
			}
			for (int q = 0; q < mod->nquestions; q++)
				for (int o = 0; o < mod->questions[q].noptions; o++)
					CHECK(mod->questions[q].options[o].text[0]);
		}
		CHECK(quizzes == 1); /* each bundled course ends with one test */
		CHECK(c.nmodules >= 1 && c.nmodules <= 3);
		manifest_free(&m);
		native_course_free(&c);
	}
	closedir(d);
	printf("# built %d bundled courses\n", built);
	CHECK(built >= 8);
}

int main(void)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/vern-test-native-XXXXXX");
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	UNIT_RUN(test_course_minimal);
	UNIT_RUN(test_course_full);
	UNIT_RUN(test_course_errors);
	UNIT_RUN(test_paths);
	UNIT_RUN(test_markdown_render);
	UNIT_RUN(test_markdown_refusals);
	UNIT_RUN(test_build);
	UNIT_RUN(test_build_refusals);
	UNIT_RUN(test_bundled_courses);
	unpack_remove_tree(tmp_root);
	return unit_done();
}
