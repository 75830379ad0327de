/* test_views_common.c: requirement status, dates and the CSV writer shared
 * by the leader, HR and ombud views (admin/views_common.c). */
#include "unit.h"

#include <stdlib.h>

#include "views_common.h"

#define DAY (24LL * 3600 * 1000)

static void test_status(void)
{
	long long now = 1800000000000LL;
	const char *today = "2027-01-15";
	CHECK(views_status_of(1, now + 100 * DAY, 1, "2026-01-01", now, today) == VIEWS_DONE);
	CHECK(views_status_of(1, 0, -1, NULL, now, today) == VIEWS_DONE);          /* never expires */
	CHECK(views_status_of(1, now + 10 * DAY, 1, NULL, now, today) == VIEWS_EXPIRING);
	CHECK(views_status_of(1, now + 30 * DAY, 1, NULL, now, today) == VIEWS_EXPIRING);
	CHECK(views_status_of(1, now + 31 * DAY, 1, NULL, now, today) == VIEWS_DONE);
	CHECK(views_status_of(1, now - 1, 1, "2099-01-01", now, today) == VIEWS_EXPIRED);
	CHECK(views_status_of(1, now + DAY, 0, "2027-01-14", now, today) == VIEWS_OVERDUE); /* failed */
	CHECK(views_status_of(0, 0, -1, "2027-01-14", now, today) == VIEWS_OVERDUE);
	CHECK(views_status_of(0, 0, -1, "2027-01-15", now, today) == VIEWS_PENDING); /* due today */
	CHECK(views_status_of(0, 0, -1, NULL, now, today) == VIEWS_PENDING);
	CHECK(views_status_met(VIEWS_EXPIRING) && !views_status_met(VIEWS_EXPIRED));
	CHECK(views_status_late(VIEWS_EXPIRED) && views_status_late(VIEWS_OVERDUE) &&
	      !views_status_late(VIEWS_PENDING));
	CHECK_STR(views_status_code(VIEWS_OVERDUE), "forfalt");
	CHECK_STR(views_status_label(VIEWS_EXPIRING), "Utløper snart");
}

static void test_dates(void)
{
	CHECK(views_is_date("2024-02-29"));
	CHECK(!views_is_date("2023-02-29"));
	CHECK(!views_is_date("2024-13-01"));
	CHECK(!views_is_date("2024-1-01"));
	CHECK(!views_is_date("2024-01-01x"));
	CHECK(!views_is_date(NULL));
	CHECK(views_parse_id("42") == 42);
	CHECK(views_parse_id("0") == 0);
	CHECK(views_parse_id("-1") == 0);
	CHECK(views_parse_id("1e3") == 0);
	CHECK(views_parse_id("9999999999999999999") == 0);
	char buf[16];
	views_date_of(views_day_start_ms("2024-03-31"), buf, sizeof(buf));
	CHECK_STR(buf, "2024-03-31");
	views_date_of(views_month_start_ms(2024, 13), buf, sizeof(buf));
	CHECK_STR(buf, "2025-01-01");
	CHECK(views_add_months_ms(0, 12) == 365LL * DAY);
}

static void test_csv(void)
{
	struct views_buf b = { 0 };
	views_csv_field(&b, "plain", 1);
	views_csv_field(&b, "semi;colon", 0);
	views_csv_field(&b, "say \"hi\"", 0);
	views_csv_field(&b, "=SUM(A1)", 0);
	views_csv_field(&b, "-5", 0);
	views_csv_field(&b, "@x", 0);
	views_csv_field(&b, NULL, 0);
	views_csv_field(&b, "æøå\nline", 0);
	views_csv_end_row(&b);
	CHECK(!b.failed);
	CHECK_STR(b.data, "plain;\"semi;colon\";\"say \"\"hi\"\"\";\"'=SUM(A1)\";\"'-5\";\"'@x\";;"
			  "\"æøå\nline\"\r\n");
	views_buf_free(&b);
	for (int i = 0; i < 10000; i++)
		views_buf_printf(&b, "%d;", i);
	CHECK(!b.failed && b.len > 40000);
	views_buf_free(&b);
}

int main(void)
{
	setenv("TZ", "Europe/Oslo", 1);
	UNIT_RUN(test_status);
	UNIT_RUN(test_dates);
	UNIT_RUN(test_csv);
	return unit_done();
}
