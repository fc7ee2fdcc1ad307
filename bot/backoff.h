/* backoff.h - the reconnect and retry delays of the transports: exponential from a floor,
 * with +-20 % jitter so many bots do not come back in step, and never over a cap. */
#ifndef WORKSHOPBOT_BACKOFF_H
#define WORKSHOPBOT_BACKOFF_H

#include <stdint.h>

/* The delay after `failures` failed attempts in a row (0: the first retry): base_ms
 * doubled per failure up to cap_ms, times a random 0.8..1.2, clamped to cap_ms. So it is
 * never under 0.8 * base_ms and never over cap_ms. */
uint64_t backoff_delay_ms(int failures, uint64_t base_ms, uint64_t cap_ms);

#endif
