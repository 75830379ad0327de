/* native_write.c: writes cmi5.xml and the module pages of a native course
 * (see native_write.h) into growing text buffers.
 *
 * A module page is plain, valid HTML5 that reads well without script:
 * every lesson page is a <section class="au-page">, then the quiz as one
 * <form> per question (a fieldset with a legend, radio buttons or
 * checkboxes with labels, the feedback ready but hidden). vern-au.js
 * (assets/) turns it into one page at a time and does the cmi5 side. No
 * inline script or style anywhere, so the page runs under a CSP of
 * script-src 'self'; style-src 'self'. The data attributes are the
 * contract with vern-au.js. */
#include "native_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->failed)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 8192;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *b = realloc(o->buf, cap);
		if (!b) {
			o->failed = 1;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void printf_(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void printf_(struct out *o, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		o->failed = 1; /* callers only format short, bounded values */
		return;
	}
	put(o, tmp, (size_t)n);
}

/* Text escaped for HTML and XML (element text and quoted attributes). */
static void esc(struct out *o, const char *s)
{
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '&': puts_(o, "&amp;"); break;
		case '<': puts_(o, "&lt;"); break;
		case '>': puts_(o, "&gt;"); break;
		case '"': puts_(o, "&quot;"); break;
		case '\'': puts_(o, "&#39;"); break;
		default: put(o, p, 1);
		}
	}
}

/* Multi-line text: escaped, paragraphs at blank lines, <br> at single
 * line breaks. */
static void esc_paragraphs(struct out *o, const char *s, const char *cls)
{
	if (cls)
		printf_(o, "<p class=\"%s\">", cls);
	else
		puts_(o, "<p>");
	for (const char *p = s; *p; p++) {
		if (*p == '\n' && p[1] == '\n') {
			while (p[1] == '\n')
				p++;
			if (cls)
				printf_(o, "</p>\n<p class=\"%s\">", cls);
			else
				puts_(o, "</p>\n<p>");
		} else if (*p == '\n') {
			puts_(o, "<br>\n");
		} else {
			char one[2] = { *p, 0 };
			esc(o, one);
		}
	}
	puts_(o, "</p>\n");
}

static char *finish(struct out *o, size_t *len)
{
	if (o->failed || !o->buf) {
		free(o->buf);
		return NULL;
	}
	*len = o->len;
	return o->buf;
}

/* A pass mark as cmi5 writes it: "0.8", "0.75", "1". */
static void format_score(double d, char *out, size_t size)
{
	snprintf(out, size, "%.4f", d);
	char *end = out + strlen(out) - 1;
	while (end > out && *end == '0')
		*end-- = '\0';
	if (*end == '.')
		*end = '\0';
}

void native_au_id(const struct native_course *c, const struct native_module *m, char *out,
		  size_t size)
{
	snprintf(out, size, "%s:modul:%s", c->activity_id, m->id);
}

void native_au_url(const struct native_module *m, char *out, size_t size)
{
	snprintf(out, size, "%s.html", m->id);
}

/* ---- cmi5.xml ---- */

static void langstring(struct out *o, const char *tag, const char *lang, const char *text,
		       const char *indent)
{
	printf_(o, "%s<%s><langstring lang=\"%s\">", indent, tag, lang);
	esc(o, text);
	printf_(o, "</langstring></%s>\n", tag);
}

char *native_write_cmi5(const struct native_course *c, size_t *len)
{
	struct out o = { 0 };
	puts_(&o, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
		  "<!-- Built by Vern from course.json; edit the course folder, not this file. -->\n"
		  "<courseStructure xmlns=\"https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd\">\n");
	puts_(&o, "  <course id=\"");
	esc(&o, c->activity_id);
	puts_(&o, "\">\n");
	langstring(&o, "title", c->language, c->title, "    ");
	langstring(&o, "description", c->language, c->description, "    ");
	puts_(&o, "  </course>\n");
	for (int i = 0; i < c->nmodules; i++) {
		const struct native_module *m = &c->modules[i];
		char id[512], url[128], score[16];
		native_au_id(c, m, id, sizeof(id));
		native_au_url(m, url, sizeof(url));
		puts_(&o, "  <au id=\"");
		esc(&o, id);
		if (m->nquestions) {
			format_score(m->mastery_score, score, sizeof(score));
			printf_(&o, "\" moveOn=\"CompletedAndPassed\" masteryScore=\"%s\"", score);
		} else {
			puts_(&o, "\" moveOn=\"Completed\"");
		}
		puts_(&o, " launchMethod=\"AnyWindow\">\n");
		langstring(&o, "title", c->language, m->title, "    ");
		langstring(&o, "description", c->language, m->description, "    ");
		printf_(&o, "    <url>%s</url>\n", url);
		puts_(&o, "  </au>\n");
	}
	puts_(&o, "</courseStructure>\n");
	return finish(&o, len);
}

/* ---- module pages ---- */

/* The id of a video for statements: its file name without folder and
 * extension, other characters than a-z 0-9 - _ made '-'. */
static void video_id(const char *file, char *out, size_t size)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	size_t n = strcspn(base, ".");
	if (n >= size)
		n = size - 1;
	for (size_t i = 0; i < n; i++) {
		char ch = base[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		out[i] = ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') ? ch : '-';
	}
	out[n] = '\0';
}

static void write_head(struct out *o, const struct native_course *c, const struct native_module *m)
{
	char lang[8];
	snprintf(lang, sizeof(lang), "%.*s", (int)strcspn(c->language, "-"), c->language);
	printf_(o, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n", lang);
	puts_(o, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		 "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	esc(o, m->title);
	puts_(o, " – ");
	esc(o, c->title);
	puts_(o, "</title>\n<link rel=\"stylesheet\" href=\"" NATIVE_ASSET_DIR "/vern-au.css\">\n"
		 "<script src=\"" NATIVE_ASSET_DIR "/vern-au.js\" defer></script>\n</head>\n");
	puts_(o, "<body data-language=\"");
	esc(o, c->language);
	puts_(o, "\" data-module=\"");
	esc(o, m->id);
	puts_(o, "\">\n<a class=\"au-skip\" href=\"#innhold\">Hopp til innholdet</a>\n");
}

static void write_header(struct out *o, const struct native_course *c, const struct native_module *m,
			 int npages, int mi)
{
	puts_(o, "<header class=\"au-header\">\n<p class=\"au-course\">");
	esc(o, c->title);
	if (c->nmodules > 1)
		printf_(o, " · modul %d av %d", mi + 1, c->nmodules);
	puts_(o, "</p>\n<h1>");
	esc(o, m->title);
	puts_(o, "</h1>\n<div class=\"au-progress au-js-only\" hidden>\n");
	printf_(o, "<progress id=\"au-framdrift\" max=\"%d\" value=\"1\" "
		   "aria-labelledby=\"au-framdrift-tekst\"></progress>\n"
		   "<span id=\"au-framdrift-tekst\">Side 1 av %d</span>\n</div>\n", npages, npages);
	puts_(o, "<p id=\"au-melding\" class=\"au-notice\" role=\"status\" hidden></p>\n</header>\n");
}

static void write_video(struct out *o, const struct native_page *p, int n)
{
	char vid[NATIVE_PATH_MAX + 1];
	video_id(p->file, vid, sizeof(vid));
	printf_(o, "<section class=\"au-page au-video\" id=\"side-%d\" data-page-id=\"s%d\" "
		   "data-video-id=\"", n, n);
	esc(o, vid);
	puts_(o, "\" data-video-title=\"");
	esc(o, p->title);
	printf_(o, "\" aria-labelledby=\"side-%d-tittel\">\n<h2 id=\"side-%d-tittel\" tabindex=\"-1\">",
		n, n);
	esc(o, p->title);
	puts_(o, "</h2>\n<video controls preload=\"metadata\" playsinline src=\"");
	esc(o, p->file);
	puts_(o, "\"");
	if (p->poster[0]) {
		puts_(o, " poster=\"");
		esc(o, p->poster);
		puts_(o, "\"");
	}
	/* A sandboxed frame has an opaque origin, so the captions file counts
	 * as cross-origin: fetch it (and the film) in CORS mode. */
	if (p->captions[0])
		puts_(o, " crossorigin=\"anonymous\"");
	printf_(o, " aria-labelledby=\"side-%d-tittel\">\n", n);
	if (p->captions[0]) {
		puts_(o, "<track kind=\"captions\" src=\"");
		esc(o, p->captions);
		puts_(o, "\" srclang=\"nb\" label=\"Norsk\" default>\n");
	}
	puts_(o, "<p>Nettleseren din kan ikke vise filmen. <a href=\"");
	esc(o, p->file);
	puts_(o, "\">Last ned filmen</a>.</p>\n</video>\n"
		 "<p class=\"au-video-note\">Se minst 90 % av filmen for å fullføre denne siden.");
	if (p->captions[0])
		puts_(o, " Filmen har teksting; slå den av og på i avspilleren.");
	puts_(o, "</p>\n</section>\n");
}

static void write_markdown(struct out *o, const struct native_md *md, int n)
{
	printf_(o, "<section class=\"au-page\" id=\"side-%d\" data-page-id=\"s%d\" "
		   "aria-labelledby=\"side-%d-tittel\">\n<h2 id=\"side-%d-tittel\" tabindex=\"-1\">",
		n, n, n, n);
	puts_(o, md->title_html);
	puts_(o, "</h2>\n");
	puts_(o, md->body_html);
	puts_(o, "</section>\n");
}

static void write_question(struct out *o, const struct native_question *q, int qn, int total)
{
	int multiple = q->type == NATIVE_MULTIPLE;
	puts_(o, "<form class=\"au-question\" data-question=\"");
	esc(o, q->id);
	printf_(o, "\" data-number=\"%d\" data-type=\"%s\" data-correct=\"", qn,
		multiple ? "multiple" : "single");
	int first = 1;
	for (int i = 0; i < q->noptions; i++)
		if (q->options[i].correct) {
			if (!first)
				puts_(o, " ");
			esc(o, q->options[i].id);
			first = 0;
		}
	printf_(o, "\" novalidate>\n<fieldset>\n<legend><span class=\"au-qnum\">Spørsmål %d av %d</span>"
		   "<span class=\"au-qtext\">", qn, total);
	esc(o, q->text);
	printf_(o, "</span></legend>\n<p class=\"au-hint\">%s</p>\n",
		multiple ? "Velg alle svarene som er riktige." : "Velg ett svar.");
	for (int i = 0; i < q->noptions; i++) {
		const struct native_option *op = &q->options[i];
		char id[2 * NATIVE_ID_MAX + 8];
		snprintf(id, sizeof(id), "q_%s_%s", q->id, op->id); /* '_' is never in an id */
		printf_(o, "<div class=\"au-option\"><input type=\"%s\" name=\"q_%s\" id=\"%s\" value=\"",
			multiple ? "checkbox" : "radio", q->id, id);
		esc(o, op->id);
		printf_(o, "\"><label for=\"%s\">", id);
		esc(o, op->text);
		puts_(o, "</label></div>\n");
	}
	puts_(o, "</fieldset>\n<button type=\"submit\" class=\"au-button au-check au-js-only\" hidden>"
		 "Sjekk svaret</button>\n"
		 "<div class=\"au-feedback\" tabindex=\"-1\" hidden>\n<p class=\"au-verdict\"></p>\n");
	for (int i = 0; i < q->noptions; i++) {
		const struct native_option *op = &q->options[i];
		if (!op->feedback[0])
			continue;
		puts_(o, "<div class=\"au-option-feedback\" data-option=\"");
		esc(o, op->id);
		puts_(o, "\" hidden>\n");
		esc_paragraphs(o, op->feedback, NULL);
		puts_(o, "</div>\n");
	}
	puts_(o, "<div class=\"au-explanation\" hidden>\n");
	esc_paragraphs(o, q->explanation, NULL);
	puts_(o, "</div>\n</div>\n</form>\n");
}

static void write_quiz(struct out *o, const struct native_module *m, int n)
{
	char score[16];
	format_score(m->mastery_score, score, sizeof(score));
	printf_(o, "<section class=\"au-page au-quiz\" id=\"side-%d\" data-page-id=\"quiz\" "
		   "data-mastery=\"%s\" aria-labelledby=\"side-%d-tittel\">\n"
		   "<h2 id=\"side-%d-tittel\" tabindex=\"-1\">Test deg selv</h2>\n", n, score, n, n);
	printf_(o, "<p class=\"au-quiz-intro\">%d spørsmål. Du må ha minst "
		   "<span id=\"au-krav\">%d</span> %% riktige svar for å bestå. Du får vite med en gang "
		   "om svaret ditt er riktig, og hvorfor.</p>\n",
		m->nquestions, (int)(m->mastery_score * 100 + 0.5));
	for (int i = 0; i < m->nquestions; i++)
		write_question(o, &m->questions[i], i + 1, m->nquestions);
	puts_(o, "<div id=\"au-resultat\" class=\"au-result\" tabindex=\"-1\" role=\"status\" hidden>\n"
		 "<h3 class=\"au-result-title\"></h3>\n<p class=\"au-result-text\"></p>\n</div>\n"
		 "</section>\n");
}

char *native_write_module(const struct native_course *c, int mi, const struct native_md *md,
			  size_t *len)
{
	const struct native_module *m = &c->modules[mi];
	int npages = m->npages + (m->nquestions ? 1 : 0);
	struct out o = { 0 };
	write_head(&o, c, m);
	write_header(&o, c, m, npages, mi);
	puts_(&o, "<main id=\"innhold\" tabindex=\"-1\">\n");
	for (int p = 0; p < m->npages; p++) {
		if (m->pages[p].kind == NATIVE_PAGE_VIDEO)
			write_video(&o, &m->pages[p], p + 1);
		else
			write_markdown(&o, &md[p], p + 1);
	}
	if (m->nquestions)
		write_quiz(&o, m, npages);
	puts_(&o, "</main>\n<nav class=\"au-nav au-js-only\" aria-label=\"Sidene i modulen\" hidden>\n"
		  "<button type=\"button\" class=\"au-button au-secondary\" id=\"au-forrige\">Forrige</button>\n"
		  "<button type=\"button\" class=\"au-button au-next-wrap\" id=\"au-neste\">Neste</button>\n"
		  "</nav>\n<footer class=\"au-footer\">\n<p id=\"au-status\" role=\"status\"></p>\n"
		  "<button type=\"button\" class=\"au-button au-secondary au-js-only\" id=\"au-avslutt\" hidden>"
		  "Avslutt modulen</button>\n</footer>\n</body>\n</html>\n");
	return finish(&o, len);
}
