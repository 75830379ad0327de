/* test_attachments.c: attachment and signed-statement checks
 * (lrs/attachments.c), driven through real multipart bodies. */
#include <sodium.h>
#include <stdlib.h>

#include "attachments.h"
#include "multipart.h"
#include "unit.h"

#define CT "multipart/mixed; boundary=bnd"
#define TXT "here is a simple attachment"
#define TXT_SHA256 "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
#define SIG_USAGE "http://adlnet.gov/expapi/attachments/signature"

static struct lrs_part parts[LRS_MULTIPART_MAX_PARTS];
static struct lrs_verror ve;
static char body[65536];
static size_t body_len;

static const char *stmt_head =
	"\"actor\":{\"objectType\":\"Agent\",\"name\":\"A\",\"mbox\":\"mailto:a@example.org\"},"
	"\"verb\":{\"id\":\"http://adlnet.gov/expapi/verbs/attended\",\"display\":{\"en-US\":\"attended\"}},"
	"\"object\":{\"objectType\":\"Activity\",\"id\":\"http://example.org/a/1\"}";

/* An attachment object with sha2 and contentType, and fileUrl when url. */
static void att(char *out, size_t size, const char *usage, const char *ct, const char *sha2,
		const char *url)
{
	snprintf(out, size, "{\"usageType\":\"%s\",\"display\":{\"en-US\":\"x\"},\"contentType\":\"%s\","
		 "\"length\":27,\"sha2\":\"%s\"%s%s%s}", usage ? usage : "http://example.org/usage",
		 ct ? ct : "text/plain", sha2, url ? ",\"fileUrl\":\"" : "", url ? url : "",
		 url ? "\"" : "");
}

static void start(const char *json)
{
	body_len = (size_t)snprintf(body, sizeof(body), "--bnd\r\nContent-Type: application/json\r\n"
				    "\r\n%s", json);
}

/* Appends a part; hash or cte NULL leaves the header out. */
static void add(const char *ct, const char *cte, const char *hash, const void *data, size_t len)
{
	body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len, "\r\n--bnd\r\n");
	if (ct)
		body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len,
					     "Content-Type: %s\r\n", ct);
	if (cte)
		body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len,
					     "Content-Transfer-Encoding: %s\r\n", cte);
	if (hash)
		body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len,
					     "X-Experience-API-Hash: %s\r\n", hash);
	body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len, "\r\n");
	memcpy(body + body_len, data, len);
	body_len += len;
}

/* Closes the body, parses it and runs the check on its JSON part. */
static int finish(void)
{
	body_len += (size_t)snprintf(body + body_len, sizeof(body) - body_len, "\r\n--bnd--\r\n");
	char err[200];
	int n = lrs_multipart_parse(CT, body, body_len, parts, LRS_MULTIPART_MAX_PARTS, err,
				    sizeof(err));
	if (n < 1) {
		printf("#   parse failed: %s\n", err);
		return -2;
	}
	json_t *v = json_loadb(parts[0].body, parts[0].len, JSON_DECODE_ANY, NULL);
	if (!v) {
		printf("#   bad test JSON\n");
		return -2;
	}
	memset(&ve, 0, sizeof(ve));
	int rc = lrs_attachments_check(v, parts, n, LRS_V200, &ve);
	json_decref(v);
	return rc;
}

