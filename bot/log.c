#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED "<redacted>"

static enum log_level current_level = LOG_INFO;
static char *secrets[LOG_SECRETS_MAX];
static size_t n_secrets;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
	current_level = level;
}

bool log_enabled(enum log_level level)
{
	return level <= current_level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_add_secret(const char *secret)
{
	if (!secret || !secret[0])
		return;
	for (size_t i = 0; i < n_secrets; i++)
		if (strcmp(secrets[i], secret) == 0)
			return;
	if (n_secrets == LOG_SECRETS_MAX) {
		log_warn("log", "too many secrets to redact; a later one may show in the log");
		return;
	}
	secrets[n_secrets] = strdup(secret);
	if (secrets[n_secrets])
		n_secrets++;
}

void log_clear_secrets(void)
{
	for (size_t i = 0; i < n_secrets; i++)
		free(secrets[i]);
	n_secrets = 0;
}

/* The registered secret that starts at s (the longest when several do), or NULL. */
static const char *secret_at(const char *s)
{
	const char *found = NULL;

	for (size_t i = 0; i < n_secrets; i++)
		if (strncmp(s, secrets[i], strlen(secrets[i])) == 0 &&
		    (!found || strlen(secrets[i]) > strlen(found)))
			found = secrets[i];
	return found;
}

/* Copies in to out (at most len bytes with the NUL) with every secret replaced. */
static void redact(const char *in, char *out, size_t len)
{
	size_t o = 0;

	while (*in && o + 1 < len) {
		const char *secret = secret_at(in);
		if (secret) {
			size_t n = strlen(REDACTED);
			if (o + n >= len)
				break;
			memcpy(out + o, REDACTED, n);
			o += n;
			in += strlen(secret);
		} else {
			out[o++] = *in++;
		}
	}
	out[o] = '\0';
}

void log_msg(enum log_level level, const char *area, const char *fmt, ...)
{
	char line[2048], clean[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	redact(line, clean, sizeof clean);
	/* One fprintf per line so lines from one process never interleave mid-line. */
	fprintf(stderr, "%s %s: %s\n", level_names[level], area, clean);
}
