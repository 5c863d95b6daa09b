/*
 * test_provider_auth_chain.c - the default credential chain as
 * DefaultAzureCredential runs it: a credential that is configured and fails
 * ends the chain with its own error (an Azure CLI further down, working or
 * not, is never asked), and when every credential is unavailable the error
 * lists each one tried and why.
 *
 * Every case sets PATH itself: a directory made here holding a stand-in `az`
 * (one that answers, one that says "Please run 'az login'", or none) plus
 * /usr/bin and /bin, so the result never depends on an Azure CLI installed
 * on the machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"
#include "providers/arm.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000aa"

typedef enum { AZ_NONE, AZ_WORKS, AZ_NOT_LOGGED_IN } az_kind;

static armsim *sim;
static char tmpdir[256];
static char saved_path[4096];
static unsigned bins;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 3 };

	(void)state;
	sim = it_start(&o);
	snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/cmkctl-it-chain-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(saved_path, sizeof(saved_path), "%s", getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	armsim_stop(sim);
	setenv("PATH", saved_path, 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int fresh_env(void **state)
{
	(void)state;
	armsim_setenv(sim);
	unsetenv("CMKCTL_CREDENTIAL");
	unsetenv("AZURE_FEDERATED_TOKEN_FILE");
	unsetenv("CURL_CA_BUNDLE");
	/* IMDS: an address that refuses at once (nothing listens on port 9) */
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9", 1);
	return 0;
}

/*
 * PATH = a new directory holding the `az` wanted, then /usr/bin and /bin.
 * The stand-in records that it ran in `argv_file` (its directory's az.ran).
 */
static void path_with_az(az_kind kind, char *argv_file, size_t size)
{
	char bin[320], script[400], path[800];
	FILE *f;

	snprintf(bin, sizeof(bin), "%s/bin%u", tmpdir, bins++);
	assert_int_equal(mkdir(bin, 0700), 0);
	snprintf(argv_file, size, "%s/az.ran", bin);
	if (kind != AZ_NONE) {
		snprintf(script, sizeof(script), "%s/az", bin);
		assert_non_null(f = fopen(script, "w"));
		fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$*\" > '%s'\n", argv_file);
		if (kind == AZ_NOT_LOGGED_IN)
			fprintf(f, "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n");
		else
			fprintf(f, "printf '{\"accessToken\":\"az-stand-in-token\",\"expires_on\":%%s,"
				   "\"tokenType\":\"Bearer\"}\\n' $(( $(date +%%s) + 3000 ))\n");
		fclose(f);
		assert_int_equal(chmod(script, 0755), 0);
	}
	snprintf(path, sizeof(path), "%s:/usr/bin:/bin", bin);
	setenv("PATH", path, 1);
}

static void assert_has(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("'%s' lacks '%s'", text, needle);
}

static void assert_lacks(const char *text, const char *needle)
{
	if (strstr(text, needle))
		fail_msg("'%s' has '%s'", text, needle);
}

/* GET the subscription; returns the error code (the message in
 * cmk_error_last()). */
static int get_subscription(arm_client *c)
{
	cJSON *doc = NULL;
	int error = arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL);

	cJSON_Delete(doc);
	return error;
}

/* The default chain with no service principal and no identity endpoint in
 * the environment (IMDS refuses: fresh_env). */
static arm_client *client_with_nothing_configured(void)
{
	unsetenv("AZURE_CLIENT_SECRET");
	unsetenv("AZURE_CLIENT_ID");
	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	return it_client(NULL, 1);
}

/* The client secret is configured; the authority's certificate is not
 * trusted (no CA given). The chain ends with the TLS error, whatever `az`
 * would have said. */
static void client_secret_tls_failure_ends_the_chain(az_kind kind)
{
	char ran[400];
	arm_client *c;

	path_with_az(kind, ran, sizeof(ran));
	unsetenv("SSL_CERT_FILE");
	c = it_client(NULL, 1);
	assert_int_equal(get_subscription(c), CMK_EAUTH);
	assert_has(cmk_error_last(), "client-secret credential: ");
	assert_has(cmk_error_last(), "certificate");
	assert_lacks(cmk_error_last(), "az login");
	assert_lacks(cmk_error_last(), "no credential is available");
	assert_int_equal(access(ran, F_OK), -1); /* az never ran */
	it_client_free(c);
}

static void test_chain__client_secret_tls_failure_ends_it_with_a_failing_az(void **state)
{
	(void)state;
	client_secret_tls_failure_ends_the_chain(AZ_NOT_LOGGED_IN);
}

static void test_chain__client_secret_tls_failure_ends_it_with_a_working_az(void **state)
{
	(void)state;
	client_secret_tls_failure_ends_the_chain(AZ_WORKS);
}

static void test_chain__client_secret_tls_failure_ends_it_without_az(void **state)
{
	(void)state;
	client_secret_tls_failure_ends_the_chain(AZ_NONE);
}

/* An App Service identity endpoint from the environment is configured:
 * unreachable, it ends the chain with its own error. */
