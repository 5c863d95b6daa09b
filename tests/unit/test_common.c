/*
 * test_common.c - the error slot, the capped buffer and the log redaction.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"

static void test_error__set_returns_code_and_keeps_message(void **state)
{
	assert_int_equal(cmk_error_set(CMK_ENOTFOUND, "vault %s missing", "kv1"), CMK_ENOTFOUND);
	assert_string_equal(cmk_error_last(), "vault kv1 missing");
	assert_int_equal(cmk_error_last_code(), CMK_ENOTFOUND);
	cmk_error_clear();
	assert_string_equal(cmk_error_last(), "");
}

static void test_buf__grows_and_stays_terminated(void **state)
{
	cmk_buf b = CMK_BUF_INIT;

	assert_string_equal(cmk_buf_cstr(&b), "");
	for (int i = 0; i < 1000; i++)
		assert_int_equal(cmk_buf_printf(&b, "%d,", i), 0);
	assert_int_equal(strncmp(b.ptr, "0,1,2,", 6), 0);
	assert_int_equal(strlen(b.ptr), b.len);
	cmk_buf_free(&b);
}

static void test_buf__refuses_growth_past_cap(void **state)
{
	cmk_buf b;

	cmk_buf_init(&b, 8);
	assert_int_equal(cmk_buf_puts(&b, "12345678"), 0);
	assert_int_equal(cmk_buf_puts(&b, "9"), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "too large"));
	assert_string_equal(cmk_buf_cstr(&b), "12345678");
	cmk_buf_free(&b);
}

static void test_log__redacts_registered_secrets(void **state)
{
	char line[] = "token=abcdefghij12 and again abcdefghij12 end";

	cmk_log_add_secret("abcdefghij12");
	cmk_log_redact(line);
	assert_null(strstr(line, "abcdefghij12"));
	assert_string_equal(line, "token=[REDACTED] and again [REDACTED] end");
	cmk_log_clear_secrets();
}

static void test_log__never_writes_a_secret(void **state)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	cmk_log_add_secret("s3cr3t-client-value");
	cmk_log_configure(CMK_LOG_DEBUG, CMK_LOG_JSON, f);
	cmk_log_info("got s3cr3t-client-value from env");
	cmk_log_configure(CMK_LOG_DEBUG, CMK_LOG_TEXT, f);
	cmk_log_ctx(CMK_LOG_WARN, "/subscriptions/x", "link", "rid-1", "%s", "s3cr3t-client-value");
	fclose(f);
	assert_null(strstr(out, "s3cr3t-client-value"));
	assert_non_null(strstr(out, "\"level\":\"info\""));
	assert_non_null(strstr(out, "(request id rid-1)"));
	free(out);
	cmk_log_clear_secrets();
	cmk_log_configure(CMK_LOG_INFO, CMK_LOG_TEXT, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__set_returns_code_and_keeps_message),
		cmocka_unit_test(test_buf__grows_and_stays_terminated),
		cmocka_unit_test(test_buf__refuses_growth_past_cap),
		cmocka_unit_test(test_log__redacts_registered_secrets),
		cmocka_unit_test(test_log__never_writes_a_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
