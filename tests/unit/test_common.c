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
#include "common/live.h"
#include "common/log.h"
#include "common/time.h"
#include "common/vec.h"

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

static void test_time__parses_every_form_the_three_old_parsers_took(void **state)
{
	int64_t ms;
	time_t t;
	/* each one old parser's form; all 2022-11-03T07:31:31Z = 1667460691 */
	static const char *const forms[] = {
		"2022-11-03T07:31:31Z",
		"2022-11-03t07:31:31z",            /* planner */
		"2022-11-03T09:31:31+0200",        /* adapters */
		"2022-11-03 07:31:31,9",           /* adapters */
		"03 Nov 2022 07:31:31 UTC",        /* adapters */
		"Thu, 03 Nov 2022 07:31:31 XYZ",   /* planner */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(cmk_time_parse(&t, forms[i]), 0);
		assert_int_equal((long long)t, 1667460691LL);
	}
	assert_int_equal(cmk_time_parse_ms(&ms, "2022-11-03T07:31:31.1234567Z"), 0); /* lro */
	assert_int_equal(ms, 1667460691123LL);
	assert_int_equal(cmk_time_parse_ms(&ms, "1969-12-31T23:59:59.500Z"), 0);
	assert_int_equal(ms, -500);
	assert_int_equal(cmk_time_parse(&t, "1969-12-31T23:59:59.500Z"), 0);
	assert_int_equal((long long)t, -1);
	assert_int_equal(cmk_time_parse(&t, "2022-11-03t07:31:61Z"), CMK_EINVALID);
	assert_int_equal(cmk_time_parse(&t, "2022, 03 Nov 2022 07:31:31 GMT"), CMK_EINVALID);
	assert_int_equal(cmk_time_parse(&t, NULL), CMK_EINVALID);
	assert_string_equal(cmk_error_last(), "'' is not a timestamp (ISO 8601 or RFC 1123)");
}

static void test_time__formats_seconds_and_milliseconds(void **state)
{
	char buf[CMK_TIME_ISO_LEN];

	(void)state;
	assert_int_equal(cmk_time_format(buf, sizeof(buf), 1667460691), 0);
	assert_string_equal(buf, "2022-11-03T07:31:31Z");
	assert_int_equal(cmk_time_format_ms(buf, sizeof(buf), -500), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.500Z");
}

static void test_time__scale_from_the_environment_is_strict(void **state)
{
	double v = 0;

	(void)state;
	unsetenv("CMKCTL_TIME_SCALE");
	assert_int_equal(cmk_time_scale_env(&v), 0);
	assert_true(v == 1.0);
	setenv("CMKCTL_TIME_SCALE", "400", 1);
	assert_int_equal(cmk_time_scale_env(&v), 0);
	assert_true(v == 400.0);
	setenv("CMKCTL_TIME_SCALE", "4x", 1);
	assert_int_equal(cmk_time_scale_env(&v), CMK_EINVALID);
	assert_true(v == 1.0);
	setenv("CMKCTL_TIME_SCALE", "-2", 1);
	assert_int_equal(cmk_time_scale_env(&v), CMK_EINVALID);
	unsetenv("CMKCTL_TIME_SCALE");
}

static void test_live__terminal_provisioning_states_follow_the_rpc(void **state)
{
	(void)state;
	assert_true(live_provisioning_terminal(NULL));
	assert_true(live_provisioning_terminal(""));
	assert_true(live_provisioning_terminal("succeeded"));
	assert_true(live_provisioning_terminal("Failed"));
	assert_true(live_provisioning_terminal("Canceled"));
	assert_true(live_provisioning_terminal("Cancelled"));
	assert_false(live_provisioning_terminal("Updating"));
	assert_false(live_provisioning_terminal("Deleted"));
	assert_int_equal(live_provisioning_classify("CANCELLED"), LIVE_PROVISIONING_CANCELED);
}

static void test_vec__grows_by_doubling_up_to_its_cap(void **state)
{
	int *arr = NULL, *slot;
	size_t n = 0, cap = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		assert_non_null(slot = CMK_VEC_PUSH(arr, n, cap));
		assert_int_equal(*slot, 0);
		*slot = i;
	}
	assert_int_equal(n, 100);
	assert_int_equal(cap, 128);
	assert_int_equal(arr[99], 99);
	assert_int_equal(cmk_vec_reserve(&arr, &cap, 200, sizeof(*arr), 150), CMK_EINVALID);
	assert_int_equal(cap, 128);
	assert_int_equal(cmk_vec_reserve(&arr, &cap, 140, sizeof(*arr), 150), 0);
	assert_int_equal(cap, 150);
	free(arr);
	arr = NULL;
	n = 0;
	assert_non_null(CMK_VEC_APPEND(arr, n));
	assert_non_null(CMK_VEC_APPEND(arr, n));
	assert_int_equal(n, 2);
	free(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error__set_returns_code_and_keeps_message),
		cmocka_unit_test(test_buf__grows_and_stays_terminated),
		cmocka_unit_test(test_buf__refuses_growth_past_cap),
		cmocka_unit_test(test_log__redacts_registered_secrets),
		cmocka_unit_test(test_log__never_writes_a_secret),
		cmocka_unit_test(test_time__parses_every_form_the_three_old_parsers_took),
		cmocka_unit_test(test_time__formats_seconds_and_milliseconds),
		cmocka_unit_test(test_time__scale_from_the_environment_is_strict),
		cmocka_unit_test(test_live__terminal_provisioning_states_follow_the_rpc),
		cmocka_unit_test(test_vec__grows_by_doubling_up_to_its_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
