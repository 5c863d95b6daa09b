/*
 * test_realism.c - armsim's realism profile (--profile real, each behaviour
 * also its own option and setting) and the two always-on fidelity fixes:
 * Retry-After on the real clock, NoRegisteredProviderFound naming the
 * request's location. One case per behaviour, each on its own armsim.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define V "2020-08-01"
#define HOUR 3600.0
#define LINK(ws) RGP "/workspaces/" ws "/linkedServices/cluster?api-version=" V
#define LINK_BODY "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/real1\"}}"
#define CLUSTER_BODY "{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"}," \
	"\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}"

static int start(void **state)
{
	(void)state;
	return check_start("la.yaml", 1);
}

static void settings(const char *json)
{
	cJSON_Delete(check_admin("PUT", "/_sim/settings", json));
}

/* real1 in rg-la, finished */
static void cluster_ready(void)
{
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/real1?api-version=2021-06-01", CLUSTER_BODY);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(2 * HOUR + 60);
}

static long status_of(const char *method, const char *path, const char *body)
{
	armsim_http_resp r = check_arm(method, path, body);
	long st = r.status;
	armsim_http_free(&r);
	return st;
}

static void test_realism__profile_sets_every_behaviour(void **state)
{
	(void)state;
	settings("{\"profile\":\"real\"}");
	cJSON *s = check_admin("GET", "/_sim/settings", NULL);
	assert_true(check_num(s, "readLagSeconds") > 0);
	assert_int_equal((int)check_num(s, "unlinkSynchronous"), 1);
	assert_true(check_num(s, "linkedServiceNotFoundSeconds") > 0);
	assert_true(check_num(s, "principalReplicationSeconds") > 0);
	assert_true(check_num(s, "statusErrorRate") > 0);
	cJSON_Delete(s);
	settings("{\"profile\":\"none\"}");
	s = check_admin("GET", "/_sim/settings", NULL);
	assert_true(check_num(s, "readLagSeconds") == 0 && check_num(s, "statusErrorRate") == 0);
	cJSON_Delete(s);
}

/* the option form: --profile real on the command line */
static void test_realism__profile_option(void **state)
{
	(void)state;
	armsim *sim = NULL;
	static const char *const args[] = { "--profile", "real", "--read-lag", "5", NULL };
	armsim_opts o = { .fixture = ARMSIM_FIXTURES "/la.yaml", .extra_args = args };
	assert_int_equal(armsim_start(&sim, &o), 0);
	cJSON *s = NULL;
	assert_int_equal(armsim_admin(sim, "GET", "/_sim/settings", NULL, &s), 200);
	assert_true(check_num(s, "readLagSeconds") == 5); /* a later option wins */
	assert_int_equal((int)check_num(s, "unlinkSynchronous"), 1);
	cJSON_Delete(s);
	assert_int_equal(armsim_stop(sim), 0);
}

static void test_realism__reads_lag_writes(void **state)
{
	(void)state;
	settings("{\"readLagSeconds\":60}");
	/* a change shows after the lag */
	assert_int_equal(status_of("PATCH", RGP "/workspaces/ws1?api-version=2021-06-01", "{\"tags\":{\"t\":\"new\"}}"), 200);
	armsim_http_resp r = check_arm("GET", RGP "/workspaces/ws1?api-version=2021-06-01", NULL);
	assert_null(check_str(r.json, "tags.t"));
	armsim_http_free(&r);
	/* a new resource is left out of lists until then */
	assert_int_equal(status_of("PUT", RGP "/workspaces/lagws?api-version=2021-06-01", "{\"location\":\"eastus\"}"), 201);
	r = check_arm("GET", RGP "/workspaces?api-version=2021-06-01", NULL);
	const cJSON *w;
	int seen = 0;
	cJSON_ArrayForEach(w, check_get(r.json, "value"))
		seen += !strcmp(check_str(w, "name"), "lagws");
	assert_int_equal(seen, 0);
	armsim_http_free(&r);
	check_advance(61);
	r = check_arm("GET", RGP "/workspaces/ws1?api-version=2021-06-01", NULL);
	assert_string_equal(check_str(r.json, "tags.t"), "new");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/workspaces?api-version=2021-06-01", NULL);
	cJSON_ArrayForEach(w, check_get(r.json, "value"))
		seen += !strcmp(check_str(w, "name"), "lagws");
	assert_int_equal(seen, 1);
	armsim_http_free(&r);
}

