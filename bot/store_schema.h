/* store_schema.h - the schema as an ordered list of migrations.
 * Migration i takes a database from version i to i + 1 (PRAGMA user_version). */
#ifndef WORKSHOPBOT_STORE_SCHEMA_H
#define WORKSHOPBOT_STORE_SCHEMA_H

#include <stddef.h>

size_t store_schema_count(void);
/* The SQL of migration i (< store_schema_count()). Borrowed, static. */
const char *store_schema_migration(size_t i);

#endif
