/*
 * test_core.c - armsim's serving contract: the ready line, Azure AD token
 * endpoints (secret, federated assertion, IMDS, App Service), ARM's 401s
 * and 403s, subscriptions, api-version and resource-group errors, cloud
 * metadata, throttling, fault injection, request ids, the request log and
 * the state dump/load of the admin API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "common/error.h"

#define WS_URL RGP "/workspaces/ws1?api-version=2021-06-01"

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static int setup(void **state)
{
	(void)state;
	return check_start("la.yaml", 1);
}

static char *token_for(const char *client, const char *secret, const char *scope)
{
	char *t = NULL;
	if (armsim_token(&t, g_sim, client, secret, scope) < 0)
		fail_msg("token: %s", cmk_error_last());
	return t;
}

static armsim_http_resp form_post(const char *path, const char *form)
{
	static const char *const h[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "POST", path, NULL, form, h) < 0)
		fail_msg("POST %s: %s", path, cmk_error_last());
	return r;
}

static armsim_http_resp get_as(const char *bearer, const char *path)
{
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "GET", path, bearer, NULL, NULL) < 0)
		fail_msg("GET %s: %s", path, cmk_error_last());
	return r;
}

/* Decode the payload of a JWT (no verification) for claim checks. */
static cJSON *jwt_claims(const char *tok)
{
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	assert_non_null(d2);
	size_t n = (size_t)(d2 - d1 - 1), o = 0;
	char *out = calloc(n + 4, 1);
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		char c = d1[1 + i];
		int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
			: c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' ? 62 : 63;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	cJSON *j = cJSON_Parse(out);
	free(out);
	return j;
}

static char *b64url(const char *s)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 2 + 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16 | (i + 1 < n ? (unsigned char)s[i + 1] << 8 : 0) |
			     (i + 2 < n ? (unsigned char)s[i + 2] : 0);
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = t[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	out[o] = 0;
	return out;
}

/* ---- ready line ------------------------------------------------------------------ */

static void test_core__ready_line_contract(void **state)
{
	(void)state;
	static const char *const keys[] = { "base_url", "ca_file", "arm_endpoint", "authority_host",
					    "keyvault_dns_suffix", "arm_audience", "keyvault_audience", "tenant_id" };
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		assert_non_null(check_str(g_sim->ready, keys[i]));
	assert_true(check_num(g_sim->ready, "port") > 0);
	assert_string_equal(check_str(g_sim->ready, "base_url"), check_fmt("https://localhost:%d", g_sim->port));
	assert_string_equal(check_str(g_sim->ready, "arm_audience"), "https://management.azure.com/");
	assert_string_equal(check_str(g_sim->ready, "keyvault_audience"), "https://vault.azure.net");
	assert_string_equal(check_str(g_sim->ready, "keyvault_dns_suffix"), ".vault.localhost");
	assert_string_equal(check_str(g_sim->ready, "tenant_id"), TENANT);
	assert_int_equal(check_str(g_sim->ready, "ca_file")[0], '/');
	static const char *const env[] = { "AZURE_AUTHORITY_HOST", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
					   "AZURE_CLIENT_SECRET", "CMKCTL_CLOUD", "CMKCTL_ARM_ENDPOINT",
					   "CMKCTL_ARM_AUDIENCE", "CMKCTL_KEYVAULT_DNS_SUFFIX", "SSL_CERT_FILE",
					   "IDENTITY_ENDPOINT", "IDENTITY_HEADER" };
	for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
		assert_non_null(check_str(g_sim->ready, check_fmt("env.%s", env[i])));
	assert_string_equal(check_str(g_sim->ready, "env.AZURE_CLIENT_ID"), OWNER_ID);
	assert_string_equal(check_str(g_sim->ready, "env.CMKCTL_CLOUD"), "custom");
	armsim_setenv(g_sim);
	assert_string_equal(getenv("AZURE_TENANT_ID"), TENANT);
}

/* ---- Azure AD ---------------------------------------------------------------------- */

