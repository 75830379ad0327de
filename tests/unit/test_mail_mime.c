/* test_mail_mime.c: the MIME builder (server/mail_mime.c): addresses,
 * encoded-word headers, quoted-printable bodies that decode back to the
 * input, line lengths, and no header injection. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail_mime.h"
#include "unit.h"

static void addresses(void)
{
	CHECK(mail_address_ok("kari.nordmann@kommune.no"));
	CHECK(mail_address_ok("a+b_c-d@sub.example.com"));
	CHECK(mail_address_ok("vern@localhost"));
	CHECK(!mail_address_ok(""));
	CHECK(!mail_address_ok("kari"));
	CHECK(!mail_address_ok("@kommune.no"));
	CHECK(!mail_address_ok("kari@"));
	CHECK(!mail_address_ok("kari@kommune"));
	CHECK(!mail_address_ok("kari@@kommune.no"));
	CHECK(!mail_address_ok("ka ri@kommune.no"));
	CHECK(!mail_address_ok("kari@kommune.no\r\nBcc: x@y.no"));
	CHECK(!mail_address_ok("kari@kommune.no>"));
	CHECK(!mail_address_ok("\"kari\"@kommune.no"));
	CHECK(!mail_address_ok(".kari@kommune.no"));
	CHECK(!mail_address_ok("kari.@kommune.no"));
	CHECK(!mail_address_ok("ka..ri@kommune.no"));
	CHECK(!mail_address_ok("kari@-kommune.no"));
	CHECK(!mail_address_ok("kari@kommune..no"));
	CHECK(!mail_address_ok("kåri@kommune.no"));
	char big[400];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	memcpy(big + 300, "@x.no", 6);
	CHECK(!mail_address_ok(big));

	char name[256], addr[256];
	CHECK(mail_parse_mailbox("Vern <vern@kommune.no>", name, sizeof name, addr, sizeof addr) == 0);
	CHECK_STR(name, "Vern");
	CHECK_STR(addr, "vern@kommune.no");
	CHECK(mail_parse_mailbox("\"Opplæring, Demo kommune\" <opplaering@demo.no>", name, sizeof name, addr,
				 sizeof addr) == 0);
	CHECK_STR(name, "Opplæring, Demo kommune");
	CHECK(mail_parse_mailbox("vern@kommune.no", name, sizeof name, addr, sizeof addr) == 0);
	CHECK_STR(name, "");
	CHECK(mail_parse_mailbox("Vern <vern@kommune.no> x", name, sizeof name, addr, sizeof addr) != 0);
	CHECK(mail_parse_mailbox("Vern <vern>", name, sizeof name, addr, sizeof addr) != 0);
	CHECK(mail_parse_mailbox("Ve\nrn <vern@kommune.no>", name, sizeof name, addr, sizeof addr) != 0);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes quoted-printable text (CRLF lines) into out, LF line ends. */
static void qp_decode(const char *s, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=' && i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else if (s[i] == '=' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			out[o++] = '\n';
			i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

/* The decoded value of an encoded-word header (B words, folded). */
static void header_decode(const char *msg, const char *name, char *out, size_t size)
{
	char key[64];
	snprintf(key, sizeof key, "\r\n%s: ", name);
	const char *p = strstr(msg, key);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(key);
	size_t o = 0;
	for (;;) {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *end = strstr(p + 10, "?=");
			unsigned char bin[128];
			size_t len;
			sodium_base642bin(bin, sizeof bin, p + 10, (size_t)(end - p - 10), NULL, &len, NULL,
					  sodium_base64_VARIANT_ORIGINAL);
			memcpy(out + o, bin, len);
			o += len;
			p = end + 2;
			continue;
		} else if (*p && *p != '\r') {
			while (*p && *p != '\r' && strncmp(p, "=?", 2) != 0 && o + 1 < size)
				out[o++] = *p++;
			continue;
		}
		if (strncmp(p, "\r\n ", 3) == 0) {
			p += 3;
			continue;
		}
		break;
	}
	out[o] = '\0';
}

static char *build(const char *subject, const char *text, const char *html, const char *to_name, size_t *len)
{
	struct mime_message m = { "Vern", "vern@demo.no", to_name, "kari@demo.no", subject, text, html,
				  "0123abcd@demo.no", 1795430000 };
	char *out = NULL, err[256];
	if (mime_build(&m, &out, len, err, sizeof err) != 0)
		return NULL;
	return out;
}

static void lines_are_short_and_crlf(const char *msg, size_t len)
{
	size_t line = 0;
	int bare = 0, longest = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			bare = 1;
		if (msg[i] == '\r' && msg[i + 1] != '\n')
			bare = 1;
		if (msg[i] == '\r' || msg[i] == '\n') {
			if ((int)line > longest)
				longest = (int)line;
			line = 0;
		} else {
			line++;
		}
		CHECK((unsigned char)msg[i] < 128 && msg[i] != '\0');
	}
	CHECK(!bare);
	CHECK(longest <= 78);
}

