/* test_mail_template.c: template checks and rendering
 * (server/mail_template.c): unknown and malformed placeholders refused,
 * required variables, HTML escaping, trusted _html values, the layout's
 * contact line, Norwegian dates and first names. */
#include <stdlib.h>
#include <string.h>

#include "mail_template.h"
#include "unit.h"

static void checks(void)
{
	char err[256];
	CHECK(mail_template_check("lesson", "{{kurs}}", "Hei {{fornavn}}: {{lenke}}", "<a href=\"{{lenke}}\">x</a>",
				  err, sizeof err) == 0);
	CHECK(mail_template_check("lesson", "s", "Hei {{ fornavn }} {{lenke}}", "{{lenke}}", err, sizeof err) == 0);
	CHECK(mail_template_check("lesson", "s", "ingen lenke", "{{lenke}}", err, sizeof err) != 0);
	CHECK(strstr(err, "{{lenke}}") != NULL);
	CHECK(mail_template_check("lesson", "s", "{{lenke}}", "ingen lenke", err, sizeof err) != 0);
	CHECK(mail_template_check("lesson", "s", "{{lenke}} {{passord}}", "{{lenke}}", err, sizeof err) != 0);
	CHECK(strstr(err, "passord") != NULL);
	CHECK(mail_template_check("lesson", "s", "{{lenke}} {{Lenke}}", "{{lenke}}", err, sizeof err) != 0);
	CHECK(mail_template_check("lesson", "s", "{{lenke}} {{kurs", "{{lenke}}", err, sizeof err) != 0);
	CHECK(mail_template_check("lesson", "s\nBcc: x", "{{lenke}}", "{{lenke}}", err, sizeof err) != 0);
	CHECK(mail_template_check("lesson", "", "{{lenke}}", "{{lenke}}", err, sizeof err) != 0);
	CHECK(mail_template_check("digest", "{{antall}}", "{{oversikt}}", "{{oversikt}}", err, sizeof err) == 0);
	CHECK(mail_template_check("digest", "s", "{{lenke}} {{oversikt}}", "{{oversikt}}", err, sizeof err) != 0);
	CHECK(mail_template_check("test", "s", "{{kommune}}", "<p>{{kommune}}</p>", err, sizeof err) == 0);
	CHECK(mail_template_check("nope", "s", "t", "h", err, sizeof err) != 0);
	char bad[] = { '{', '{', 'l', 'e', 'n', 'k', 'e', '}', '}', (char)0xc3, 0 };
	CHECK(mail_template_check("lesson", "s", bad, "{{lenke}}", err, sizeof err) != 0);
	char *big = malloc(MAIL_TEMPLATE_BODY_MAX + 10);
	memset(big, 'a', MAIL_TEMPLATE_BODY_MAX + 9);
	memcpy(big, "{{lenke}}", 9);
	big[MAIL_TEMPLATE_BODY_MAX + 9] = '\0';
	CHECK(mail_template_check("lesson", "s", big, "{{lenke}}", err, sizeof err) != 0);
	free(big);
	CHECK(mail_template_name_ok("leksjon") && mail_template_name_ok("ny-lenke-2"));
	CHECK(!mail_template_name_ok("") && !mail_template_name_ok("Leksjon") && !mail_template_name_ok("../x"));
}

static void filling(void)
{
	json_t *vars = json_pack("{s:s, s:s, s:s, s:s}", "navn", "Åse <script>\"&'", "kurs", "A & B",
				 "oversikt", "- rad", "oversikt_html", "<ul><li>rad</li></ul>");
	char *t = mail_template_fill("Hei {{navn}}, {{kurs}} {{ukjent}} {{oversikt}} {{ {x}}", vars, 0);
	CHECK_STR(t, "Hei Åse <script>\"&', A & B  - rad {{ {x}}");
	free(t);
	char *h = mail_template_fill("<p>{{navn}}</p><p>{{kurs}}</p>{{oversikt}}", vars, 1);
	CHECK_STR(h, "<p>Åse &lt;script&gt;&quot;&amp;&#39;</p><p>A &amp; B</p><ul><li>rad</li></ul>");
	free(h);
	json_decref(vars);
}

static void rendering(void)
{
	struct mail_template tpl = { "t", "lesson", "Emne {{kurs}}", "Hei {{fornavn}}\n{{lenke}}",
				     "<p>Hei {{fornavn}}</p><p>{{lenke}}</p>" };
	json_t *vars = json_pack("{s:s, s:s, s:s}", "fornavn", "Kari", "kurs", "Linje\r\nBcc: x", "lenke",
				 "https://vern/e/abc");
	struct mail_rendered r;
	CHECK(mail_template_render(&tpl, vars, "Spørsmål? Kontakt <ombud@demo.no>", &r) == 0);
	CHECK_STR(r.subject, "Emne Linje  Bcc: x");
	CHECK(strstr(r.text, "Hei Kari\nhttps://vern/e/abc\n\n-- \nSpørsmål? Kontakt <ombud@demo.no>\n") != NULL);
	CHECK(strncmp(r.html, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(r.html, "<html lang=\"nb\">") != NULL);
	CHECK(strstr(r.html, "<title>Emne Linje  Bcc: x</title>") != NULL);
	CHECK(strstr(r.html, "Kontakt &lt;ombud@demo.no&gt;</p>") != NULL);
	CHECK(strstr(r.html, "<p>Hei Kari</p><p>https://vern/e/abc</p>") != NULL);
	mail_rendered_free(&r);
	json_decref(vars);
}

static void dates_and_names(void)
{
	char buf[64];
	setenv("TZ", "Europe/Oslo", 1);
	mail_format_date(1791100800000LL, buf, sizeof buf); /* 2026-10-04T10:00Z */
	CHECK_STR(buf, "4. oktober 2026");
	mail_format_date(1767225600000LL, buf, sizeof buf); /* 2026-01-01T00:00Z: 01:00 in Oslo */
	CHECK_STR(buf, "1. januar 2026");
	mail_first_name("  Kari Anne Nordmann", buf, sizeof buf);
	CHECK_STR(buf, "Kari");
	mail_first_name("Åsmund", buf, sizeof buf);
	CHECK_STR(buf, "Åsmund");
	char small[4];
	mail_first_name("Åsmund", small, sizeof small); /* cut inside a character: whole ones only */
	CHECK_STR(small, "Ås");
	mail_first_name("", buf, sizeof buf);
	CHECK_STR(buf, "");
}

int main(void)
{
	UNIT_RUN(checks);
	UNIT_RUN(filling);
	UNIT_RUN(rendering);
	UNIT_RUN(dates_and_names);
	return unit_done();
}
