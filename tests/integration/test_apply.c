/*
 * test_apply.c - `cmkctl apply` end to end against armsim: the example
 * manifests from an empty estate to converged, a second apply that writes
 * nothing, failure propagation, saved plans, approval without a terminal.
 * (Interrupted applies: test_apply_interrupt.c.) armsim's hazard audit
 * must stay empty after every apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

static const char *json_str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, name));
}

static double json_num(const cJSON *o, const char *name)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, name));
}

/* The report's step with `id`. */
static const cJSON *report_step(const cJSON *report, const char *id)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItem(report, "steps"))
		if (strcmp(json_str(s, "id"), id) == 0)
			return s;
	fail_msg("no step %s in the report", id);
	return NULL;
}

static void test_apply__examples_converge_then_reapply_writes_nothing(void **state)
{
	const char *drift[] = { "drift", "-f", CLI_EXAMPLES, NULL };
	cli_ctx x;
	cJSON *rep;
	char journal[512];
	long mark;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	rep = cli_json(&x, run);
	assert_string_equal(json_str(rep, "result"), "succeeded");
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "steps"), 24);
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "succeeded"), 24);
	/* every kind of step of the examples ran */
	assert_string_equal(json_str(report_step(rep, "cluster.key:LogAnalyticsCluster/shared-eus"), "status"),
			    "succeeded");
	assert_string_equal(json_str(report_step(rep, "kusto.key:KustoClusterKey/adx-analytics"), "status"),
			    "succeeded");
	assert_string_equal(json_str(report_step(rep, "component.link:AppInsightsComponentLink/storefront-web"),
				     "status"), "succeeded");
	assert_string_equal(json_str(report_step(rep, "storage.link:LinkedStorageAccount/payments-queries"),
				     "status"), "succeeded");
	cJSON_Delete(rep);
	assert_int_equal(cli_hazards(&x), 0);
	cli_journal_path(&x, journal, sizeof(journal));
	assert_string_equal(journal, ""); /* nothing left running */

	/* converged: drift finds nothing */
	assert_int_equal(cli_run(&x, &run, drift), 0);

	/* a second apply right after makes no writes */
	mark = it_last_seq(x.sim);
	assert_int_equal(cli_apply_examples(&x, &run), 0);
	rep = cli_json(&x, run);
	assert_string_equal(json_str(rep, "result"), "succeeded");
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "steps"), 0);
	cJSON_Delete(rep);
	assert_int_equal(cli_writes_since(&x, mark), 0);
	assert_int_equal(cli_hazards(&x), 0);
	assert_int_equal(cli_busy_errors(&x), 0);
	cli_stop(&x);
}

/* Each example file in turn, on top of the ones before it (a file refers
 * to the keys, identities and clusters of earlier ones): every stage goes
 * from nothing to converged, and drift agrees. */
static void test_apply__each_example_file_converges_in_turn(void **state)
{
	static const char *const files[] = { "00-keys.yaml", "10-identities.yaml", "20-clusters.yaml",
					     "30-workspace-links.yaml", "40-linked-storage.yaml", "50-kusto.yaml",
					     "60-appinsights-legacy.yaml" };
	static const int steps_at[] = { 0, 2, 5, 5, 2, 6, 4 };
	enum { N = sizeof(files) / sizeof(files[0]) };
	char paths[N][512];
	cli_ctx x;

	(void)state;
	cli_start(&x, IT_SCALE);
	for (size_t k = 0; k < N; k++) {
		const char *apply[40] = { "apply" }, *drift[40] = { "drift" };
		size_t na = 1, nd = 1;
		cJSON *rep;
		int run;

		snprintf(paths[k], sizeof(paths[k]), "%s/%s", CLI_EXAMPLES, files[k]);
		for (size_t j = 0; j <= k; j++) {
			apply[na++] = drift[nd++] = "-f";
			apply[na++] = drift[nd++] = paths[j];
		}
		apply[na++] = "--auto-approve";
		apply[na++] = "-o";
		apply[na++] = "json";
		apply[na++] = "--state-dir";
		apply[na++] = x.state;
		apply[na] = NULL;
		drift[nd] = NULL;
		if (cli_run(&x, &run, apply) != 0)
			fail_msg("apply of %s (with the files before it) failed", files[k]);
		rep = cli_json(&x, run);
		assert_string_equal(json_str(rep, "result"), "succeeded");
		if ((int)json_num(cJSON_GetObjectItem(rep, "summary"), "steps") != steps_at[k])
			fail_msg("%s: %g steps, expected %d", files[k],
				 json_num(cJSON_GetObjectItem(rep, "summary"), "steps"), steps_at[k]);
		cJSON_Delete(rep);
		if (cli_run(&x, &run, drift) != 0)
			fail_msg("drift after %s is not 0", files[k]);
		assert_int_equal(cli_hazards(&x), 0);
	}
	assert_int_equal(cli_busy_errors(&x), 0);
	cli_stop(&x);
}

