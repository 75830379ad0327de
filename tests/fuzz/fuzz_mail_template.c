/* fuzz_mail_template.c: libFuzzer target for email templates and the MIME
 * builder (server/mail_template.c, server/mail_mime.c). The input is split
 * into subject, text and HTML at NUL bytes. Checking and filling must end
 * and stay in bounds; whatever renders must build into a message with CRLF
 * lines of at most 78 characters and 7-bit bytes only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail_mime.h"
#include "mail_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 3);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = buf[size + 1] = buf[size + 2] = '\0';
	char *subject = buf, *text = subject + strlen(subject) + 1;
	if (text > buf + size)
		text = buf + size + 1;
	char *html = text + strlen(text) + 1;
	if (html > buf + size + 1)
		html = buf + size + 2;

	char err[256];
	static const char *const kinds[] = { "lesson", "links", "digest", "test" };
	for (int k = 0; k < 4; k++)
		mail_template_check(kinds[k], subject, text, html, err, sizeof err);

	json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "fornavn", "Åse <b>", "kurs", "A & B", "lenke",
				 "https://vern.demo.no/e/AbC", "oversikt", "- x", "oversikt_html", "<ul></ul>");
	struct mail_template t = { "f", "lesson", subject, text, html };
	struct mail_rendered r;
	if (vars && mail_template_render(&t, vars, "Kontakt oss", &r) == 0) {
		struct mime_message m = { "Vern", "vern@demo.no", "Åse", "ase@demo.no", r.subject, r.text, r.html,
					  "1@demo.no", 0 };
		char *msg;
		size_t len;
		if (mime_build(&m, &msg, &len, err, sizeof err) == 0) {
			size_t line = 0;
			for (size_t i = 0; i < len; i++) {
				unsigned char c = (unsigned char)msg[i];
				if (c == 0 || c > 127)
					abort();
				if (c == '\n' && (i == 0 || msg[i - 1] != '\r'))
					abort();
				if (c == '\r' && msg[i + 1] != '\n')
					abort();
				line = c == '\r' || c == '\n' ? 0 : line + 1;
				if (line > 78)
					abort();
			}
			free(msg);
		}
		mail_rendered_free(&r);
	}
	json_decref(vars);
	free(buf);
	return 0;
}
