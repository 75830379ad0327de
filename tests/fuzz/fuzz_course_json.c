/* fuzz_course_json.c: libFuzzer target for the course.json reader of
 * native courses (courses/native_course.c) and the writers fed by it
 * (courses/native_write.c). A refusal must say why, starting with
 * "course.json"; a success must hold only valid ids and paths, counts
 * within the limits and a quiz whose single-choice questions have exactly
 * one right answer. The cmi5.xml written from it must read back with the
 * manifest parser as cmi5 with one AU per module, and every module page
 * must be written. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"
#include "native_course.h"
#include "native_markdown.h"
#include "native_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_course(const struct native_course *c)
{
	if (!native_id_valid(c->id) || strncmp(c->activity_id, "urn:", 4) != 0 || !c->title[0] ||
	    c->nmodules < 1 || c->nmodules > NATIVE_MAX_MODULES || !(c->mastery_score >= 0) ||
	    !(c->mastery_score <= 1))
		abort();
	for (int i = 0; i < c->nroles; i++)
		if (!native_id_valid(c->roles[i]))
			abort();
	for (int i = 0; i < c->nmodules; i++) {
		const struct native_module *m = &c->modules[i];
		if (!native_id_valid(m->id) || !m->title[0] || !m->description[0] || m->npages < 1 ||
		    m->npages > NATIVE_MAX_PAGES || m->nquestions > NATIVE_MAX_QUESTIONS)
			abort();
		for (int p = 0; p < m->npages; p++)
			if (!native_path_valid(m->pages[p].file))
				abort();
		for (int q = 0; q < m->nquestions; q++) {
			const struct native_question *qu = &m->questions[q];
			int right = 0;
			if (qu->noptions < 2 || qu->noptions > NATIVE_MAX_OPTIONS)
				abort();
			for (int o = 0; o < qu->noptions; o++)
				right += qu->options[o].correct;
			if (right < 1 || (qu->type == NATIVE_SINGLE && right != 1))
				abort();
		}
	}
}

static void check_writers(const struct native_course *c)
{
	size_t len;
	char *xml = native_write_cmi5(c, &len);
	if (!xml)
		return; /* out of memory */
	struct manifest m;
	char err[512];
	if (manifest_parse_buffer(MANIFEST_FILE_CMI5, xml, len, &m, err, sizeof(err)) != 0 ||
	    m.nitems != c->nmodules || strcmp(m.identifier, c->activity_id) != 0)
		abort();
	manifest_free(&m);
	free(xml);
	struct native_md md[NATIVE_MAX_PAGES];
	memset(md, 0, sizeof(md));
	for (int p = 0; p < NATIVE_MAX_PAGES; p++) {
		md[p].title_html = "T";
		md[p].body_html = "<p>B</p>\n";
	}
	for (int i = 0; i < c->nmodules; i++) {
		char *html = native_write_module(c, i, md, &len);
		if (html && (len == 0 || strncmp(html, "<!DOCTYPE html>", 15) != 0))
			abort();
		free(html);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct native_course c;
	char err[512];
	if (native_course_parse(buf, size, &c, err, sizeof(err)) != 0) {
		if (strncmp(err, "course.json", 11) != 0 || c.json || c.modules)
			abort();
	} else {
		check_course(&c);
		check_writers(&c);
		native_course_free(&c);
	}
	free(buf);
	return 0;
}
