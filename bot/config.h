/* config.h - the config file: [section] headers, key = value lines, # comments.
 *
 * Every key is declared once in a table in config.c (section, name, type, default);
 * an unknown section or key, a bad value or a duplicate key is an error that names the
 * file and line, quotes the line, and says what was expected. */
#ifndef WORKSHOPBOT_CONFIG_H
#define WORKSHOPBOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

struct config {
	char *database;          /* [workshopbot] database: the SQLite file */
	char *templates_dir;     /* [workshopbot] templates: directory of *.json templates */
	char *default_template;  /* [workshopbot] template: id used by a bare `start` */
	char *timezone;          /* [workshopbot] timezone: IANA zone for new sessions */
	enum log_level log_level;/* [workshopbot] log_level */
	char **admins;           /* [workshopbot] admins: users who may pace any session */
	size_t n_admins;
	long command_limit;      /* [workshopbot] command_limit: commands one person may send
	                            per command_window on a chat; 0: no limit */
	long command_window;     /* [workshopbot] command_window: seconds */
	char *console_user;      /* [console] user: who a line without "name>" speaks as */
	char *slack_app_token;   /* [slack] app_token or SLACK_APP_TOKEN (secret) */
	char *slack_bot_token;   /* [slack] bot_token or SLACK_BOT_TOKEN (secret) */
	char *slack_api_url;     /* [slack] api_url or SLACK_API_URL */
	long slack_ping_timeout; /* [slack] ping_timeout: seconds without a pong or data before
	                            the websocket counts as dead and is replaced */
	char *matrix_homeserver; /* [matrix] homeserver or MATRIX_HOMESERVER */
	char *matrix_user;       /* [matrix] user or MATRIX_USER */
	char *matrix_password;   /* [matrix] password or MATRIX_PASSWORD (secret) */
	char *matrix_access_token; /* [matrix] access_token or MATRIX_ACCESS_TOKEN (secret) */
	long matrix_sync_timeout; /* [matrix] sync_timeout: seconds a /sync long poll waits; the
	                            HTTP request gives up half as long again later */
	long matrix_power_level; /* [matrix] power_level: who may pace any session */
	char **matrix_allow;     /* [matrix] allow_invites_from: users or :servers; none: all */
	size_t n_matrix_allow;
	long followup_remind_days_before; /* [followup] remind_days_before: 0 for none */
	bool followup_remind_direct; /* [followup] remind_by = direct: reminders to everyone by
	                                direct message (else only to who chose dm on) */
	long followup_due_morning;   /* [followup] due_morning: minutes after local midnight */
	long followup_overdue_every_days; /* [followup] overdue_every_days */
	long followup_overdue_max;   /* [followup] overdue_max: nudges before the escalation */
	long followup_nudge_at;      /* [followup] nudge_at: async nudges, minutes after local
	                                midnight; -1 for none */
	long followup_quiet[2];      /* [followup] quiet_hours: start, end in minutes after
	                                local midnight; equal: no quiet hours */
	unsigned long followup_working_days; /* [followup] working_days: bit 0 Monday ...
	                                        bit 6 Sunday */
	char **followup_closures;    /* [followup] closures: YYYY-MM-DD dates, checked */
	size_t n_followup_closures;
};

/* Fills cfg with every default, then, if path is not NULL, reads the file over them.
 * Returns 0, or BOT_ERR_CONFIG / BOT_ERR_IO with one line in err
 * ("FILE:LINE: unknown key 'x' in [workshopbot] >>> 'x = 1'"). On error cfg is still
 * safe to pass to config_free(). */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);

/* The same for config text held in memory (len bytes, no NUL needed); name stands for
 * the file in messages. */
int config_load_string(const char *text, size_t len, const char *name, struct config *cfg,
		       char *err, size_t errlen);

/* Cross-field checks after load (time zone exists, templates directory readable).
 * Returns 0 or BOT_ERR_CONFIG with one line in err. */
int config_check(const struct config *cfg, char *err, size_t errlen);

void config_free(struct config *cfg);

/* True when both Slack tokens are set. */
bool config_slack_enabled(const struct config *cfg);
/* True when a Matrix homeserver is set. */
bool config_matrix_enabled(const struct config *cfg);

/* Non-zero if user is listed in [workshopbot] admins. */
int config_is_admin(const struct config *cfg, const char *user);

#endif
