/*
 * test_apply_destroy.c - the steps that take things away run only when
 * asked: a workspace removed from its WorkspaceLink stays linked until
 * `--allow-unlink`, then is unlinked (DELETE of the linked service, watched
 * by the workspace list); a cluster created with deletionPolicy: Delete and
 * removed from the manifests stays until `--allow-destroy`, then is
 * deleted. No hazard, no busy answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

#define SENTINEL_SUB "7a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d"
#define SCRATCH "/subscriptions/" SENTINEL_SUB "/resourceGroups/rg-security/providers/" \
		"Microsoft.OperationalInsights/clusters/lascratch01"
#define PLATFORM "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-platform/providers/" \
		 "Microsoft.OperationalInsights/workspaces/law-platform-eus"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The examples without law-platform-eus in shared-eus-workspaces. */
static void write_examples_without_platform(const char *dst)
{
	static const char *const files[] = { "00-keys.yaml", "10-identities.yaml", "20-clusters.yaml",
					     "30-workspace-links.yaml", "40-linked-storage.yaml", "50-kusto.yaml",
					     "60-appinsights-legacy.yaml" };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char src[512], out[512], *line;
		cmk_buf b = CMK_BUF_INIT;
		FILE *f;

		snprintf(src, sizeof(src), "%s/%s", CLI_EXAMPLES, files[i]);
		snprintf(out, sizeof(out), "%s/%s", dst, files[i]);
		cmk_buf_init(&b, 1 << 20);
		assert_int_equal(cmk_buf_read_file(&b, src), 0);
		assert_non_null(f = fopen(out, "w"));
		for (line = strtok(b.ptr, "\n"); line; line = strtok(NULL, "\n"))
			if (!strstr(line, "law-platform-eus"))
				fprintf(f, "%s\n", line);
		fclose(f);
		cmk_buf_free(&b);
	}
}

static long get_status(cli_ctx *x, const char *path)
{
	armsim_http_resp resp;
	long status;

	assert_int_equal(armsim_arm(&resp, x->sim, "GET", path, NULL), 0);
	status = resp.status;
	armsim_http_free(&resp);
	return status;
}

static bool platform_linked(cli_ctx *x)
{
	armsim_http_resp resp;
	bool linked;

	assert_int_equal(armsim_arm(&resp, x->sim, "GET", PLATFORM "?api-version=2026-03-01", NULL), 0);
	assert_int_equal(resp.status, 200);
	linked = cJSON_GetStringValue(cJSON_GetObjectItem(
			 cJSON_GetObjectItem(cJSON_GetObjectItem(resp.json, "properties"), "features"),
			 "clusterResourceId")) != NULL;
	armsim_http_free(&resp);
	return linked;
}

static void test_apply__unlink_and_delete_only_when_allowed(void **state)
{
	char scratch[400], fewer[400];
	const char *with_scratch[] = { "apply", "-f", CLI_EXAMPLES, "-f", scratch, "--auto-approve",
				       "--state-dir", NULL, NULL };
	const char *plain[] = { "apply", "-f", fewer, "--auto-approve", "--state-dir", NULL, NULL };
	const char *unlink[] = { "apply", "-f", fewer, "--auto-approve", "--allow-unlink", "--state-dir", NULL, NULL };
	const char *destroy[] = { "apply", "-f", fewer, "--auto-approve", "--allow-destroy", "-o", "json",
				  "--state-dir", NULL, NULL };
	cli_ctx x;
	cJSON *rep;
	char *out;
	long mark;
	int run;

	(void)state;
	cli_start(&x, IT_SCALE);
	with_scratch[7] = plain[5] = unlink[6] = destroy[8] = x.state;
	snprintf(scratch, sizeof(scratch), "%s/scratch.yaml", x.dir);
	write_file(scratch, "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: scratch}\nspec:\n"
			    "  subscription: " SENTINEL_SUB "\n  resourceGroup: rg-security\n  name: lascratch01\n"
			    "  location: eastus\n  identity: {type: SystemAssigned}\n  capacity: 100\n"
			    "  deletionPolicy: Delete\n");
	snprintf(fewer, sizeof(fewer), "%s/fewer", x.dir);
	assert_int_equal(mkdir(fewer, 0700), 0);
	write_examples_without_platform(fewer);

	assert_int_equal(cli_run(&x, &run, with_scratch), 0);
	assert_int_equal(get_status(&x, SCRATCH "?api-version=2026-03-01"), 200);
	assert_true(platform_linked(&x));

	/* neither flag: both stay, nothing is written */
	mark = it_last_seq(x.sim);
	assert_int_equal(cli_run(&x, &run, plain), 0);
	assert_int_equal(cli_writes_since(&x, mark), 0);
	assert_true(platform_linked(&x));

	/* --allow-unlink: the workspace leaves its cluster */
	assert_int_equal(cli_run(&x, &run, unlink), 0);
	out = cli_output(&x, run, ".out");
	assert_non_null(strstr(out, "workspace.unlink:"));
	free(out);
	assert_false(platform_linked(&x));
	assert_int_equal(get_status(&x, SCRATCH "?api-version=2026-03-01"), 200);

	/* --allow-destroy: the cluster that said Delete goes */
	assert_int_equal(cli_run(&x, &run, destroy), 0);
	rep = cli_json(&x, run);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "result")), "succeeded");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "steps"), 0),
								     "kind")), "cluster.delete");
	cJSON_Delete(rep);
	assert_int_equal(get_status(&x, SCRATCH "?api-version=2026-03-01"), 404);

	assert_int_equal(cli_busy_errors(&x), 0);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply__unlink_and_delete_only_when_allowed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
