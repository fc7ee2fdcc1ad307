#include "err.h"

#include <stdarg.h>
#include <stdio.h>

const char *bot_strerror(int err)
{
	switch (err) {
	case BOT_OK: return "success";
	case BOT_ERR_NOMEM: return "out of memory";
	case BOT_ERR_INVALID: return "invalid input";
	case BOT_ERR_NOT_FOUND: return "not found";
	case BOT_ERR_DENIED: return "not allowed";
	case BOT_ERR_STATE: return "not possible now";
	case BOT_ERR_IO: return "input/output error";
	case BOT_ERR_DB: return "database error";
	case BOT_ERR_DB_LOCKED: return "database is in use by another process";
	case BOT_ERR_DB_READONLY: return "database cannot be written (read-only, or the disk is full)";
	case BOT_ERR_DB_NOTADB: return "file is not a database";
	case BOT_ERR_DB_NEWER: return "database was written by a newer workshopbot";
	case BOT_ERR_TEMPLATE: return "invalid template";
	case BOT_ERR_CONFIG: return "invalid configuration";
	}
	return "unknown error";
}

int bot_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}