static void headers_and_bodies(void)
{
	const char *subject = "Påminnelse: Svindel og phishing på e-post – en kort leksjon fra Demo kommune, "
			      "med et ganske langt emne som må brettes over flere linjer";
	const char *text = "Hei Åse,\n\nDette er en linje som er lengre enn syttiseks tegn, med æøå og ÆØÅ og – tankestrek.\n"
			   ".linje som starter med punktum\nFrom the start of a line\nslutter med mellomrom   \n"
			   "tabulator\tinni\nlike=tegn\n\n-- \nKontakt: personvernombudet@demo.no\n";
	const char *html = "<p>Hei <strong>Åse</strong>,</p>\n<p><a href=\"https://vern.demo.no/e/AbC_-123\">Åpne</a></p>";
	size_t len;
	char *msg = build(subject, text, html, "Åse Ærlig-Øvrebø", &len);
	CHECK(msg != NULL);
	if (!msg)
		return;
	lines_are_short_and_crlf(msg, len);
	CHECK(strstr(msg, "MIME-Version: 1.0\r\n") != NULL);
	CHECK(strstr(msg, "Message-ID: <0123abcd@demo.no>\r\n") != NULL);
	CHECK(strstr(msg, "Auto-Submitted: auto-generated\r\n") != NULL);
	CHECK(strstr(msg, "Date: ") == msg);
	CHECK(strstr(msg, "List-Unsubscribe") == NULL);
	CHECK(strstr(msg, "Content-Type: multipart/alternative;\r\n boundary=\"=_vern_") != NULL);
	char value[1024];
	header_decode(msg, "Subject", value, sizeof value);
	CHECK_STR(value, subject);
	header_decode(msg, "To", value, sizeof value);
	CHECK_STR(value, "Åse Ærlig-Øvrebø <kari@demo.no>");
	header_decode(msg, "From", value, sizeof value);
	CHECK_STR(value, "Vern <vern@demo.no>");

	/* Both parts decode back to the input. */
	const char *tp = strstr(msg, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	const char *hp = strstr(msg, "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
	CHECK(tp && hp && tp < hp);
	if (tp && hp) {
		tp = strstr(tp, "\r\n\r\n") + 4;
		const char *tend = strstr(tp, "\r\n--=_vern_");
		char decoded[4096];
		qp_decode(tp, (size_t)(tend - tp), decoded);
		CHECK_STR(decoded, text);
		hp = strstr(hp, "\r\n\r\n") + 4;
		const char *hend = strstr(hp, "\r\n--=_vern_");
		qp_decode(hp, (size_t)(hend - hp), decoded);
		CHECK_STR(decoded, html);
		/* Dots and "From " at a line start are encoded. */
		CHECK(strstr(tp, "\r\n.") == NULL);
		CHECK(strstr(tp, "\r\nFrom ") == NULL);
	}
	free(msg);

	/* Text only: one part, no multipart. */
	msg = build("Test", "Bare tekst", NULL, "", &len);
	CHECK(msg && strstr(msg, "multipart") == NULL && strstr(msg, "Content-Type: text/plain; charset=utf-8") != NULL);
	CHECK(msg && strstr(msg, "To: kari@demo.no\r\n") != NULL);
	CHECK(msg && strstr(msg, "Subject: Test\r\n") != NULL);
	free(msg);
	/* A plain ASCII name with a comma is quoted. */
	msg = build("Test", "x", NULL, "Nordmann, Kari", &len);
	CHECK(msg && strstr(msg, "To: \"Nordmann, Kari\" <kari@demo.no>\r\n") != NULL);
	free(msg);
}

static void no_injection(void)
{
	size_t len;
	CHECK(build("Hei\r\nBcc: alle@demo.no", "x", NULL, "", &len) == NULL);
	CHECK(build("Hei", "x", NULL, "Kari\r\nBcc: alle@demo.no", &len) == NULL);
	CHECK(build("Hei\n", "x", NULL, "", &len) == NULL);
	char bad[] = { 'H', (char)0xff, 'i', 0 };
	CHECK(build(bad, "x", NULL, "", &len) == NULL);
	CHECK(build("Hei", bad, NULL, "", &len) == NULL);
	struct mime_message m = { "Vern", "vern@demo.no", "", "kari@demo.no\r\nBcc: x@y.no", "s", "t", NULL,
				  "1@demo.no", 0 };
	char *out, err[128];
	CHECK(mime_build(&m, &out, &len, err, sizeof err) != 0);
	m.to_addr = "kari@demo.no";
	m.message_id = "1@demo.no>\r\nBcc: x@y.no";
	CHECK(mime_build(&m, &out, &len, err, sizeof err) != 0);
	m.message_id = "no-at-sign";
	CHECK(mime_build(&m, &out, &len, err, sizeof err) != 0);
	/* "=?" in a plain-looking subject is encoded, not passed through. */
	char *msg = build("=?UTF-8?B?SGVp?=", "x", NULL, "", &len);
	CHECK(msg && strstr(msg, "Subject: =?UTF-8?B?PT9VVEYtOD9CP1NHVnA/PQ==?=\r\n") != NULL);
	free(msg);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	UNIT_RUN(addresses);
	UNIT_RUN(headers_and_bodies);
	UNIT_RUN(no_injection);
	return unit_done();
}
