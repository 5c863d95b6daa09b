/*
 * test_provider_cloud.c - named cloud profiles, the custom profile from the
 * environment (what armsim's ready line gives), and metadata discovery
 * (providers/cloud.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "providers/cloud.h"

static const char *const vars[] = { "CMKCTL_CLOUD", "CMKCTL_ARM_ENDPOINT", "CMKCTL_ARM_AUDIENCE",
	"CMKCTL_KEYVAULT_DNS_SUFFIX", "CMKCTL_KEYVAULT_AUDIENCE", "AZURE_AUTHORITY_HOST", NULL };

static int clear_env(void **state)
{
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	return 0;
}

static void test_cloud__default_is_azure_public(void **state)
{
	arm_cloud *c = NULL;

	assert_int_equal(arm_cloud_resolve(&c, NULL), 0);
	assert_string_equal(c->name, "AzureCloud");
	assert_string_equal(c->arm_endpoint, "https://management.azure.com");
	assert_string_equal(c->authority_host, "https://login.microsoftonline.com");
	assert_string_equal(c->keyvault_suffix, "vault.azure.net");
	assert_string_equal(c->keyvault_audience, "https://vault.azure.net");
	arm_cloud_free(c);
}

static void test_cloud__sovereign_profiles(void **state)
{
	arm_cloud *c = NULL;

	setenv("CMKCTL_CLOUD", "azureusgovernment", 1);
	assert_int_equal(arm_cloud_resolve(&c, NULL), 0);
	assert_string_equal(c->name, "AzureUSGovernment");
	assert_string_equal(c->arm_endpoint, "https://management.usgovcloudapi.net");
	assert_string_equal(c->authority_host, "https://login.microsoftonline.us");
	assert_string_equal(c->keyvault_suffix, "vault.usgovcloudapi.net");
	arm_cloud_free(c);
	assert_int_equal(arm_cloud_named(&c, "AzureChinaCloud"), 0);
	assert_string_equal(c->arm_endpoint, "https://management.chinacloudapi.cn");
	assert_string_equal(c->keyvault_audience, "https://vault.azure.cn");
	arm_cloud_free(c);
}

static void test_cloud__custom_from_armsim_ready_env(void **state)
{
	arm_cloud *c = NULL;

	setenv("CMKCTL_CLOUD", "custom", 1);
	setenv("CMKCTL_ARM_ENDPOINT", "https://localhost:40123/", 1);
	setenv("CMKCTL_ARM_AUDIENCE", "https://management.azure.com/", 1);
	setenv("CMKCTL_KEYVAULT_DNS_SUFFIX", ".vault.localhost", 1);
	setenv("AZURE_AUTHORITY_HOST", "https://localhost:40123/", 1);
	assert_int_equal(arm_cloud_resolve(&c, NULL), 0);
	assert_string_equal(c->name, "custom");
	assert_string_equal(c->arm_endpoint, "https://localhost:40123");
	assert_string_equal(c->arm_audience, "https://management.azure.com");
	assert_string_equal(c->authority_host, "https://localhost:40123");
	assert_string_equal(c->keyvault_suffix, "vault.localhost");
	assert_string_equal(c->keyvault_audience, "https://vault.azure.net");
	arm_cloud_free(c);
}

static void test_cloud__flags_win_over_environment(void **state)
{
	arm_cloud *c = NULL;
	arm_cloud_settings s = { .name = "custom", .arm_endpoint = "https://arm.flag",
				 .authority_host = "https://login.flag" };

	setenv("CMKCTL_ARM_ENDPOINT", "https://arm.env", 1);
	setenv("AZURE_AUTHORITY_HOST", "https://login.env", 1);
	assert_int_equal(arm_cloud_resolve(&c, &s), 0);
	assert_string_equal(c->arm_endpoint, "https://arm.flag");
	assert_string_equal(c->arm_audience, "https://arm.flag");
	assert_string_equal(c->authority_host, "https://login.flag");
	assert_null(c->keyvault_suffix);
	arm_cloud_free(c);
}

static void test_cloud__bad_settings_say_which_variable(void **state)
{
	arm_cloud *c = NULL;

	setenv("CMKCTL_CLOUD", "Mars", 1);
	assert_int_equal(arm_cloud_resolve(&c, NULL), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "unknown cloud 'Mars' (CMKCTL_CLOUD"));
	setenv("CMKCTL_CLOUD", "custom", 1);
	assert_int_equal(arm_cloud_resolve(&c, NULL), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "CMKCTL_ARM_ENDPOINT"));
	setenv("CMKCTL_ARM_ENDPOINT", "management.example.com", 1);
	assert_int_equal(arm_cloud_resolve(&c, NULL), CMK_EINVALID);
	assert_non_null(strstr(cmk_error_last(), "is not an http(s) URL"));
	assert_null(c);
}

static void test_cloud__from_metadata_object_and_list(void **state)
{
	const char *obj = "{\"galleryEndpoint\":\"\",\"graphEndpoint\":\"https://graph\","
		"\"portalEndpoint\":\"https://portal\",\"authentication\":{\"loginEndpoint\":"
		"\"https://login.example/\",\"audiences\":[\"https://management.example/\","
		"\"https://management.core.example/\"]},\"suffixes\":{\"keyVaultDns\":"
		"\"vault.example\"},\"name\":\"ExampleCloud\"}";
	const char *list = "[{\"name\":\"Other\",\"resourceManager\":\"https://other/\","
		"\"authentication\":{\"loginEndpoint\":\"https://login.other\"}},"
		"{\"name\":\"Mine\",\"resourceManager\":\"https://arm.mine/\",\"authentication\":"
		"{\"loginEndpoint\":\"https://login.mine\",\"audiences\":[\"https://arm.mine\"]},"
		"\"suffixes\":{\"keyVaultDns\":\".vault.mine\"}}]";
	cJSON *doc = cJSON_Parse(obj);
	arm_cloud *c = NULL;

	assert_int_equal(arm_cloud_from_metadata(&c, "https://arm.example", doc), 0);
	assert_string_equal(c->name, "ExampleCloud");
	assert_string_equal(c->arm_endpoint, "https://arm.example");
	assert_string_equal(c->authority_host, "https://login.example");
	assert_string_equal(c->arm_audience, "https://management.example");
	assert_string_equal(c->keyvault_suffix, "vault.example");
	assert_string_equal(c->keyvault_audience, "https://vault.example");
	arm_cloud_free(c);
	cJSON_Delete(doc);
	doc = cJSON_Parse(list);
	assert_int_equal(arm_cloud_from_metadata(&c, "https://arm.mine", doc), 0);
	assert_string_equal(c->name, "Mine");
	assert_string_equal(c->keyvault_suffix, "vault.mine");
	arm_cloud_free(c);
	cJSON_Delete(doc);
	doc = cJSON_Parse("{\"name\":\"x\"}");
	assert_int_equal(arm_cloud_from_metadata(&c, "https://arm", doc), CMK_EINVALID);
	cJSON_Delete(doc);
}

static void test_cloud__scope_of_an_audience(void **state)
{
	char *s = arm_cloud_scope("https://management.azure.com/");

	assert_string_equal(s, "https://management.azure.com/.default");
	free(s);
	s = arm_cloud_scope("https://vault.azure.net");
	assert_string_equal(s, "https://vault.azure.net/.default");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cloud__default_is_azure_public, clear_env),
		cmocka_unit_test_setup(test_cloud__sovereign_profiles, clear_env),
		cmocka_unit_test_setup(test_cloud__custom_from_armsim_ready_env, clear_env),
		cmocka_unit_test_setup(test_cloud__flags_win_over_environment, clear_env),
		cmocka_unit_test_setup(test_cloud__bad_settings_say_which_variable, clear_env),
		cmocka_unit_test_setup(test_cloud__from_metadata_object_and_list, clear_env),
		cmocka_unit_test_setup(test_cloud__scope_of_an_audience, clear_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
