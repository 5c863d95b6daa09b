/*
 * test_provider_auth.c - every credential kind against armsim's Azure AD,
 * IMDS and App Service endpoints, the default chain, token refresh with a
 * lifetime of seconds, and the messages of failed authentication. Each test
 * checks in armsim's request log which token endpoint was called and which
 * principal the ARM requests ran as.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "providers/arm.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000aa"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define CI_OID "0b1e0000-0000-4000-8000-000000000001"
#define MI_OID "0b1e0000-0000-4000-8000-000000000002"

static armsim *sim;
static char tmpdir[256];

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 3 };

	sim = it_start(&o);
	snprintf(tmpdir, sizeof(tmpdir), "%s", "/tmp/cmkctl-it-auth-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];

	armsim_stop(sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		return -1;
	return 0;
}

static int fresh_env(void **state)
{
	armsim_setenv(sim);
	unsetenv("CMKCTL_CREDENTIAL");
	unsetenv("AZURE_FEDERATED_TOKEN_FILE");
	unsetenv("AZURE_POD_IDENTITY_AUTHORITY_HOST");
	return 0;
}

/* GET the subscription as the client; returns armsim's log of it. */
static cJSON *get_subscription(arm_client *c, long since)
{
	cJSON *doc = NULL;

	if (arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL) < 0)
		fail_msg("GET subscription: %s", cmk_error_last());
	cJSON_Delete(doc);
	return it_requests(sim, since);
}

/* The principal of the last logged request to `part`. */
static const char *principal_of(const cJSON *log, const char *part)
{
	const cJSON *r, *hit = NULL;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(log, "requests"))
		if (strstr(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), part))
			hit = r;
	return hit ? cJSON_GetStringValue(cJSON_GetObjectItem(hit, "principal")) : "";
}

static char *b64url(const char *s)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 2 + 4);

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;
		if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n) v |= (unsigned char)s[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		if (i + 1 < n) out[o++] = tbl[(v >> 6) & 63];
		if (i + 2 < n) out[o++] = tbl[v & 63];
	}
	out[o] = '\0';
	return out;
}

/* Write an unsigned projected service-account token (armsim checks iss,
 * sub, aud and exp against the principal's federated credentials). */
static void write_assertion(const char *path, const char *subject)
{
	char payload[512];
	char *h = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k8s\"}"), *p;
	FILE *f = fopen(path, "w");

	snprintf(payload, sizeof(payload), "{\"iss\":\"https://oidc.it.example\",\"sub\":\"%s\","
		 "\"aud\":[\"api://AzureADTokenExchange\"],\"exp\":%ld,\"iat\":%ld}", subject,
		 (long)time(NULL) + 3600, (long)time(NULL));
	p = b64url(payload);
	assert_non_null(f);
	fprintf(f, "%s.%s.c2lnbmF0dXJl\n", h, p);
	fclose(f);
	free(h);
	free(p);
}