static void test_aad__client_secret_token_claims(void **state)
{
	(void)state;
	armsim_http_resp r = form_post("/" TENANT "/oauth2/v2.0/token",
		"grant_type=client_credentials&client_id=" OWNER_ID "&client_secret=owner-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "token_type"), "Bearer");
	assert_true(cJSON_IsNumber(check_get(r.json, "expires_in")));
	cJSON *c = jwt_claims(check_str(r.json, "access_token"));
	assert_string_equal(check_str(c, "aud"), "https://management.azure.com");
	assert_string_equal(check_str(c, "iss"), "https://sts.windows.net/" TENANT "/");
	assert_string_equal(check_str(c, "tid"), TENANT);
	assert_string_equal(check_str(c, "oid"), "0b000000-0000-4000-8000-000000000001");
	assert_string_equal(check_str(c, "appid"), OWNER_ID);
	double iat = check_num(c, "iat"), nbf = check_num(c, "nbf"), exp = check_num(c, "exp");
	assert_true(iat > 0 && nbf > 0 && exp - iat == 3599);
	cJSON_Delete(c);
	armsim_http_free(&r);
}

static void aad_error(const char *form, const char *tenant, long status, const char *error, int code,
		      const char *desc_prefix)
{
	armsim_http_resp r = form_post(check_fmt("/%s/oauth2/v2.0/token", tenant), form);
	if (r.status != status)
		fail_msg("expected %ld got %ld: %s", status, r.status, r.body);
	assert_string_equal(check_str(r.json, "error"), error);
	assert_int_equal((int)check_num(cJSON_GetArrayItem(check_get(r.json, "error_codes"), 0), ""), code);
	const char *d = check_str(r.json, "error_description");
	assert_non_null(d);
	if (strncmp(d, desc_prefix, strlen(desc_prefix)) != 0)
		fail_msg("description\n  %s\ndoes not start with\n  %s", d, desc_prefix);
	assert_non_null(check_str(r.json, "trace_id"));
	assert_non_null(check_str(r.json, "correlation_id"));
	armsim_http_free(&r);
}

static void test_aad__errors(void **state)
{
	(void)state;
	aad_error("grant_type=client_credentials&client_id=" OWNER_ID "&client_secret=wrong&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
		  TENANT, 401, "invalid_client", 7000215,
		  "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the "
		  "client secret value, not the client secret ID, for a secret added to app '" OWNER_ID "'.");
	aad_error("grant_type=client_credentials&client_id=99999999-0000-4000-8000-000000000000&client_secret=x&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
		  TENANT, 400, "unauthorized_client", 700016,
		  "AADSTS700016: Application with identifier '99999999-0000-4000-8000-000000000000' was not found in the directory '" TENANT "'.");
	aad_error("grant_type=client_credentials&client_id=" OWNER_ID "&client_secret=owner-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
		  "22222222-2222-4222-8222-222222222222", 400, "invalid_request", 90002,
		  "AADSTS90002: Tenant '22222222-2222-4222-8222-222222222222' not found.");
	aad_error("grant_type=client_credentials&client_id=" OWNER_ID "&client_secret=owner-secret&scope=https%3A%2F%2Fmanagement.azure.com%2Fuser_impersonation",
		  TENANT, 400, "invalid_scope", 1002012, "AADSTS1002012: The provided value for scope");
	aad_error("grant_type=client_credentials&client_id=" OWNER_ID "&client_secret=owner-secret",
		  TENANT, 400, "invalid_request", 900144,
		  "AADSTS900144: The request body must contain the following parameter: 'scope'.");
	aad_error("grant_type=password&client_id=" OWNER_ID "&client_secret=owner-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default",
		  TENANT, 400, "unsupported_grant_type", 70003, "AADSTS70003:");
}

static char *assertion(const char *iss, const char *sub, const char *aud, long exp_delta)
{
	char *h = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
	char *p = b64url(check_fmt("{\"iss\":\"%s\",\"sub\":\"%s\",\"aud\":\"%s\",\"exp\":%ld,\"iat\":%ld}", iss, sub, aud,
				   (long)now_s() + exp_delta, (long)now_s()));
	char *out = strdup(check_fmt("%s.%s.c2lnbmF0dXJl", h, p));
	free(h);
	free(p);
	return out;
}

static void test_aad__federated_client_assertion(void **state)
{
	(void)state;
	char *ok = assertion("https://token.actions.githubusercontent.com", "repo:contoso/infra:ref:refs/heads/main",
			     "api://AzureADTokenExchange", 600);
	armsim_http_resp r = form_post("/" TENANT "/oauth2/v2.0/token",
		check_fmt("grant_type=client_credentials&client_id=0a000000-0000-4000-8000-000000000004&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default"
			  "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s", ok));
	assert_int_equal(r.status, 200);
	cJSON *c = jwt_claims(check_str(r.json, "access_token"));
	assert_string_equal(check_str(c, "oid"), "0b000000-0000-4000-8000-000000000004");
	cJSON_Delete(c);
	armsim_http_free(&r);
	free(ok);
	char *bad = assertion("https://token.actions.githubusercontent.com", "repo:contoso/infra:ref:refs/heads/feature",
			      "api://AzureADTokenExchange", 600);
	r = form_post("/" TENANT "/oauth2/v2.0/token",
		check_fmt("grant_type=client_credentials&client_id=0a000000-0000-4000-8000-000000000004&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default"
			  "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s", bad));
	assert_int_equal(r.status, 400);
	assert_int_equal((int)check_num(cJSON_GetArrayItem(check_get(r.json, "error_codes"), 0), ""), 70021);
	assert_non_null(strstr(check_str(r.json, "error_description"),
			       "AADSTS70021: No matching federated identity record found for presented assertion. "
			       "Assertion Issuer: 'https://token.actions.githubusercontent.com'. Assertion Subject: "
			       "'repo:contoso/infra:ref:refs/heads/feature'. Assertion Audience: 'api://AzureADTokenExchange'."));
	armsim_http_free(&r);
	free(bad);
}

static void test_imds__metadata_header_and_string_numbers(void **state)
{
	(void)state;
	armsim_http_resp r = get_as(NULL, "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/");
	assert_int_equal(r.status, 400);
	assert_string_equal(check_str(r.json, "error"), "invalid_request");
	assert_string_equal(check_str(r.json, "error_description"), "Required metadata header not specified");
	armsim_http_free(&r);
	static const char *const md[] = { "Metadata: true", NULL };
	if (armsim_http(&r, g_sim, "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/",
			NULL, NULL, md) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsString(check_get(r.json, "expires_in")));
	assert_true(cJSON_IsString(check_get(r.json, "expires_on")));
	assert_string_equal(check_str(r.json, "client_id"), "0a000000-0000-4000-8000-000000000005");
	assert_string_equal(check_str(r.json, "resource"), "https://management.azure.com/");
	/* the host identity holds Reader: it can read, not write */
	armsim_http_resp g = get_as(check_str(r.json, "access_token"), WS_URL);
	assert_int_equal(g.status, 200);
	armsim_http_free(&g);
	armsim_http_free(&r);
	/* a user-assigned identity chosen by client_id */
	if (armsim_http(&r, g_sim, "GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net&client_id=0d000000-0000-4000-8000-000000000001",
			NULL, NULL, md) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	cJSON *c = jwt_claims(check_str(r.json, "access_token"));
	assert_string_equal(check_str(c, "oid"), "0c000000-0000-4000-8000-000000000001");
	assert_string_equal(check_str(c, "aud"), "https://vault.azure.net");
	cJSON_Delete(c);
	armsim_http_free(&r);
}

static void test_appservice__identity_header(void **state)
{
	(void)state;
	const char *ep = check_str(g_sim->ready, "env.IDENTITY_ENDPOINT");
	const char *hv = check_str(g_sim->ready, "env.IDENTITY_HEADER");
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "GET", check_fmt("%s?api-version=2019-08-01&resource=https://management.azure.com/", ep),
			NULL, NULL, NULL) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 400);
	armsim_http_free(&r);
	const char *h[] = { check_fmt("X-IDENTITY-HEADER: %s", hv), NULL };
	if (armsim_http(&r, g_sim, "GET", check_fmt("%s?api-version=2019-08-01&resource=https://management.azure.com/", ep),
			NULL, NULL, h) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsString(check_get(r.json, "expires_on")));
	armsim_http_free(&r);
	/* the older MSI_SECRET form */
	const char *h2[] = { check_fmt("secret: %s", hv), NULL };
	if (armsim_http(&r, g_sim, "GET", check_fmt("%s?api-version=2017-09-01&resource=https://vault.azure.net", ep),
			NULL, NULL, h2) < 0)
		fail_msg("%s", cmk_error_last());
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

/* ---- ARM authentication and authorization -------------------------------------------------- */

static void test_arm__401_missing_invalid_wrong_audience(void **state)
{
	(void)state;
	char www[1024];
	armsim_http_resp r = get_as(NULL, WS_URL);
	check_error(&r, 401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
	assert_true(armsim_http_header(&r, "WWW-Authenticate", www, sizeof www));
	assert_non_null(strstr(www, "Bearer authorization_uri="));
	assert_non_null(strstr(www, "error=\"invalid_token\""));
	armsim_http_free(&r);
	r = get_as("not.a.token", WS_URL);
	check_error(&r, 401, "InvalidAuthenticationToken", "The access token is invalid.");
	armsim_http_free(&r);
	char *kv = token_for(OWNER_ID, "owner-secret", "https://vault.azure.net/.default");
	r = get_as(kv, WS_URL);
	check_error(&r, 401, "InvalidAuthenticationTokenAudience",
		    "The access token has been obtained for wrong audience or resource 'https://vault.azure.net'. It should "
		    "exactly match with one of the allowed audiences 'https://management.core.windows.net/',"
		    "'https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.");
	armsim_http_free(&r);
	free(kv);
}

static void test_arm__401_expired_token(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"tokenLifetimeSeconds\":1}"));
	char *t = token_for(OWNER_ID, "owner-secret", "https://management.azure.com/.default");
	cJSON_Delete(check_admin("PUT", "/_sim/settings", "{\"tokenLifetimeSeconds\":3599}"));
	usleep(2100 * 1000);
	armsim_http_resp r = get_as(t, WS_URL);
	check_error(&r, 401, "ExpiredAuthenticationToken", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "The access token expiry UTC time '"));
	assert_non_null(strstr(check_str(r.json, "error.message"), "' is earlier than current UTC time '"));
	armsim_http_free(&r);
	free(t);
}

