/*
 * bench_plan.c - CPU time and peak memory of `cmkctl plan` over a large
 * estate: 10 clusters (5 subscriptions, 2 each - the per-region quota)
 * with N workspaces in all (default 10,000; 1000 per cluster at most),
 * every other one already linked, planned from a live-state file so the
 * figure is the tool's own work (YAML, validation, live JSON, diff, JSON
 * rendering), not the network's.
 *
 * Runs the built binary (`cmkctl plan -f DIR --live-state FILE -o json`,
 * stdout discarded) and reads its rusage: user+system CPU seconds and peak
 * RSS, next to the targets (< 0.5 s, < 64 MiB). Usage: bench_plan
 * [workspaces]. Exits 1 when the plan fails (not for missed targets).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#define TENANT "72f988bf-86f1-41af-91ab-2d7cd011db47"
#define CLUSTERS 10
#define VAULT "/subscriptions/00000000-0000-4000-8000-000000000000/resourceGroups/rg-keys/providers/" \
	      "Microsoft.KeyVault/vaults/kv-bench"
#define VAULT_URI "https://kv-bench.vault.azure.net/"
#define VERSION "2222222222222222bbbbbbbbbbbbbbbb"

static void sub_of(char *out, size_t size, int cluster)
{
	snprintf(out, size, "00000000-0000-4000-8000-%012d", cluster / 2);
}

static void cluster_id(char *out, size_t size, int c)
{
	char sub[64];

	sub_of(sub, sizeof(sub), c);
	snprintf(out, size, "/subscriptions/%s/resourceGroups/rg-la/providers/Microsoft.OperationalInsights/"
		 "clusters/la-bench-%02d", sub, c);
}

static void ws_id(char *out, size_t size, int c, int i)
{
	char sub[64];

	sub_of(sub, sizeof(sub), c);
	snprintf(out, size, "/subscriptions/%s/resourceGroups/rg-ws%d/providers/Microsoft.OperationalInsights/"
		 "workspaces/ws-%02d-%04d", sub, i % 10, c, i);
}

static int write_manifests(const char *path, int n)
{
	FILE *fp = fopen(path, "w");
	char id[256], sub[64];

	if (!fp)
		return -1;
	fprintf(fp, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
		    "  vault: %s\n  key: la-cmk\n  location: eastus\n", VAULT);
	for (int c = 0; c < CLUSTERS; c++) {
		sub_of(sub, sizeof(sub), c);
		fprintf(fp, "---\napiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: c%02d}\nspec:\n"
			    "  subscription: %s\n  resourceGroup: rg-la\n  name: la-bench-%02d\n  location: eastus\n"
			    "  identity: {type: SystemAssigned}\n  capacity: 1000\n  key: {ref: kek}\n", c, sub, c);
		fprintf(fp, "---\napiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: ws%02d}\nspec:\n"
			    "  cluster: {ref: c%02d}\n  workspaces:\n", c, c);
		for (int i = 0; i < n / CLUSTERS; i++) {
			ws_id(id, sizeof(id), c, i);
			fprintf(fp, "    - %s\n", id);
		}
	}
	return fclose(fp) == 0 ? 0 : -1;
}

static int write_live(const char *path, int n)
{
	cJSON *doc = cJSON_CreateObject(), *a, *o, *x;
	char id[256], sub[64];
	char *text;
	FILE *fp;

	a = cJSON_AddArrayToObject(doc, "subscriptions");
	for (int c = 0; c < CLUSTERS; c += 2) {
		sub_of(sub, sizeof(sub), c);
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "id", sub);
		cJSON_AddStringToObject(o, "tenantId", TENANT);
	}
	a = cJSON_AddArrayToObject(doc, "clusters");
	for (int c = 0; c < CLUSTERS; c++) {
		char principal[64];

		cluster_id(id, sizeof(id), c);
		snprintf(principal, sizeof(principal), "aaaaaaaa-0000-4000-8000-%012d", c);
		o = cJSON_CreateObject();
		cJSON_AddItemToArray(a, o);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "name", strrchr(id, '/') + 1);
		cJSON_AddStringToObject(o, "location", "eastus");
		cJSON_AddStringToObject(o, "provisioningState", "Succeeded");
		x = cJSON_AddObjectToObject(o, "identity");
		cJSON_AddStringToObject(x, "type", "SystemAssigned");
		cJSON_AddStringToObject(x, "principalId", principal);
		cJSON_AddStringToObject(o, "skuName", "CapacityReservation");
		cJSON_AddNumberToObject(o, "capacity", 1000);
		cJSON_AddStringToObject(o, "billingType", "Cluster");
		x = cJSON_AddObjectToObject(o, "key");
		cJSON_AddStringToObject(x, "vaultUri", VAULT_URI);
		cJSON_AddStringToObject(x, "keyName", "la-cmk");
		cJSON_AddStringToObject(x, "keyVersion", VERSION);
		x = cJSON_AddObjectToObject(o, "tags");
		cJSON_AddStringToObject(x, "cmkctl-managed", "true");
		cJSON_AddStringToObject(x, "cmkctl-deletion-policy", "Retain");
	}
	a = cJSON_AddArrayToObject(doc, "workspaces");
	for (int c = 0; c < CLUSTERS; c++) {
		char cid[256];

		cluster_id(cid, sizeof(cid), c);
		for (int i = 0; i < n / CLUSTERS; i++) {
			ws_id(id, sizeof(id), c, i);
			o = cJSON_CreateObject();
			cJSON_AddItemToArray(a, o);
			cJSON_AddStringToObject(o, "id", id);
			cJSON_AddStringToObject(o, "name", strrchr(id, '/') + 1);
			cJSON_AddStringToObject(o, "location", "eastus");
			cJSON_AddNumberToObject(o, "linkOperations30d", 0);
			if (i % 2 == 0)
				cJSON_AddStringToObject(o, "clusterResourceId", cid);
		}
	}
	a = cJSON_AddArrayToObject(doc, "vaults");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "id", VAULT);
	cJSON_AddStringToObject(o, "name", "kv-bench");
	cJSON_AddStringToObject(o, "location", "eastus");
	cJSON_AddStringToObject(o, "tenantId", TENANT);
	cJSON_AddStringToObject(o, "vaultUri", VAULT_URI);
	cJSON_AddBoolToObject(o, "softDelete", 1);
	cJSON_AddBoolToObject(o, "purgeProtection", 1);
	cJSON_AddBoolToObject(o, "rbacAuthorization", 0);
	x = cJSON_AddArrayToObject(o, "accessPolicies");
	for (int c = 0; c < CLUSTERS; c++) {
		const char *perms[] = { "get", "wrapKey", "unwrapKey" };
		char principal[64];
		cJSON *pol = cJSON_CreateObject();

		snprintf(principal, sizeof(principal), "aaaaaaaa-0000-4000-8000-%012d", c);
		cJSON_AddItemToArray(x, pol);
		cJSON_AddStringToObject(pol, "tenantId", TENANT);
		cJSON_AddStringToObject(pol, "objectId", principal);
		cJSON_AddItemToObject(pol, "keyPermissions", cJSON_CreateStringArray(perms, 3));
	}
	a = cJSON_AddArrayToObject(doc, "keys");
	o = cJSON_CreateObject();
	cJSON_AddItemToArray(a, o);
	cJSON_AddStringToObject(o, "vaultId", VAULT);
	cJSON_AddStringToObject(o, "vaultUri", VAULT_URI);
	cJSON_AddStringToObject(o, "name", "la-cmk");
	cJSON_AddStringToObject(o, "currentVersion", VERSION);
	cJSON_AddStringToObject(o, "kty", "RSA");
	cJSON_AddNumberToObject(o, "keySize", 3072);
	cJSON_AddBoolToObject(o, "enabled", 1);
	text = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!text || (fp = fopen(path, "w")) == NULL) {
		free(text);
		return -1;
	}
	fputs(text, fp);
	free(text);
	return fclose(fp) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10000;
	char dir[] = "/tmp/bench-plan-XXXXXX", manifests[128], live[128], cmd[160];
	struct rusage ru;
	int status = 0, rc = 1;
	double cpu;
	pid_t pid;

	if (n < CLUSTERS || n > CLUSTERS * 1000 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_plan [workspaces, %d..%d]\n", CLUSTERS, CLUSTERS * 1000);
		return 64;
	}
	snprintf(manifests, sizeof(manifests), "%s/estate.yaml", dir);
	snprintf(live, sizeof(live), "%s/live.json", dir);
	if (write_manifests(manifests, n) < 0 || write_live(live, n) < 0) {
		fprintf(stderr, "bench_plan: cannot write %s\n", dir);
		goto out;
	}
	fflush(NULL);
	if ((pid = fork()) == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0)
			_exit(127);
		dup2(null, 1);
		execl(CMKCTL_BINARY, CMKCTL_BINARY, "plan", "-f", manifests, "--live-state", live, "-o", "json",
		      (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		fprintf(stderr, "bench_plan: cannot run %s\n", CMKCTL_BINARY);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_plan: cmkctl plan failed (status %d)\n", status);
		goto out;
	}
	cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	      ru.ru_stime.tv_usec / 1e6;
	printf("bench_plan: cmkctl plan over %d workspaces (%d clusters, %d links to make), live state from a file\n",
	       n, CLUSTERS, n / 2);
	printf("  CPU time %.3f s (target < 0.5 s), peak RSS %.1f MiB (target < 64 MiB)\n", cpu,
	       (double)ru.ru_maxrss / 1024.0);
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_plan: could not remove %s\n", dir);
	return rc;
}
