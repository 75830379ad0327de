/* views_common.h: what the leader, HR and ombud views share: the status of
 * one requirement (assignment + completion), calendar dates, a CSV writer
 * that is safe to open in a spreadsheet, and "audit, then send": personal
 * data leaves the server only after its audit record is stored. */
#ifndef VERN_VIEWS_COMMON_H
#define VERN_VIEWS_COMMON_H

#include <jansson.h>
#include <stddef.h>

struct http_request;
struct principal;

/* A completion expiring within this many days is "expiring soon". */
#define VIEWS_EXPIRING_DAYS 30

enum views_status {
	VIEWS_DONE = 0,      /* valid completion */
	VIEWS_EXPIRING,      /* valid, expires within VIEWS_EXPIRING_DAYS */
	VIEWS_EXPIRED,       /* had a completion, no longer valid: overdue */
	VIEWS_OVERDUE,       /* never completed, due date passed */
	VIEWS_PENDING,       /* not completed, not yet due (or no due date) */
	VIEWS_NSTATUS
};

/* The status of one requirement. has_completion says whether a completion
 * exists; success is 1, 0 or -1 (unknown); expires_ms 0 = never; due may be
 * NULL; today is "YYYY-MM-DD". */
enum views_status views_status_of(int has_completion, long long expires_ms, int success,
				  const char *due, long long now_ms, const char *today);

/* Machine code ("fullfort", "utloper", "utlopt", "forfalt", "ikke_fullfort")
 * and Norwegian label. */
const char *views_status_code(enum views_status s);
const char *views_status_label(enum views_status s);

/* 1 for done or expiring (the requirement is met), 1 for expired or
 * overdue in views_status_late. */
int views_status_met(enum views_status s);
int views_status_late(enum views_status s);

/* Today's local date "YYYY-MM-DD" for now_ms (buf >= 11 bytes). */
void views_date_of(long long ms, char *buf, size_t size);

/* Local midnight at the start of the given year and month (month 1..12,
 * may overflow into the next year) in ms since the epoch. */
long long views_month_start_ms(int year, int month);

/* ms plus months calendar months (UTC), as completions expire. */
long long views_add_months_ms(long long ms, int months);

/* Local midnight at the start of a YYYY-MM-DD date (checked by the caller). */
long long views_day_start_ms(const char *date);

/* Parses a positive decimal id; 0 when s is not one. */
long long views_parse_id(const char *s);

/* 1 if s is a real date YYYY-MM-DD. */
int views_is_date(const char *s);

/* A growing text buffer for CSV and other output. On allocation failure
 * it sets failed and stops growing. */
struct views_buf {
	char *data;
	size_t len, cap;
	int failed;
};
void views_buf_add(struct views_buf *b, const char *s, size_t n);
void views_buf_str(struct views_buf *b, const char *s);
void views_buf_printf(struct views_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One CSV field (separator ';', as Norwegian spreadsheets expect): quoted
 * when needed, and a leading = + - @ tab or CR is prefixed with ' so a
 * spreadsheet never runs it as a formula. first: no separator before it. */
void views_csv_field(struct views_buf *b, const char *s, int first);
void views_csv_end_row(struct views_buf *b);
void views_buf_free(struct views_buf *b);

/* Stores the audit record, then sends value as JSON with status 200. If the
 * record cannot be stored, sends 503 and nothing of value. Does not take
 * ownership of value. */
void views_send_audited_json(struct http_request *req, const struct principal *p,
			     long long subject, const char *action, const char *detail,
			     const json_t *value);

/* The same for a file download (CSV/JSON) named filename. */
void views_send_audited_file(struct http_request *req, const struct principal *p,
			     long long subject, const char *action, const char *detail,
			     const char *content_type, const char *filename, const char *body,
			     size_t len);

#endif
