/* hashmap.h - a hash table from byte-string keys to pointers (open addressing, linear
 * probing, deletion by backward shift: no tombstones). The map copies each key; values
 * are borrowed (the map never frees them). Lookups, inserts and removals are O(1) on
 * average; the table doubles when 3/4 full and halves when under 1/8 full. */
#ifndef WORKSHOPBOT_HASHMAP_H
#define WORKSHOPBOT_HASHMAP_H

#include <stddef.h>

struct hashmap;

/* Returns an empty map, or NULL when out of memory. Caller frees with hashmap_free(). */
struct hashmap *hashmap_new(void);

/* Frees the map and its key copies, not the values. m may be NULL. */
void hashmap_free(struct hashmap *m);

/* The value stored under key (len bytes), or NULL. */
void *hashmap_get(const struct hashmap *m, const void *key, size_t len);

/* Stores value (not NULL) under key, replacing any value there. Returns 0, or
 * BOT_ERR_NOMEM (the map is then unchanged). */
int hashmap_put(struct hashmap *m, const void *key, size_t len, void *value);

/* Removes key; returns the value it had, or NULL when it was not there. */
void *hashmap_remove(struct hashmap *m, const void *key, size_t len);

/* The number of keys stored. */
size_t hashmap_count(const struct hashmap *m);

/* Walks the values: start with *cursor = 0; each call returns the next value, or NULL at
 * the end. The map must not change during the walk (freeing the values is fine). */
void *hashmap_next(const struct hashmap *m, size_t *cursor);

/* NUL-terminated string keys (the terminator is not part of the key). */
void *hashmap_get_str(const struct hashmap *m, const char *key);
int hashmap_put_str(struct hashmap *m, const char *key, void *value);
void *hashmap_remove_str(struct hashmap *m, const char *key);

#endif
