/* log.c: the structured logger (see log.h).
 *
 * A line is assembled in a stack buffer and written with one write(2), so
 * lines from concurrent threads never interleave. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static enum log_level min_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(name, level_names[i]) == 0) {
			min_level = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_set_level(enum log_level level) { min_level = level; }

int log_enabled(enum log_level level) { return level >= min_level; }

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char line[2048];
	struct timespec now;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	int n = snprintf(line, sizeof(line),
			 "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			 tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000,
			 level_names[level], event);
	if (fmt && fmt[0] && n > 0 && (size_t)n < sizeof(line) - 2) {
		line[n++] = ' ';
		va_list ap;
		va_start(ap, fmt);
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		va_end(ap);
		if (m > 0)
			n += m;
	}
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, (size_t)n);
	(void)w;
}

const char *log_quote(char *buf, unsigned long size, const char *value)
{
	if (size == 0)
		return buf;
	if (!value)
		value = "";
	int needs = value[0] == '\0';
	for (const char *p = value; *p && !needs; p++)
		needs = (unsigned char)*p <= ' ' || *p == '"' || *p == '=' || *p == '\\';
	size_t o = 0;
	if (!needs) {
		snprintf(buf, size, "%s", value);
		return buf;
	}
	if (o + 1 < size)
		buf[o++] = '"';
	for (const char *p = value; *p && o + 4 < size; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < ' ') {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	if (o + 1 < size)
		buf[o++] = '"';
	buf[o < size ? o : size - 1] = '\0';
	return buf;
}
