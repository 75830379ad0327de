/* user_cli.c: the `vern user` subcommands (see user_cli.h). Passwords come
 * from standard input (one line; prompted without echo on a terminal) or,
 * when none is given, are generated and printed once. */
#include "user_cli.h"

#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "db.h"
#include "password.h"
#include "session.h"
#include "users.h"

static const char usage_text[] =
	"Usage: vern user add USERNAME [--employee EXTERNAL_ID] [--name DISPLAY_NAME]\n"
	"                     [--role admin|hr|ombud|leader:UNIT_EXTERNAL_ID]... [--generate]\n"
	"       vern user passwd USERNAME [--generate]\n"
	"       vern user totp-reset USERNAME\n"
	"       vern user roles USERNAME [--role ROLE]...\n"
	"       vern user unlock USERNAME\n"
	"       vern user list\n"
	"       vern user remove USERNAME\n"
	"The password is read from standard input (one line); with --generate, or\n"
	"when standard input is empty, a random one is made and printed.\n";

/* Reads one line (the password) into buf; prompts without echo on a
 * terminal. Returns its length, 0 when nothing was given. */
static size_t read_password(char *buf, size_t size)
{
	int tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fprintf(stderr, "Password (empty: generate one): ");
		tcgetattr(STDIN_FILENO, &old);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
	}
	buf[0] = '\0';
	if (!fgets(buf, (int)size, stdin))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSANOW, &old);
		fprintf(stderr, "\n");
	}
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return n;
}

/* Fills hash from a password read or generated; prints a generated one.
 * Returns 0, or 1 (an unacceptable password, reported). */
static int obtain_hash(int generate, char hash[PASSWORD_HASH_MAX], int *generated)
{
	char pw[PASSWORD_MAX_BYTES + 2];
	size_t n = generate ? 0 : read_password(pw, sizeof(pw));
	*generated = n == 0;
	if (*generated)
		password_generate(pw, sizeof(pw));
	char err[256];
	if (password_acceptable(pw, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern user: %s\n", err);
		sodium_memzero(pw, sizeof(pw));
		return 1;
	}
	int rc = password_hash(pw, hash);
	if (rc == 0 && *generated)
		printf("password: %s\n", pw);
	sodium_memzero(pw, sizeof(pw));
	if (rc != 0) {
		fprintf(stderr, "vern user: the password could not be hashed\n");
		return 1;
	}
	return 0;
}

/* Collects --role values and the other flags of add/passwd/roles. */
struct flags {
	const char *employee, *name;
	const char *roles[USERS_MAX_ROLES];
	int nroles, generate;
};

static int parse_flags(int argc, char **argv, struct flags *f)
{
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--generate") == 0) {
			f->generate = 1;
			continue;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "vern user: unexpected argument %s\n", argv[i]);
			return 2;
		}
		if (strcmp(argv[i], "--employee") == 0) {
			f->employee = argv[++i];
		} else if (strcmp(argv[i], "--name") == 0) {
			f->name = argv[++i];
		} else if (strcmp(argv[i], "--role") == 0) {
			if (f->nroles == USERS_MAX_ROLES) {
				fprintf(stderr, "vern user: at most %d roles\n", USERS_MAX_ROLES);
				return 2;
			}
			if (!users_role_ok(argv[i + 1])) {
				fprintf(stderr, "vern user: unknown role %s (admin, hr, ombud or leader:UNIT)\n",
					argv[i + 1]);
				return 2;
			}
			f->roles[f->nroles++] = argv[++i];
		} else {
			fprintf(stderr, "vern user: unexpected argument %s\n", argv[i]);
			return 2;
		}
	}
	return 0;
}