static void test_chain__configured_identity_endpoint_unreachable_ends_it(void **state)
{
	char ran[400];
	arm_client *c;

	(void)state;
	path_with_az(AZ_WORKS, ran, sizeof(ran));
	unsetenv("AZURE_CLIENT_SECRET");
	setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token", 1);
	setenv("IDENTITY_HEADER", "chain-test-identity-header", 1);
	c = it_client(NULL, 1);
	assert_int_equal(get_subscription(c), CMK_EAUTH);
	assert_has(cmk_error_last(), "managed-identity credential: GET http://127.0.0.1:9/msi/token");
	assert_lacks(cmk_error_last(), "azure-cli");
	assert_lacks(cmk_error_last(), "chain-test-identity-header");
	assert_int_equal(access(ran, F_OK), -1);
	it_client_free(c);
}

/* Nothing configured, IMDS not there, az not logged in: every kind was
 * unavailable, and the error says why for each, in the chain's order. */
static void test_chain__all_unavailable_lists_each_kind_and_why(void **state)
{
	char ran[400];
	const char *m, *cs, *wi, *mi, *cli;
	arm_client *c;

	(void)state;
	path_with_az(AZ_NOT_LOGGED_IN, ran, sizeof(ran));
	c = client_with_nothing_configured();
	assert_int_equal(get_subscription(c), CMK_EAUTH);
	m = cmk_error_last();
	assert_has(m, "no credential is available (CMKCTL_CREDENTIAL=default tried each kind):\n");
	cs = strstr(m, "\n  client-secret credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
		       "AZURE_CLIENT_SECRET");
	wi = strstr(m, "\n  workload-identity credential: set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
		       "AZURE_FEDERATED_TOKEN_FILE");
	mi = strstr(m, "\n  managed-identity credential: GET http://127.0.0.1:9/metadata/identity/oauth2/token");
	cli = strstr(m, "\n  azure-cli credential: 'az account get-access-token' failed (exit 1): "
			"ERROR: Please run 'az login' to setup account.");
	if (!cs || !wi || !mi || !cli || !(cs < wi && wi < mi && mi < cli))
		fail_msg("message: %s", m);
	assert_int_equal(access(ran, F_OK), 0); /* az was asked, last */
	it_client_free(c);
}

/* Nothing else configured and no az at all: the last line says so. */
static void test_chain__no_az_on_path_is_one_of_the_reasons(void **state)
{
	char ran[400];
	arm_client *c;

	(void)state;
	path_with_az(AZ_NONE, ran, sizeof(ran));
	c = client_with_nothing_configured();
	assert_int_equal(get_subscription(c), CMK_EAUTH);
	assert_has(cmk_error_last(), "no credential is available");
	assert_has(cmk_error_last(), "\n  azure-cli credential: the Azure CLI ('az') was not found on PATH");
	it_client_free(c);
}

/* Nothing else configured, az logged in: the chain gets to it and uses it. */
static void test_chain__working_az_is_used_when_nothing_else_is_configured(void **state)
{
	char ran[400];
	arm_client *c;

	(void)state;
	path_with_az(AZ_WORKS, ran, sizeof(ran));
	c = client_with_nothing_configured();
	/* armsim does not know the stand-in's token: the GET is refused, but
	 * only after the chain chose the Azure CLI */
	(void)get_subscription(c);
	assert_string_equal(arm_client_credential(c), "azure-cli");
	assert_int_equal(access(ran, F_OK), 0);
	it_client_free(c);
}

/* An explicitly chosen Azure CLI that is not logged in still fails with the
 * CLI's own message (not a chain summary). */
static void test_chain__explicit_azure_cli_not_logged_in_says_so(void **state)
{
	char ran[400];
	arm_client *c;

	(void)state;
	path_with_az(AZ_NOT_LOGGED_IN, ran, sizeof(ran));
	c = it_client("azure-cli", 1);
	assert_int_equal(get_subscription(c), CMK_EAUTH);
	assert_string_equal(cmk_error_last(), "azure-cli credential: 'az account get-access-token' failed "
			    "(exit 1): ERROR: Please run 'az login' to setup account.");
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_chain__client_secret_tls_failure_ends_it_with_a_failing_az, fresh_env),
		cmocka_unit_test_setup(test_chain__client_secret_tls_failure_ends_it_with_a_working_az, fresh_env),
		cmocka_unit_test_setup(test_chain__client_secret_tls_failure_ends_it_without_az, fresh_env),
		cmocka_unit_test_setup(test_chain__configured_identity_endpoint_unreachable_ends_it, fresh_env),
		cmocka_unit_test_setup(test_chain__all_unavailable_lists_each_kind_and_why, fresh_env),
		cmocka_unit_test_setup(test_chain__no_az_on_path_is_one_of_the_reasons, fresh_env),
		cmocka_unit_test_setup(test_chain__working_az_is_used_when_nothing_else_is_configured, fresh_env),
		cmocka_unit_test_setup(test_chain__explicit_azure_cli_not_logged_in_says_so, fresh_env),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
