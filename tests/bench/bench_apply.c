/*
 * bench_apply.c - how close an apply comes to its physical floor, and what
 * it costs in requests: one Log Analytics cluster (system-assigned
 * identity, so create -> key grant -> key update) and N (default 1000)
 * workspace links, from an empty estate, run in-process through the same
 * code as `cmkctl apply` (plan_input, plan_build, executor_run) against
 * armsim with its clock scaled.
 *
 * Prints:
 *  - apply wall time (in armsim's virtual seconds) divided by the critical
 *    path of armsim's configured durations: clusterCreateSeconds +
 *    clusterKeyUpdateSeconds + linkSeconds (target <= 1.05). armsim's write
 *    bucket is made large enough for N writes at once: ARM's real refill
 *    (10 writes/s) runs on the real clock, which a scaled run cannot
 *    shrink; the pacing that would absorb it is the provider's (retry.h);
 *  - polls per operation against ceil(duration / Retry-After) + 1, and the
 *    workspace lists that watched the N links (instead of N polls each);
 *  - the requests of a no-change plan of the converged estate, cold client
 *    (target <= 10).
 *
 * Usage: bench_apply [workspaces [time-scale [arm-limits]]]   (defaults 1000,
 * 400). With "arm-limits" armsim keeps ARM's write bucket (200, refilled
 * 10/s on the real clock): the run then shows the pacing (no 429) and
 * what the write budget adds at that time scale.
 * Exits 1 when the apply or the plan is wrong (not for missed targets).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/arm_id.h"
#include "planner/plan.h"
#include "providers/arm.h"
#include "reconciler/executor.h"
#include "reconciler/live_azure.h"
#include "reconciler/plan_input.h"
#include "reconciler/report.h"
#include "tests/armsim/harness.h"

#define SUB "5ab50000-0000-4000-8000-0000000000ba"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define CLIENT "c1c10000-0000-4000-8000-000000000001"
#define CI_OID "0b1e0000-0000-4000-8000-000000000001"
#define RG "/subscriptions/" SUB "/resourceGroups/"
#define CLUSTER RG "rg-la/providers/Microsoft.OperationalInsights/clusters/la-bench"
#define VAULT RG "rg-kv/providers/Microsoft.KeyVault/vaults/kvbenchapply"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void ws_id(char *out, size_t size, int i)
{
	snprintf(out, size, RG "rg-ws%d/providers/Microsoft.OperationalInsights/workspaces/ws%04d", i % 10, i);
}

static int write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (!fp)
		return -1;
	fputs(text, fp);
	return fclose(fp) == 0 ? 0 : -1;
}

/* armsim's estate: the vault and key, N unlinked workspaces, no cluster. */
static int write_fixture(const char *path, int n)
{
	cJSON *f = cJSON_CreateObject(), *a, *o, *p;
	char buf[256];
	char *text;
	int rc;

	cJSON_AddStringToObject(f, "tenantId", TENANT);
	cJSON_AddStringToObject(f, "defaultClient", CLIENT);
	o = cJSON_AddObjectToObject(f, "settings");
	cJSON_AddNumberToObject(o, "pageSize", n + 1);
	cJSON_AddNumberToObject(o, "maxLinksPerCluster", n > 1000 ? n : 1000);
	a = cJSON_AddArrayToObject(f, "principals");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "displayName", "cmkctl-bench");
	cJSON_AddStringToObject(o, "clientId", CLIENT);
	cJSON_AddStringToObject(o, "objectId", CI_OID);
	cJSON_AddStringToObject(o, "secret", "bench-secret-0123456789");
	p = cJSON_AddArrayToObject(o, "roles");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(p, o);
	cJSON_AddStringToObject(o, "role", "Owner");
	cJSON_AddStringToObject(o, "scope", "/subscriptions/" SUB);
	a = cJSON_AddArrayToObject(f, "subscriptions");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "subscriptionId", SUB);
	a = cJSON_AddArrayToObject(f, "resourceGroups");
	for (int g = -2; g < 10; g++) {
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "subscriptionId", SUB);
		snprintf(buf, sizeof(buf), g == -2 ? "rg-la" : g == -1 ? "rg-kv" : "rg-ws%d", g);
		cJSON_AddStringToObject(o, "name", buf);
		cJSON_AddStringToObject(o, "location", "eastus");
	}
	a = cJSON_AddArrayToObject(f, "resources");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "id", VAULT);
	cJSON_AddStringToObject(o, "location", "eastus");
	p = cJSON_AddObjectToObject(o, "properties");
	cJSON_AddBoolToObject(p, "enableSoftDelete", 1);
	cJSON_AddBoolToObject(p, "enablePurgeProtection", 1);
	{
		/* the pipeline's principal reads the key */
		cJSON *pols = cJSON_AddArrayToObject(p, "accessPolicies"), *pol = cJSON_CreateObject();
		const char *perms[] = { "get", "list" };

		cJSON_AddItemToArray(pols, pol);
		cJSON_AddStringToObject(pol, "tenantId", TENANT);
		cJSON_AddStringToObject(pol, "objectId", CI_OID);
		cJSON_AddItemToObject(cJSON_AddObjectToObject(pol, "permissions"), "keys",
				      cJSON_CreateStringArray(perms, 2));
	}
	for (int i = 0; i < n; i++) {
		ws_id(buf, sizeof(buf), i);
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "id", buf);
		cJSON_AddStringToObject(o, "location", "eastus");
		cJSON_AddObjectToObject(o, "properties");
	}
	a = cJSON_AddArrayToObject(f, "keys");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "vault", "kvbenchapply");
	cJSON_AddStringToObject(o, "name", "la-key");
	text = cJSON_PrintUnformatted(f);
	cJSON_Delete(f);
	rc = text ? write_text(path, text) : -1;
	free(text);
	return rc;
}

