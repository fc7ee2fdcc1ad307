/* event.h - an inbound event, normalised by a transport. Handlers see only this.
 * Every string is borrowed from the transport for the duration of dispatch. */
#ifndef WORKSHOPBOT_EVENT_H
#define WORKSHOPBOT_EVENT_H

#include <stdbool.h>

enum event_kind {
	EVENT_MESSAGE,     /* a new message (command, answer, or chatter to ignore) */
};

struct event {
	enum event_kind kind;
	const char *transport;    /* "console", "slack", "matrix" */
	const char *channel;      /* the transport's channel or room id */
	const char *thread;       /* the thread root's id, or NULL outside a thread */
	const char *user;         /* the author's stable id */
	const char *user_name;    /* the author's display name (or the id) */
	const char *text;         /* the message text (commands: the whole text) */
	const char *ref;          /* the transport's id for this message, or NULL */
	bool addressed;           /* the transport knows it is meant for the bot (slash
	                             command, mention): text is a command without prefix */
	bool answers_open;        /* the transport treats plain text as an answer to the
	                             open question (the console does) */
};

#endif