static void test_realism__unlink_answers_200_deleting_without_async_headers(void **state)
{
	(void)state;
	char h[4096];
	cluster_ready();
	assert_int_equal(status_of("PUT", LINK("ws1"), LINK_BODY), 201);
	check_advance(31 * 60);
	assert_non_null(strstr(check_ws_cluster("ws1"), "/clusters/real1"));
	settings("{\"unlinkSynchronous\":1}");
	armsim_http_resp r = check_arm("DELETE", LINK("ws1"), NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Deleting");
	assert_false(armsim_http_header(&r, "Azure-AsyncOperation", h, sizeof h));
	assert_false(armsim_http_header(&r, "Location", h, sizeof h));
	armsim_http_free(&r);
	/* the link lingers in workspace reads until the unlink completes */
	check_advance(10 * 60);
	assert_non_null(strstr(check_ws_cluster("ws1"), "/clusters/real1"));
	check_advance(21 * 60);
	assert_string_equal(check_ws_cluster("ws1"), "");
}

static void test_realism__linked_service_404_for_a_while_after_put(void **state)
{
	(void)state;
	settings("{\"linkedServiceNotFoundSeconds\":120}");
	cluster_ready();
	assert_int_equal(status_of("PUT", LINK("ws2"), LINK_BODY), 201);
	assert_int_equal(status_of("GET", LINK("ws2"), NULL), 404);
	check_advance(60);
	assert_int_equal(status_of("GET", LINK("ws2"), NULL), 404);
	check_advance(61);
	assert_int_equal(status_of("GET", LINK("ws2"), NULL), 200);
}

static void test_realism__new_principal_unknown_for_a_while(void **state)
{
	(void)state;
	settings("{\"principalReplicationSeconds\":300}");
	armsim_http_resp r = check_arm("PUT", "/subscriptions/" SUB "/resourceGroups/rg-la/providers/"
				       "Microsoft.ManagedIdentity/userAssignedIdentities/uai-new?api-version=2023-01-31",
				       "{\"location\":\"eastus\"}");
	assert_int_equal(r.status, 201);
	char oid[64];
	snprintf(oid, sizeof oid, "%s", check_str(r.json, "properties.principalId"));
	armsim_http_free(&r);
	const char *ra = "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.Authorization/"
			 "roleAssignments/11110000-0000-4000-8000-0000000000e1?api-version=2022-04-01";
	const char *body = check_fmt("{\"properties\":{\"roleDefinitionId\":\"/subscriptions/" SUB "/providers/"
				     "Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7\","
				     "\"principalId\":\"%s\"}}", oid);
	char ra_body[1024];
	snprintf(ra_body, sizeof ra_body, "%s", body);
	r = check_arm("PUT", ra, ra_body);
	check_error(&r, 400, "PrincipalNotFound",
		    check_fmt("Principal %s does not exist in the directory " TENANT ". Check that "
			      "you have the correct principal ID. If you are creating this principal and then immediately "
			      "assigning a role, this error might be related to a replication delay. In this case, set the "
			      "role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  "
			      "See https://aka.ms/docs-principaltype", oid));
	armsim_http_free(&r);
	/* Key Vault does not know it either: granted, but no key access */
	cJSON_Delete(check_admin("POST", "/_sim/access-policies/add",
		check_fmt("{\"vault\":\"kv-cmk-eus\",\"objectId\":\"%s\",\"keys\":[\"get\",\"wrapKey\",\"unwrapKey\"]}", oid)));
	const char *perm = check_fmt("{\"vault\":\"kv-cmk-eus\",\"name\":\"la-key\",\"objectId\":\"%s\"}", oid);
	char perm_body[512];
	snprintf(perm_body, sizeof perm_body, "%s", perm);
	cJSON *p = check_admin("POST", "/_sim/keys/permissions", perm_body);
	assert_int_equal(cJSON_GetArraySize(check_get(p, "permissions")), 0);
	cJSON_Delete(p);
	check_advance(301);
	p = check_admin("POST", "/_sim/keys/permissions", perm_body);
	assert_int_equal(cJSON_GetArraySize(check_get(p, "permissions")), 3);
	cJSON_Delete(p);
	assert_int_equal(status_of("PUT", ra, ra_body), 201);
}

/* The status codes of `n` reads of a running operation's status URL. */
static void status_reads(char *out, size_t n)
{
	char aso[4096];
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/real1?api-version=2021-06-01", CLUSTER_BODY);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Azure-AsyncOperation", aso, sizeof aso));
	armsim_http_free(&r);
	for (size_t i = 0; i < n; i++) {
		r = check_arm("GET", aso, NULL);
		out[i] = r.status == 200 ? '2' : r.status >= 500 ? '5' : '?';
		if (r.status >= 500)
			assert_non_null(check_str(r.json, "error.code"));
		armsim_http_free(&r);
	}
	out[n] = '\0';
}

