/*
 * test_provider_auth.c - token responses of every credential kind, refresh
 * margins and credential names (providers/auth.h). The credentials
 * themselves are exercised against armsim in tests/integration.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"
#include "providers/auth.h"

#define NOW ((time_t)1700000000)

static void parse_ok(arm_token *t, const char *json)
{
	assert_int_equal(arm_token_parse(t, json, strlen(json), NOW), 0);
}

static void test_token__aad_v2_expires_in_number(void **state)
{
	arm_token t;

	parse_ok(&t, "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,"
		     "\"access_token\":\"eyJ0eXAi.aad.v2\"}");
	assert_string_equal(t.token, "eyJ0eXAi.aad.v2");
	assert_int_equal(t.expires_on, NOW + 3599);
	assert_int_equal(t.obtained, NOW);
	arm_token_clear(&t);
}

static void test_token__imds_numbers_as_strings(void **state)
{
	arm_token t;

	parse_ok(&t, "{\"access_token\":\"eyJ0eXAi.imds\",\"client_id\":\"c\",\"expires_in\":"
		     "\"3599\",\"expires_on\":\"1700003599\",\"ext_expires_in\":\"3599\","
		     "\"not_before\":\"1699999700\",\"resource\":\"https://management.azure.com/\","
		     "\"token_type\":\"Bearer\"}");
	assert_int_equal(t.expires_on, NOW + 3599);
	arm_token_clear(&t);
	/* App Service 2019-08-01: expires_on only, epoch as a string */
	parse_ok(&t, "{\"access_token\":\"eyJ0eXAi.appsvc\",\"expires_on\":\"1700000600\","
		     "\"resource\":\"r\",\"token_type\":\"Bearer\"}");
	assert_int_equal(t.expires_on, NOW + 600);
	arm_token_clear(&t);
}

static void test_token__msi_2017_date_form(void **state)
{
	arm_token t;
	const char *json = "{\"access_token\":\"eyJ0eXAi.msi\",\"expires_on\":"
			   "\"11/14/2023 10:23:20 PM +00:00\",\"token_type\":\"Bearer\"}";

	/* 1700000000 is 2023-11-14T22:13:20Z */
	parse_ok(&t, json);
	assert_int_equal(t.expires_on, NOW + 600);
	arm_token_clear(&t);
}

static void test_token__azure_cli_forms(void **state)
{
	arm_token t;

	parse_ok(&t, "{\"accessToken\":\"eyJ0eXAi.cli\",\"expiresOn\":\"2023-11-14 22:43:20."
		     "000000\",\"expires_on\":1700001800,\"subscription\":\"s\",\"tenant\":\"t\","
		     "\"tokenType\":\"Bearer\"}");
	assert_string_equal(t.token, "eyJ0eXAi.cli");
	assert_int_equal(t.expires_on, NOW + 1800);
	arm_token_clear(&t);
}

static void test_token__bad_responses_name_the_problem_not_the_token(void **state)
{
	arm_token t;
	const char *no_token = "{\"expires_in\":3599}";
	const char *no_expiry = "{\"access_token\":\"SECRET-TOKEN-123\"}";
	const char *expired = "{\"access_token\":\"SECRET-TOKEN-456\",\"expires_on\":\"1600000000\"}";
	const char *junk = "<html>";

	assert_int_equal(arm_token_parse(&t, no_token, strlen(no_token), NOW), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "access_token"));
	assert_int_equal(arm_token_parse(&t, no_expiry, strlen(no_expiry), NOW), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "expiry"));
	assert_null(strstr(cmk_error_last(), "SECRET"));
	assert_int_equal(arm_token_parse(&t, expired, strlen(expired), NOW), CMK_EINVALID);
	assert_null(strstr(cmk_error_last(), "SECRET"));
	assert_int_equal(arm_token_parse(&t, junk, strlen(junk), NOW), CMK_EINVALID);
	assert_null(t.token);
}

static void test_token__parsed_tokens_are_redacted_from_logs(void **state)
{
	arm_token t;
	char line[128];

	parse_ok(&t, "{\"access_token\":\"eyJhbGciOi.payload.sig\",\"expires_in\":60}");
	snprintf(line, sizeof(line), "Authorization: Bearer %s", t.token);
	cmk_log_redact(line);
	assert_string_equal(line, "Authorization: Bearer [REDACTED]");
	arm_token_clear(&t);
	cmk_log_clear_secrets();
}

static void test_token__refresh_margin_is_min_of_5_min_and_10_percent(void **state)
{
	arm_token hour = { .token = "x", .obtained = NOW, .expires_on = NOW + 3600 };
	arm_token brief = { .token = "x", .obtained = NOW, .expires_on = NOW + 10 };
	arm_token none = { 0 };

	assert_false(arm_token_needs_refresh(&hour, NOW + 3600 - 301));
	assert_true(arm_token_needs_refresh(&hour, NOW + 3600 - 300));
	assert_false(arm_token_needs_refresh(&brief, NOW + 8));
	assert_true(arm_token_needs_refresh(&brief, NOW + 9));
	assert_true(arm_token_needs_refresh(&none, NOW));
}

static void test_cred__kind_names(void **state)
{
	arm_cred_kind k;

	assert_int_equal(arm_cred_kind_parse(&k, "client-secret"), 0);
	assert_int_equal(k, ARM_CRED_CLIENT_SECRET);
	assert_int_equal(arm_cred_kind_parse(&k, "Workload-Identity"), 0);
	assert_int_equal(k, ARM_CRED_WORKLOAD_IDENTITY);
	assert_int_equal(arm_cred_kind_parse(&k, "managed-identity"), 0);
	assert_int_equal(k, ARM_CRED_MANAGED_IDENTITY);
	assert_int_equal(arm_cred_kind_parse(&k, "azure-cli"), 0);
	assert_int_equal(k, ARM_CRED_AZURE_CLI);
	assert_int_equal(arm_cred_kind_parse(&k, "default"), 0);
	assert_int_equal(k, ARM_CRED_DEFAULT);
	assert_int_equal(arm_cred_kind_parse(&k, "password"), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "unknown credential kind 'password'"));
	assert_string_equal(arm_cred_kind_name(ARM_CRED_WORKLOAD_IDENTITY), "workload-identity");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token__aad_v2_expires_in_number),
		cmocka_unit_test(test_token__imds_numbers_as_strings),
		cmocka_unit_test(test_token__msi_2017_date_form),
		cmocka_unit_test(test_token__azure_cli_forms),
		cmocka_unit_test(test_token__bad_responses_name_the_problem_not_the_token),
		cmocka_unit_test(test_token__parsed_tokens_are_redacted_from_logs),
		cmocka_unit_test(test_token__refresh_margin_is_min_of_5_min_and_10_percent),
		cmocka_unit_test(test_cred__kind_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
