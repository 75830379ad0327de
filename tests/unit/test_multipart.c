/* test_multipart.c: the multipart/mixed reader and writer (lrs/multipart.c). */
#include <stdlib.h>

#include "multipart.h"
#include "unit.h"

#define CT "multipart/mixed; boundary=XyZ"
#define MAXP 16

static struct lrs_part parts[LRS_MULTIPART_MAX_PARTS + 1];
static char err[200];

static int parse(const char *ct, const char *body)
{
	err[0] = '\0';
	return lrs_multipart_parse(ct, body, strlen(body), parts, MAXP, err, sizeof(err));
}

static int part_is(int i, const char *content)
{
	return parts[i].len == strlen(content) && memcmp(parts[i].body, content, parts[i].len) == 0;
}

static void basic(void)
{
	const char *body =
		"preamble to ignore\r\n"
		"--XyZ\r\n"
		"Content-Type: application/json\r\n"
		"\r\n"
		"{\"a\":1}\r\n"
		"--XyZ\r\n"
		"content-type:Text/Plain ; charset=ASCII\r\n"
		"Content-Transfer-Encoding: Binary\r\n"
		"X-Experience-API-Hash:  ABCdef \r\n"
		"Content-Disposition: attachment; filename=\"a.txt\"\r\n"
		"\r\n"
		"here is a simple attachment\r\n"
		"--XyZ--\r\n"
		"epilogue --XyZ junk\r\n";
	CHECK(parse(CT, body) == 2);
	CHECK(part_is(0, "{\"a\":1}"));
	CHECK_STR(parts[0].content_type, "application/json");
	CHECK(lrs_part_is_json(&parts[0]));
	CHECK_STR(parts[0].sha2, "");
	CHECK_STR(parts[0].transfer_encoding, "");
	CHECK(part_is(1, "here is a simple attachment"));
	CHECK_STR(parts[1].content_type, "text/plain; charset=ASCII");
	CHECK_STR(parts[1].transfer_encoding, "binary");
	CHECK_STR(parts[1].sha2, "ABCdef");
	CHECK(!lrs_part_is_json(&parts[1]));
}

/* The body shape the ADL conformance suite sends for signed statements:
 * CRLF preamble, no space after colons, no CRLF after the close. */
static void suite_shape(void)
{
#define SB "-------------12345"
	const char *body =
		"\r\n--" SB "\r\nContent-Type:application/json\r\n\r\n{}"
		"\r\n--" SB "\r\nContent-Type:application/octet-stream\r\n"
		"Content-Transfer-Encoding:binary\r\nX-Experience-API-Hash:ab\r\n\r\nsig"
		"\r\n--" SB "--";
	CHECK(parse("multipart/mixed; boundary=" SB, body) == 2);
	CHECK(part_is(0, "{}"));
	CHECK(part_is(1, "sig"));
	CHECK_STR(parts[1].content_type, "application/octet-stream");
#undef SB
}

static void boundary_param(void)
{
	const char *odd = "--a'()+_,-./:=? b\r\n\r\nx\r\n--a'()+_,-./:=? b--";
	CHECK(parse("Multipart/Mixed; charset=\"x;y\"; BOUNDARY=\"a'()+_,-./:=? b\"", odd) == 1);
	CHECK(part_is(0, "x"));
	CHECK(parse("multipart/mixed;boundary = XyZ ;", "--XyZ\r\n\r\nx\r\n--XyZ--") == 1);
	CHECK(parse("multipart/mixed; boundary=\"X\\yZ\"", "--XyZ\r\n\r\nx\r\n--XyZ--") == 1);

	CHECK(parse("multipart/mixed", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(strstr(err, "boundary") != NULL);
	CHECK(parse("multipart/mixed;", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse("multipart/mixed; boundary=", "--\r\n\r\nx\r\n----") == -1);
	CHECK(parse("multipart/mixed; boundary=\"\"", "--\r\n\r\nx\r\n----") == -1);
	CHECK(parse("multipart/mixed; boundary=\"XyZ", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse("multipart/mixed; boundary=XyZ; boundary=XyZ", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(parse("multipart/mixed; boundary=Xy<Z", "--Xy<Z\r\n\r\nx\r\n--Xy<Z--") == -1);
	CHECK(parse("multipart/mixed; boundary=\"XyZ \"", "--XyZ \r\n\r\nx\r\n--XyZ --") == -1);
	CHECK(parse("multipart/form-data; boundary=XyZ", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse("multipart/mixedx; boundary=XyZ", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse("multipart/mixed; boundary", "--XyZ\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(lrs_multipart_parse(NULL, "", 0, parts, MAXP, err, sizeof(err)) == -1);

	char ct[128], body[256];
	char b70[71];
	memset(b70, 'b', 70);
	b70[70] = '\0';
	snprintf(ct, sizeof(ct), "multipart/mixed; boundary=%s", b70);
	snprintf(body, sizeof(body), "--%s\r\n\r\nx\r\n--%s--", b70, b70);
	CHECK(parse(ct, body) == 1);
	snprintf(ct, sizeof(ct), "multipart/mixed; boundary=%sb", b70);
	snprintf(body, sizeof(body), "--%sb\r\n\r\nx\r\n--%sb--", b70, b70);
	CHECK(parse(ct, body) == -1);
	CHECK(strstr(err, "70") != NULL);
}

static void framing_errors(void)
{
	/* boundary never at the start of a line */
	CHECK(parse(CT, "Content-Type: application/json\r\n\r\n{} --XyZ--") == -1);
	CHECK(parse(CT, "") == -1);
	/* missing closing delimiter */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: application/json\r\n\r\n{}\r\n") == -1);
	CHECK(strstr(err, "closing") != NULL);
	CHECK(parse(CT, "--XyZ\r\n\r\n{}\r\n--XyZ\r\n\r\nx") == -1);
	CHECK(parse(CT, "--XyZ\r\n\r\n{}\r\n--XyZ") == -1);
	/* headers never end */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: application/json\r\n") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent-Type: application/json") == -1);
	/* no parts at all */
	CHECK(parse(CT, "--XyZ--\r\n") == -1);
	/* boundary followed by junk on the first line or in the preamble */
	CHECK(parse(CT, "--XyZjunk\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ-\r\n\r\nx\r\n--XyZ--") == -1);
	/* boundary inside a part (at the start of a line, then more) */
	CHECK(parse(CT, "--XyZ\r\n\r\nab\r\n--XyZZY\r\ncd\r\n--XyZ--") == -1);
	CHECK(strstr(err, "contains the boundary") != NULL);
	/* closing delimiter followed by junk on its line */
	CHECK(parse(CT, "--XyZ\r\n\r\nab\r\n--XyZ--junk") == -1);
	/* a part that starts with the delimiter: its CRLF was eaten */
	CHECK(parse(CT, "--XyZ\r\n--XyZ--") == -1);
}

static void boundary_like_content(void)
{
	/* not at the start of a line, or not followed by the boundary: data */
	const char *body = "--XyZ\r\n\r\na --XyZ b\r\n-XyZ\r\n--XyY\r\n\r\n--XyZ--";
	CHECK(parse(CT, body) == 1);
	CHECK(part_is(0, "a --XyZ b\r\n-XyZ\r\n--XyY\r\n"));
	/* transport padding after delimiters */
	CHECK(parse(CT, "--XyZ \t\r\n\r\nab\r\n--XyZ  \r\n\r\ncd\r\n--XyZ-- \r\n") == 2);
	CHECK(part_is(0, "ab"));
	CHECK(part_is(1, "cd"));
	/* binary content with NUL bytes and CR/LF */
	static const char bin[] = "--XyZ\r\n\r\n\0\r\n\0--\r\n\r\n--XyZ--";
	CHECK(lrs_multipart_parse(CT, bin, sizeof(bin) - 1, parts, MAXP, err, sizeof(err)) == 1);
	CHECK(parts[0].len == 8 && memcmp(parts[0].body, "\0\r\n\0--\r\n", 8) == 0);
}

static void line_endings(void)
{
	/* bare LF throughout (sloppy clients) */
	CHECK(parse(CT, "--XyZ\nContent-Type: application/json\n\n{}\n--XyZ\n\nab\n--XyZ--\n") == 2);
	CHECK(part_is(0, "{}"));
	CHECK(part_is(1, "ab"));
	/* CRLF first, then a bare LF header line */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: application/json\n\r\n{}\r\n--XyZ--") == -1);
	CHECK(strstr(err, "bare LF") != NULL);
	/* LF first: a CR in a header is a control character */
	CHECK(parse(CT, "--XyZ\nContent-Type: application/json\r\n\n{}\n--XyZ--") == -1);
}

static void header_injection(void)
{
	/* bare CR inside a header value */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: text/plain\rX-Experience-API-Hash: ab\r\n\r\n"
		    "x\r\n--XyZ--") == -1);
	CHECK(strstr(err, "control") != NULL);
	/* NUL inside a header */
	static const char nul[] = "--XyZ\r\nContent-Type: text/pl\0ain\r\n\r\nx\r\n--XyZ--";
	CHECK(lrs_multipart_parse(CT, nul, sizeof(nul) - 1, parts, MAXP, err, sizeof(err)) == -1);
	/* folded header */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: text/plain\r\n X-Experience-API-Hash: ab\r\n\r\n"
		    "x\r\n--XyZ--") == -1);
	/* no colon, empty name, bad name */
	CHECK(parse(CT, "--XyZ\r\nContent-Type text/plain\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\n: text/plain\r\n\r\nx\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent Type: text/plain\r\n\r\nx\r\n--XyZ--") == -1);
	/* repeated headers are ambiguous */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: application/json\r\ncontent-type: text/plain\r\n"
		    "\r\nx\r\n--XyZ--") == -1);
	CHECK(strstr(err, "twice") != NULL);
	CHECK(parse(CT, "--XyZ\r\nX-Experience-API-Hash: ab\r\nX-Experience-API-Hash: cd\r\n"
		    "\r\nx\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent-Transfer-Encoding: binary\r\n"
		    "Content-Transfer-Encoding: base64\r\n\r\nx\r\n--XyZ--") == -1);
	/* empty or oversized values */
	CHECK(parse(CT, "--XyZ\r\nContent-Type:  \r\n\r\nx\r\n--XyZ--") == -1);
	char body[2048], hash[200];
	memset(hash, 'a', 129);
	hash[129] = '\0';
	snprintf(body, sizeof(body), "--XyZ\r\nX-Experience-API-Hash: %s\r\n\r\nx\r\n--XyZ--", hash);
	CHECK(parse(CT, body) == -1);
	hash[128] = '\0';
	snprintf(body, sizeof(body), "--XyZ\r\nX-Experience-API-Hash: %s\r\n\r\nx\r\n--XyZ--", hash);
	CHECK(parse(CT, body) == 1);
	CHECK(strlen(parts[0].sha2) == 128);
	/* one header line over the limit */
	char longline[LRS_MULTIPART_MAX_HEADER_LINE + 100];
	memset(longline, 'v', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	char *big = malloc(sizeof(longline) + 100);
	snprintf(big, sizeof(longline) + 100, "--XyZ\r\nX-Other: %s\r\n\r\nx\r\n--XyZ--", longline);
	CHECK(parse(CT, big) == -1);
	CHECK(strstr(err, "longer") != NULL);
	free(big);
	/* too many header lines */
	char many[4096] = "--XyZ\r\n";
	for (int i = 0; i <= LRS_MULTIPART_MAX_HEADERS; i++)
		strcat(many, "X-A: b\r\n");
	strcat(many, "\r\nx\r\n--XyZ--");
	CHECK(parse(CT, many) == -1);
}

static void lying_lengths(void)
{
	CHECK(parse(CT, "--XyZ\r\nContent-Length: 2\r\n\r\nab\r\n--XyZ--") == 1);
	CHECK(parse(CT, "--XyZ\r\nContent-Length: 3\r\n\r\nab\r\n--XyZ--") == -1);
	CHECK(strstr(err, "Content-Length") != NULL);
	CHECK(parse(CT, "--XyZ\r\nContent-Length: 1\r\n\r\nab\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent-Length: -2\r\n\r\nab\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent-Length: 99999999999999999999999\r\n\r\nab\r\n--XyZ--") == -1);
	CHECK(parse(CT, "--XyZ\r\nContent-Length: 0\r\n\r\n\r\n--XyZ--") == 1);
}

static void empty_parts(void)
{
	/* headers, blank line, no content */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\n\r\n--XyZ--") == 1);
	CHECK(parts[0].len == 0);
	CHECK_STR(parts[0].content_type, "text/plain");
	/* headers then the delimiter right away (no body section) */
	CHECK(parse(CT, "--XyZ\r\nContent-Type: text/plain\r\n\r\n--XyZ--") == 1);
	CHECK(parts[0].len == 0);
	/* no headers and no content */
	CHECK(parse(CT, "--XyZ\r\n\r\n--XyZ\r\n\r\n\r\n--XyZ--") == 2);
	CHECK(parts[0].len == 0 && parts[1].len == 0);
	CHECK_STR(parts[0].content_type, "");
}

static void many_parts(void)
{
	size_t cap = 64 + 40 * (LRS_MULTIPART_MAX_PARTS + 2);
	char *body = malloc(cap);
	size_t n = 0;
	for (int i = 0; i < LRS_MULTIPART_MAX_PARTS; i++)
		n += (size_t)snprintf(body + n, cap - n, "--XyZ\r\nX-N: %d\r\n\r\n%d\r\n", i, i);
	snprintf(body + n, cap - n, "--XyZ--");
	err[0] = '\0';
	CHECK(lrs_multipart_parse(CT, body, strlen(body), parts, LRS_MULTIPART_MAX_PARTS, err,
				  sizeof(err)) == LRS_MULTIPART_MAX_PARTS);
	CHECK(part_is(LRS_MULTIPART_MAX_PARTS - 1, "255"));
	CHECK(lrs_multipart_parse(CT, body, strlen(body), parts, LRS_MULTIPART_MAX_PARTS - 1, err,
				  sizeof(err)) == -1);
	CHECK(strstr(err, "more than") != NULL);
	free(body);
}

static void build_round_trip(void)
{
	static const char bin[] = "\0\r\n--vern\r\n\xff";
	struct lrs_out_part out[3] = {
		{ "text/plain", "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
		  "here is a simple attachment", 27 },
		{ "image/png\r\nX-Evil: 1", "ABCDEF", bin, sizeof(bin) - 1 },
		{ NULL, "00", NULL, 0 },
	};
	char boundary[64];
	size_t len = 0;
	const char *json = "{\"statements\":[]}";
	char *body = lrs_multipart_build(json, strlen(json), out, 3, boundary, &len);
	CHECK(body != NULL);
	if (!body)
		return;
	CHECK(strlen(boundary) == 36 && strncmp(boundary, "vern", 4) == 0);
	for (const char *c = boundary; *c; c++)
		CHECK((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z'));
	CHECK(strstr(body, "X-Evil") == NULL);
	CHECK(strncmp(body, "--", 2) == 0);
	CHECK(len >= 4 && memcmp(body + len - 4, "--\r\n", 4) == 0);
	char ct[128];
	snprintf(ct, sizeof(ct), "multipart/mixed; boundary=%s", boundary);
	CHECK(lrs_multipart_parse(ct, body, len, parts, MAXP, err, sizeof(err)) == 4);
	CHECK(lrs_part_is_json(&parts[0]));
	CHECK(part_is(0, json));
	CHECK(part_is(1, "here is a simple attachment"));
	CHECK_STR(parts[1].content_type, "text/plain");
	CHECK_STR(parts[1].transfer_encoding, "binary");
	CHECK_STR(parts[1].sha2, out[0].sha2);
	CHECK(parts[2].len == sizeof(bin) - 1 && memcmp(parts[2].body, bin, parts[2].len) == 0);
	CHECK_STR(parts[2].content_type, "application/octet-stream");
	CHECK(parts[3].len == 0);
	free(body);

	/* a bad hash is refused, not written into a header */
	struct lrs_out_part bad = { "text/plain", "ab\r\nX-Evil: 1", "x", 1 };
	CHECK(lrs_multipart_build(json, strlen(json), &bad, 1, boundary, &len) == NULL);
	bad.sha2 = "";
	CHECK(lrs_multipart_build(json, strlen(json), &bad, 1, boundary, &len) == NULL);

	/* no attachments */
	body = lrs_multipart_build("{}", 2, NULL, 0, boundary, &len);
	CHECK(body != NULL);
	snprintf(ct, sizeof(ct), "multipart/mixed; boundary=\"%s\"", boundary);
	CHECK(body && lrs_multipart_parse(ct, body, len, parts, MAXP, err, sizeof(err)) == 1);
	free(body);
}

int main(void)
{
	UNIT_RUN(basic);
	UNIT_RUN(suite_shape);
	UNIT_RUN(boundary_param);
	UNIT_RUN(framing_errors);
	UNIT_RUN(boundary_like_content);
	UNIT_RUN(line_endings);
	UNIT_RUN(header_injection);
	UNIT_RUN(lying_lengths);
	UNIT_RUN(empty_parts);
	UNIT_RUN(many_parts);
	UNIT_RUN(build_round_trip);
	return unit_done();
}
