/* fuzz_template.c - the template loader on any JSON text. */
#include "fuzz/fuzz.h"

#include "bot/err.h"
#include "prompts/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[BOT_ERRMSG_MAX];
	struct template *t = NULL;

	if (template_load_string((const char *)data, size, "fuzz.json", &t, err, sizeof err) == 0) {
		for (size_t i = 0; i < t->n_prompts; i++) {
			FUZZ_CHECK(t->prompts[i].section < t->n_sections, "prompt section");
			FUZZ_CHECK(template_prompt(t, t->prompts[i].id) != NULL, "prompt lookup");
		}
		template_free(t);
	}
	return 0;
}
