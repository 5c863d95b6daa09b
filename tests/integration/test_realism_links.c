/*
 * test_realism_links.c - workspace links and unlinks against armsim's
 * realism profile (reads that lag writes, an unlink answered "200
 * Deleting", a linked service answering 404 for a while after its PUT,
 * status URLs answering 5xx now and then): 50 links then 20 unlinks, each
 * workspace written exactly once (armsim's request log), the apply done
 * only after the workspaces read back as intended, and a plan right after
 * with no steps. DESIGN.md "Real Azure is eventually consistent".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/cli_common.h"

#define RL_SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define RL_RG "/subscriptions/" RL_SUB "/resourceGroups/"
#define RL_TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define RL_CLIENT "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define RL_OID "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
#define RL_VAULT RL_RG "rg-kv/providers/Microsoft.KeyVault/vaults/kvrealism"
#define RL_N 50
#define RL_KEEP 30
/* virtual seconds per real second: the realism windows (60 s lag, 120 s of
 * 404) are 30-60 ms real, polls at the client's scaled minimum */
#define RL_SCALE 2000.0

static void rl_ws(char *out, size_t size, int i)
{
	snprintf(out, size, RL_RG "rg-ws/providers/Microsoft.OperationalInsights/workspaces/ws%02d", i);
}

/* armsim's estate: the vault and key, RL_N unlinked workspaces. */
static void rl_fixture(const char *path)
{
	FILE *fp = fopen(path, "w");
	char id[256];

	assert_non_null(fp);
	fprintf(fp, "{\"tenantId\":\"%s\",\"defaultClient\":\"%s\",\"settings\":{\"pageSize\":20},"
		    "\"principals\":[{\"displayName\":\"cmkctl-it\",\"clientId\":\"%s\",\"objectId\":\"%s\","
		    "\"secret\":\"realism-secret-0123456789\",\"roles\":[{\"role\":\"Owner\",\"scope\":"
		    "\"/subscriptions/%s\"}]}],\"subscriptions\":[{\"subscriptionId\":\"%s\"}],"
		    "\"resourceGroups\":[{\"subscriptionId\":\"%s\",\"name\":\"rg-la\",\"location\":\"eastus\"},"
		    "{\"subscriptionId\":\"%s\",\"name\":\"rg-kv\",\"location\":\"eastus\"},"
		    "{\"subscriptionId\":\"%s\",\"name\":\"rg-ws\",\"location\":\"eastus\"}],\"resources\":["
		    "{\"id\":\"%s\",\"location\":\"eastus\",\"properties\":{\"enableSoftDelete\":true,"
		    "\"enablePurgeProtection\":true,\"accessPolicies\":[{\"tenantId\":\"%s\",\"objectId\":\"%s\","
		    "\"permissions\":{\"keys\":[\"get\",\"list\"]}}]}}",
		RL_TENANT, RL_CLIENT, RL_CLIENT, RL_OID, RL_SUB, RL_SUB, RL_SUB, RL_SUB, RL_SUB, RL_VAULT,
		RL_TENANT, RL_OID);
	for (int i = 0; i < RL_N; i++) {
		rl_ws(id, sizeof(id), i);
		fprintf(fp, ",{\"id\":\"%s\",\"location\":\"eastus\",\"properties\":{}}", id);
	}
	fprintf(fp, "],\"keys\":[{\"vault\":\"kvrealism\",\"name\":\"la-key\"}]}\n");
	assert_int_equal(fclose(fp), 0);
}

/* The estate: a cluster on the key, the first `n` workspaces linked to it,
 * the others unlinked when `unlink` (unlinkUnlisted). */
static void rl_manifests(const char *path, int n, bool unlink)
{
	FILE *fp = fopen(path, "w");
	char id[256];

	assert_non_null(fp);
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
		    "  vault: %s\n  key: la-key\n---\n", RL_VAULT);
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: rl}\nspec:\n"
		    "  subscription: %s\n  resourceGroup: rg-la\n  name: la-realism\n  location: eastus\n"
		    "  identity: {type: SystemAssigned}\n  capacity: 100\n  key: {ref: kek}\n---\n", RL_SUB);
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: rl-ws}\nspec:\n"
		    "  cluster: {ref: rl}\n  unlinkUnlisted: %s\n  workspaces:\n", unlink ? "true" : "false");
	for (int i = 0; i < n; i++) {
		rl_ws(id, sizeof(id), i);
		fprintf(fp, "    - %s\n", id);
	}
	assert_int_equal(fclose(fp), 0);
}

