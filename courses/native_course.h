/* native_course.h: the course.json of a native course, read and checked.
 *
 * A native course is a folder: course.json names the course and its
 * modules; each module is a few short pages (Markdown files, or a video)
 * and, optionally, a quiz with a pass mark. native_course_parse reads the
 * JSON alone (no files are opened), so it can be fuzzed; native.c then
 * reads the pages and media it names.
 *
 * The format, with every field (those marked * are required):
 *
 *   { "id"*: "personvern-grunnkurs",              a-z, 0-9, '-'; 1-64
 *     "activity_id"*: "urn:vern:kurs:personvern-grunnkurs",
 *     "title"*: "...", "description"*: "...",
 *     "language": "nb-NO",                        default nb-NO
 *     "minutes"*: 15,                             1-600
 *     "valid_months": 12,                         0-120, 0 = never expires
 *     "roles": ["ansatt"],                        org roles the course suits
 *     "mastery_score": 0.8,                       default pass mark, 0-1
 *     "modules"*: [
 *       { "id"*: "grunnbegreper", "title"*: "...", "description": "...",
 *         "pages"*: [ "sider/01-hva.md",
 *                     { "video": "media/film.mp4", "title": "...",
 *                       "captions": "media/film.vtt", "poster": "media/film.jpg" } ],
 *         "quiz": { "mastery_score": 0.8,
 *                   "questions"*: [
 *                     { "id"*: "q1", "type": "single" | "multiple",
 *                       "text"*: "...", "explanation"*: "...",
 *                       "options"*: [ { "id"*: "a", "text"*: "...",
 *                                       "correct": true, "feedback": "..." } ] } ] } } ] }
 *
 * Unknown fields are refused (a misspelt field would otherwise be silently
 * ignored). Errors read "course.json:LINE: ..." for JSON syntax and
 * "course.json: modules[1].quiz.questions[0].options: ..." for a field. */
#ifndef VERN_COURSES_NATIVE_COURSE_H
#define VERN_COURSES_NATIVE_COURSE_H

#include <stddef.h>

#define NATIVE_JSON_MAX (1024 * 1024)
#define NATIVE_ID_MAX 64
#define NATIVE_TEXT_MAX 4000         /* bytes of one title, question, feedback... */
#define NATIVE_PATH_MAX 200
#define NATIVE_MAX_MODULES 20
#define NATIVE_MAX_PAGES 40          /* per module */
#define NATIVE_MAX_QUESTIONS 40      /* per quiz */
#define NATIVE_MAX_OPTIONS 10        /* per question */
#define NATIVE_MAX_ROLES 32

enum native_page_kind { NATIVE_PAGE_MARKDOWN, NATIVE_PAGE_VIDEO };

struct native_page {
	enum native_page_kind kind;
	const char *file;        /* Markdown: the .md file; video: the video file */
	const char *title;       /* video only */
	const char *captions;    /* video only, "" when none */
	const char *poster;      /* video only, "" when none */
};

enum native_question_type { NATIVE_SINGLE, NATIVE_MULTIPLE };

struct native_option {
	const char *id, *text;
	const char *feedback;    /* "" when none */
	int correct;
};

struct native_question {
	const char *id, *text, *explanation;
	enum native_question_type type;
	struct native_option *options;
	int noptions;
};

struct native_module {
	const char *id, *title;
	const char *description; /* the title when not given */
	struct native_page *pages;
	int npages;
	double mastery_score;    /* the quiz's, else the course's */
	struct native_question *questions; /* no quiz: NULL and 0 */
	int nquestions;
};

struct native_course {
	const char *id, *activity_id, *title, *description, *language;
	long minutes, valid_months;
	const char **roles;
	int nroles;
	double mastery_score;
	struct native_module *modules;
	int nmodules;
	void *json;              /* private: owns every string above */
};

/* Parses and checks len bytes of course.json. Returns 0 with *c filled
 * (free with native_course_free), or -1 with err set and *c empty. */
int native_course_parse(const char *buf, size_t len, struct native_course *c, char *err,
			size_t errsize);

/* Frees what a successful parse allocated; safe on an emptied course. */
void native_course_free(struct native_course *c);

/* 1 when s is 1-64 of a-z, 0-9 and '-', not starting or ending with '-'. */
int native_id_valid(const char *s);

/* 1 when path is a safe relative file path inside the course folder:
 * components of A-Z a-z 0-9 . _ - not starting with '.', separated by
 * single '/', at most NATIVE_PATH_MAX bytes. */
int native_path_valid(const char *path);

/* 1 when path ends with one of the extensions in the NULL-terminated
 * list (compared without case, e.g. ".mp4"). */
int native_path_has_ext(const char *path, const char *const *exts);

extern const char *const native_video_exts[];
extern const char *const native_image_exts[];

#endif
