/* store_reports.h - report-back prompts posted after a session (followups) and the entries
 * people answered them with (report_entries), with their numbers (report_outcomes).
 *
 * Every function returns 0 or a BOT_ERR_* code (err.h); BOT_ERR_DB means SQLite failed
 * (logged by the store). Strings handed to callbacks are borrowed, valid only during the
 * call. */
#ifndef WORKSHOPBOT_STORE_REPORTS_H
#define WORKSHOPBOT_STORE_REPORTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define STORE_FOLLOWUP_ID_MAX 64     /* a template's follow-up id: at most this many bytes */

/* A posted report-back prompt. */
struct followup_rec {
	int64_t session_id;
	char followup_id[STORE_FOLLOWUP_ID_MAX + 1];
	int64_t posted_at;
};

/* Records that follow-up followup_id of a session was posted at now as outbox row
 * outbox_id. Returns 0, BOT_ERR_STATE when it was posted before (nothing changes), or BOT_ERR_DB. */
int store_followup_add(struct store *s, int64_t session_id, const char *followup_id,
		       int64_t outbox_id, int64_t now);

/* Follow-up followup_id of a session, if it was posted. Returns 0, BOT_ERR_NOT_FOUND, or
 * BOT_ERR_DB. */
int store_followup_get(struct store *s, int64_t session_id, const char *followup_id,
		       struct followup_rec *out);

/* The follow-up whose post the transport knows as remote_ref (a thread root). Returns 0,
 * BOT_ERR_NOT_FOUND, or BOT_ERR_DB. */
int store_followup_by_ref(struct store *s, const char *transport, const char *remote_ref,
			  struct followup_rec *out);

/* The follow-up posted last in a channel (of any session there). Returns 0,
 * BOT_ERR_NOT_FOUND, or BOT_ERR_DB. */
int store_followup_latest_in(struct store *s, const char *transport, const char *channel,
			     struct followup_rec *out);

/* Calls fn for every follow-up posted for a session, oldest first; a non-zero return
 * stops and is returned. */
int store_followup_each(struct store *s, int64_t session_id,
			int (*fn)(void *ud, const struct followup_rec *f), void *ud);

/* One answer to a report-back prompt. */
struct report_entry_rec {
	int64_t id;
	int64_t session_id;
	const char *followup_id;
	const char *user_id;
	const char *text;
	int64_t action_id;         /* 0: not linked to an action item */
	const char *source_ref;    /* the transport's id of the message; NULL if unknown */
	int64_t created_at;
	int64_t updated_at;
};

/* Adds an entry (e->id, created_at and updated_at are ignored; now is used) and sets *id. */
int store_report_add(struct store *s, const struct report_entry_rec *e, int64_t now,
		     int64_t *id);

/* Which entry a message made, and whose it is. */
struct report_owner {
	int64_t id;
	struct followup_rec followup;   /* session_id and followup_id (posted_at: 0) */
	char user_id[256];
};

/* The current (not withdrawn) entry that came from message source_ref in a session of
 * this channel. Returns 0, BOT_ERR_NOT_FOUND, or BOT_ERR_DB. */
int store_report_by_ref(struct store *s, const char *transport, const char *channel,
			const char *source_ref, struct report_owner *out);

/* Replaces an entry's text and action item (0: none) at now. */
int store_report_update(struct store *s, int64_t id, const char *text, int64_t action_id,
			int64_t now);

/* Withdraws an entry (it stays in the table, out of every report). */
int store_report_withdraw(struct store *s, int64_t id, int64_t now);

/* Replaces the numbers of an entry: field[i] = value[i] for i < n. */
int store_report_set_outcomes(struct store *s, int64_t entry_id, const char *const *field,
			      const long long *value, size_t n);

/* Calls fn for every current entry of a session (action_id not 0: only those linked to
 * that item), by follow-up post date, then oldest first. */
int store_report_each(struct store *s, int64_t session_id, int64_t action_id,
		      int (*fn)(void *ud, const struct report_entry_rec *e), void *ud);

/* Calls fn for every number of the current entries of a session. */
int store_report_outcome_each(struct store *s, int64_t session_id,
			      int (*fn)(void *ud, const char *followup_id, const char *field,
					long long value), void *ud);

#endif