static void test_arm__401_token_from_another_tenant(void **state)
{
	(void)state;
	armsim_http_resp r = form_post("/33333333-3333-4333-8333-333333333333/oauth2/v2.0/token",
		"grant_type=client_credentials&client_id=0a000000-0000-4000-8000-000000000007&client_secret=foreign-secret&scope=https%3A%2F%2Fmanagement.azure.com%2F.default");
	assert_int_equal(r.status, 200);
	char *t = strdup(check_str(r.json, "access_token"));
	armsim_http_free(&r);
	r = get_as(t, WS_URL);
	check_error(&r, 401, "InvalidAuthenticationTokenTenant", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "The access token is from the wrong issuer 'https://sts.windows.net/33333333-3333-4333-8333-333333333333/'. "
			       "It must match the tenant 'https://sts.windows.net/" TENANT "/' associated with this subscription."));
	armsim_http_free(&r);
	free(t);
}

static void test_arm__403_authorization_failed(void **state)
{
	(void)state;
	char *rd = token_for(READER_ID, "reader-secret", "https://management.azure.com/.default");
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "PUT", RGP "/clusters/readerput?api-version=2021-06-01", rd,
			"{\"location\":\"eastus\"}", NULL) < 0)
		fail_msg("%s", cmk_error_last());
	check_error(&r, 403, "AuthorizationFailed",
		    "The client '0b000000-0000-4000-8000-000000000002' with object id '0b000000-0000-4000-8000-000000000002' "
		    "does not have authorization to perform action 'Microsoft.OperationalInsights/clusters/write' over scope '"
		    RGP "/clusters/readerput' or the scope is invalid. If access was recently granted, please refresh your credentials.");
	armsim_http_free(&r);
	r = get_as(rd, WS_URL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	char *nr = token_for(NOROLE_ID, "norole-secret", "https://management.azure.com/.default");
	r = get_as(nr, RGP "/clusters?api-version=2021-06-01");
	check_error(&r, 403, "AuthorizationFailed",
		    "The client '0b000000-0000-4000-8000-000000000003' with object id '0b000000-0000-4000-8000-000000000003' "
		    "does not have authorization to perform action 'Microsoft.OperationalInsights/clusters/read' over scope '"
		    "/subscriptions/" SUB "/resourceGroups/rg-la' or the scope is invalid. If access was recently granted, please refresh your credentials.");
	armsim_http_free(&r);
	free(rd);
	free(nr);
}

