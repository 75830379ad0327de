/* log.c: the structured logger (see log.h).
 *
 * A line is assembled in a stack buffer and written with one write(2), so
 * lines from concurrent threads never interleave. Access-log lines, one
 * per HTTP request, go through a shared buffer instead, written when it
 * fills, every 100 ms by a flusher thread, before any other line (so the
 * order is kept) and at shutdown: one write per few hundred requests
 * instead of one each. */
#include "log.h"

#include <errno.h>
#include <pthread.h>
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

static pthread_mutex_t buffer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flusher_wake = PTHREAD_COND_INITIALIZER;
static char buffer[65536];
static size_t buffer_len;
static int buffering, flusher_stop;
static pthread_t flusher;

static void write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void flush_locked(void)
{
	write_all(buffer, buffer_len);
	buffer_len = 0;
}

static void *flusher_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&buffer_lock);
	while (!flusher_stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 100 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&flusher_wake, &buffer_lock, &until);
		flush_locked();
	}
	pthread_mutex_unlock(&buffer_lock);
	return NULL;
}

int log_buffer_start(void)
{
	pthread_mutex_lock(&buffer_lock);
	flusher_stop = 0;
	int rc = buffering ? 0 : pthread_create(&flusher, NULL, flusher_main, NULL);
	if (rc == 0)
		buffering = 1;
	pthread_mutex_unlock(&buffer_lock);
	return rc == 0 ? 0 : -1;
}

void log_buffer_stop(void)
{
	pthread_mutex_lock(&buffer_lock);
	if (!buffering) {
		pthread_mutex_unlock(&buffer_lock);
		return;
	}
	flusher_stop = 1;
	buffering = 0;
	pthread_cond_signal(&flusher_wake);
	pthread_mutex_unlock(&buffer_lock);
	pthread_join(flusher, NULL);
	pthread_mutex_lock(&buffer_lock);
	flush_locked();
	pthread_mutex_unlock(&buffer_lock);
}

/* Writes a finished line: buffered ones are appended, the others first
 * flush what is buffered so lines stay in order. */
static void emit(const char *line, size_t n, int buffered)
{
	pthread_mutex_lock(&buffer_lock);
	if (buffered && buffering) {
		if (buffer_len + n > sizeof(buffer))
			flush_locked();
		memcpy(buffer + buffer_len, line, n);
		buffer_len += n;
	} else {
		flush_locked();
		write_all(line, n);
	}
	pthread_mutex_unlock(&buffer_lock);
}

static void log_vevent(enum log_level level, const char *event, int buffered,
		       const char *fmt, va_list ap)
{
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
		int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
		if (m > 0)
			n += m;
	}
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	emit(line, (size_t)n, buffered);
}

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
	if (level < min_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vevent(level, event, 0, fmt, ap);
	va_end(ap);
}

void log_access(const char *fmt, ...)
{
	if (LOG_INFO < min_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	log_vevent(LOG_INFO, "http", 1, fmt, ap);
	va_end(ap);
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
