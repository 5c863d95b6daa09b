/*
 * fuzz_plan_build.c - libFuzzer target for the planner on untrusted live
 * data: fixed manifests of every kind, the fuzzed bytes as a live-state
 * JSON document; whatever the live state holds (missing names, odd states,
 * duplicate ids), plan_build and every renderer must not crash, leak or
 * trip a sanitizer, and the plan's dependencies must point backwards.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh). Without it,
 * the same file is built with FUZZ_REPLAY_MAIN into a replay program that
 * runs every seed in tests/fuzz/corpus/plan_build/ as a ctest test.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/live.h"
#include "planner/manifest.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "planner/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fuzz__manifests[] =
	"apiVersion: cmkctl/v1\n"
	"kind: KeyVaultKey\n"
	"metadata: {name: prod-kek}\n"
	"spec:\n"
	"  vault: /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-prod-eus\n"
	"  key: la-cmk\n"
	"  version: latest\n"
	"  location: eastus\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: KeyVaultKey\n"
	"metadata: {name: adx-kek}\n"
	"spec:\n"
	"  vault: /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-prod-eus\n"
	"  key: adx-cmk\n"
	"  keyType: RSA\n"
	"  keySize: 2048\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: ManagedIdentity\n"
	"metadata: {name: la-prod-id}\n"
	"spec:\n"
	"  subscription: 5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93\n"
	"  resourceGroup: rg-monitor\n"
	"  name: id-la-prod\n"
	"  location: eastus\n"
	"  tags: {owner: observability}\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: LogAnalyticsCluster\n"
	"metadata: {name: prod}\n"
	"spec:\n"
	"  subscription: 5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93\n"
	"  resourceGroup: rg-monitor\n"
	"  name: la-prod-eus\n"
	"  location: eastus\n"
	"  identity: {type: SystemAssigned}\n"
	"  capacity: 1000\n"
	"  key: {ref: prod-kek}\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: WorkspaceLink\n"
	"metadata: {name: prod-ws}\n"
	"spec:\n"
	"  cluster: {ref: prod}\n"
	"  unlinkUnlisted: true\n"
	"  workspaces:\n"
	"    - /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/law-app1\n"
	"    - /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/law-app2\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: KustoClusterKey\n"
	"metadata: {name: adx}\n"
	"spec:\n"
	"  cluster: /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-adx/providers/Microsoft.Kusto/clusters/adxprodeus\n"
	"  location: eastus\n"
	"  identity: {type: UserAssigned, ref: la-prod-id}\n"
	"  key: {ref: adx-kek}\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: LogAnalyticsCluster\n"
	"metadata: {name: ai}\n"
	"spec:\n"
	"  subscription: 5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93\n"
	"  resourceGroup: rg-web\n"
	"  name: aicluster01\n"
	"  location: eastus\n"
	"  identity: {type: SystemAssigned}\n"
	"  clusterType: ApplicationInsights\n"
	"  capacity: 1000\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: AppInsightsComponentLink\n"
	"metadata: {name: storefront}\n"
	"spec:\n"
	"  component: /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-web/providers/Microsoft.Insights/components/storefront\n"
	"  location: eastus\n"
	"  cluster: {ref: ai}\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: LinkedStorageAccount\n"
	"metadata: {name: app1-queries}\n"
	"spec:\n"
	"  workspace: /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/law-app1\n"
	"  dataSourceType: Query\n"
	"  storageAccounts:\n"
	"    - /subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-apps/providers/Microsoft.Storage/storageAccounts/stqueries\n"
;

static manifest_set *fuzz__set(void)
{
	static manifest_set *set;
	manifest_diags diags = MANIFEST_DIAGS_INIT;

	if (set)
		return set;
	if (manifest_set_new(&set) < 0 ||
	    manifest_load_buffer(set, &diags, "fuzz.yaml", fuzz__manifests, sizeof(fuzz__manifests) - 1) < 0 ||
	    validate_manifest_set(&diags, set) < 0 || manifest_diags_total(&diags)) {
		manifest_diags_print_text(stderr, &diags);
		abort(); /* the fixed manifests must be valid */
	}
	manifest_diags_free(&diags);
	return set;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	plan_options opts = PLAN_OPTIONS_INIT;
	cJSON *json = cJSON_ParseWithLength((const char *)data, size);
	live_state live;
	plan *p = NULL;
	cmk_buf b = CMK_BUF_INIT;
	char fp[65];

	if (!json)
		return 0;
	opts.now = 1795000000;
	opts.allow_destroy = opts.allow_unlink = (size & 1) != 0;
	if (live_state_from_json(&live, json) == 0) {
		if (plan_build(&p, fuzz__set(), &live, &opts) == 0) {
			for (size_t i = 0; i < p->step_count; i++)
				for (size_t j = 0; j < p->steps[i].dep_count; j++)
					if (p->steps[i].depends_on[j] >= i)
						abort();
			if (render_plan_text(&b, p, NULL) < 0 || render_plan_json(&b, p) < 0 ||
			    render_plan_markdown(&b, p, NULL, 0) < 0 || render_plan_mermaid(&b, p) < 0 ||
			    render_plan_dot(&b, p) < 0 || plan_fingerprint(fp, &live, p->touched, p->touched_count) < 0)
				cmk_buf_clear(&b);
			cmk_buf_free(&b);
			plan_free(p);
		}
		live_state_free(&live);
	}
	cJSON_Delete(json);
	return 0;
}

#ifdef FUZZ_REPLAY_MAIN
/* Replay each file named on the command line through the target. */
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		cmk_buf b = CMK_BUF_INIT;

		if (cmk_buf_read_file(&b, argv[i]) < 0) {
			fprintf(stderr, "%s\n", cmk_error_last());
			return 1;
		}
		LLVMFuzzerTestOneInput((const uint8_t *)b.ptr, b.len);
		cmk_buf_free(&b);
	}
	manifest_set_free(fuzz__set());
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif
