/*
 * test_msi.c - Microsoft.ManagedIdentity/userAssignedIdentities in
 * armsim: the armspec examples (IdentityCreate, IdentityGet, IdentityDelete)
 * and the rule that creating an identity makes an Azure AD principal that
 * gets tokens from IMDS at once (and loses them when it is deleted).
 */
#include <time.h>

#include "rp_testutil.h"

#define S "12345678-1234-5678-9012-123456789012"
#define MSIP "/subscriptions/" S "/resourceGroups/rgName/providers/Microsoft.ManagedIdentity/userAssignedIdentities"

/* The examples' ids say "subid" and names "identityName" while the request
 * names subscription S and "resourceName" (a defect of the examples); the
 * principal, client and tenant ids are generated. */
static const char *const msi_aside[] = { "id", "name", "properties.clientId", "properties.principalId",
					 "properties.tenantId", NULL };

static int setup(void **state)
{
	(void)state;
	return check_start("conf_msi.json", 1);
}

static void test_conformance__identity_create(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.ManagedIdentity/2026-05-31/IdentityCreate.json");
	char *body = rp_body(ex, "parameters");
	armsim_http_resp r = check_arm("PUT", MSIP "/resourceName?api-version=2026-05-31", body);
	rp_status(&r, 201);
	rp_match(rp_at(ex, "responses.201.body"), r.json, msi_aside);
	assert_string_equal(check_str(r.json, "name"), "resourceName");
	assert_string_equal(check_str(r.json, "id"), MSIP "/resourceName");
	assert_int_equal(strlen(check_str(r.json, "properties.principalId")), 36);
	char pid[64];
	snprintf(pid, sizeof pid, "%s", check_str(r.json, "properties.principalId"));
	armsim_http_free(&r);
	/* the same PUT again updates: 200, same principal */
	r = check_arm("PUT", MSIP "/resourceName?api-version=2026-05-31", body);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, msi_aside);
	assert_string_equal(check_str(r.json, "properties.principalId"), pid);
	armsim_http_free(&r);
	free(body);
	cJSON_Delete(ex);
}

static void test_conformance__identity_get(void **state)
{
	(void)state;
	cJSON *ex = rp_example("Microsoft.ManagedIdentity/2026-05-31/IdentityGet.json");
	armsim_http_resp r = check_arm("GET", MSIP "/resourceName?api-version=2026-05-31", NULL);
	rp_status(&r, 200);
	rp_match(rp_at(ex, "responses.200.body"), r.json, msi_aside);
	armsim_http_free(&r);
	cJSON_Delete(ex);
	/* before 2024-11-30 there was no isolationScope, before 2026-05-31 no
	 * assignmentRestrictions */
	r = check_arm("GET", MSIP "/resourceName?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	assert_null(check_get(r.json, "properties.isolationScope"));
	assert_null(check_get(r.json, "properties.assignmentRestrictions"));
	armsim_http_free(&r);
	r = check_arm("GET", MSIP "/resourceName?api-version=2024-11-30", NULL);
	assert_string_equal(check_str(r.json, "properties.isolationScope"), "None");
	assert_null(check_get(r.json, "properties.assignmentRestrictions"));
	armsim_http_free(&r);
}

static char *imds(const char *client_id, long *status)
{
	armsim_http_resp r;
	const char *hdr[] = { "Metadata: true", NULL };
	char url[512];
	snprintf(url, sizeof url, "/metadata/identity/oauth2/token?api-version=2018-02-01"
				  "&resource=https://management.azure.com/&client_id=%s", client_id);
	if (armsim_http(&r, g_sim, "GET", url, NULL, NULL, hdr) < 0)
		fail_msg("IMDS: %s", cmk_error_last());
	*status = r.status;
	char *tok = check_str(r.json, "access_token") ? strdup(check_str(r.json, "access_token")) : NULL;
	armsim_http_free(&r);
	return tok;
}

/* The oid claim of a JWT. */
static char *jwt_oid(const char *tok)
{
	const char *p = strchr(tok, '.');
	const char *e = p ? strchr(p + 1, '.') : NULL;
	assert_non_null(e);
	size_t n = (size_t)(e - p - 1);
	char *b64 = strndup(p + 1, n);
	/* base64url -> bytes via openssl-free decoding */
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char *out = calloc(1, n + 4);
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = strchr(tbl, b64[i]);
		if (!c)
			break;
		acc = (acc << 6) | (unsigned)(c - tbl);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	cJSON *claims = cJSON_Parse((char *)out);
	char *oid = claims && check_str(claims, "oid") ? strdup(check_str(claims, "oid")) : NULL;
	cJSON_Delete(claims);
	free(out);
	free(b64);
	return oid;
}

/* Creating an identity makes its principal: IMDS hands out tokens for it
 * (oid = principalId) that ARM accepts (and authorises by role: none yet);
 * deleting it ends that. */
static void test_identity__principal_gets_tokens(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", MSIP "/uai-new?api-version=2023-01-31", "{\"location\":\"eastus\"}");
	rp_status(&r, 201);
	char cid[64], pid[64];
	snprintf(cid, sizeof cid, "%s", check_str(r.json, "properties.clientId"));
	snprintf(pid, sizeof pid, "%s", check_str(r.json, "properties.principalId"));
	armsim_http_free(&r);

	long st = 0;
	char *tok = imds(cid, &st);
	assert_int_equal(st, 200);
	assert_non_null(tok);
	char *oid = jwt_oid(tok);
	assert_string_equal(oid, pid);
	free(oid);
	r = rp_arm_as(tok, "GET", MSIP "/uai-new?api-version=2023-01-31", NULL);
	check_error(&r, 403, "AuthorizationFailed", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), pid));
	armsim_http_free(&r);
	/* a Reader role on the group lets it read */
	r = check_arm("PUT", "/subscriptions/" S "/resourceGroups/rgName/providers/Microsoft.Authorization/roleAssignments/"
			     "7d0a0000-0000-4000-8000-000000000001?api-version=2022-04-01",
		      check_fmt("{\"properties\":{\"roleDefinitionId\":\"/subscriptions/" S "/providers/Microsoft.Authorization/"
				"roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\",\"principalId\":\"%s\","
				"\"principalType\":\"ServicePrincipal\"}}", pid));
	rp_status(&r, 201);
	armsim_http_free(&r);
	r = rp_arm_as(tok, "GET", MSIP "/uai-new?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	free(tok);

	r = check_arm("DELETE", MSIP "/uai-new?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	tok = imds(cid, &st);
	assert_int_equal(st, 400);
	assert_null(tok);
}

static void test_conformance__identity_delete(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("DELETE", MSIP "/resourceName?api-version=2026-05-31", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("DELETE", MSIP "/resourceName?api-version=2026-05-31", NULL);
	rp_status(&r, 204);
	armsim_http_free(&r);
	r = check_arm("GET", MSIP "/resourceName?api-version=2026-05-31", NULL);
	check_error(&r, 404, "ResourceNotFound",
		    "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/resourceName' under resource group "
		    "'rgName' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix");
	armsim_http_free(&r);
}

static char *b64url(const char *in)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(in), o = 0;
	char *out = malloc(n * 4 / 3 + 4);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)in[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)in[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)in[i + 2];
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = tbl[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = tbl[v & 63];
	}
	out[o] = '\0';
	return out;
}

