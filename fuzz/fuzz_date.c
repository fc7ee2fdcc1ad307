/* fuzz_date.c - due dates and durations as people type them. The first byte picks the
 * user's time zone, the next four the current instant; the rest is the text. */
#include "fuzz/fuzz.h"

#include "bot/err.h"
#include "handlers/dates.h"

static const char *const zones[] = {
	"UTC", "Europe/Berlin", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago",
	"Australia/Lord_Howe", "Not/A_Zone", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[BOT_ERRMSG_MAX], iso[16];
	struct civil_date d;
	const char *tz;
	uint32_t now = 0;
	char *text;
	long seconds;

	if (size < 5)
		return 0;
	tz = zones[data[0] % (sizeof zones / sizeof zones[0])];
	for (int i = 1; i <= 4; i++)
		now = now << 8 | data[i];
	text = fuzz_cstr(data + 5, size - 5);
	if (!text)
		return 0;
	if (dates_parse(text, (time_t)now, tz, &d, err, sizeof err) == 0) {
		struct civil_date back;
		FUZZ_CHECK(dates_valid(&d), "dates_parse: invalid date");
		dates_format(&d, iso, sizeof iso);
		FUZZ_CHECK(dates_parse_iso(iso, &back) == 0 && back.year == d.year &&
			   back.month == d.month && back.day == d.day, "date round trip");
	}
	if (dates_parse_duration(text, &seconds, err, sizeof err) == 0)
		FUZZ_CHECK(seconds > 0, "duration not positive");
	if (dates_parse_iso(text, &d) == 0)
		FUZZ_CHECK(dates_valid(&d), "dates_parse_iso: invalid date");
	free(text);
	return 0;
}