static void test_realism__status_urls_answer_5xx_now_and_then(void **state)
{
	(void)state;
	char first[41], again[41];
	settings("{\"statusErrorRate\":0.3}");
	status_reads(first, 40);
	assert_non_null(strchr(first, '5'));
	assert_non_null(strchr(first, '2'));
	assert_null(strchr(first, '?'));
	/* seeded: a new instance with the same seed answers the same */
	assert_int_equal(check_stop(NULL), 0);
	assert_int_equal(check_start("la.yaml", 1), 0);
	settings("{\"statusErrorRate\":0.3}");
	status_reads(again, 40);
	assert_string_equal(first, again);
}

/* Retry-After is virtual seconds over the time scale: 20 at scale 10 is 2 */
static void test_realism__retry_after_on_the_real_clock(void **state)
{
	(void)state;
	char ra[32];
	armsim *sim = NULL;
	armsim_opts o = { .fixture = ARMSIM_FIXTURES "/la.yaml", .time_scale = 10, .scale_retry_after = true };
	assert_int_equal(armsim_start(&sim, &o), 0);
	armsim_http_resp r;
	assert_int_equal(armsim_arm(&r, sim, "PUT", RGP "/clusters/real1?api-version=2021-06-01", CLUSTER_BODY), 0);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Retry-After", ra, sizeof ra));
	assert_string_equal(ra, "2");
	armsim_http_free(&r);
	/* the option keeps virtual seconds */
	cJSON *s = NULL;
	assert_int_equal(armsim_admin(sim, "PUT", "/_sim/settings", "{\"retryAfterRealSeconds\":1}", &s), 200);
	cJSON_Delete(s);
	assert_int_equal(armsim_arm(&r, sim, "PUT", RGP "/clusters/real2?api-version=2021-06-01", CLUSTER_BODY), 0);
	assert_int_equal(r.status, 202);
	assert_true(armsim_http_header(&r, "Retry-After", ra, sizeof ra));
	assert_string_equal(ra, "20");
	armsim_http_free(&r);
	assert_int_equal(armsim_stop(sim), 0);
}

static void test_realism__no_registered_provider_names_the_location(void **state)
{
	(void)state;
	/* no body, no resource: the resource group's location */
	armsim_http_resp r = check_arm("GET", "/subscriptions/" SUB "/resourceGroups/rg-west/providers/"
				       "Microsoft.OperationalInsights/clusters/none?api-version=2099-01-01", NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"),
			       "No registered resource provider found for location 'westus' and API version '2099-01-01'"));
	armsim_http_free(&r);
	/* a subscription-wide list: the front end's region, never '' */
	r = check_arm("GET", "/subscriptions/" SUB "/providers/Microsoft.OperationalInsights/clusters?api-version=2099-01-01",
		      NULL);
	check_error(&r, 400, "NoRegisteredProviderFound", NULL);
	assert_non_null(strstr(check_str(r.json, "error.message"), "for location 'eastus' and"));
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_realism__profile_sets_every_behaviour, start, check_stop),
		cmocka_unit_test(test_realism__profile_option),
		cmocka_unit_test_setup_teardown(test_realism__reads_lag_writes, start, check_stop),
		cmocka_unit_test_setup_teardown(test_realism__unlink_answers_200_deleting_without_async_headers, start,
						check_stop),
		cmocka_unit_test_setup_teardown(test_realism__linked_service_404_for_a_while_after_put, start, check_stop),
		cmocka_unit_test_setup_teardown(test_realism__new_principal_unknown_for_a_while, start, check_stop),
		cmocka_unit_test_setup_teardown(test_realism__status_urls_answer_5xx_now_and_then, start, check_stop),
		cmocka_unit_test(test_realism__retry_after_on_the_real_clock),
		cmocka_unit_test_setup_teardown(test_realism__no_registered_provider_names_the_location, start,
						check_stop),
	};
	return check_run_group("test_realism", tests, sizeof tests / sizeof tests[0], NULL, NULL);
}
