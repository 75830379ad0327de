/* mail_smtp.c: the SMTP client on libcurl (see mail_smtp.h). */
#include "mail_smtp.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mail_mime.h"

struct smtp_client {
	CURL *curl;
	const struct smtp_settings *s;
	const volatile int *stop;
	char errbuf[CURL_ERROR_SIZE];
	/* the transfer in progress */
	const char *msg;
	size_t len, off;
	int (*before_end)(void *);
	void *arg;
	int ended, refused;
};

int smtp_settings_from_config(const struct config *cfg, struct smtp_settings *s, char *err,
			      size_t errsize)
{
	memset(s, 0, sizeof *s);
	char name[MAIL_NAME_MAX + 1];
	if (mail_parse_mailbox(cfg->mail_from, name, sizeof name, s->from_addr, sizeof s->from_addr) != 0) {
		snprintf(err, errsize, "config key mail_from: '%s' is not \"Name <address>\" or an address",
			 cfg->mail_from);
		return -1;
	}
	int tls;
	if (strcmp(cfg->smtp_tls, "none") == 0)
		tls = 0;
	else if (strcmp(cfg->smtp_tls, "starttls") == 0)
		tls = 1;
	else if (strcmp(cfg->smtp_tls, "tls") == 0)
		tls = 2;
	else {
		snprintf(err, errsize, "config key smtp_tls: '%s' is not none, starttls or tls", cfg->smtp_tls);
		return -1;
	}
	if (!cfg->smtp_host[0])
		return 1;
	for (const char *p = cfg->smtp_host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr(".-:[]", *p))) {
			snprintf(err, errsize, "config key smtp_host: '%s' is not a host name or address",
				 cfg->smtp_host);
			return -1;
		}
	long port = cfg->smtp_port ? cfg->smtp_port : tls == 2 ? 465 : tls == 1 ? 587 : 25;
	snprintf(s->url, sizeof s->url, "%s://%s:%ld", tls == 2 ? "smtps" : "smtp", cfg->smtp_host, port);
	s->starttls = tls == 1;
	snprintf(s->user, sizeof s->user, "%s", cfg->smtp_user);
	snprintf(s->password, sizeof s->password, "%s", cfg->smtp_password);
	snprintf(s->ca_file, sizeof s->ca_file, "%s", cfg->smtp_ca_file);
	s->timeout_s = cfg->smtp_timeout_seconds;
	return 0;
}

static size_t read_body(char *buf, size_t size, size_t nitems, void *userp)
{
	struct smtp_client *c = userp;
	size_t room = size * nitems;
	if (c->off < c->len) {
		size_t n = c->len - c->off < room ? c->len - c->off : room;
		memcpy(buf, c->msg + c->off, n);
		c->off += n;
		return n;
	}
	/* Everything is handed over; returning 0 makes curl write the final
	 * dot. Record the message as sent first. */
	if (!c->ended) {
		if (c->before_end && c->before_end(c->arg) != 0) {
			c->refused = 1;
			return CURL_READFUNC_ABORT;
		}
		c->ended = 1;
	}
	return 0;
}

static int progress(void *userp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct smtp_client *c = userp;
	/* Once the dot may be on its way, let the exchange finish. */
	return c->stop && *c->stop && !c->ended;
}

struct smtp_client *smtp_client_new(const struct smtp_settings *s, const volatile int *stop)
{
	struct smtp_client *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->s = s;
	c->stop = stop;
	c->curl = curl_easy_init();
	if (!c->curl) {
		free(c);
		return NULL;
	}
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, s->url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(h, CURLOPT_READDATA, c);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, s->timeout_s);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, s->timeout_s < 15 ? s->timeout_s : 15L);
	curl_easy_setopt(h, CURLOPT_USE_SSL, s->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	if (s->ca_file[0])
		curl_easy_setopt(h, CURLOPT_CAINFO, s->ca_file);
	if (s->user[0]) {
		curl_easy_setopt(h, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->password);
	}
	char from[300];
	snprintf(from, sizeof from, "<%s>", s->from_addr);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	return c;
}

void smtp_client_free(struct smtp_client *c)
{
	if (!c)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static int connection_trouble(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_LOGIN_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_GOT_NOTHING:
	case CURLE_AUTH_ERROR:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_OUT_OF_MEMORY:
		return 1;
	default:
		return 0;
	}
}

enum smtp_result smtp_send(struct smtp_client *c, const char *rcpt, const char *msg, size_t len,
			   int (*before_end)(void *arg), void *arg, int *reached_end, char *err,
			   size_t errsize)
{
	*reached_end = 0;
	err[0] = '\0';
	char to[300];
	snprintf(to, sizeof to, "<%s>", rcpt);
	struct curl_slist *rcpts = curl_slist_append(NULL, to);
	if (!rcpts) {
		snprintf(err, errsize, "out of memory");
		return SMTP_CONNFAIL;
	}
	c->msg = msg;
	c->len = len;
	c->off = 0;
	c->before_end = before_end;
	c->arg = arg;
	c->ended = c->refused = 0;
	c->errbuf[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, rcpts);
	/* No CURLOPT_INFILESIZE: curl must ask read_body for the end, so the
	 * row is committed before the final dot. */
	CURLcode rc = curl_easy_perform(c->curl);
	curl_easy_setopt(c->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(rcpts);
	*reached_end = c->ended;
	if (rc == CURLE_OK && !c->ended && c->before_end) {
		/* Cannot happen with this curl; if it did, the row must still
		 * not be sent again. */
		if (c->before_end(c->arg) == 0)
			*reached_end = 1;
	}
	if (rc == CURLE_OK)
		return SMTP_OK;

	long code = 0;
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	snprintf(err, errsize, "%s%s%s", curl_easy_strerror(rc), c->errbuf[0] ? ": " : "", c->errbuf);
	if (c->refused || rc == CURLE_ABORTED_BY_CALLBACK)
		return SMTP_ABORTED;
	if (connection_trouble(rc) || code == 421 || code == 0 || strncmp(c->errbuf, "MAIL failed", 11) == 0)
		return SMTP_CONNFAIL;
	return code >= 500 ? SMTP_PERMFAIL : SMTP_TEMPFAIL;
}
