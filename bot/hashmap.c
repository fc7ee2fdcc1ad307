#include "bot/hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/err.h"

#define MIN_CAP 16

struct slot {
	uint64_t hash;
	void *key;               /* the map's copy; NULL in an empty slot */
	size_t len;
	void *value;
};

struct hashmap {
	struct slot *slots;
	size_t cap;              /* a power of two */
	size_t count;
};

/* FNV-1a, then a 64-bit finalizer so that the low bits (the index) depend on every byte. */
static uint64_t hash_bytes(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

struct hashmap *hashmap_new(void)
{
	struct hashmap *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->slots = calloc(MIN_CAP, sizeof *m->slots);
	if (!m->slots) {
		free(m);
		return NULL;
	}
	m->cap = MIN_CAP;
	return m;
}

void hashmap_free(struct hashmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	free(m);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t find(const struct hashmap *m, const void *key, size_t len, uint64_t h)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)h & mask;

	while (m->slots[i].key) {
		const struct slot *s = &m->slots[i];
		if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0)
			break;
		i = (i + 1) & mask;
	}
	return i;
}

static int resize(struct hashmap *m, size_t cap)
{
	struct slot *old = m->slots;
	size_t old_cap = m->cap;

	m->slots = calloc(cap, sizeof *m->slots);
	if (!m->slots) {
		m->slots = old;
		return BOT_ERR_NOMEM;
	}
	m->cap = cap;
	for (size_t i = 0; i < old_cap; i++) {
		if (!old[i].key)
			continue;
		size_t j = (size_t)old[i].hash & (cap - 1);
		while (m->slots[j].key)
			j = (j + 1) & (cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
	return 0;
}

void *hashmap_get(const struct hashmap *m, const void *key, size_t len)
{
	return m->slots[find(m, key, len, hash_bytes(key, len))].value;
}

int hashmap_put(struct hashmap *m, const void *key, size_t len, void *value)
{
	uint64_t h = hash_bytes(key, len);
	size_t i = find(m, key, len, h);
	struct slot *s = &m->slots[i];
	void *copy;

	if (s->key) {
		s->value = value;
		return 0;
	}
	if ((m->count + 1) * 4 > m->cap * 3) {
		if (resize(m, m->cap * 2))
			return BOT_ERR_NOMEM;
		i = find(m, key, len, h);
		s = &m->slots[i];
	}
	copy = malloc(len ? len : 1);
	if (!copy)
		return BOT_ERR_NOMEM;
	memcpy(copy, key, len);
	*s = (struct slot){ .hash = h, .key = copy, .len = len, .value = value };
	m->count++;
	return 0;
}

void *hashmap_remove(struct hashmap *m, const void *key, size_t len)
{
	size_t mask = m->cap - 1;
	size_t i = find(m, key, len, hash_bytes(key, len));
	void *value = m->slots[i].value;

	if (!m->slots[i].key)
		return NULL;
	free(m->slots[i].key);
	m->count--;
	/* Backward shift: each later entry of the run moves into the hole unless the hole
	 * lies before its home slot (it would then no longer be found). */
	for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = (size_t)m->slots[j].hash & mask;
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i] = (struct slot){ 0 };
	if (m->cap > MIN_CAP && m->count * 8 < m->cap)
		(void)resize(m, m->cap / 2);   /* when it fails the table just stays larger */
	return value;
}

size_t hashmap_count(const struct hashmap *m)
{
	return m->count;
}

void *hashmap_next(const struct hashmap *m, size_t *cursor)
{
	while (*cursor < m->cap) {
		const struct slot *s = &m->slots[(*cursor)++];
		if (s->key)
			return s->value;
	}
	return NULL;
}

void *hashmap_get_str(const struct hashmap *m, const char *key)
{
	return hashmap_get(m, key, strlen(key));
}

int hashmap_put_str(struct hashmap *m, const char *key, void *value)
{
	return hashmap_put(m, key, strlen(key), value);
}

void *hashmap_remove_str(struct hashmap *m, const char *key)
{
	return hashmap_remove(m, key, strlen(key));
}
