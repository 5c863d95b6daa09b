/*
 * test_out.c - the output sink (common/out.h): text escapes, the line filter
 * fed in pieces of any size, workflow commands neutralised unless cmkctl
 * writes them, a terminal's own sequences, and printable text unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/out.h"

/* Filter `in` in pieces of `step` bytes (0: at once); returns a new string. */
static char *filtered(const char *in, unsigned flags, size_t step)
{
	cmk_out_filter f;
	cmk_buf b = CMK_BUF_INIT;
	size_t len = strlen(in);

	cmk_out_filter_init(&f, flags);
	for (size_t i = 0; i < len; i += step ? step : len)
		assert_int_equal(cmk_out_filter_feed(&f, &b, in + i, step && len - i > step ? step : len - i), 0);
	assert_int_equal(cmk_out_filter_finish(&f, &b), 0);
	return b.ptr ? cmk_buf_detach(&b) : strdup("");
}

/* The same output whatever the pieces. */
static void assert_filters_to(const char *in, unsigned flags, const char *want)
{
	for (size_t step = 0; step <= 7; step++) {
		char *got = filtered(in, flags, step);

		if (strcmp(got, want) != 0)
			fail_msg("step %zu: '%s' gave '%s', want '%s'", step, in, got, want);
		free(got);
	}
}

static void test_out__escape_shows_control_characters(void **state)
{
	cmk_buf b = CMK_BUF_INIT;

	(void)state;
	assert_int_equal(cmk_out_escape(&b, "a\nb\rc\td\x1b[31m\x07\x7f\xc2\x9b" "e\\n é", 0), 0);
	assert_string_equal(b.ptr, "a\\nb\\rc\\td\\x1b[31m\\x07\\x7f\\u009be\\n é");
	cmk_buf_free(&b);
	assert_int_equal(cmk_out_escape(&b, "one\n  two\nthree\n\tfour", CMK_OUT_KEEP_CONTINUATION), 0);
	assert_string_equal(b.ptr, "one\n  two\\nthree\n\\tfour");
	cmk_buf_free(&b);
	assert_int_equal(cmk_out_escape(&b, "one\ntwo\x1b", CMK_OUT_KEEP_NEWLINE), 0);
	assert_string_equal(b.ptr, "one\ntwo\\x1b");
	cmk_buf_free(&b);
	assert_true(cmk_out_has_control("x\x01"));
	assert_true(cmk_out_has_control("\xc2\x85"));
	assert_false(cmk_out_has_control("plain é ü — ✓"));
	assert_false(cmk_out_has_control(NULL));
}

static void test_out__printable_text_passes_unchanged(void **state)
{
	const char *text = "Plan: 1 to create, 0 to update.\n\n+ LogAnalyticsCluster/prod (create)\n"
			   "    tags.env: (none) -> prod\n### heading # not a command\n"
			   "{\n\t\"a\": \"b:c::d\"\n}\n  ⏳ 3s     step (running)\nurl https://x/y#frag ::not-at-start\n";

	(void)state;
	assert_filters_to(text, 0, text);
	assert_filters_to(text, CMK_OUT_TERMINAL, text);
}

static void test_out__workflow_commands_are_neutralised(void **state)
{
	(void)state;
	assert_filters_to("::error::x\n", 0, "\\x3a:error::x\n");
	assert_filters_to("ok\n::add-mask::s\n  ::stop-commands::t\n", 0,
			  "ok\n\\x3a:add-mask::s\n  \\x3a:stop-commands::t\n");
	/* what the runner trims: tabs and Unicode blanks (no-break space) */
	assert_filters_to("\t\xc2\xa0::warning::x\n", 0, "\t\xc2\xa0\\x3a:warning::x\n");
	/* a carriage return is no line break any more: shown */
	assert_filters_to("a\r::notice::x\n", 0, "a\\r::notice::x\n");
	/* the older and the Azure Pipelines forms, anywhere in a line */
	assert_filters_to("x ##[error]y ##VSO[task.setvariable]z ##vs\n", 0,
			  "x #\\x23[error]y #\\x23VSO[task.setvariable]z ##vs\n");
	/* a lone ':' or '#' at the very end is written at the end */
	assert_filters_to(":", 0, ":");
	assert_filters_to("##", 0, "##");
}

static void test_out__terminal_keeps_only_its_own_sequences(void **state)
{
	(void)state;
	assert_filters_to("\x1b[1;31mred\x1b[0m \x1b[2mdim\x1b[0m\r\x1b[3A\x1b[J", CMK_OUT_TERMINAL,
			  "\x1b[1;31mred\x1b[0m \x1b[2mdim\x1b[0m\r\x1b[3A\x1b[J");
	assert_filters_to("\x1b[2J\x1b]0;t\x07\x1b[8m\r!", CMK_OUT_TERMINAL,
			  "\\x1b[2J\\x1b]0;t\\x07\\x1b[8m\\r!");
	/* not a terminal: none of them */
	assert_filters_to("\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m");
	assert_filters_to("\xc2\x9b" "31m \xc2", 0, "\\u009b31m \xc2");
}

static void test_out__commands_pass_when_cmkctl_writes_them(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	/* a stream that is not the installed stdout/stderr: written as is */
	cmk_out_command(f, "::error file=a::m\n", 18);
	fclose(f);
	assert_string_equal(buf, "::error file=a::m\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out__escape_shows_control_characters),
		cmocka_unit_test(test_out__printable_text_passes_unchanged),
		cmocka_unit_test(test_out__workflow_commands_are_neutralised),
		cmocka_unit_test(test_out__terminal_keeps_only_its_own_sequences),
		cmocka_unit_test(test_out__commands_pass_when_cmkctl_writes_them),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
