/* views_common.c: requirement status, dates, the CSV writer and the
 * audited senders shared by the leader, HR and ombud views (views_common.h). */
#include "views_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "http.h"
#include "server.h"

#define DAY_MS (24LL * 3600 * 1000)

enum views_status views_status_of(int has_completion, long long expires_ms, int success,
				  const char *due, long long now_ms, const char *today)
{
	int counts = has_completion && success != 0;
	if (counts && (expires_ms == 0 || expires_ms > now_ms)) {
		if (expires_ms && expires_ms - now_ms <= VIEWS_EXPIRING_DAYS * DAY_MS)
			return VIEWS_EXPIRING;
		return VIEWS_DONE;
	}
	if (counts)
		return VIEWS_EXPIRED;
	if (due && *due && strcmp(due, today) < 0)
		return VIEWS_OVERDUE;
	return VIEWS_PENDING;
}

static const char *const codes[VIEWS_NSTATUS] = { "fullfort", "utloper", "utlopt", "forfalt",
						   "ikke_fullfort" };
static const char *const labels[VIEWS_NSTATUS] = { "Fullført", "Utløper snart", "Utløpt",
						    "Forfalt", "Ikke fullført" };

const char *views_status_code(enum views_status s)
{
	return s < VIEWS_NSTATUS ? codes[s] : "ukjent";
}

const char *views_status_label(enum views_status s)
{
	return s < VIEWS_NSTATUS ? labels[s] : "Ukjent";
}

int views_status_met(enum views_status s)
{
	return s == VIEWS_DONE || s == VIEWS_EXPIRING;
}

int views_status_late(enum views_status s)
{
	return s == VIEWS_EXPIRED || s == VIEWS_OVERDUE;
}

void views_date_of(long long ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d", &tm);
}

long long views_month_start_ms(int year, int month)
{
	struct tm tm = { 0 };
	tm.tm_year = year - 1900 + (month - 1) / 12;
	tm.tm_mon = (month - 1) % 12;
	tm.tm_mday = 1;
	tm.tm_isdst = -1;
	return (long long)mktime(&tm) * 1000;
}

long long views_add_months_ms(long long ms, int months)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	tm.tm_mon += months;
	tm.tm_isdst = 0;
	return (long long)timegm(&tm) * 1000 + ms % 1000;
}

long long views_day_start_ms(const char *date)
{
	struct tm tm = { 0 };
	tm.tm_year = atoi(date) - 1900;
	tm.tm_mon = atoi(date + 5) - 1;
	tm.tm_mday = atoi(date + 8);
	tm.tm_isdst = -1;
	return (long long)mktime(&tm) * 1000;
}

long long views_parse_id(const char *s)
{
	if (!s || !*s || strlen(s) > 18)
		return 0;
	long long v = 0;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int views_is_date(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}

void views_buf_add(struct views_buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			b->failed = 1;
			return;
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
}

void views_buf_str(struct views_buf *b, const char *s)
{
	views_buf_add(b, s, strlen(s));
}

void views_buf_printf(struct views_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		views_buf_add(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->failed = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	views_buf_add(b, big, (size_t)n);
	free(big);
}

void views_csv_field(struct views_buf *b, const char *s, int first)
{
	if (!first)
		views_buf_add(b, ";", 1);
	if (!s)
		s = "";
	int formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != 0;
	int quote = formula || strpbrk(s, ";\"\r\n,") != NULL;
	if (!quote) {
		views_buf_str(b, s);
		return;
	}
	views_buf_add(b, "\"", 1);
	if (formula)
		views_buf_add(b, "'", 1);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			views_buf_add(b, "\"\"", 2);
		else
			views_buf_add(b, p, 1);
	}
	views_buf_add(b, "\"", 1);
}

void views_csv_end_row(struct views_buf *b)
{
	views_buf_add(b, "\r\n", 2);
}

void views_buf_free(struct views_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static int audit_or_fail(struct http_request *req, const struct principal *p, long long subject,
			 const char *action, const char *detail)
{
	if (audit_record(req->srv, p, subject, action, detail) == 0)
		return 0;
	http_send_error(req, 503, "audit_failed",
			"Innsynet kunne ikke loggføres, så ingen opplysninger ble vist. Prøv igjen.");
	return -1;
}

void views_send_audited_json(struct http_request *req, const struct principal *p,
			     long long subject, const char *action, const char *detail,
			     const json_t *value)
{
	if (audit_or_fail(req, p, subject, action, detail) == 0)
		http_send_json(req, 200, value);
}

void views_send_audited_file(struct http_request *req, const struct principal *p,
			     long long subject, const char *action, const char *detail,
			     const char *content_type, const char *filename, const char *body,
			     size_t len)
{
	if (audit_or_fail(req, p, subject, action, detail) != 0)
		return;
	char extra[300];
	snprintf(extra, sizeof(extra), "Content-Disposition: attachment; filename=\"%s\"\r\n",
		 filename);
	http_send(req, 200, content_type, body, len, extra);
}
