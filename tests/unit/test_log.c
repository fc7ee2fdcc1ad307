/* test_log.c - log lines: the level filter and the redaction of registered secrets, read
 * back from stderr redirected to a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/log.h"

#define SECRET "xoxb-1234-secret"

struct fixture {
	char path[64];
	int saved_stderr;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);
	int fd;

	if (!f)
		return -1;
	snprintf(f->path, sizeof f->path, "/tmp/test_log.XXXXXX");
	fd = mkstemp(f->path);
	f->saved_stderr = dup(STDERR_FILENO);
	if (fd < 0 || f->saved_stderr < 0 || dup2(fd, STDERR_FILENO) < 0)
		return -1;
	close(fd);
	log_set_level(LOG_INFO);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	unlink(f->path);
	log_clear_secrets();
	free(f);
	return 0;
}

/* Everything logged so far. */
static char *logged(struct fixture *f)
{
	static char buf[8192];
	FILE *in;
	size_t n;

	fflush(stderr);
	in = fopen(f->path, "r");
	assert_non_null(in);
	n = fread(buf, 1, sizeof buf - 1, in);
	buf[n] = '\0';
	fclose(in);
	return buf;
}

static void test_level_filter(void **state)
{
	struct fixture *f = *state;

	log_debug("t", "not shown");
	log_info("t", "shown %d", 1);
	assert_string_equal(logged(f), "info t: shown 1\n");
}

/* A registered secret is replaced wherever it shows up, also twice in a line and next to
 * other text; the longest of two overlapping secrets wins. */
static void test_secrets_redacted(void **state)
{
	struct fixture *f = *state;

	log_add_secret(SECRET);
	log_add_secret("xoxb-1234");
	log_add_secret(NULL);
	log_add_secret("");
	log_warn("slack", "refused: " SECRET " and again " SECRET "x; xoxb-1234-other");
	assert_string_equal(logged(f), "warn slack: refused: <redacted> and again <redacted>x; "
				       "<redacted>-other\n");
	assert_null(strstr(logged(f), "secret"));
}

/* Forgotten secrets are shown again (at exit the table is freed). */
static void test_clear(void **state)
{
	struct fixture *f = *state;

	log_add_secret(SECRET);
	log_clear_secrets();
	log_info("t", "%s", SECRET);
	assert_string_equal(logged(f), "info t: " SECRET "\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_level_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secrets_redacted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clear, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
