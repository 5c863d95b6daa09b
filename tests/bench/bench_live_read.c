/*
 * bench_live_read.c - how many requests a no-change read of the live state
 * takes: one Log Analytics cluster with N (default 1000) linked workspaces
 * in one subscription, its Key Vault and key, read by live_read against
 * armsim over HTTPS. The design's target is <= 10 requests; a GET per
 * workspace would be over 1000.
 *
 * Usage: bench_live_read [workspaces]
 * Prints the count of a cold read (fresh client: its two token requests
 * included) and of a warm one (tokens cached), next to the target. The
 * workspace list is one response (the 2026-03-01 spec's list is not paged);
 * a server that paged it would add a request per page, which live_read
 * follows. Exits 1 when the read is wrong or the cold read exceeds the
 * target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/arm_id.h"
#include "providers/arm.h"
#include "providers/cloud.h"
#include "providers/live_read.h"
#include "tests/armsim/harness.h"

#define SUB "5ab50000-0000-4000-8000-0000000000be"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define CLIENT "c1c10000-0000-4000-8000-000000000001"
#define CI_OID "0b1e0000-0000-4000-8000-000000000001"
#define RG "/subscriptions/" SUB "/resourceGroups/"
#define CLUSTER RG "rg-la/providers/Microsoft.OperationalInsights/clusters/la-bench"
#define VAULT RG "rg-kv/providers/Microsoft.KeyVault/vaults/kvbench"
#define TARGET 10

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char *ws_id(int i)
{
	char *id = malloc(160);

	if (id)
		snprintf(id, 160, RG "rg-ws%d/providers/Microsoft.OperationalInsights/workspaces/ws%04d",
			 i % 10, i);
	return id;
}

/* The fixture: the cluster, N workspaces linked to it (10 resource groups),
 * the vault with the key. */
static int write_fixture(const char *path, int n, int page_size)
{
	cJSON *f = cJSON_CreateObject(), *a, *o, *p;
	char *text;
	FILE *fp;
	char buf[64];

	cJSON_AddStringToObject(f, "tenantId", TENANT);
	cJSON_AddStringToObject(f, "defaultClient", CLIENT);
	o = cJSON_AddObjectToObject(f, "settings");
	/* one page for every list, as the service serves the workspace list */
	cJSON_AddNumberToObject(o, "pageSize", page_size);
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
	cJSON_AddStringToObject(o, "displayName", "bench");
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
	cJSON *pols = cJSON_AddArrayToObject(p, "accessPolicies"), *pol = cJSON_CreateObject();
	cJSON_AddItemToArray(pols, pol);
	cJSON_AddStringToObject(pol, "tenantId", TENANT);
	cJSON_AddStringToObject(pol, "objectId", CI_OID);
	const char *perms[] = { "get", "list" };
	cJSON_AddItemToObject(cJSON_AddObjectToObject(pol, "permissions"), "keys",
			      cJSON_CreateStringArray(perms, 2));
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "id", CLUSTER);
	cJSON_AddStringToObject(o, "location", "eastus");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "identity"), "type", "SystemAssigned");
	p = cJSON_AddObjectToObject(o, "sku");
	cJSON_AddStringToObject(p, "name", "CapacityReservation");
	cJSON_AddNumberToObject(p, "capacity", 1000);
	p = cJSON_AddObjectToObject(o, "properties");
	cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
	cJSON_AddStringToObject(p, "billingType", "Cluster");
	for (int i = 0; i < n; i++) {
		char *id = ws_id(i);

		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "location", "eastus");
		p = cJSON_AddObjectToObject(o, "properties");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "features"), "clusterResourceId",
					CLUSTER);
		free(id);
	}
	a = cJSON_AddArrayToObject(f, "keys");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "vault", "kvbench");
	cJSON_AddStringToObject(o, "name", "la-key");
	cJSON_AddStringToObject(o, "kty", "RSA");
	cJSON_AddNumberToObject(o, "keySize", 2048);
	text = cJSON_PrintUnformatted(f);
	cJSON_Delete(f);
	if (!text || (fp = fopen(path, "w")) == NULL) {
		free(text);
		return -1;
	}
	fputs(text, fp);
	free(text);
	return fclose(fp) == 0 ? 0 : -1;
}

