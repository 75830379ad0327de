/* unit.h: the small C unit-test harness.
 *
 * A test file defines functions and runs them from main() with
 * UNIT_RUN(fn). CHECK() records a failure and goes on; each test prints a
 * TAP line, and unit_done() prints "# pass N" / "# fail N" (read by
 * tests/run.sh) and returns the exit code. */
#ifndef VERN_UNIT_H
#define VERN_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_pass, unit_fail, unit_current_failed, unit_n;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		unit_current_failed = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *unit_a = (a), *unit_b = (b); \
	if (!unit_a || !unit_b || strcmp(unit_a, unit_b) != 0) { \
		printf("#   %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
		       unit_a ? unit_a : "(null)", unit_b ? unit_b : "(null)"); \
		unit_current_failed = 1; \
	} \
} while (0)

#define UNIT_RUN(fn) do { \
	unit_current_failed = 0; \
	fn(); \
	unit_n++; \
	if (unit_current_failed) { unit_fail++; printf("not ok %d - %s\n", unit_n, #fn); } \
	else { unit_pass++; printf("ok %d - %s\n", unit_n, #fn); } \
	fflush(stdout); \
} while (0)

static inline int unit_done(void)
{
	printf("1..%d\n# pass %d\n# fail %d\n", unit_n, unit_pass, unit_fail);
	return unit_fail ? 1 : 0;
}

#endif
