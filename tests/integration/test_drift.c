/*
 * test_drift.c - `cmkctl drift` against armsim after the examples were
 * applied: in sync (exit 0), then each kind of drift made through armsim's
 * admin API (and one ARM delete) and reported loudly with exit 2 - a
 * rotated key (rotation pending), a removed access policy (revocation
 * risk), a disabled key and an identity set to None (revocation risk), a
 * workspace linked to a managed cluster but in no manifest
 * (unmanaged link), a deleted component (vanished) - in JSON, text and
 * markdown, without a single write.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

#define SUB "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define PROD SUB "/resourceGroups/rg-monitor-eus/providers/Microsoft.OperationalInsights/clusters/laprodeus01"
#define SHARED SUB "/resourceGroups/rg-monitor-eus/providers/Microsoft.OperationalInsights/clusters/la-shared-eus"

/* Whether drift's JSON lists a finding of `kind` for `address`. */
static bool has_finding(const cJSON *doc, const char *kind, const char *address)
{
	const cJSON *f;

	cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings")) {
		const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(f, "kind"));
		const char *a = cJSON_GetStringValue(cJSON_GetObjectItem(f, "address"));

		if (k && a && strcmp(k, kind) == 0 && strcmp(a, address) == 0)
			return true;
	}
	return false;
}

/* drift -o json: exit code, and the document into *out. */
static int drift_json(cli_ctx *x, cJSON **out)
{
	const char *argv[] = { "drift", "-f", CLI_EXAMPLES, "-o", "json", NULL };
	int run, rc = cli_run(x, &run, argv);

	*out = cli_json(x, run);
	return rc;
}

static void test_drift__each_kind_reported_with_exit_2_and_no_writes(void **state)
{
	const char *text_argv[] = { "drift", "-f", CLI_EXAMPLES, NULL };
	const char *md_argv[] = { "drift", "-f", CLI_EXAMPLES, "-o", "markdown", NULL };
	armsim_http_resp resp;
	char body[1024];
	const char *principal;
	cli_ctx x;
	cJSON *doc;
	char *text;
	long mark;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	assert_int_equal(cli_hazards(&x), 0);
	mark = it_last_seq(x.sim);

	/* in sync */
	assert_int_equal(drift_json(&x, &doc), 0);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "format_version")), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings")), 0);
	cJSON_Delete(doc);

	/* a new key version while the manifest says latest */
	it_admin(x.sim, "POST", "/_sim/keys/rotate", "{\"vault\":\"kv-obs-prod-eus\",\"name\":\"la-cmk\"}");
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "rotation-pending", "LogAnalyticsCluster/prod-eus"));
	assert_true(has_finding(doc, "rotation-pending", "LogAnalyticsCluster/shared-eus"));
	cJSON_Delete(doc);

	/* the cluster principal's key access removed */
	assert_int_equal(armsim_arm(&resp, x.sim, "GET", SHARED "?api-version=2026-03-01", NULL), 0);
	assert_int_equal(resp.status, 200);
	principal = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(resp.json, "identity"), "principalId"));
	assert_non_null(principal);
	snprintf(body, sizeof(body), "{\"vault\":\"kv-obs-prod-eus\",\"objectId\":\"%s\"}", principal);
	armsim_http_free(&resp);
	it_admin(x.sim, "POST", "/_sim/access-policies/remove", body);
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "revocation-risk", "LogAnalyticsCluster/shared-eus"));
	assert_false(has_finding(doc, "revocation-risk", "LogAnalyticsCluster/prod-eus"));
	cJSON_Delete(doc);

	/* the key of another cluster disabled */
	it_admin(x.sim, "POST", "/_sim/keys/disable", "{\"vault\":\"kv-ai-legacy-wus2\",\"name\":\"ai-cmk\"}");
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "revocation-risk", "LogAnalyticsCluster/appinsights-wus2"));
	cJSON_Delete(doc);

	/* a workspace linked to a managed cluster, in no manifest */
	it_admin(x.sim, "POST", "/_sim/state/merge",
		 "{\"resources\":[{\"id\":\"" SUB "/resourceGroups/rg-sandbox/providers/Microsoft.OperationalInsights/"
		 "workspaces/law-extra\",\"location\":\"eastus\",\"properties\":{\"features\":{\"clusterResourceId\":\""
		 SHARED "\"}}}]}");
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "unmanaged-link", "Workspace/law-extra"));
	cJSON_Delete(doc);

	/* a cluster's identity set to None (revocation, irreversible) */
	assert_int_equal(armsim_arm(&resp, x.sim, "PATCH", PROD "?api-version=2026-03-01",
				    "{\"identity\":{\"type\":\"None\"}}"), 0);
	assert_true(resp.status == 200 || resp.status == 202);
	armsim_http_free(&resp);
	for (int i = 0; i < 500; i++) { /* until the update ended */
		const char *ps;
		bool done;

		assert_int_equal(armsim_arm(&resp, x.sim, "GET", PROD "?api-version=2026-03-01", NULL), 0);
		ps = cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(resp.json, "properties"),
							      "provisioningState"));
		done = ps && strcmp(ps, "Succeeded") == 0;
		armsim_http_free(&resp);
		if (done)
			break;
		usleep(10000);
	}
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "revocation-risk", "LogAnalyticsCluster/prod-eus"));
	cJSON_Delete(doc);

	/* a managed resource deleted (a component; deleting a linked
	 * workspace crashes armsim today: heap-use-after-free in
	 * la__unlink_now, reported to its owner) */
	if (armsim_arm(&resp, x.sim, "DELETE",
		       SUB "/resourceGroups/rg-storefront/providers/Microsoft.Insights/components/"
		       "storefront-web?api-version=2020-02-02", NULL) < 0)
		fail_msg("DELETE component: %s", cmk_error_last());
	assert_true(resp.status == 200 || resp.status == 202 || resp.status == 204);
	armsim_http_free(&resp);
	mark = it_last_seq(x.sim);
	assert_int_equal(drift_json(&x, &doc), 2);
	assert_true(has_finding(doc, "vanished", "AppInsightsComponentLink/storefront-web"));
	cJSON_Delete(doc);

	/* text and markdown say it loudly too */
	assert_int_equal(cli_run(&x, &run, text_argv), 2);
	text = cli_output(&x, run, ".out");
	assert_non_null(strstr(text, "rotation-pending"));
	assert_non_null(strstr(text, "revocation-risk"));
	assert_non_null(strstr(text, "unmanaged-link"));
	assert_non_null(strstr(text, "vanished"));
	free(text);
	assert_int_equal(cli_run(&x, &run, md_argv), 2);
	text = cli_output(&x, run, ".out");
	assert_non_null(strstr(text, "revocation"));
	free(text);

	/* drift never writes */
	assert_int_equal(cli_writes_since(&x, mark), 0);
	cli_stop(&x);
}

static void test_drift__error_exits_1(void **state)
{
	const char *argv[] = { "drift", "-f", CLI_EXAMPLES, NULL };
	cli_ctx x;
	char *err;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	/* the credential is refused: an error, not "in sync" */
	setenv("AZURE_CLIENT_SECRET", "not-the-secret", 1);
	assert_int_equal(cli_run(&x, &run, argv), 1);
	err = cli_output(&x, run, ".err");
	assert_non_null(strstr(err, "cmkctl drift:"));
	assert_null(strstr(err, "not-the-secret"));
	free(err);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drift__each_kind_reported_with_exit_2_and_no_writes),
		cmocka_unit_test(test_drift__error_exits_1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
