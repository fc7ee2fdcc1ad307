/* json_pos.h - where a value stands in JSON text that a parser has already accepted.
 *
 * jansson reports positions only for syntax errors; the template validator uses these
 * bounded scanners to name the line and column of the value an error is about. */
#ifndef WORKSHOPBOT_JSON_POS_H
#define WORKSHOPBOT_JSON_POS_H

#include <stdbool.h>
#include <stddef.h>

/* One step of a path from the document root: an object key, or (key NULL) an array index. */
struct path_elem {
	const char *key;
	size_t index;
};

/* Byte offset of the value at path (or, if at_key, of the last key itself) in the len
 * bytes of b. If the path is not there, the offset of the deepest value found. */
size_t json_pos_find(const char *b, size_t len, const struct path_elem *path, size_t n,
		     bool at_key);

/* Line and column (1-based, columns in characters as jansson counts them) of offset off. */
void json_pos_line_col(const char *b, size_t len, size_t off, long *line, long *col);

#endif
