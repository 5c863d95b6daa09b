/*
 * test_gha.c - GitHub Actions annotations: GitHub's escaping rules for
 * messages and properties, workspace-relative file names, secrets
 * redacted, and the step summary appended (never truncated).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "cli/gha.h"

static void test_gha__message_and_property_escapes(void **state)
{
	cmk_buf b = CMK_BUF_INIT;

	(void)state;
	unsetenv("GITHUB_WORKSPACE");
	assert_int_equal(gha_annotation(&b, "error", "dir,a:b/x%y.yaml", 3, 7, "t: a,b",
					"100% bad: a,b\r\nnext"), 0);
	assert_string_equal(cmk_buf_cstr(&b),
			    "::error file=dir%2Ca%3Ab/x%25y.yaml,line=3,col=7,title=t%3A a%2Cb::"
			    "100%25 bad: a,b%0D%0Anext\n");
	cmk_buf_free(&b);
}

static void test_gha__no_position_no_title(void **state)
{
	cmk_buf b = CMK_BUF_INIT;

	(void)state;
	assert_int_equal(gha_annotation(&b, "warning", NULL, 0, 0, NULL, "plain"), 0);
	assert_string_equal(cmk_buf_cstr(&b), "::warning::plain\n");
	cmk_buf_free(&b);
	/* a line without a file is not an annotation position */
	assert_int_equal(gha_annotation(&b, "error", "f.yaml", 0, 9, NULL, "m"), 0);
	assert_string_equal(cmk_buf_cstr(&b), "::error file=f.yaml::m\n");
	cmk_buf_free(&b);
}

static void test_gha__workspace_relative(void **state)
{
	cmk_buf b = CMK_BUF_INIT;

	(void)state;
	setenv("GITHUB_WORKSPACE", "/home/runner/work/repo/", 1);
	assert_int_equal(gha_annotation(&b, "error", "/home/runner/work/repo/m/a.yaml", 1, 1, NULL, "x"), 0);
	assert_int_equal(gha_annotation(&b, "error", "/home/runner/work/repo2/a.yaml", 1, 1, NULL, "x"), 0);
	assert_string_equal(cmk_buf_cstr(&b), "::error file=m/a.yaml,line=1,col=1::x\n"
					      "::error file=/home/runner/work/repo2/a.yaml,line=1,col=1::x\n");
	unsetenv("GITHUB_WORKSPACE");
	cmk_buf_free(&b);
}

static void test_gha__secret_never_echoed(void **state)
{
	cmk_buf b = CMK_BUF_INIT;
	char path[] = "/tmp/gha-summary-XXXXXX";
	cmk_buf file = CMK_BUF_INIT;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "earlier step\n", 13), 13);
	close(fd);
	cmk_log_add_secret("s3cr3t-value-xyz");
	assert_int_equal(gha_annotation(&b, "error", NULL, 0, 0, NULL, "token s3cr3t-value-xyz leaked?"), 0);
	assert_null(strstr(cmk_buf_cstr(&b), "s3cr3t"));
	assert_non_null(strstr(cmk_buf_cstr(&b), "[REDACTED]"));
	setenv("GITHUB_STEP_SUMMARY", path, 1);
	assert_int_equal(gha_step_summary_append("## plan\nkey s3cr3t-value-xyz\n"), 0);
	assert_int_equal(cmk_buf_read_file(&file, path), 0);
	assert_non_null(strstr(cmk_buf_cstr(&file), "earlier step\n## plan\n"));
	assert_null(strstr(cmk_buf_cstr(&file), "s3cr3t"));
	unsetenv("GITHUB_STEP_SUMMARY");
	assert_int_equal(gha_step_summary_append("ignored"), 0);
	unlink(path);
	cmk_log_clear_secrets();
	cmk_buf_free(&file);
	cmk_buf_free(&b);
}

static void test_gha__active_only_when_set(void **state)
{
	(void)state;
	unsetenv("GITHUB_ACTIONS");
	assert_false(gha_active());
	setenv("GITHUB_ACTIONS", "false", 1);
	assert_false(gha_active());
	setenv("GITHUB_ACTIONS", "true", 1);
	assert_true(gha_active());
	unsetenv("GITHUB_ACTIONS");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gha__message_and_property_escapes),
		cmocka_unit_test(test_gha__no_position_no_title),
		cmocka_unit_test(test_gha__workspace_relative),
		cmocka_unit_test(test_gha__secret_never_echoed),
		cmocka_unit_test(test_gha__active_only_when_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