static void sha_vectors(void)
{
	char hex[65];
	lrs_sha256_hex("abc", 3, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	lrs_sha256_hex(TXT, strlen(TXT), hex);
	CHECK_STR(hex, TXT_SHA256);
}

static void one_attachment(void)
{
	char a[512], json[2048];
	att(a, sizeof(a), NULL, NULL, TXT_SHA256, NULL);
	snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, a);

	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == 0);

	/* upper-case hash header, no Content-Transfer-Encoding (assumed binary) */
	start(json);
	add("text/plain", NULL, "495395E777CD98DA653DF9615D09C0FD6BB2F8D4788394CD53C56A3BFDCD848A",
	    TXT, strlen(TXT));
	CHECK(finish() == 0);
	CHECK(lrs_attachments_find_part(parts, 2, TXT_SHA256) == 1);
	CHECK(lrs_attachments_find_part(parts, 2, "00") == -1);
	CHECK(lrs_attachments_find_part(parts, 2, "") == -1);

	/* the part is missing */
	start(json);
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "attachments[0]");
	CHECK(strstr(ve.rule, "fileUrl") != NULL);

	/* other encodings are refused */
	start(json);
	add("text/plain", "base64", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "part 2");

	/* no hash header */
	start(json);
	add("text/plain", "binary", NULL, TXT, strlen(TXT));
	CHECK(finish() == -1);
	CHECK(strstr(ve.rule, "X-Experience-API-Hash") != NULL);

	/* the content does not hash to the header */
	start(json);
	add("text/plain", "binary", TXT_SHA256, "here is a simple attachmenT", strlen(TXT));
	CHECK(finish() == -1);
	CHECK(strstr(ve.rule, "does not hash") != NULL);

	/* not a SHA-2 hash */
	start(json);
	add("text/plain", "binary", "abc", TXT, strlen(TXT));
	CHECK(finish() == -1);
	start(json);
	add("text/plain", "binary", "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848g",
	    TXT, strlen(TXT));
	CHECK(finish() == -1);

	/* an excess part no attachment names */
	char other[65];
	lrs_sha256_hex("other", 5, other);
	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	add("text/plain", "binary", other, "other", 5);
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "part 3");

	/* the same data sent twice is still the attachment's */
	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == 0);

	/* the first part must be JSON */
	body_len = (size_t)snprintf(body, sizeof(body), "--bnd\r\nContent-Type: text/plain\r\n\r\n%s",
				    json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "part 1");
}

static void other_hashes(void)
{
	static const struct {
		size_t len;
		const char *sha384;
	} v[] = {
		{ 0, "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b" },
		{ 111, "3c37955051cb5c3026f94d551d5b5e2ac38d572ae4e07172085fed81f8466b8f90dc23a8ffcdea0b8d8e58e8fdacc80a" },
		{ 112, "187d4e07cb306103c69967bf544d0dfbe9042577599c73c330abc0cb64c61236d5ed565ee19119d8c31779a38f791fcd" },
		{ 1000, "f54480689c6b0b11d0303285d9a81b21a93bca6ba5a1b4472765dca4da45ee328082d469c650cd3b61b16d3266ab8ced" },
	};
	static char data[1000];
	memset(data, 'a', sizeof(data));
	char a[512], json[2048];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		att(a, sizeof(a), NULL, NULL, v[i].sha384, NULL);
		snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, a);
		start(json);
		add("text/plain", "binary", v[i].sha384, data, v[i].len);
		CHECK(finish() == 0);
		start(json);
		add("text/plain", "binary", v[i].sha384, "b", 1);
		CHECK(finish() == -1);
	}
	const char *sha512 = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
			     "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
	att(a, sizeof(a), NULL, NULL, sha512, NULL);
	snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, a);
	start(json);
	add("text/plain", "binary", sha512, "abc", 3);
	CHECK(finish() == 0);
}

