/* fuzz.h - what the libFuzzer targets in fuzz/ share. Each target is one fuzz_NAME.c
 * linked with the project's core objects (no daemon main) and -fsanitize=fuzzer. */
#ifndef WORKSHOPBOT_FUZZ_H
#define WORKSHOPBOT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The entry points libFuzzer calls (declared here for -Wmissing-prototypes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a NUL-terminated string (malloc'd, caller frees; NULL on out-of-memory).
 * An embedded NUL ends the string early, as it would in the daemon's C strings. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* An invariant of the code under test: abort() so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, what)                                                   \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "invariant violated: %s\n", (what));     \
			abort();                                                 \
		}                                                                \
	} while (0)

#endif