static void test_auth__default_chain_uses_the_client_secret_from_the_environment(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	long since = it_last_seq(sim);
	cJSON *log = get_subscription(c, since);

	assert_string_equal(arm_client_credential(c), "client-secret");
	assert_int_equal(it_count(log, "POST", "/" TENANT "/oauth2/v2.0/token", 200), 1);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), CI_OID);
	cJSON_Delete(log);
	/* the token is cached: a second call fetches none */
	log = get_subscription(c, since);
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 0), 1);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_auth__debug_logs_carry_no_token_and_no_secret(void **state)
{
	char path[300];
	const char *secret = getenv("AZURE_CLIENT_SECRET");
	cmk_buf text = CMK_BUF_INIT;
	arm_client *c;
	FILE *f;
	cJSON *log;

	snprintf(path, sizeof(path), "%s/debug.log", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	cmk_log_configure(CMK_LOG_DEBUG, CMK_LOG_TEXT, f);
	c = it_client(NULL, IT_SCALE);
	log = get_subscription(c, it_last_seq(sim));
	cJSON_Delete(log);
	it_client_free(c);
	cmk_log_configure(CMK_LOG_INFO, CMK_LOG_TEXT, NULL);
	fclose(f);
	assert_int_equal(cmk_buf_read_file(&text, path), 0);
	/* the requests were logged, their credentials were not */
	assert_non_null(strstr(text.ptr, "GET https://localhost:"));
	assert_null(strstr(text.ptr, "eyJ")); /* a JWT starts so */
	assert_null(strstr(text.ptr, secret));
	assert_null(strstr(text.ptr, "Bearer "));
	cmk_buf_free(&text);
}

static void test_auth__wrong_secret_says_what_failed_without_the_secret(void **state)
{
	arm_client *c;
	cJSON *doc = NULL;

	arm_request reqs[8];
	int rcs[8];
	long since = it_last_seq(sim);
	cJSON *log;

	setenv("AZURE_CLIENT_SECRET", "definitely-not-the-secret", 1);
	c = it_client("client-secret", IT_SCALE);
	assert_int_equal(arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL),
			 CMK_EAUTH);
	if (!strstr(cmk_error_last(), "client-secret credential could not get a token: POST /"
		    TENANT "/oauth2/v2.0/token: 401 Unauthorized (invalid_client): ") ||
	    strstr(cmk_error_last(), "definitely-not-the-secret"))
		fail_msg("message: %s", cmk_error_last());
	/* eight more requests right after: the failure is remembered, not retried
	 * against Azure AD eight times */
	for (int i = 0; i < 8; i++)
		reqs[i] = (arm_request){ .method = "GET", .url = "/subscriptions/" SUB,
					 .api_version = "2022-12-01" };
	assert_int_equal(arm_send_all(NULL, rcs, c, reqs, 8), CMK_EAUTH);
	for (int i = 0; i < 8; i++)
		assert_int_equal(rcs[i], CMK_EAUTH);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 401), 1);
	assert_int_equal(it_count(log, "GET", "/subscriptions/", 0), 0);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_auth__workload_identity_reads_the_token_file_on_every_refresh(void **state)
{
	char path[300];
	arm_client *c;
	long since = it_last_seq(sim);
	cJSON *log, *doc = NULL;

	snprintf(path, sizeof(path), "%s/sa-token", tmpdir);
	write_assertion(path, "system:serviceaccount:ci:cmkctl");
	unsetenv("AZURE_CLIENT_SECRET");
	setenv("AZURE_FEDERATED_TOKEN_FILE", path, 1);
	c = it_client(NULL, IT_SCALE); /* the default chain finds it */
	log = get_subscription(c, since);
	assert_string_equal(arm_client_credential(c), "workload-identity");
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 200), 1);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), CI_OID);
	cJSON_Delete(log);
	it_client_free(c);

	/* a rotated file is what the next token request presents */
	write_assertion(path, "system:serviceaccount:other:intruder");
	c = it_client("workload-identity", IT_SCALE);
	assert_int_equal(arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL),
			 CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "workload-identity credential could not get a "
					       "token"));
	assert_non_null(strstr(cmk_error_last(), "No matching federated identity record"));
	it_client_free(c);
}

static void test_auth__managed_identity_app_service_endpoint(void **state)
{
	arm_client *c = it_client("managed-identity", IT_SCALE);
	long since = it_last_seq(sim);
	cJSON *log = get_subscription(c, since);

	assert_int_equal(it_count(log, "GET", "/msi/token?api-version=2019-08-01&resource=", 200), 1);
	assert_int_equal(it_count(log, "POST", "/oauth2/v2.0/token", 0), 0);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), MI_OID);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_auth__managed_identity_imds_with_string_numbers(void **state)
{
	arm_client *c;
	long since = it_last_seq(sim);
	cJSON *log;

	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", getenv("CMKCTL_ARM_ENDPOINT"), 1);
	c = it_client("managed-identity", IT_SCALE);
	log = get_subscription(c, since);
	assert_int_equal(it_count(log, "GET", "/metadata/identity/oauth2/token?api-version="
				  "2018-02-01&resource=", 200), 1);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), MI_OID);
	cJSON_Delete(log);
	it_client_free(c);
}

static void test_auth__managed_identity_msi_endpoint_and_secret(void **state)
{
	char endpoint[300];
	arm_client *c;
	long since = it_last_seq(sim);
	cJSON *log;

	/* the older App Service variables: MSI_ENDPOINT + MSI_SECRET ("secret" header) */
	snprintf(endpoint, sizeof(endpoint), "%s", getenv("IDENTITY_ENDPOINT"));
	setenv("MSI_ENDPOINT", endpoint, 1);
	setenv("MSI_SECRET", getenv("IDENTITY_HEADER"), 1);
	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	c = it_client("managed-identity", IT_SCALE);
	log = get_subscription(c, since);
	assert_int_equal(it_count(log, "GET", "/msi/token?api-version=2017-09-01&resource=", 200), 1);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), MI_OID);
	cJSON_Delete(log);
	it_client_free(c);
	unsetenv("MSI_ENDPOINT");
	unsetenv("MSI_SECRET");
}

static void test_auth__default_chain_falls_through_to_managed_identity(void **state)
{
	arm_client *c;
	long since = it_last_seq(sim);
	cJSON *log;

	/* no secret: AZURE_CLIENT_ID names a user-assigned identity, as in
	 * DefaultAzureCredential */
	unsetenv("AZURE_CLIENT_SECRET");
	setenv("AZURE_CLIENT_ID", "c1c10000-0000-4000-8000-000000000002", 1);
	c = it_client("default", IT_SCALE);
	log = get_subscription(c, since);
	assert_string_equal(arm_client_credential(c), "managed-identity");
	assert_int_equal(it_count(log, "GET", "/msi/token?api-version=2019-08-01&resource="
				  "https%3A%2F%2Fmanagement.azure.com&client_id="
				  "c1c10000-0000-4000-8000-000000000002", 200), 1);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), MI_OID);
	cJSON_Delete(log);
	it_client_free(c);
}

/* A stand-in `az` on PATH: gets a real token from armsim for the ci app
 * (its secret read from the environment, as az reads its own cache) and
 * prints it the way `az account get-access-token -o json` does. It records
 * its argv so the test can check no secret was passed. */
static void install_fake_az(const char *dir, int fail)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/az", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n"
		"printf '%%s\\n' \"$*\" > \"$(dirname \"$0\")/az.argv\"\n");
	if (fail)
		fprintf(f, "echo \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n");
	fprintf(f,
		"[ \"$1 $2 $3\" = \"account get-access-token --resource\" ] || exit 2\n"
		"auth=${AZURE_AUTHORITY_HOST%%/}\n"
		"tok=$(printf 'client_secret=%%s' \"$IT_AZ_SECRET\" | curl -sS --cacert \"$SSL_CERT_FILE\" "
		"-d @- -d client_id=\"$AZURE_CLIENT_ID\" --data-urlencode \"scope=${4%%/}/.default\" "
		"-d grant_type=client_credentials \"$auth/$AZURE_TENANT_ID/oauth2/v2.0/token\" "
		"| jq -r .access_token)\n"
		"exp=$(( $(date +%%s) + 3000 ))\n"
		"printf '{\"accessToken\":\"%%s\",\"expiresOn\":\"%%s\",\"expires_on\":%%s,"
		"\"subscription\":\"" SUB "\",\"tenant\":\"%%s\",\"tokenType\":\"Bearer\"}\\n' "
		"\"$tok\" \"$(date -d @$exp '+%%Y-%%m-%%d %%H:%%M:%%S.000000')\" \"$exp\" "
		"\"$AZURE_TENANT_ID\"\n");
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

static void test_auth__azure_cli_runs_az_without_secrets_in_argv(void **state)
{
	char bin[300], path[2048], argvfile[320];
	const char *secret = getenv("AZURE_CLIENT_SECRET");
	cmk_buf argv = CMK_BUF_INIT;
	arm_client *c;
	long since = it_last_seq(sim);
	cJSON *log;

	snprintf(bin, sizeof(bin), "%s/bin-ok", tmpdir);
	assert_int_equal(mkdir(bin, 0700), 0);
	install_fake_az(bin, 0);
	snprintf(path, sizeof(path), "%s:%s", bin, getenv("PATH"));
	setenv("PATH", path, 1);
	setenv("IT_AZ_SECRET", secret, 1);
	unsetenv("AZURE_CLIENT_SECRET");
	c = it_client("azure-cli", IT_SCALE);
	log = get_subscription(c, since);
	assert_string_equal(principal_of(log, "/subscriptions/" SUB), CI_OID);
	snprintf(argvfile, sizeof(argvfile), "%s/az.argv", bin);
	assert_int_equal(cmk_buf_read_file(&argv, argvfile), 0);
	assert_string_equal(argv.ptr, "account get-access-token --resource "
			    "https://management.azure.com --output json\n");
	assert_null(strstr(argv.ptr, secret));
	cmk_buf_free(&argv);
	cJSON_Delete(log);
	it_client_free(c);
	setenv("PATH", strchr(path, ':') + 1, 1);
	unsetenv("IT_AZ_SECRET");
}

static void test_auth__azure_cli_failure_is_reported(void **state)
{
	char bin[300], path[2048];
	arm_client *c;
	cJSON *doc = NULL;

	snprintf(bin, sizeof(bin), "%s/bin-fail", tmpdir);
	assert_int_equal(mkdir(bin, 0700), 0);
	install_fake_az(bin, 1);
	snprintf(path, sizeof(path), "%s:%s", bin, getenv("PATH"));
	setenv("PATH", path, 1);
	c = it_client("azure-cli", IT_SCALE);
	assert_int_equal(arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL),
			 CMK_EAUTH);
	assert_non_null(strstr(cmk_error_last(), "azure-cli credential: 'az account "
					       "get-access-token' failed (exit 1): ERROR: Please "
					       "run 'az login' to setup account."));
	it_client_free(c);
	setenv("PATH", strchr(path, ':') + 1, 1);
}

