/* err.h - the one error enum of workshopbot. 0 is success. */
#ifndef WORKSHOPBOT_ERR_H
#define WORKSHOPBOT_ERR_H

#include <stddef.h>

enum bot_err {
	BOT_OK = 0,
	BOT_ERR_NOMEM,        /* an allocation failed */
	BOT_ERR_INVALID,      /* bad input: user text, argument, file content */
	BOT_ERR_NOT_FOUND,    /* no such session, item, template, file */
	BOT_ERR_DENIED,       /* the caller may not do this (not the facilitator) */
	BOT_ERR_STATE,        /* not possible now (no open question, session ended) */
	BOT_ERR_IO,           /* reading or writing a file or stream failed */
	BOT_ERR_DB,           /* SQLite reported an error */
	BOT_ERR_DB_LOCKED,    /* the database is in use by another process */
	BOT_ERR_DB_READONLY,  /* the database cannot be written */
	BOT_ERR_DB_NOTADB,    /* the file is not a SQLite database */
	BOT_ERR_DB_NEWER,     /* the schema is newer than this program knows */
	BOT_ERR_TEMPLATE,     /* a workshop template is not valid */
	BOT_ERR_CONFIG,       /* the config file is not valid */
};

/* A short, static description of the error class. Never NULL. */
const char *bot_strerror(int err);

/* Size of the buffers that carry a one-line error explanation. */
#define BOT_ERRMSG_MAX 512

/* Formats a one-line explanation into err (if err is not NULL) and returns code. */
int bot_fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