/* One read; checks what it saw. Returns the request count or -1. */
static long read_once(arm_client *c, const live_scope *scope, int n, double *ms)
{
	live_state s = { 0 };
	double t0 = now_ms();
	long linked = 0, requests;

	if (live_read(&s, c, scope) < 0) {
		fprintf(stderr, "bench_live_read: %s\n", cmk_error_last());
		return -1;
	}
	*ms = now_ms() - t0;
	for (size_t i = 0; i < s.workspace_count; i++)
		if (s.workspaces[i].cluster_resource_id &&
		    arm_id_equal(s.workspaces[i].cluster_resource_id, CLUSTER))
			linked++;
	requests = (long)s.requests;
	if (linked != n || !live_find_cluster(&s, CLUSTER) || !live_find_key(&s, VAULT, "la-key") ||
	    !live_find_key(&s, VAULT, "la-key")->exists) {
		fprintf(stderr, "bench_live_read: wrong read: %ld of %d workspaces linked, cluster %s, "
			"key %s\n", linked, n, live_find_cluster(&s, CLUSTER) ? "found" : "missing",
			live_find_key(&s, VAULT, "la-key") ? "found" : "missing");
		requests = -1;
	}
	live_state_free(&s);
	return requests;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000;
	char dir[] = "/tmp/bench-live-read-XXXXXX", path[128];
	armsim *sim = NULL;
	arm_cloud *cloud = NULL;
	arm_client *c = NULL;
	char **ids = NULL;
	int rc = 1;
	double ms;
	long cold, warm;

	if (n < 1 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_live_read [workspaces >= 1]\n");
		return 64;
	}
	snprintf(path, sizeof(path), "%s/fixture.json", dir);
	if (write_fixture(path, n, n + 1) < 0) {
		fprintf(stderr, "bench_live_read: cannot write %s\n", path);
		goto out;
	}
	armsim_opts o = { .fixture = path, .time_scale = 1000.0, .seed = 3 };
	if (armsim_start(&sim, &o) < 0) {
		fprintf(stderr, "bench_live_read: armsim: %s\n", cmk_error_last());
		goto out;
	}
	armsim_setenv(sim);
	unsetenv("CMKCTL_CREDENTIAL");
	if (arm_cloud_resolve(&cloud, NULL) < 0) {
		fprintf(stderr, "bench_live_read: cloud: %s\n", cmk_error_last());
		goto out;
	}
	arm_client_opts co = { .cloud = cloud, .time_scale = 1000.0 };
	if (arm_client_new(&c, &co) < 0) {
		fprintf(stderr, "bench_live_read: client: %s\n", cmk_error_last());
		goto out;
	}
	if ((ids = calloc((size_t)n, sizeof(char *))) == NULL)
		goto out;
	for (int i = 0; i < n; i++)
		if ((ids[i] = ws_id(i)) == NULL)
			goto out;
	const char *clusters[] = { CLUSTER }, *vaults[] = { VAULT };
	const live_scope_key keys[] = { { VAULT, "la-key" } };
	live_scope scope = { .clusters = clusters, .cluster_count = 1,
			     .workspaces = (const char *const *)ids, .workspace_count = (size_t)n,
			     .vaults = vaults, .vault_count = 1, .keys = keys, .key_count = 1,
			     .link_state = true };

	printf("no-change live read: 1 cluster, %d linked workspaces, 1 subscription, 1 vault, 1 key\n",
	       n);
	if ((cold = read_once(c, &scope, n, &ms)) < 0)
		goto out;
	printf("  cold (fresh client, 2 token requests included): %ld requests in %.0f ms   "
	       "[target <= %d]\n", cold, ms, TARGET);
	if ((warm = read_once(c, &scope, n, &ms)) < 0)
		goto out;
	printf("  warm (tokens cached):                            %ld requests in %.0f ms   "
	       "[target <= %d]\n", warm, ms, TARGET);
	printf("  a GET per workspace would be %d requests\n", n + 4);
	rc = cold <= TARGET && warm <= TARGET ? 0 : 1;
	if (rc)
		fprintf(stderr, "bench_live_read: over the target of %d requests\n", TARGET);
out:
	for (int i = 0; ids && i < n; i++)
		free(ids[i]);
	free(ids);
	arm_client_free(c);
	arm_cloud_free(cloud);
	armsim_stop(sim);
	unlink(path);
	rmdir(dir);
	return rc;
}