static void test_auth__nothing_configured_says_what_each_kind_lacked(void **state)
{
	char path[2048];
	arm_client *c;
	cJSON *doc = NULL;
	int64_t t0;

	unsetenv("AZURE_CLIENT_SECRET");
	unsetenv("AZURE_CLIENT_ID");
	unsetenv("IDENTITY_ENDPOINT");
	unsetenv("IDENTITY_HEADER");
	/* IMDS: an address that refuses at once (nothing listens on port 9) */
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9", 1);
	snprintf(path, sizeof(path), "%s", getenv("PATH"));
	setenv("PATH", "/nonexistent", 1);
	c = it_client(NULL, IT_SCALE);
	t0 = arm_now_ms();
	assert_int_equal(arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL),
			 CMK_EAUTH);
	setenv("PATH", path, 1);
	assert_true(arm_now_ms() - t0 < 5000);
	if (!strstr(cmk_error_last(), "no credential is available (CMKCTL_CREDENTIAL=default "
		    "tried each kind):\n  client-secret credential: set AZURE_TENANT_ID, "
		    "AZURE_CLIENT_ID and AZURE_CLIENT_SECRET\n  workload-identity credential: set ") ||
	    !strstr(cmk_error_last(), "\n  managed-identity credential: GET "
		    "http://127.0.0.1:9/metadata/identity/oauth2/token: ") ||
	    !strstr(cmk_error_last(), "\n  azure-cli credential: the Azure CLI ('az') was not "
		    "found on PATH"))
		fail_msg("message: %s", cmk_error_last());
	it_client_free(c);
}

static void test_auth__tokens_of_two_seconds_are_renewed_during_a_long_run(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/providers.json", .seed = 5,
			  .token_lifetime = 2 };
	armsim *brief = it_start(&o);
	arm_client *c = it_client("client-secret", IT_SCALE);
	cJSON *doc = NULL, *log = NULL;
	char p[64];
	int status;

	for (int i = 0; i < 10; i++) {
		if (arm_get_json(&doc, c, "/subscriptions/" SUB, "2022-12-01", NULL) < 0)
			fail_msg("GET %d: %s", i, cmk_error_last());
		cJSON_Delete(doc);
		doc = NULL;
		usleep(600 * 1000);
	}
	snprintf(p, sizeof(p), "/_sim/requests?since=0");
	status = armsim_admin(brief, "GET", p, NULL, &log);
	assert_int_equal(status, 200);
	/* 6 s of work with 2 s tokens: renewed ahead of expiry, never a 401 */
	assert_true(it_count(log, "POST", "/oauth2/v2.0/token", 200) >= 3);
	assert_int_equal(it_count(log, "GET", "/subscriptions/" SUB, 401), 0);
	assert_int_equal(it_count(log, "GET", "/subscriptions/" SUB, 200), 10);
	cJSON_Delete(log);
	it_client_free(c);
	armsim_stop(brief);
	armsim_setenv(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_auth__default_chain_uses_the_client_secret_from_the_environment, fresh_env),
		cmocka_unit_test_setup(test_auth__debug_logs_carry_no_token_and_no_secret, fresh_env),
		cmocka_unit_test_setup(test_auth__wrong_secret_says_what_failed_without_the_secret, fresh_env),
		cmocka_unit_test_setup(test_auth__workload_identity_reads_the_token_file_on_every_refresh, fresh_env),
		cmocka_unit_test_setup(test_auth__managed_identity_app_service_endpoint, fresh_env),
		cmocka_unit_test_setup(test_auth__managed_identity_imds_with_string_numbers, fresh_env),
		cmocka_unit_test_setup(test_auth__managed_identity_msi_endpoint_and_secret, fresh_env),
		cmocka_unit_test_setup(test_auth__default_chain_falls_through_to_managed_identity, fresh_env),
		cmocka_unit_test_setup(test_auth__azure_cli_runs_az_without_secrets_in_argv, fresh_env),
		cmocka_unit_test_setup(test_auth__azure_cli_failure_is_reported, fresh_env),
		cmocka_unit_test_setup(test_auth__nothing_configured_says_what_each_kind_lacked, fresh_env),
		cmocka_unit_test_setup(test_auth__tokens_of_two_seconds_are_renewed_during_a_long_run, fresh_env),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