static void test_arm__subscriptions(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", "/subscriptions?api-version=2022-12-01", NULL);
	assert_int_equal(r.status, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	char v[64];
	/* a tenant-level call: the tenant bucket's header */
	assert_true(armsim_http_header(&r, "x-ms-ratelimit-remaining-tenant-reads", v, sizeof v));
	assert_false(armsim_http_header(&r, "x-ms-ratelimit-remaining-subscription-reads", v, sizeof v));
	assert_true(armsim_http_header(&r, "x-ms-routing-request-id", v, sizeof v));
	armsim_http_free(&r);
	char *rd = token_for(READER_ID, "reader-secret", "https://management.azure.com/.default");
	r = get_as(rd, "/subscriptions?api-version=2022-12-01");
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	assert_string_equal(check_str(cJSON_GetArrayItem(check_get(r.json, "value"), 0), "subscriptionId"), SUB);
	armsim_http_free(&r);
	free(rd);
	r = check_arm("GET", "/subscriptions/" SUB "?api-version=2022-12-01", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "tenantId"), TENANT);
	assert_string_equal(check_str(r.json, "state"), "Enabled");
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/99999999-0000-4000-8000-000000000000?api-version=2022-12-01", NULL);
	check_error(&r, 404, "SubscriptionNotFound",
		    "The subscription '99999999-0000-4000-8000-000000000000' could not be found.");
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions?api-version=2099-01-01", NULL);
	check_error(&r, 400, "InvalidApiVersionParameter", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "The api-version '2099-01-01' is invalid. The supported versions are '"));
	armsim_http_free(&r);
}

