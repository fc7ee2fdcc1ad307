/* event.h - an inbound event, normalised by a transport. Handlers see only this.
 * Every string is borrowed from the transport for the duration of dispatch. */
#ifndef WORKSHOPBOT_EVENT_H
#define WORKSHOPBOT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum event_kind {
	EVENT_MESSAGE,     /* a new message: a command, an answer, or chatter to ignore */
	EVENT_EDIT,        /* a message was edited: text is its new text, target_ref the
	                      message's id */
	EVENT_DELETE,      /* a message was deleted: target_ref is its id */
	EVENT_BUTTON,      /* a button on a question post: action names it */
	EVENT_FORM,        /* a submitted form: action names it, the fields below fill it */
	EVENT_REACTION,    /* a reaction: text is its key (an emoji), target_ref the message */
};

struct event {
	enum event_kind kind;
	const char *transport;    /* "console", "slack", "matrix" */
	const char *channel;      /* the transport's channel or room id */
	const char *thread;       /* the thread root's id, or NULL outside a thread */
	const char *user;         /* the author's stable id */
	const char *user_name;    /* the author's display name, or NULL when not known yet */
	const char *text;         /* the message text (commands: the whole text); never NULL
	                             for MESSAGE and EDIT */
	const char *ref;          /* the transport's id for this message, or NULL */
	const char *target_ref;   /* EDIT, DELETE: the message changed */
	const char *dedup_key;    /* a key that stays the same when the transport delivers
	                             the event again (also after a restart), or NULL */
	bool addressed;           /* the transport knows it is meant for the bot (slash
	                             command, mention): text is a command without prefix */
	bool answers_open;        /* the transport treats plain text as an answer to the
	                             open question (the console does) */
	bool direct;              /* the transport knows the channel is the author's direct
	                             message with the bot (Slack channel_type "im"), even
	                             before the bot opened or recorded it */
	bool moderator;           /* the chat gives the author the right to pace any session
	                             here (a Matrix power level at the configured level) */

	/* BUTTON and FORM */
	const char *action;       /* "answer", "next", "skip" (button);
	                             "answer", "action_item" (form) */
	int64_t session_id;       /* the session and question the button or form is for */
	long prompt_index;
	const char *trigger;      /* BUTTON: the transport's token to open a form in reply */
	/* FORM */
	const char *const *choices;  /* checklist: the labels picked */
	size_t n_choices;
	const char *owner;        /* action item: the owner's user id, or NULL */
	const char *due;          /* action item: YYYY-MM-DD, or NULL */
};

#endif