static void rl_start(cli_ctx *x, const char *const *realism)
{
	armsim_opts o = { 0 };
	char fixture[300], buf[64];

	memset(x, 0, sizeof(*x));
	snprintf(x->dir, sizeof(x->dir), "/tmp/cmkctl-realism-XXXXXX");
	if (!mkdtemp(x->dir))
		fail_msg("mkdtemp failed");
	snprintf(x->state, sizeof(x->state), "%s/state", x->dir);
	snprintf(fixture, sizeof(fixture), "%s/fixture.json", x->dir);
	rl_fixture(fixture);
	o.fixture = fixture;
	o.time_scale = RL_SCALE;
	o.extra_args = realism;
	x->sim = it_start(&o);
	snprintf(buf, sizeof(buf), "%g", RL_SCALE);
	setenv("CMKCTL_TIME_SCALE", buf, 1);
	setenv("CMKCTL_PROGRESS_INTERVAL", "0.05", 1);
}

/* Logged requests with `method` on workspace i's linked service. */
static size_t rl_writes_of(const cJSON *reqs, const char *method, int i)
{
	char id[300];

	rl_ws(id, sizeof(id), i);
	strcat(id, "/linkedServices/cluster");
	return it_count(reqs, method, id, 0);
}

/* `cmkctl <verb> -f manifests …`: the exit code, *run the run number. */
static int rl_cmd(cli_ctx *x, int *run, const char *verb, const char *manifests, bool allow_unlink)
{
	const char *argv[10] = { verb, "-f", manifests, "-o", "json" };
	size_t n = 5;

	if (strcmp(verb, "apply") == 0) {
		argv[n++] = "--auto-approve";
		argv[n++] = "--state-dir";
		argv[n++] = x->state;
	}
	if (allow_unlink)
		argv[n++] = "--allow-unlink";
	return cli_run(x, run, argv);
}

/* The plan right after has no steps. */
static void rl_plan_empty(cli_ctx *x, const char *manifests, bool allow_unlink)
{
	cJSON *doc;
	int run;

	assert_int_equal(rl_cmd(x, &run, "plan", manifests, allow_unlink), 0);
	doc = cli_json(x, run);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "steps")), 0);
	cJSON_Delete(doc);
}

static void rl_apply_ok(cli_ctx *x, const char *manifests, bool allow_unlink, int steps_min)
{
	cJSON *doc, *sum;
	int run, rc = rl_cmd(x, &run, "apply", manifests, allow_unlink);

	if (rc != 0) {
		char *err = cli_output(x, run, ".err");
		fprintf(stderr, "%s\n", err);
		free(err);
	}
	assert_int_equal(rc, 0);
	doc = cli_json(x, run);
	sum = cJSON_GetObjectItem(doc, "summary");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "result")), "succeeded");
	assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "steps")) >= steps_min);
	assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(sum, "failed")), 0);
	cJSON_Delete(doc);
}

static void test_realism__link_50_then_unlink_20_one_write_each(void **state)
{
	const char *const realism[] = { "--read-lag", "60", "--unlink-synchronous", "--linked-service-404",
					"120", "--status-error-rate", "0.1", "--seed", "11", NULL };
	char all[300], kept[300];
	cJSON *doc, *reqs;
	cli_ctx x;

	(void)state;
	rl_start(&x, realism);
	snprintf(all, sizeof(all), "%s/all.yaml", x.dir);
	snprintf(kept, sizeof(kept), "%s/kept.yaml", x.dir);
	rl_manifests(all, RL_N, false);
	rl_manifests(kept, RL_KEEP, true);

	rl_apply_ok(&x, all, false, RL_N);
	rl_plan_empty(&x, all, false);
	rl_apply_ok(&x, kept, true, RL_N - RL_KEEP);
	rl_plan_empty(&x, kept, true);

	doc = it_requests(x.sim, 0);
	reqs = cJSON_GetObjectItem(doc, "requests");
	for (int i = 0; i < RL_N; i++) {
		assert_int_equal(rl_writes_of(reqs, "PUT", i), 1);
		assert_int_equal(rl_writes_of(reqs, "DELETE", i), i < RL_KEEP ? 0 : 1);
	}
	cJSON_Delete(doc);
	assert_int_equal(cli_hazards(&x), 0);
	cli_stop(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realism__link_50_then_unlink_20_one_write_each),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
