/* fake_garbage.c - see fake_garbage.h. */
#include "fake_garbage.h"

#include <stdlib.h>
#include <string.h>

#define HUGE_PAD ((size_t)1 << 20)

static const struct {
	const char *kind, *ctype, *text;
} texts[] = {
	{"text", "application/json", "this is not JSON {\"next_batch\":"},
	{"html", "text/html",
	 "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
	 "<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"},
	{"truncated", "application/json",
	 "{\"ok\":true,\"next_batch\":\"s1_1\",\"rooms\":{\"join\":{\"!x:fake.local\":{\"timeline\":"},
	{"empty", "application/json", ""},
	{"array", "application/json", "[\"valid JSON\",\"but not an object\"]"},
	{"wrongtype", "application/json",
	 "{\"ok\":\"true\",\"error\":7,\"warning\":[],\"ts\":1700000000.0001,\"channel\":{},"
	 "\"url\":42,\"user_id\":[\"UBOT\"],\"bot_id\":null,\"team_id\":false,"
	 "\"next_batch\":17,\"rooms\":[\"!x:fake.local\"],\"event_id\":{\"id\":1},"
	 "\"room_id\":3,\"access_token\":123,\"device_id\":[],\"retry_after_ms\":\"soon\"}"},
	{"huge", "application/json", NULL},
};

bool fake_garbage_kind_ok(const char *kind)
{
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		if (strcmp(kind, texts[i].kind) == 0)
			return true;
	return false;
}

/* {"padding":"xxx…"} of HUGE_PAD + 100 bytes in all. */
static const char *huge_text(size_t *len)
{
	static char *huge;
	static const char head[] = "{\"padding\":\"";
	static const size_t total = HUGE_PAD + 100;

	if (!huge) {
		huge = malloc(total + 1);
		if (!huge)
			return NULL;
		memcpy(huge, head, sizeof head - 1);
		memset(huge + sizeof head - 1, 'x', total - (sizeof head - 1) - 2);
		memcpy(huge + total - 2, "\"}", 3);
	}
	*len = total;
	return huge;
}

const char *fake_garbage_body(const char *kind, size_t *len, const char **ctype)
{
	size_t i;

	for (i = 0; i < sizeof texts / sizeof texts[0] - 1; i++)
		if (strcmp(kind, texts[i].kind) == 0)
			break;
	*ctype = texts[i].ctype;
	if (texts[i].text) {
		*len = strlen(texts[i].text);
		return texts[i].text;
	}
	if (strcmp(kind, "huge") == 0)
		return huge_text(len);
	*ctype = texts[0].ctype;
	*len = strlen(texts[0].text);
	return texts[0].text;
}
