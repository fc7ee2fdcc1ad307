/* report_people.h - the members of a session by id, for reports. Internal to handlers/. */
#ifndef WORKSHOPBOT_REPORT_PEOPLE_H
#define WORKSHOPBOT_REPORT_PEOPLE_H

#include <stddef.h>
#include <stdint.h>

#include "bot/store.h"

struct person {
	char *id;
	char *name;
};

struct people {
	struct person *v;
	size_t n;
};

/* Loads the members of a session. Returns 0 or a BOT_ERR_* code; free with people_free(). */
int people_load(struct store *st, int64_t session_id, struct people *out);
void people_free(struct people *p);
/* The display name of id, or id itself. Borrowed. */
const char *people_name(const struct people *p, const char *id);
/* The index of id, or -1. */
long people_index(const struct people *p, const char *id);

#endif
