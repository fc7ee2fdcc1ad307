/* log.h - one log macro family: level checked before formatting, tagged by area.
 *
 * Lines go to stderr as "LEVEL area: message". Never pass a secret to these
 * functions; as a second line of defence, every secret registered with
 * log_add_secret() (the tokens and passwords of the config, a token the bot was given at
 * sign-in) is replaced by <redacted> in every line, e.g. when a server echoes it. */
#ifndef WORKSHOPBOT_LOG_H
#define WORKSHOPBOT_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
/* Parses "error", "warn", "info" or "debug". Returns 0, or -1 if unknown. */
int log_level_parse(const char *name, enum log_level *out);

void log_msg(enum log_level level, const char *area, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Registers a secret to redact from every later line (copied; NULL or "" is ignored; at
 * most LOG_SECRETS_MAX, later ones are dropped with a warning). */
#define LOG_SECRETS_MAX 16
void log_add_secret(const char *secret);
/* Forgets every registered secret (at exit). */
void log_clear_secrets(void);

#define log_err(area, ...) \
	do { if (log_enabled(LOG_ERR)) log_msg(LOG_ERR, area, __VA_ARGS__); } while (0)
#define log_warn(area, ...) \
	do { if (log_enabled(LOG_WARN)) log_msg(LOG_WARN, area, __VA_ARGS__); } while (0)
#define log_info(area, ...) \
	do { if (log_enabled(LOG_INFO)) log_msg(LOG_INFO, area, __VA_ARGS__); } while (0)
#define log_debug(area, ...) \
	do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, area, __VA_ARGS__); } while (0)

#endif