static int cmd_add(struct db *db, const char *username, int argc, char **argv)
{
	struct flags f;
	int rc = parse_flags(argc, argv, &f);
	if (rc)
		return rc;
	if (!users_name_ok(username)) {
		fprintf(stderr, "vern user add: a username is 1-%d of a-z A-Z 0-9 . _ - @\n", USERS_NAME_MAX);
		return 2;
	}
	if (users_find(db, username)) {
		fprintf(stderr, "vern user add: the username %s is taken\n", username);
		return 1;
	}
	char hash[PASSWORD_HASH_MAX];
	int generated;
	if (obtain_hash(f.generate, hash, &generated) != 0)
		return 1;
	struct user_new u = { .username = username, .display_name = f.name, .employee = f.employee,
			      .password_hash = hash, .nroles = f.nroles };
	memcpy(u.roles, f.roles, sizeof(f.roles));
	long long id;
	char err[256];
	if (users_create(db, &u, &id, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern user add: %s\n", err);
		return 1;
	}
	printf("user %s created (id %lld)\n", username, id);
	return 0;
}

static long long need_user(struct db *db, const char *cmd, const char *username)
{
	long long id = users_find(db, username);
	if (!id)
		fprintf(stderr, "vern user %s: no user named %s\n", cmd, username);
	return id;
}

static int cmd_passwd(struct db *db, const char *username, int argc, char **argv)
{
	struct flags f;
	int rc = parse_flags(argc, argv, &f);
	if (rc)
		return rc;
	long long id = need_user(db, "passwd", username);
	if (!id)
		return 1;
	char hash[PASSWORD_HASH_MAX], err[256];
	int generated;
	if (obtain_hash(f.generate, hash, &generated) != 0)
		return 1;
	if (users_set_password(db, id, hash, err, sizeof(err)) != 0 ||
	    session_end_all(db, id, 0) != 0) {
		fprintf(stderr, "vern user passwd: %s\n", err[0] ? err : "sessions could not be ended");
		return 1;
	}
	printf("password of %s changed; every session of the account ended\n", username);
	return 0;
}

static int cmd_simple(struct db *db, const char *cmd, const char *username)
{
	long long id = need_user(db, cmd, username);
	if (!id)
		return 1;
	char err[256] = "";
	int rc;
	if (strcmp(cmd, "totp-reset") == 0)
		rc = users_totp_reset(db, id, err, sizeof(err)) || session_end_all(db, id, 0);
	else if (strcmp(cmd, "unlock") == 0)
		rc = users_unlock(db, id, err, sizeof(err));
	else
		rc = session_end_all(db, id, 0) || users_remove(db, id, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "vern user %s: %s\n", cmd, err[0] ? err : "the change failed");
		return 1;
	}
	if (strcmp(cmd, "totp-reset") == 0)
		printf("two-factor of %s reset: it is set up again at the next sign-in\n", username);
	else if (strcmp(cmd, "unlock") == 0)
		printf("%s unlocked\n", username);
	else
		printf("user %s removed\n", username);
	return 0;
}

static int cmd_roles(struct db *db, const char *username, int argc, char **argv)
{
	struct flags f;
	int rc = parse_flags(argc, argv, &f);
	if (rc)
		return rc;
	long long id = need_user(db, "roles", username);
	if (!id)
		return 1;
	char err[256];
	if (users_set_roles(db, id, f.roles, f.nroles, err, sizeof(err)) != 0) {
		fprintf(stderr, "vern user roles: %s\n", err);
		return 1;
	}
	printf("roles of %s set (%d)\n", username, f.nroles);
	return 0;
}

static int cmd_list(struct db *db)
{
	struct db_conn *c = db_reader_get(db);
	json_t *list = users_json(c, 0);
	db_reader_put(db, c);
	if (!list) {
		fprintf(stderr, "vern user list: the accounts could not be read\n");
		return 1;
	}
	printf("%-24s %-28s %-12s %-5s %-7s %s\n", "USERNAME", "NAME", "EMPLOYEE", "TOTP", "STATE", "ROLES");
	size_t i;
	json_t *u;
	json_array_foreach(list, i, u) {
		char roles[512] = "";
		size_t k, o = 0;
		json_t *r;
		json_array_foreach(json_object_get(u, "roles"), k, r)
			o += (size_t)snprintf(roles + o, o < sizeof(roles) ? sizeof(roles) - o : 0, "%s%s",
					      k ? "," : "", json_string_value(r));
		const char *emp = json_string_value(json_object_get(u, "employee"));
		const char *state = !json_is_true(json_object_get(u, "active")) ? "off"
				    : json_is_true(json_object_get(u, "locked")) ? "locked" : "active";
		printf("%-24s %-28s %-12s %-5s %-7s %s\n",
		       json_string_value(json_object_get(u, "username")),
		       json_string_value(json_object_get(u, "display_name")), emp ? emp : "-",
		       json_is_true(json_object_get(u, "totp")) ? "yes" : "no", state, roles);
	}
	json_decref(list);
	return 0;
}

int user_command(struct db *db, int argc, char **argv)
{
	if (sodium_init() < 0) {
		fprintf(stderr, "vern user: libsodium could not start\n");
		return 1;
	}
	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return cmd_list(db);
	if (argc >= 2 && strcmp(argv[0], "add") == 0)
		return cmd_add(db, argv[1], argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[0], "passwd") == 0)
		return cmd_passwd(db, argv[1], argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[0], "roles") == 0)
		return cmd_roles(db, argv[1], argc - 2, argv + 2);
	if (argc == 2 && (strcmp(argv[0], "totp-reset") == 0 || strcmp(argv[0], "unlock") == 0 ||
			  strcmp(argv[0], "remove") == 0))
		return cmd_simple(db, argv[0], argv[1]);
	fputs(usage_text, stderr);
	return 2;
}
