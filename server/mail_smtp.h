/* mail_smtp.h: delivering one message to an SMTP server with libcurl.
 *
 * A client is one connection (kept open between messages) configured from
 * smtp_host, smtp_port, smtp_tls (none, starttls: required, tls: implicit),
 * smtp_user/smtp_password, smtp_ca_file and smtp_timeout_seconds. The
 * password is handed to curl only and never logged.
 *
 * smtp_send() calls before_end after the whole message has been handed to
 * the connection and before the final "." that makes the server accept it.
 * The outbox commits the row as sent there, so a server killed at any
 * moment has either not delivered the message (no final dot: the SMTP
 * server drops it) or has recorded it as sent: a restart never sends it
 * twice. */
#ifndef VERN_MAIL_SMTP_H
#define VERN_MAIL_SMTP_H

#include <stddef.h>

struct config;

enum smtp_result {
	SMTP_OK = 0,
	SMTP_TEMPFAIL,  /* the server refused this message for now (4xx) */
	SMTP_PERMFAIL,  /* the server refused this message for good (5xx) */
	SMTP_CONNFAIL,  /* connection, TLS, login or sender trouble: not the message's fault */
	SMTP_ABORTED,   /* before_end said no, or Vern is stopping */
};

struct smtp_settings {
	char url[600];          /* smtp://host:port or smtps://host:port */
	int starttls;
	char user[512], password[512], ca_file[512];
	long timeout_s;
	char from_addr[256];
};

/* Checks smtp_tls and mail_from and builds the settings. Returns 0, 1 when
 * smtp_host is empty (mail is not sent), or -1 with err naming the key. */
int smtp_settings_from_config(const struct config *cfg, struct smtp_settings *s, char *err,
			      size_t errsize);

struct smtp_client;

/* A client; stop, when not NULL, is polled during transfers (non-zero:
 * abandon a transfer that has not reached its end). NULL on failure. */
struct smtp_client *smtp_client_new(const struct smtp_settings *s, const volatile int *stop);
void smtp_client_free(struct smtp_client *c);

/* Sends msg (CRLF lines) to rcpt. before_end may be NULL. *reached_end is
 * set when before_end ran and agreed (the final dot was then written).
 * err gets the server's or curl's reason on failure. */
enum smtp_result smtp_send(struct smtp_client *c, const char *rcpt, const char *msg, size_t len,
			   int (*before_end)(void *arg), void *arg, int *reached_end, char *err,
			   size_t errsize);

#endif