#define GH_ISS "https://token.actions.githubusercontent.com"
#define GH_SUB "repo:contoso/infra:ref:refs/heads/main"
#define MSI_TENANT "b6c948ef-f6b5-4384-8354-da3a15eca969"

/* The token endpoint with a federated assertion (an OIDC token of the
 * workload; armsim does not check its signature, AAD checks issuer,
 * subject, audience and expiry). Returns the HTTP status; *json the body. */
static long federated_token(const char *client_id, const char *subject, cJSON **json)
{
	char payload[512];
	snprintf(payload, sizeof payload, "{\"iss\":\"" GH_ISS "\",\"sub\":\"%s\",\"aud\":\"api://AzureADTokenExchange\","
		 "\"exp\":%ld}", subject, (long)time(NULL) + 600);
	char *h = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"), *p = b64url(payload);
	char body[2048];
	snprintf(body, sizeof body,
		 "client_id=%s&scope=https%%3A%%2F%%2Fmanagement.azure.com%%2F.default&grant_type=client_credentials"
		 "&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
		 "&client_assertion=%s.%s.c2ln",
		 client_id, h, p);
	free(h);
	free(p);
	const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded", NULL };
	armsim_http_resp r;
	if (armsim_http(&r, g_sim, "POST", "/" MSI_TENANT "/oauth2/v2.0/token", NULL, body, hdr) < 0)
		fail_msg("token: %s", cmk_error_last());
	long st = r.status;
	*json = r.json;
	r.json = NULL;
	armsim_http_free(&r);
	return st;
}

static bool has_code(const cJSON *aad, int code)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, check_get(aad, "error_codes"))
		if (cJSON_IsNumber(c) && c->valueint == code)
			return true;
	return false;
}

/* Workload identity federation with a user-assigned identity: its
 * federated identity credentials decide which external tokens it takes. */
