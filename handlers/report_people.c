#include "handlers/report_people.h"

#include <stdlib.h>
#include <string.h>

#include "bot/err.h"
#include "bot/store_sessions.h"

static int add_person(void *ud, const char *id, const char *name)
{
	struct people *p = ud;
	struct person *v = realloc(p->v, (p->n + 1) * sizeof *v);

	if (!v)
		return BOT_ERR_NOMEM;
	p->v = v;
	v[p->n].id = strdup(id);
	v[p->n].name = strdup(name);
	p->n++;
	if (!v[p->n - 1].id || !v[p->n - 1].name)
		return BOT_ERR_NOMEM;
	return 0;
}

int people_load(struct store *st, int64_t session_id, struct people *out)
{
	int result;

	memset(out, 0, sizeof *out);
	result = store_member_each(st, session_id, add_person, out);
	if (result)
		people_free(out);
	return result;
}

void people_free(struct people *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].id);
		free(p->v[i].name);
	}
	free(p->v);
	memset(p, 0, sizeof *p);
}

long people_index(const struct people *p, const char *id)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].id && strcmp(p->v[i].id, id) == 0)
			return (long)i;
	return -1;
}

const char *people_name(const struct people *p, const char *id)
{
	long i = people_index(p, id);

	return i >= 0 ? p->v[i].name : id;
}