static void test_arm__resource_group_not_found(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", "/subscriptions/" SUB "/resourceGroups/rg-nope/providers/Microsoft.OperationalInsights/workspaces/x?api-version=2021-06-01", NULL);
	check_error(&r, 404, "ResourceGroupNotFound", "Resource group 'rg-nope' could not be found.");
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/nothings/x?api-version=2021-06-01", NULL);
	check_error(&r, 404, "InvalidResourceType",
		    "The resource type 'nothings' could not be found in the namespace 'Microsoft.OperationalInsights' for api version '2021-06-01'.");
	armsim_http_free(&r);
}

static void test_arm__cloud_metadata(void **state)
{
	(void)state;
	armsim_http_resp r = get_as(NULL, "/metadata/endpoints?api-version=2015-01-01");
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsObject(r.json));
	assert_string_equal(check_str(r.json, "resourceManager"), check_fmt("%s/", g_sim->base_url));
	assert_string_equal(check_str(r.json, "authentication.loginEndpoint"), check_fmt("%s/", g_sim->base_url));
	assert_true(cJSON_IsArray(check_get(r.json, "authentication.audiences")));
	assert_non_null(check_str(r.json, "suffixes.keyVaultDns"));
	assert_non_null(check_str(r.json, "portalEndpoint"));
	armsim_http_free(&r);
	r = get_as(NULL, "/metadata/endpoints?api-version=2022-09-01");
	assert_int_equal(r.status, 200);
	assert_true(cJSON_IsArray(r.json));
	assert_string_equal(check_str(cJSON_GetArrayItem(r.json, 0), "resourceManager"), check_fmt("%s/", g_sim->base_url));
	armsim_http_free(&r);
}

