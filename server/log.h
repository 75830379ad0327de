/* log.h: structured logging to stderr, one logfmt line per event.
 *
 * Every line starts with ts=<UTC ISO 8601> level=<level> and then the
 * caller's key=value pairs. Callers must never pass passwords, tokens or
 * learner data beyond ids; values are quoted and escaped here. */
#ifndef VERN_LOG_H
#define VERN_LOG_H

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Sets the lowest level written. Returns 0, or -1 for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* log_event(LOG_INFO, "listening", "url=%s", url): the format builds the
 * key=value tail; use log_quote() for values that may hold spaces. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An access-log line (event=http, level info). Buffered once
 * log_buffer_start() has run: written within 100 ms, before any other line,
 * and by log_buffer_stop(). */
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int log_buffer_start(void);
void log_buffer_stop(void);

/* Writes value into buf quoted when needed ("a b" -> "\"a b\""), escaping
 * quotes, backslashes and control bytes. Always NUL-terminates. */
const char *log_quote(char *buf, unsigned long size, const char *value);

#endif
