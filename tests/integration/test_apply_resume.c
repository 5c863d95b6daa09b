/*
 * test_apply_resume.c - the write-ahead record of the journal: a workspace
 * link recorded before it was sent, by a run that died before sending it.
 * The next apply finds that it never started (the workspace list does not
 * show it, the linked service does not exist), reports it, and links the
 * workspace itself - one PUT, no 409, no hazard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "providers/cloud.h"
#include "providers/lro.h"
#include "reconciler/opstate.h"
#include "tests/integration/cli_common.h"

/* A link recorded in the journal but never sent (the run died between the
 * write-ahead record and the PUT): the next run finds it never started and
 * links the workspace itself, once. */
static void test_apply__link_recorded_but_never_sent_is_settled(void **state)
{
	static const char *const stage1[] = { "00-keys.yaml", "10-identities.yaml", "20-clusters.yaml" };
	char paths[3][512];
	const char *apply1[12] = { "apply" };
	const char *ls = "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-app-payments/providers/"
			 "Microsoft.OperationalInsights/workspaces/law-payments-prod/linkedServices/cluster";
	char json[2048];
	arm_cloud *cloud = NULL;
	opstate *j = NULL;
	arm_op *intent = NULL;
	cJSON *doc, *rep, *log;
	cli_ctx x;
	size_t n = 1;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	for (size_t k = 0; k < 3; k++) {
		snprintf(paths[k], sizeof(paths[k]), "%s/%s", CLI_EXAMPLES, stage1[k]);
		apply1[n++] = "-f";
		apply1[n++] = paths[k];
	}
	apply1[n++] = "--auto-approve";
	apply1[n++] = "--state-dir";
	apply1[n++] = x.state;
	apply1[n] = NULL;
	assert_int_equal(cli_run(&x, &run, apply1), 0);

	/* the write-ahead record of a link that never went out */
	assert_int_equal(arm_cloud_resolve(&cloud, NULL), 0);
	assert_int_equal(opstate_open(&j, x.state, cloud->arm_endpoint), 0);
	snprintf(json, sizeof(json), "{\"version\":1,\"kind\":\"workspace.link\",\"method\":\"PUT\",\"resourceId\":"
		 "\"%s\",\"resourceUrl\":\"%s\",\"apiVersion\":\"2026-03-01\",\"pollMode\":\"provisioning-state\","
		 "\"finalStateVia\":\"none\",\"startedAt\":\"2026-01-01T00:00:00Z\",\"timeoutSeconds\":999999999}",
		 ls, ls);
	assert_non_null(doc = cJSON_Parse(json));
	assert_int_equal(arm_op_from_json(&intent, doc), 0);
	cJSON_Delete(doc);
	assert_int_equal(opstate_add(j, "workspace.link:WorkspaceLink/prod-eus-workspaces/law-payments-prod", intent), 0);
	assert_int_equal(opstate_save(j), 0);
	opstate_free(j);
	arm_op_free(intent);
	arm_cloud_free(cloud);

	assert_int_equal(cli_apply_examples(&x, &run), 0);
	rep = cli_json(&x, run);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "result")), "succeeded");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "resumed")), 1);
	assert_non_null(strcasestr(cJSON_GetStringValue(cJSON_GetObjectItem(
					   cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "resumed"), 0), "outcome")),
				   "failed"));
	cJSON_Delete(rep);
	log = it_requests(x.sim, 0);
	assert_int_equal(it_count(log, "PUT", "law-payments-prod/linkedServices/cluster", 0), 1);
	cJSON_Delete(log);
	assert_int_equal(cli_busy_errors(&x), 0);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply__link_recorded_but_never_sent_is_settled),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
