#include "bot/backoff.h"

#include <stdlib.h>

uint64_t backoff_delay_ms(int failures, uint64_t base_ms, uint64_t cap_ms)
{
	uint64_t ms = base_ms;

	for (int i = 0; i < failures && ms < cap_ms; i++)
		ms *= 2;
	if (ms > cap_ms)
		ms = cap_ms;
	ms = ms * (80 + (uint64_t)(rand() % 41)) / 100;
	return ms > cap_ms ? cap_ms : ms;
}