static void test_arm__providers_locations_and_head(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("GET", "/subscriptions/" SUB "/providers/Microsoft.OperationalInsights?api-version=2021-04-01", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "registrationState"), "Registered");
	bool found = false;
	const cJSON *t;
	cJSON_ArrayForEach(t, check_get(r.json, "resourceTypes")) {
		if (!strcmp(check_str(t, "resourceType"), "clusters")) {
			found = true;
			/* newest first, as ARM lists them */
			assert_string_equal(cJSON_GetArrayItem(check_get(t, "apiVersions"), 0)->valuestring, "2026-03-01");
		}
	}
	assert_true(found);
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" SUB "/providers?api-version=2021-04-01", NULL);
	assert_int_equal(r.status, 200);
	assert_true(cJSON_GetArraySize(check_get(r.json, "value")) >= 1);
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" SUB "/locations?api-version=2022-12-01", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(cJSON_GetArrayItem(check_get(r.json, "value"), 0), "displayName"), "East US");
	armsim_http_free(&r);
	/* az group exists: HEAD answers 204 or 404 */
	r = check_arm("HEAD", "/subscriptions/" SUB "/resourcegroups/rg-la?api-version=2022-09-01", NULL);
	assert_int_equal(r.status, 204);
	armsim_http_free(&r);
	r = check_arm("HEAD", "/subscriptions/" SUB "/resourcegroups/rg-none?api-version=2022-09-01", NULL);
	assert_int_equal(r.status, 404);
	armsim_http_free(&r);
}

static void test_arm__conditional_requests(void **state)
{
	(void)state;
	static const char *const inm[] = { "If-None-Match: *", NULL };
	static const char *const im[] = { "If-Match: *", NULL };
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "PUT", RGP "/workspaces/ws1?api-version=2021-06-01", g_sim->arm_token,
			"{\"location\":\"eastus\"}", inm) < 0)
		fail_msg("%s", cmk_error_last());
	check_error(&r, 412, "PreconditionFailed", "The condition specified using HTTP conditional header(s) is not met.");
	armsim_http_free(&r);
	if (armsim_http(&r, g_sim, "PUT", RGP "/workspaces/wsnew?api-version=2021-06-01", g_sim->arm_token,
			"{\"location\":\"eastus\"}", im) < 0)
		fail_msg("%s", cmk_error_last());
	check_error(&r, 412, "PreconditionFailed", NULL);
	armsim_http_free(&r);
}

static void test_arm__request_ids(void **state)
{
	(void)state;
	char rid[128], corr[128], cid[128];
	static const char *const h[] = { "x-ms-client-request-id: 9C4D50EE-2D56-4CD3-8152-34347DC9F2B0",
					 "x-ms-correlation-request-id: 11111111-2222-4333-8444-555555555555", NULL };
	armsim_http_resp r;
	if (armsim_arm(&r, g_sim, "GET", WS_URL, NULL) < 0)
		fail_msg("%s", cmk_error_last());
	armsim_http_free(&r);
	if (armsim_http(&r, g_sim, "GET", WS_URL, g_sim->arm_token, NULL, h) < 0)
		fail_msg("%s", cmk_error_last());
	assert_true(armsim_http_header(&r, "x-ms-request-id", rid, sizeof rid));
	assert_int_equal(strlen(rid), 36);
	assert_true(armsim_http_header(&r, "x-ms-correlation-request-id", corr, sizeof corr));
	assert_string_equal(corr, "11111111-2222-4333-8444-555555555555");
	assert_true(armsim_http_header(&r, "x-ms-client-request-id", cid, sizeof cid));
	assert_string_equal(cid, "9C4D50EE-2D56-4CD3-8152-34347DC9F2B0");
	assert_true(armsim_http_header(&r, "x-ms-ratelimit-remaining-subscription-reads", cid, sizeof cid));
	armsim_http_free(&r);
}

/* ---- throttling and faults --------------------------------------------------------------- */