static void test_apply__failed_step_skips_dependents_and_the_rest_finishes(void **state)
{
	/* the first Log Analytics cluster operation fails at its end: the
	 * creation of appinsights-wus2 (first in the plan's order) */
	const char *fault = "[{\"method\":\"*\",\"resourceType\":\"Microsoft.OperationalInsights/clusters\","
			    "\"fault\":\"async_fail\",\"count\":1}]";
	const char *create = "cluster.create:LogAnalyticsCluster/appinsights-wus2";
	const char *text_argv[] = { "apply", "-f", CLI_EXAMPLES, "--auto-approve", "--state-dir", NULL, NULL };
	const cJSON *s;
	cli_ctx x;
	cJSON *rep;
	char *out;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	it_admin(x.sim, "PUT", "/_sim/faults", fault);
	assert_int_equal(cli_apply_examples(&x, &run), 1);
	rep = cli_json(&x, run);
	assert_string_equal(json_str(rep, "result"), "failed");
	s = report_step(rep, create);
	assert_string_equal(json_str(s, "status"), "failed");
	assert_non_null(strstr(json_str(s, "error"), "InternalServerError"));
	/* its dependents, direct and not, are skipped and say why */
	s = report_step(rep, "cluster.key:LogAnalyticsCluster/appinsights-wus2");
	assert_string_equal(json_str(s, "status"), "skipped");
	assert_string_equal(json_str(s, "skippedBecause"), create);
	s = report_step(rep, "component.link:AppInsightsComponentLink/storefront-web");
	assert_string_equal(json_str(s, "status"), "skipped");
	assert_string_equal(json_str(s, "skippedBecause"), create);
	/* independent steps finished */
	assert_string_equal(json_str(report_step(rep, "workspace.link:WorkspaceLink/shared-eus-workspaces/law-sandbox-eus"),
				     "status"), "succeeded");
	assert_string_equal(json_str(report_step(rep, "kusto.key:KustoClusterKey/adx-telemetry"), "status"),
			    "succeeded");
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "failed"), 1);
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "skipped"), 3);
	assert_int_equal((int)json_num(cJSON_GetObjectItem(rep, "summary"), "succeeded"), 20);
	cJSON_Delete(rep);
	assert_int_equal(cli_hazards(&x), 0);

	/* the text report says the same to a person; the retry converges */
	text_argv[5] = x.state;
	assert_int_equal(cli_run(&x, &run, text_argv), 0);
	out = cli_output(&x, run, ".out");
	assert_non_null(strstr(out, "Apply succeeded"));
	free(out);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

static void test_apply__saved_plan_applies_and_a_stale_one_is_refused(void **state)
{
	char plan1[300], plan2[300];
	const char *plan_a[] = { "plan", "-f", CLI_EXAMPLES, "--out", plan1, NULL };
	const char *plan_b[] = { "plan", "-f", CLI_EXAMPLES, "--out", plan2, NULL };
	/* without -f: the plan's own source */
	const char *apply_a[] = { "apply", plan1, "--state-dir", NULL, NULL };
	const char *apply_b[] = { "apply", plan2, "-f", CLI_EXAMPLES, "--state-dir", NULL, NULL };
	const char *apply_other[] = { "apply", plan2, "-f", CLI_EXAMPLES "/00-keys.yaml", "--state-dir", NULL, NULL };
	cli_ctx x;
	char *err;
	long mark;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	snprintf(plan1, sizeof(plan1), "%s/plan1.json", x.dir);
	snprintf(plan2, sizeof(plan2), "%s/plan2.json", x.dir);
	apply_a[3] = apply_b[5] = apply_other[5] = x.state;
	assert_int_equal(cli_run(&x, &run, plan_a), 0);
	/* a reviewed plan file needs no --auto-approve */
	assert_int_equal(cli_run(&x, &run, apply_a), 0);
	assert_int_equal(cli_hazards(&x), 0);

	/* a plan made now, then the key rotates: the plan is stale */
	assert_int_equal(cli_run(&x, &run, plan_b), 0);
	it_admin(x.sim, "POST", "/_sim/keys/rotate", "{\"vault\":\"kv-obs-prod-eus\",\"name\":\"la-cmk\"}");
	mark = it_last_seq(x.sim);
	assert_int_equal(cli_run(&x, &run, apply_b), 1);
	err = cli_output(&x, run, ".err");
	assert_non_null(strstr(err, "stale"));
	free(err);
	/* other manifests than the plan's: refused */
	assert_int_equal(cli_run(&x, &run, apply_other), 1);
	err = cli_output(&x, run, ".err");
	assert_non_null(strstr(err, "was made from source"));
	free(err);
	assert_int_equal(cli_writes_since(&x, mark), 0);
	cli_stop(&x);
}

static void test_apply__without_terminal_or_auto_approve_refuses(void **state)
{
	const char *argv[] = { "apply", "-f", CLI_EXAMPLES, "--state-dir", NULL, NULL };
	cli_ctx x;
	char *err;
	long mark;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	argv[4] = x.state;
	mark = it_last_seq(x.sim);
	assert_int_equal(cli_run(&x, &run, argv), 1);
	err = cli_output(&x, run, ".err");
	assert_non_null(strstr(err, "--auto-approve"));
	free(err);
	assert_int_equal(cli_writes_since(&x, mark), 0);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply__examples_converge_then_reapply_writes_nothing),
		cmocka_unit_test(test_apply__each_example_file_converges_in_turn),
		cmocka_unit_test(test_apply__failed_step_skips_dependents_and_the_rest_finishes),
		cmocka_unit_test(test_apply__saved_plan_applies_and_a_stale_one_is_refused),
		cmocka_unit_test(test_apply__without_terminal_or_auto_approve_refuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