static void test_identity__federated_credentials(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", MSIP "/uai-gh?api-version=2023-01-31", "{\"location\":\"eastus\"}");
	rp_status(&r, 201);
	char cid[64], pid[64];
	snprintf(cid, sizeof cid, "%s", check_str(r.json, "properties.clientId"));
	snprintf(pid, sizeof pid, "%s", check_str(r.json, "properties.principalId"));
	armsim_http_free(&r);

	cJSON *j = NULL;
	assert_int_equal(federated_token(cid, GH_SUB, &j), 400);
	assert_true(has_code(j, 70021));
	cJSON_Delete(j);

	const char *fic = "{\"properties\":{\"issuer\":\"" GH_ISS "\",\"subject\":\"" GH_SUB "\","
			  "\"audiences\":[\"api://AzureADTokenExchange\"]}}";
	r = check_arm("PUT", MSIP "/uai-gh/federatedIdentityCredentials/github-main?api-version=2023-01-31", fic);
	rp_status(&r, 201);
	assert_string_equal(check_str(r.json, "type"),
			    "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials");
	assert_string_equal(check_str(r.json, "properties.subject"), GH_SUB);
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/uai-gh/federatedIdentityCredentials/github-main?api-version=2023-01-31", fic);
	rp_status(&r, 200);
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/uai-gh/federatedIdentityCredentials/github-copy?api-version=2023-01-31", fic);
	check_error(&r, 400, "BadRequest", NULL);
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/uai-gh/federatedIdentityCredentials/two-aud?api-version=2023-01-31",
		      "{\"properties\":{\"issuer\":\"" GH_ISS "\",\"subject\":\"x\",\"audiences\":[\"a\",\"b\"]}}");
	check_error(&r, 400, "BadRequest", NULL);
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/nope/federatedIdentityCredentials/f1?api-version=2023-01-31", fic);
	check_error(&r, 404, "ParentResourceNotFound",
		    "Can not perform requested operation on nested resource. Parent resource 'nope' not found.");
	armsim_http_free(&r);
	r = check_arm("GET", MSIP "/uai-gh/federatedIdentityCredentials?api-version=2018-11-30", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	armsim_http_free(&r);
	r = check_arm("GET", MSIP "/uai-gh/federatedIdentityCredentials?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 1);
	armsim_http_free(&r);

	/* a state dump loads back with the credential */
	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *txt = cJSON_PrintUnformatted(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", txt));
	free(txt);
	cJSON_Delete(dump);
	r = check_arm("GET", MSIP "/uai-gh/federatedIdentityCredentials/github-main?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);

	assert_int_equal(federated_token(cid, GH_SUB, &j), 200);
	char *oid = jwt_oid(check_str(j, "access_token"));
	assert_string_equal(oid, pid);
	free(oid);
	cJSON_Delete(j);
	assert_int_equal(federated_token(cid, "repo:contoso/infra:pull_request", &j), 400);
	assert_true(has_code(j, 70021));
	cJSON_Delete(j);

	r = check_arm("DELETE", MSIP "/uai-gh/federatedIdentityCredentials/github-main?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	armsim_http_free(&r);
	assert_int_equal(federated_token(cid, GH_SUB, &j), 400);
	assert_true(has_code(j, 70021));
	cJSON_Delete(j);
}

static void test_identity__rules(void **state)
{
	(void)state;
	armsim_http_resp r = check_arm("PUT", MSIP "/a?api-version=2023-01-31", "{\"location\":\"eastus\"}");
	check_error(&r, 400, "InvalidResourceName", NULL);
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/uai-loc?api-version=2023-01-31", "{}");
	check_error(&r, 400, "LocationRequired", "The location property is required for this definition.");
	armsim_http_free(&r);
	r = check_arm("PUT", MSIP "/existing?api-version=2023-01-31", "{\"location\":\"westus\"}");
	check_error(&r, 409, "InvalidResourceLocation",
		    "The resource 'existing' already exists in location 'eastus' in resource group 'rgName'. A resource "
		    "with the same name cannot be created in location 'westus'. Please select a new resource name.");
	armsim_http_free(&r);
	r = check_arm("PATCH", MSIP "/existing?api-version=2023-01-31", "{\"tags\":{\"team\":\"obs\"}}");
	rp_status(&r, 200);
	assert_string_equal(check_str(r.json, "tags.team"), "obs");
	armsim_http_free(&r);
	/* "existing" (fixture) and "uai-gh" (federated credentials test) */
	r = check_arm("GET", MSIP "?api-version=2023-01-31", NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
	r = check_arm("GET", "/subscriptions/" S "/providers/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2018-11-30",
		      NULL);
	rp_status(&r, 200);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "value")), 2);
	armsim_http_free(&r);
	r = check_arm("GET", MSIP "/existing?api-version=2017-01-01", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_conformance__identity_create),
		cmocka_unit_test(test_conformance__identity_get),
		cmocka_unit_test(test_identity__principal_gets_tokens),
		cmocka_unit_test(test_identity__federated_credentials),
		cmocka_unit_test(test_conformance__identity_delete),
		cmocka_unit_test(test_identity__rules),
	};
	return cmocka_run_group_tests_name("managed identity", t, setup, check_stop);
}