static void test_throttle__token_bucket_and_429(void **state)
{
	(void)state;
	char v[64];
	cJSON_Delete(check_admin("PUT", "/_sim/throttling", "{\"reads\":{\"capacity\":3,\"refillPerSecond\":0}}"));
	for (int i = 2; i >= 0; i--) {
		armsim_http_resp r = check_arm("GET", WS_URL, NULL);
		assert_int_equal(r.status, 200);
		assert_true(armsim_http_header(&r, "x-ms-ratelimit-remaining-subscription-reads", v, sizeof v));
		assert_int_equal(atoi(v), i);
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("GET", WS_URL, NULL);
	check_error(&r, 429, "TooManyRequests", NULL);
	assert_true(armsim_http_header(&r, "Retry-After", v, sizeof v));
	assert_true(atoi(v) >= 1);
	armsim_http_free(&r);
	/* writes have their own bucket */
	r = check_arm("PATCH", RGP "/workspaces/ws1?api-version=2021-06-01", "{\"tags\":{\"a\":\"b\"}}");
	assert_int_equal(r.status, 200);
	assert_true(armsim_http_header(&r, "x-ms-ratelimit-remaining-subscription-writes", v, sizeof v));
	armsim_http_free(&r);
	cJSON_Delete(check_admin("PUT", "/_sim/throttling", "{\"reads\":{\"capacity\":250,\"refillPerSecond\":25}}"));
	r = check_arm("GET", WS_URL, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

static void test_faults__status_reset_slow(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"method\":\"GET\",\"resourceType\":\"Microsoft.OperationalInsights/workspaces\",\"fault\":\"503\",\"count\":2,\"retryAfter\":3}]"));
	for (int i = 0; i < 2; i++) {
		armsim_http_resp r = check_arm("GET", WS_URL, NULL);
		check_error(&r, 503, "ServiceUnavailable", NULL);
		char v[16];
		assert_true(armsim_http_header(&r, "Retry-After", v, sizeof v));
		assert_string_equal(v, "3");
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("GET", WS_URL, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	/* two resets: curl retries a request once when a reused keep-alive
	 * connection dies, so the client sees the second */
	cJSON_Delete(check_admin("PUT", "/_sim/faults", "[{\"method\":\"GET\",\"resourceType\":\"*\",\"fault\":\"reset\",\"count\":2}]"));
	int rc = armsim_arm(&r, g_sim, "GET", WS_URL, NULL);
	if (rc == 0)
		armsim_http_free(&r);
	assert_true(rc < 0);
	assert_non_null(strstr(cmk_error_last(), WS_URL));
	cmk_error_clear();
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
	cJSON_Delete(check_admin("PUT", "/_sim/faults", "[{\"method\":\"GET\",\"fault\":\"slow\",\"delayMs\":300,\"count\":1}]"));
	double t0 = now_s();
	r = check_arm("GET", WS_URL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(now_s() - t0 >= 0.29);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("PUT", "/_sim/faults", "[{\"method\":\"GET\",\"fault\":\"500\",\"count\":1}]"));
	r = check_arm("GET", WS_URL, NULL);
	check_error(&r, 500, "InternalServerError", NULL);
	armsim_http_free(&r);
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
}

static void fault_pattern(armsim *sim, char *out, int n)
{
	armsim *saved = g_sim;
	g_sim = sim;
	cJSON_Delete(check_admin("PUT", "/_sim/faults", "[{\"method\":\"GET\",\"fault\":\"429\",\"rate\":0.5}]"));
	for (int i = 0; i < n; i++) {
		armsim_http_resp r = check_arm("GET", WS_URL, NULL);
		out[i] = r.status == 429 ? 'x' : '.';
		armsim_http_free(&r);
	}
	out[n] = 0;
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
	g_sim = saved;
}

static void test_faults__seeded_and_deterministic(void **state)
{
	(void)state;
	char a[41], b[41];
	armsim *other = NULL;
	char fx[1024];
	snprintf(fx, sizeof fx, "%s/la.yaml", ARMSIM_FIXTURES);
	armsim_opts o = { .fixture = fx, .seed = 1 };
	assert_int_equal(armsim_start(&other, &o), 0);
	fault_pattern(g_sim, a, 40);
	fault_pattern(other, b, 40);
	assert_int_equal(armsim_stop(other), 0);
	assert_string_equal(a, b);
	assert_non_null(strchr(a, 'x'));
	assert_non_null(strchr(a, '.'));
}

static void test_faults__async_operation_fails(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("PUT", "/_sim/faults",
		"[{\"resourceType\":\"Microsoft.OperationalInsights/clusters\",\"fault\":\"async_fail\",\"count\":1}]"));
	char aso[4096];
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/willfail?api-version=2021-06-01",
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	check_advance(3 * 3600);
	r = check_arm("GET", aso, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "status"), "Failed");
	assert_string_equal(check_str(r.json, "error.code"), "InternalServerError");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/clusters/willfail?api-version=2021-06-01", NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Failed");
	armsim_http_free(&r);
	cJSON_Delete(check_admin("DELETE", "/_sim/faults", NULL));
}

