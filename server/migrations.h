/* migrations.h: the numbered SQL migrations compiled into the binary.
 *
 * The table itself is generated at build time from server/migrations/NNN_name.sql
 * by server/migrations/embed.sh into build/gen/migrations.c, in version order. */
#ifndef VERN_MIGRATIONS_H
#define VERN_MIGRATIONS_H

struct db_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct db_migration db_migrations[];
extern const int db_migrations_count;

#endif