static void batches(void)
{
	char a1[512], a2[512], af[512], json[4096];
	char h2[65];
	lrs_sha256_hex("second", 6, h2);
	att(a1, sizeof(a1), NULL, NULL, TXT_SHA256, NULL);
	att(a2, sizeof(a2), NULL, NULL, h2, NULL);
	att(af, sizeof(af), NULL, NULL, h2, "http://example.org/f.txt");

	/* two statements share one part; a fileUrl attachment may have a part */
	snprintf(json, sizeof(json), "[{%s,\"attachments\":[%s]},{%s,\"attachments\":[%s,%s]}]",
		 stmt_head, a1, stmt_head, a1, af);
	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	add("text/plain", "binary", h2, "second", 6);
	CHECK(finish() == 0);
	/* ... or not */
	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == 0);

	/* the path names the statement */
	snprintf(json, sizeof(json), "[{%s,\"attachments\":[%s]},{%s,\"attachments\":[%s,%s]}]",
		 stmt_head, a1, stmt_head, a1, a2);
	start(json);
	add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "[1].attachments[1]");

	/* a SubStatement's attachments need their parts too */
	char fixed[4096];
	snprintf(fixed, sizeof(fixed),
		 "{\"actor\":{\"mbox\":\"mailto:a@example.org\"},\"verb\":{\"id\":\"http://v.org/v\"},"
		 "\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:b@example.org\"},"
		 "\"verb\":{\"id\":\"http://v.org/w\"},\"object\":{\"id\":\"http://example.org/a/2\"},"
		 "\"attachments\":[%s]}}", a2);
	start(fixed);
	CHECK(finish() == -1);
	CHECK_STR(ve.path, "object.attachments[0]");
	start(fixed);
	add("text/plain", "binary", h2, "second", 6);
	CHECK(finish() == 0);

	/* no attachments at all, or only fileUrl ones: fine as multipart */
	snprintf(json, sizeof(json), "{%s}", stmt_head);
	start(json);
	CHECK(finish() == 0);
	snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, af);
	start(json);
	CHECK(finish() == 0);
}

static void json_only(void)
{
	char a[512], json[2048];
	att(a, sizeof(a), NULL, NULL, TXT_SHA256, "http://example.org/f.txt");
	snprintf(json, sizeof(json), "[{%s,\"attachments\":[%s]}]", stmt_head, a);
	json_t *v = json_loads(json, 0, NULL);
	CHECK(lrs_attachments_check_json_only(v, &ve) == 0);
	json_decref(v);

	att(a, sizeof(a), NULL, NULL, TXT_SHA256, NULL);
	snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, a);
	v = json_loads(json, 0, NULL);
	CHECK(lrs_attachments_check_json_only(v, &ve) == -1);
	CHECK_STR(ve.path, "attachments[0]");
	json_decref(v);

	/* a signature must come as a part, even with a fileUrl */
	att(a, sizeof(a), SIG_USAGE, "application/octet-stream", TXT_SHA256, "http://example.org/s");
	snprintf(json, sizeof(json), "{%s,\"attachments\":[%s]}", stmt_head, a);
	v = json_loads(json, 0, NULL);
	CHECK(lrs_attachments_check_json_only(v, &ve) == -1);
	json_decref(v);

	/* malformed input is validation's business, not a crash */
	v = json_loads("[1,{\"attachments\":7},{\"attachments\":[1,\"x\",null]}]", 0, NULL);
	CHECK(lrs_attachments_check_json_only(v, &ve) == 0);
	json_decref(v);
	CHECK(lrs_attachments_check_json_only(NULL, &ve) == 0);
}