/* ---- admin ---------------------------------------------------------------------------------- */

static void test_admin__request_log_and_counters(void **state)
{
	(void)state;
	cJSON_Delete(check_admin("DELETE", "/_sim/requests", NULL));
	for (int i = 0; i < 3; i++) {
		armsim_http_resp r = check_arm("GET", WS_URL, NULL);
		armsim_http_free(&r);
	}
	armsim_http_resp r = check_arm("GET", RGP "/workspaces/nows?api-version=2021-06-01", NULL);
	armsim_http_free(&r);
	cJSON *c = check_admin("GET", "/_sim/counters", NULL);
	const cJSON *bk = check_get(c, "byKey");
	assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(bk, "GET Microsoft.OperationalInsights/workspaces 200")->valuedouble, 3);
	assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(bk, "GET Microsoft.OperationalInsights/workspaces 404")->valuedouble, 1);
	assert_int_equal((int)check_num(c, "byMethod.GET"), 4);
	cJSON_Delete(c);
	cJSON *log = check_admin("GET", "/_sim/requests", NULL);
	const cJSON *reqs = check_get(log, "requests");
	assert_int_equal(cJSON_GetArraySize(reqs), 4);
	assert_string_equal(check_str(cJSON_GetArrayItem(reqs, 3), "path"), RGP "/workspaces/nows?api-version=2021-06-01");
	assert_int_equal((int)check_num(cJSON_GetArrayItem(reqs, 3), "status"), 404);
	cJSON_Delete(log);
}

static void test_admin__state_dump_and_load(void **state)
{
	(void)state;
	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	assert_true(cJSON_GetArraySize(check_get(dump, "resources")) > 10);
	char *text = cJSON_PrintUnformatted(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", text));
	free(text);
	cJSON_Delete(dump);
	/* tokens of existing principals still work and resources are back */
	armsim_http_resp r = check_arm("GET", WS_URL, NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/clusters/willfail?api-version=2021-06-01", NULL);
	assert_int_equal(r.status, 200);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_core__ready_line_contract),
		cmocka_unit_test(test_aad__client_secret_token_claims),
		cmocka_unit_test(test_aad__errors),
		cmocka_unit_test(test_aad__federated_client_assertion),
		cmocka_unit_test(test_imds__metadata_header_and_string_numbers),
		cmocka_unit_test(test_appservice__identity_header),
		cmocka_unit_test(test_arm__401_missing_invalid_wrong_audience),
		cmocka_unit_test(test_arm__401_expired_token),
		cmocka_unit_test(test_arm__401_token_from_another_tenant),
		cmocka_unit_test(test_arm__403_authorization_failed),
		cmocka_unit_test(test_arm__subscriptions),
		cmocka_unit_test(test_arm__resource_group_not_found),
		cmocka_unit_test(test_arm__cloud_metadata),
		cmocka_unit_test(test_arm__providers_locations_and_head),
		cmocka_unit_test(test_arm__conditional_requests),
		cmocka_unit_test(test_arm__request_ids),
		cmocka_unit_test(test_throttle__token_bucket_and_429),
		cmocka_unit_test(test_faults__status_reset_slow),
		cmocka_unit_test(test_faults__seeded_and_deterministic),
		cmocka_unit_test(test_faults__async_operation_fails),
		cmocka_unit_test(test_admin__request_log_and_counters),
		cmocka_unit_test(test_admin__state_dump_and_load),
	};
	return cmocka_run_group_tests(tests, setup, check_stop);
}
