/*
 * test_la_scale.c - the 1000-workspaces-per-cluster limit at its real size:
 * 1000 links succeed (observed with one list call, as the design asks), the
 * 1001st is refused with the documented message. Also shows armsim keeps up
 * with thousands of resources.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define N 1001
#define M_LINK_MAX "The maximum number of workspaces that can be linked to a cluster is 1000."

static int setup(void **state)
{
	(void)state;
	if (check_start("la.yaml", 1) < 0)
		return -1;
	/* N more workspaces in one merge */
	cJSON *fx = cJSON_CreateObject(), *res = cJSON_AddArrayToObject(fx, "resources");
	for (int i = 0; i < N; i++) {
		cJSON *w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "id", check_fmt(RGP "/workspaces/scale%04d", i));
		cJSON_AddStringToObject(w, "location", "eastus");
		cJSON_AddItemToArray(res, w);
	}
	char *text = cJSON_PrintUnformatted(fx);
	cJSON_Delete(fx);
	cJSON_Delete(check_admin("POST", "/_sim/state/merge", text));
	free(text);
	/* the client's write budget is not what this test is about */
	cJSON_Delete(check_admin("PUT", "/_sim/throttling",
				 "{\"reads\":{\"capacity\":1e9,\"refillPerSecond\":1e9},\"writes\":{\"capacity\":1e9,\"refillPerSecond\":1e9}}"));
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/big?api-version=2021-06-01",
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	if (r.status != 202)
		return -1;
	armsim_http_free(&r);
	check_advance(7300);
	return 0;
}

static void test_scale__1000_links_then_refused(void **state)
{
	(void)state;
	const char *body = "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/big\"}}";
	for (int i = 0; i < N - 1; i++) {
		armsim_http_resp r = check_arm("PUT", check_fmt(RGP "/workspaces/scale%04d/linkedServices/cluster?api-version=2020-08-01", i), body);
		if (r.status != 201)
			fail_msg("link %d: HTTP %ld %s", i, r.status, r.body);
		armsim_http_free(&r);
	}
	/* links in flight count too */
	armsim_http_resp r = check_arm("PUT", check_fmt(RGP "/workspaces/scale%04d/linkedServices/cluster?api-version=2020-08-01", N - 1), body);
	check_error(&r, 400, "BadRequest", M_LINK_MAX);
	armsim_http_free(&r);
	check_advance(1900);
	/* one paged list observes every link */
	int linked = 0;
	char url[4096];
	snprintf(url, sizeof url, "/subscriptions/" SUB "/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/workspaces?api-version=2021-06-01");
	for (;;) {
		r = check_arm("GET", url, NULL);
		assert_int_equal(r.status, 200);
		const cJSON *w;
		cJSON_ArrayForEach(w, check_get(r.json, "value")) {
			const char *c = check_str(w, "properties.features.clusterResourceId");
			if (c && strstr(c, "/clusters/big"))
				linked++;
		}
		const char *next = check_str(r.json, "nextLink");
		if (next)
			snprintf(url, sizeof url, "%s", next);
		armsim_http_free(&r);
		if (!next)
			break;
	}
	assert_int_equal(linked, 1000);
	r = check_arm("GET", RGP "/clusters/big?api-version=2026-03-01", NULL);
	assert_int_equal(cJSON_GetArraySize(check_get(r.json, "properties.associatedWorkspaces")), 1000);
	armsim_http_free(&r);
	r = check_arm("PUT", check_fmt(RGP "/workspaces/scale%04d/linkedServices/cluster?api-version=2020-08-01", N - 1), body);
	check_error(&r, 400, "BadRequest", M_LINK_MAX);
	armsim_http_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale__1000_links_then_refused),
	};
	return cmocka_run_group_tests(tests, setup, check_stop);
}