static int write_manifests(const char *path, int n)
{
	FILE *fp = fopen(path, "w");
	char id[256];

	if (!fp)
		return -1;
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
		    "  vault: %s\n  key: la-key\n---\n", VAULT);
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: bench}\nspec:\n"
		    "  subscription: %s\n  resourceGroup: rg-la\n  name: la-bench\n  location: eastus\n"
		    "  identity: {type: SystemAssigned}\n  capacity: 1000\n  key: {ref: kek}\n---\n", SUB);
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: bench-ws}\nspec:\n"
		    "  cluster: {ref: bench}\n  workspaces:\n");
	for (int i = 0; i < n; i++) {
		ws_id(id, sizeof(id), i);
		fprintf(fp, "    - %s\n", id);
	}
	return fclose(fp) == 0 ? 0 : -1;
}

static double setting(const cJSON *s, const char *name)
{
	return cJSON_GetNumberValue(cJSON_GetObjectItem(s, name));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	double scale = argc > 2 ? atof(argv[2]) : 400;
	int arm_limits = argc > 3 && strcmp(argv[3], "arm-limits") == 0;
	char dir[] = "/tmp/bench-apply-XXXXXX", fixture[128], manifests[128], buf[64], cmd[160];
	armsim_opts so = { 0 };
	armsim *sim = NULL;
	cJSON *settings = NULL;
	live_azure_conn conn = { 0 };
	source_spec spec = SOURCE_SPEC_INIT;
	plan_options popts = PLAN_OPTIONS_INIT;
	executor_opts eo = { 0 };
	plan_input in;
	plan *p = NULL;
	report *r = NULL;
	arm_stats st;
	double t0, wall_ms, critical, create_s, key_s, link_s, ra;
	unsigned long link_lists = 0;
	int rc = 1;

	memset(&in, 0, sizeof(in));
	if (n < 1 || !(scale > 0) || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_apply [workspaces >= 1 [time-scale > 0]]\n");
		return 64;
	}
	snprintf(fixture, sizeof(fixture), "%s/fixture.json", dir);
	snprintf(manifests, sizeof(manifests), "%s/estate.yaml", dir);
	if (write_fixture(fixture, n) < 0 || write_manifests(manifests, n) < 0) {
		fprintf(stderr, "bench_apply: cannot write %s\n", dir);
		goto out;
	}
	so.fixture = fixture;
	so.time_scale = scale;
	if (armsim_start(&sim, &so) < 0) {
		fprintf(stderr, "bench_apply: %s\n", cmk_error_last());
		goto out;
	}
	armsim_setenv(sim);
	snprintf(buf, sizeof(buf), "%g", scale);
	setenv("CMKCTL_TIME_SCALE", buf, 1);
	snprintf(cmd, sizeof(cmd), "{\"writes\":{\"capacity\":%d,\"refillPerSecond\":10}}", n + 200);
	if ((!arm_limits && armsim_admin(sim, "PUT", "/_sim/throttling", cmd, NULL) != 200) ||
	    armsim_admin(sim, "GET", "/_sim/settings", NULL, &settings) != 200) {
		fprintf(stderr, "bench_apply: admin: %s\n", cmk_error_last());
		goto out;
	}
	create_s = setting(settings, "clusterCreateSeconds");
	key_s = setting(settings, "clusterKeyUpdateSeconds");
	link_s = setting(settings, "linkSeconds");
	ra = setting(settings, "retryAfterSeconds");
	critical = create_s + key_s + link_s;

	/* plan from empty, then apply: what `cmkctl apply` does */
	spec.files[spec.nfiles++] = manifests;
	if (live_azure_connect(&conn, NULL) < 0)
		goto fail;
	in.client = conn.client;
	if (plan_input_open(&in, &spec, NULL, stderr) < 0 || plan_build(&p, in.set, &in.live, &popts) < 0 ||
	    report_new(&r, p) < 0)
		goto fail;
	printf("bench_apply: plan from empty: %lu requests (lists, plus linked-service GETs of unlinked "
	       "workspaces, at most 100, for links in flight)\n", in.live.requests);
	t0 = now_ms();
	if (executor_run(r, conn.client, p, &eo) < 0)
		goto fail;
	wall_ms = now_ms() - t0;
	arm_client_stats(&st, conn.client);

	printf("bench_apply: 1 cluster + %d workspace links from empty, armsim time x%g%s\n", n, scale,
	       arm_limits ? ", ARM's write bucket (200 + 10/s real)" : "");
	printf("  critical path (armsim durations): create %.0f s + key update %.0f s + link %.0f s = %.0f s\n",
	       create_s, key_s, link_s, critical);
	printf("  apply wall time: %.1f s real = %.0f s virtual; ratio to the critical path %.3f "
	       "(target <= 1.05)\n", wall_ms / 1000, wall_ms / 1000 * scale, wall_ms / 1000 * scale / critical);
	for (size_t i = 0; i < p->step_count; i++) {
		const char *kind = plan_step_kind_name(p->steps[i].kind);
		double dur = p->steps[i].kind == PLAN_STEP_CLUSTER_CREATE ? create_s
			     : p->steps[i].kind == PLAN_STEP_CLUSTER_KEY_UPDATE ? key_s : 0;

		if (dur > 0)
			printf("  %s: %u polls; ceil(%.0f / %.0f) + 1 = %.0f\n", kind, r->steps[i].polls, dur, ra,
			       ceil(dur / ra) + 1);
		if (p->steps[i].kind == PLAN_STEP_WORKSPACE_LINK)
			link_lists = r->steps[i].polls > link_lists ? r->steps[i].polls : link_lists;
	}
	printf("  workspace.link: %d operations watched in %lu observation rounds (one workspace list "
	       "each); polled one by one: %d x (ceil(%.0f / %.0f) + 1) = %.0f polls\n", n, link_lists, n, link_s,
	       ra, n * (ceil(link_s / ra) + 1));
	printf("  apply requests: %lu (retries %lu, throttled %lu)\n", st.requests, st.retries, st.throttled);

	/* the no-change plan, with a fresh client as a new CI job has */
	plan_free(p);
	p = NULL;
	plan_input_close(&in);
	memset(&in, 0, sizeof(in));
	live_azure_disconnect(&conn);
	if (live_azure_connect(&conn, NULL) < 0)
		goto fail;
	in.client = conn.client;
	if (plan_input_open(&in, &spec, NULL, stderr) < 0 || plan_build(&p, in.set, &in.live, &popts) < 0)
		goto fail;
	arm_client_stats(&st, conn.client);
	printf("  no-change plan: %s, %lu requests with a cold client (2 of them tokens; target <= 10)\n",
	       plan_has_changes(p) ? "CHANGES (wrong)" : "no changes", st.requests);
	rc = plan_has_changes(p) || !report_ok(r) ? 1 : 0;
	goto out;
fail:
	fprintf(stderr, "bench_apply: %s\n", cmk_error_last());
out:
	plan_free(p);
	report_free(r);
	plan_input_close(&in);
	live_azure_disconnect(&conn);
	cJSON_Delete(settings);
	if (sim)
		(void)armsim_stop(sim);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_apply: could not remove %s\n", dir);
	return rc;
}
