/* fuzz_multipart.c: libFuzzer target for the multipart/mixed reader and
 * writer (lrs/multipart.c) and the attachment checks (lrs/attachments.c).
 *
 * Input: the first line is the request's Content-Type header value, the
 * rest is the body. A body that parses must give parts inside the body; a
 * JSON first part is run through lrs_attachments_check as 1.0.3 and 2.0
 * (statements unvalidated, so the checks see hostile shapes too); the
 * parts are written back with lrs_multipart_build and must read back the
 * same. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attachments.h"
#include "multipart.h"

static struct lrs_part parts[LRS_MULTIPART_MAX_PARTS];
static struct lrs_part again[LRS_MULTIPART_MAX_PARTS];
static struct lrs_out_part out[LRS_MULTIPART_MAX_PARTS];

static int is_hex(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
			return 0;
	return 1;
}

/* Writes the parts back out and reads them again: same contents. */
static void round_trip(int n)
{
	for (int i = 1; i < n; i++) {
		out[i - 1].content_type = parts[i].content_type;
		out[i - 1].sha2 = is_hex(parts[i].sha2) ? parts[i].sha2 : "00";
		out[i - 1].data = parts[i].body;
		out[i - 1].len = parts[i].len;
	}
	char boundary[64];
	size_t len = 0;
	char *body = lrs_multipart_build(parts[0].body, parts[0].len, out, n - 1, boundary, &len);
	if (!body)
		abort();
	char ct[128];
	strcpy(ct, "multipart/mixed; boundary=");
	strcat(ct, boundary);
	char err[200];
	int m = lrs_multipart_parse(ct, body, len, again, LRS_MULTIPART_MAX_PARTS, err, sizeof(err));
	if (m != n)
		abort();
	for (int i = 0; i < n; i++)
		if (again[i].len != parts[i].len ||
		    (parts[i].len && memcmp(again[i].body, parts[i].body, parts[i].len) != 0))
			abort();
	free(body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl || nl - data > 1024)
		return 0;
	char ct[1025];
	size_t ct_len = (size_t)(nl - data);
	memcpy(ct, data, ct_len);
	ct[ct_len] = '\0';
	if (ct_len && ct[ct_len - 1] == '\r')
		ct[ct_len - 1] = '\0';

	/* The body in its own allocation, so ASan sees any read past it. */
	size_t len = size - ct_len - 1;
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	if (len)
		memcpy(body, nl + 1, len);

	char err[200] = "";
	int n = lrs_multipart_parse(ct, body, len, parts, LRS_MULTIPART_MAX_PARTS, err, sizeof(err));
	if (n == -1) {
		if (!err[0])
			abort();
	} else {
		if (n < 1 || n > LRS_MULTIPART_MAX_PARTS)
			abort();
		for (int i = 0; i < n; i++)
			if (parts[i].body < body || parts[i].len > len ||
			    parts[i].body + parts[i].len > body + len)
				abort();
		round_trip(n);
		if (lrs_part_is_json(&parts[0])) {
			json_t *v = json_loadb(parts[0].body, parts[0].len, JSON_REJECT_DUPLICATES, NULL);
			if (v) {
				struct lrs_verror e;
				lrs_attachments_check(v, parts, n, LRS_V103, &e);
				lrs_attachments_check(v, parts, n, LRS_V200, &e);
				lrs_attachments_check_json_only(v, &e);
				if (json_is_array(v) && json_array_size(v) >= 2)
					lrs_statements_match(json_array_get(v, 0), json_array_get(v, 1));
				json_decref(v);
			}
		}
	}
	free(body);
	return 0;
}
