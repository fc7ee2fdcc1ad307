/* support.h - small helpers shared by the unit tests, header-only (static inline) so that
 * each tests/unit/test_*.c stays one binary with no extra object to link.
 *
 * Include after <cmocka.h>: the helpers report failures through cmocka's fail_msg(). */
#ifndef WORKSHOPBOT_TEST_SUPPORT_H
#define WORKSHOPBOT_TEST_SUPPORT_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof (a) / sizeof (a)[0])

/* Fails the test unless needle occurs in haystack; shows both. */
#define assert_contains(haystack, needle)                                               \
	do {                                                                            \
		const char *hay_ = (haystack), *needle_ = (needle);                     \
		if (!hay_ || !strstr(hay_, needle_))                                    \
			fail_msg("expected \"%s\" in:\n%s", needle_, hay_ ? hay_ : "(null)"); \
	} while (0)

/* Fails the test if needle occurs in haystack. */
#define assert_not_contains(haystack, needle)                                           \
	do {                                                                            \
		const char *hay_ = (haystack), *needle_ = (needle);                     \
		if (hay_ && strstr(hay_, needle_))                                      \
			fail_msg("did not expect \"%s\" in:\n%s", needle_, hay_);       \
	} while (0)

/* Makes a fresh private directory /tmp/<tag>.XXXXXX into dir (at least 64 bytes). */
static inline void tmpdir_make(char *dir, size_t len, const char *tag)
{
	snprintf(dir, len, "/tmp/%s.XXXXXX", tag);
	if (!mkdtemp(dir))
		fail_msg("mkdtemp %s failed", dir);
}

/* Removes a directory made by tmpdir_make() and the files in it (no subdirectories).
 * Safe to call with "" (does nothing). */
static inline void tmpdir_remove(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	if (!dir || !dir[0])
		return;
	d = opendir(dir);
	if (d) {
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
		closedir(d);
	}
	rmdir(dir);
}

/* Joins dir and name into buf. */
static inline void path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len)
		fail_msg("path too long: %s/%s", dir, name);
}

/* Writes len bytes to a new file at path (mode 0600). */
static inline void file_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		fail_msg("cannot create %s", path);
	if (len && fwrite(data, 1, len, f) != len)
		fail_msg("cannot write %s", path);
	if (fclose(f) != 0)
		fail_msg("cannot close %s", path);
}

/* Reads a whole file into a malloc'd buffer (NUL-terminated) and its size into *len.
 * Returns NULL when the file cannot be read. Caller frees. */
static inline char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *grown;
			cap = cap ? cap * 2 : 8192;
			grown = realloc(buf, cap);
			if (!grown) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		size_t got = fread(buf + n, 1, 4096, f);
		n += got;
		if (got < 4096)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

#endif