static void b64url(const void *data, size_t len, char *out, size_t size)
{
	sodium_bin2base64(out, size, data, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A JWS over payload with a stand-in RSA signature of sig_len bytes (the
 * LRS does not verify RSA signatures, only their shape). */
static char *make_jws(const char *header, const char *payload, size_t sig_len)
{
	static unsigned char sig[2048];
	memset(sig, 0x5a, sizeof(sig));
	size_t size = 4 * (strlen(header) + strlen(payload) + sig_len) / 3 + 64;
	char *out = malloc(size);
	char *h = malloc(size), *p = malloc(size), *s = malloc(size);
	b64url(header, strlen(header), h, size);
	b64url(payload, strlen(payload), p, size);
	b64url(sig, sig_len, s, size);
	snprintf(out, size, "%s.%s.%s", h, p, s);
	free(h);
	free(p);
	free(s);
	return out;
}

/* POSTs statement (no attachments) signed by jws_text, the signature part
 * declared with contentType ct. */
static int signed_post(const char *statement, const char *jws_text, const char *ct)
{
	char hash[65], a[512], json[8192];
	lrs_sha256_hex(jws_text, strlen(jws_text), hash);
	att(a, sizeof(a), SIG_USAGE, ct, hash, NULL);
	size_t n = strlen(statement);
	snprintf(json, sizeof(json), "%.*s,\"attachments\":[%s]}", (int)(n - 1), statement, a);
	start(json);
	add(ct, "binary", hash, jws_text, strlen(jws_text));
	return finish();
}

static void signatures(void)
{
	char st[2048];
	snprintf(st, sizeof(st), "{\"id\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\",%s,"
		 "\"result\":{\"duration\":\"PT1.2S\"}}", stmt_head);
	const char *rs256 = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	const char *oct = "application/octet-stream";

	char *jws = make_jws(rs256, st, 256);
	CHECK(signed_post(st, jws, oct) == 0);
	/* wrong contentType for a signature */
	CHECK(signed_post(st, jws, "text/plain") == -1);
	CHECK(strstr(ve.rule, "octet-stream") != NULL);
	free(jws);

	jws = make_jws("{\"alg\":\"RS512\"}", st, 512);
	CHECK(signed_post(st, jws, oct) == 0);
	free(jws);

	/* other algorithms, no algorithm, header not JSON */
	jws = make_jws("{\"alg\":\"HS256\"}", st, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	CHECK(strstr(ve.rule, "RS256") != NULL);
	free(jws);
	jws = make_jws("{\"typ\":\"JWT\"}", st, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	free(jws);
	jws = make_jws("{alg:RS256}", st, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	free(jws);
	jws = make_jws("{\"alg\":\"RS256\",\"x5c\":\"nope\"}", st, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	free(jws);
	/* a signature too short for RSA */
	jws = make_jws(rs256, st, 32);
	CHECK(signed_post(st, jws, oct) == -1);
	free(jws);

	/* payload not JSON (the suite's breakJson), or not the statement */
	char broken[2048];
	snprintf(broken, sizeof(broken), "%s", st);
	broken[1] = '\'';
	jws = make_jws(rs256, broken, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	free(jws);
	char other[2048];
	snprintf(other, sizeof(other), "{\"id\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\",%s,"
		 "\"result\":{\"duration\":\"PT1.3S\"}}", stmt_head);
	jws = make_jws(rs256, other, 256);
	CHECK(signed_post(st, jws, oct) == -1);
	CHECK(strstr(ve.rule, "differs") != NULL);
	free(jws);

	/* shapes that are not compact JWS */
	CHECK(signed_post(st, "abc.def", oct) == -1);
	CHECK(signed_post(st, "a.b.c.d", oct) == -1);
	CHECK(signed_post(st, "....", oct) == -1);
	CHECK(signed_post(st, "", oct) == -1);
	CHECK(signed_post(st, "e30.e30.!!!", oct) == -1);

	/* the signature attachment without its part */
	char hash[65], a[512], json[4096];
	lrs_sha256_hex("x", 1, hash);
	att(a, sizeof(a), SIG_USAGE, oct, hash, "http://example.org/sig");
	size_t n = strlen(st);
	snprintf(json, sizeof(json), "%.*s,\"attachments\":[%s]}", (int)(n - 1), st, a);
	start(json);
	CHECK(finish() == -1);
}

static int match(const char *a, const char *b)
{
	json_t *x = json_loads(a, 0, NULL), *y = json_loads(b, 0, NULL);
	if (!x || !y)
		printf("# bad test JSON\n");
	int m = lrs_statements_match(x, y);
	CHECK(m == lrs_statements_match(y, x));
	json_decref(x);
	json_decref(y);
	return m;
}

static void comparison(void)
{
#define ACT "\"verb\":{\"id\":\"http://v.org/v\"},\"object\":{\"id\":\"http://example.org/a\"}"
	/* LRS-assigned properties and attachments are ignored */
	CHECK(match("{\"actor\":{\"mbox\":\"mailto:a@x.no\"}," ACT "}",
		    "{\"id\":\"8F87CCDE-BB56-4C2E-AB83-44982EF22DF0\",\"actor\":{\"mbox\":\"mailto:a@x.no\"},"
		    ACT ",\"stored\":\"2020-01-01T00:00:00Z\",\"version\":\"1.0.3\","
		    "\"authority\":{\"mbox\":\"mailto:lrs@x.no\"},\"attachments\":[],"
		    "\"timestamp\":\"2020-01-01T00:00:00Z\"}"));
	CHECK(match("{\"id\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\"," ACT "}",
		    "{\"id\":\"8F87CCDE-BB56-4C2E-AB83-44982EF22DF0\"," ACT "}"));
	CHECK(!match("{\"id\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\"," ACT "}",
		     "{\"id\":\"9f87ccde-bb56-4c2e-ab83-44982ef22df0\"," ACT "}"));
	/* timestamps compare as instants */
	CHECK(match("{" ACT ",\"timestamp\":\"2023-05-04T12:00:00-05:00\"}",
		    "{" ACT ",\"timestamp\":\"2023-05-04T17:00:00.000Z\"}"));
	CHECK(!match("{" ACT ",\"timestamp\":\"2023-05-04T12:00:00-05:00\"}",
		     "{" ACT ",\"timestamp\":\"2023-05-04T12:00:00Z\"}"));
	/* verb display and activity definitions are not part of a statement */
	CHECK(match("{\"verb\":{\"id\":\"http://v.org/v\",\"display\":{\"en\":\"a\"}},"
		    "\"object\":{\"id\":\"http://example.org/a\",\"definition\":{\"name\":{\"en\":\"A\"}}}}",
		    "{\"verb\":{\"id\":\"http://v.org/v\"},\"object\":{\"objectType\":\"Activity\","
		    "\"id\":\"http://example.org/a\"}}"));
	CHECK(!match("{\"verb\":{\"id\":\"http://v.org/v\"},\"object\":{\"id\":\"http://example.org/a\"}}",
		     "{\"verb\":{\"id\":\"http://v.org/w\"},\"object\":{\"id\":\"http://example.org/a\"}}"));
	/* group members are unordered; mbox domains and sha1sums caseless */
	CHECK(match("{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@x.no\"},"
		    "{\"mbox_sha1sum\":\"ABCDEF\"}]}," ACT "}",
		    "{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox_sha1sum\":\"abcdef\"},"
		    "{\"objectType\":\"Agent\",\"mbox\":\"mailto:a@X.NO\"}]}," ACT "}"));
	CHECK(!match("{\"actor\":{\"mbox\":\"mailto:a@x.no\"}," ACT "}",
		     "{\"actor\":{\"mbox\":\"mailto:A@x.no\"}," ACT "}"));
	CHECK(!match("{\"actor\":{\"objectType\":\"Group\",\"member\":[{\"mbox\":\"mailto:a@x.no\"}]},"
		     ACT "}", "{\"actor\":{\"objectType\":\"Group\",\"member\":[]}," ACT "}"));
	CHECK(!match("{\"actor\":{\"mbox\":\"mailto:a@x.no\"}," ACT "}",
		     "{\"actor\":{\"objectType\":\"Group\",\"mbox\":\"mailto:a@x.no\"}," ACT "}"));
	/* numbers by value, durations to 0.01 s, everything else exact */
	CHECK(match("{" ACT ",\"result\":{\"score\":{\"raw\":1},\"duration\":\"PT1.2399S\"}}",
		    "{" ACT ",\"result\":{\"score\":{\"raw\":1.0},\"duration\":\"PT1.23S\"}}"));
	CHECK(match("{" ACT ",\"result\":{\"duration\":\"PT2.00S\"}}",
		    "{" ACT ",\"result\":{\"duration\":\"PT2S\"}}"));
	CHECK(!match("{" ACT ",\"result\":{\"duration\":\"PT1.24S\"}}",
		     "{" ACT ",\"result\":{\"duration\":\"PT1.23S\"}}"));
	CHECK(!match("{" ACT ",\"result\":{\"success\":true}}", "{" ACT ",\"result\":{\"success\":false}}"));
	CHECK(!match("{" ACT ",\"result\":{\"success\":true}}", "{" ACT "}"));
	CHECK(!match("{" ACT ",\"context\":{\"extensions\":{\"http://e.org/x\":[1,2]}}}",
		     "{" ACT ",\"context\":{\"extensions\":{\"http://e.org/x\":[2,1]}}}"));
	/* 1.0.3 single context activity equals a list of one; registration caseless */
	CHECK(match("{" ACT ",\"context\":{\"registration\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\","
		    "\"contextActivities\":{\"parent\":{\"id\":\"http://example.org/p\"}}}}",
		    "{" ACT ",\"context\":{\"registration\":\"8F87CCDE-BB56-4C2E-AB83-44982EF22DF0\","
		    "\"contextActivities\":{\"parent\":[{\"id\":\"http://example.org/p\","
		    "\"definition\":{}}],\"other\":[]}}}"));
	CHECK(!match("{" ACT ",\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://p.org/1\"}]}}}",
		     "{" ACT ",\"context\":{\"contextActivities\":{\"parent\":[{\"id\":\"http://p.org/2\"}]}}}"));
	/* SubStatements compare by the same rules */
	CHECK(match("{\"actor\":{\"mbox\":\"mailto:a@x.no\"},\"verb\":{\"id\":\"http://v.org/v\"},"
		    "\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:b@x.no\"},"
		    "\"verb\":{\"id\":\"http://v.org/w\",\"display\":{\"en\":\"w\"}},"
		    "\"object\":{\"objectType\":\"StatementRef\",\"id\":\"8f87ccde-bb56-4c2e-ab83-44982ef22df0\"}}}",
		    "{\"actor\":{\"mbox\":\"mailto:a@x.no\"},\"verb\":{\"id\":\"http://v.org/v\"},"
		    "\"object\":{\"objectType\":\"SubStatement\",\"actor\":{\"mbox\":\"mailto:b@x.no\"},"
		    "\"verb\":{\"id\":\"http://v.org/w\"},"
		    "\"object\":{\"objectType\":\"StatementRef\",\"id\":\"8F87CCDE-BB56-4C2E-AB83-44982EF22DF0\"}}}"));
	/* an extra property is a difference */
	CHECK(!match("{" ACT "}", "{" ACT ",\"context\":{\"platform\":\"x\"}}"));
	CHECK(!lrs_statements_match(NULL, NULL));
#undef ACT
}

static void hostile_json(void)
{
	/* unvalidated shapes must not crash the check */
	const char *cases[] = {
		"[]", "7", "\"x\"", "[1,2]", "{\"attachments\":{}}", "{\"attachments\":[7]}",
		"{\"attachments\":[{\"sha2\":7}]}", "{\"attachments\":[{\"sha2\":\"\"}]}",
		"{\"attachments\":[{\"usageType\":\"" SIG_USAGE "\"}]}",
		"{\"attachments\":[{\"usageType\":\"" SIG_USAGE "\",\"contentType\":"
		"\"application/octet-stream\",\"sha2\":\"" TXT_SHA256 "\"}]}",
		"{\"object\":{\"objectType\":\"SubStatement\",\"attachments\":3}}",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		start(cases[i]);
		add("text/plain", "binary", TXT_SHA256, TXT, strlen(TXT));
		int rc = finish();
		CHECK(rc == 0 || rc == -1);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	UNIT_RUN(sha_vectors);
	UNIT_RUN(one_attachment);
	UNIT_RUN(other_hashes);
	UNIT_RUN(batches);
	UNIT_RUN(json_only);
	UNIT_RUN(signatures);
	UNIT_RUN(comparison);
	UNIT_RUN(hostile_json);
	return unit_done();
}
