/* fuzz_config.c - the config parser on any text, then its cross-field checks. */
#include "fuzz/fuzz.h"

#include "bot/config.h"
#include "bot/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[BOT_ERRMSG_MAX];
	struct config cfg;

	if (config_load_string((const char *)data, size, "fuzz.conf", &cfg, err, sizeof err) == 0)
		(void)config_check(&cfg, err, sizeof err);
	config_free(&cfg);
	return 0;
}
