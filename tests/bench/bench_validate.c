/*
 * bench_validate.c - how long validation of a large manifest set takes.
 *
 * Generates 10,000 workspace entries across 10 files in a temporary
 * directory (per file: one cluster in its own subscription and one
 * WorkspaceLink with 1,000 workspaces; one KeyVaultKey in the first file),
 * then loads and validates the directory through the real loader, several
 * times, and prints wall time, CPU time and peak RSS. It prints figures; it
 * asserts only that the set is valid (the ctest smoke run relies on that).
 *
 * usage: bench_validate [runs]   (default 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"

#define FILES 10
#define PER_FILE 1000

static double now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_files(const char *dir, size_t *bytes)
{
	*bytes = 0;
	for (int f = 0; f < FILES; f++) {
		char path[512], sub[40];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/links-%02d.yaml", dir, f);
		snprintf(sub, sizeof(sub), "5d3e9a47-1c2b-4f6e-9a8d-%012d", f);
		if ((fp = fopen(path, "w")) == NULL)
			return -1;
		if (f == 0)
			fprintf(fp, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
				    "  vault: /subscriptions/%s/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-bench\n"
				    "  key: la-cmk\n  location: eastus\n---\n", sub);
		fprintf(fp, "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: cluster-%02d}\nspec:\n"
			    "  subscription: %s\n  resourceGroup: rg-monitor\n  name: labench%02d\n  location: eastus\n"
			    "  identity: {type: SystemAssigned}\n  capacity: 1000\n  key: {ref: kek}\n---\n"
			    "apiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: links-%02d}\nspec:\n"
			    "  cluster: {ref: cluster-%02d}\n  workspaces:\n", f, sub, f, f, f);
		for (int w = 0; w < PER_FILE; w++)
			fprintf(fp, "    - /subscriptions/%s/resourceGroups/rg-app-%03d/providers/"
				    "Microsoft.OperationalInsights/workspaces/law-bench-%02d-%04d\n", sub, w % 100, f, w);
		*bytes += (size_t)ftell(fp);
		if (fclose(fp) != 0)
			return -1;
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cmk-bench-validate-XXXXXX", cmd[64];
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	double wall[64], cpu[64];
	size_t bytes = 0, docs = 0, workspaces = 0;
	struct rusage ru;
	int rc = 1;

	if (runs < 1 || runs > 64)
		runs = 5;
	if (!mkdtemp(dir) || write_files(dir, &bytes) < 0) {
		perror("bench_validate: cannot write the manifests");
		return 1;
	}
	for (int r = 0; r < runs; r++) {
		manifest_diags diags = MANIFEST_DIAGS_INIT;
		manifest_set *set = NULL;
		double w0 = now_s(CLOCK_MONOTONIC), c0 = now_s(CLOCK_PROCESS_CPUTIME_ID);

		if (manifest_set_new(&set) < 0 || manifest_load_path(set, &diags, dir) < 0 ||
		    validate_manifest_set(&diags, set) < 0) {
			fprintf(stderr, "bench_validate: %s\n", cmk_error_last());
			goto out;
		}
		wall[r] = now_s(CLOCK_MONOTONIC) - w0;
		cpu[r] = now_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		docs = set->count;
		workspaces = 0;
		for (size_t i = 0; i < set->count; i++)
			if (set->docs[i]->kind == MANIFEST_KIND_WORKSPACE_LINK)
				workspaces += set->docs[i]->spec.workspace_link.workspace_count;
		if (manifest_diags_total(&diags) != 0) {
			manifest_diags_print_text(stderr, &diags);
			fprintf(stderr, "bench_validate: the generated set should be valid\n");
			manifest_set_free(set);
			manifest_diags_free(&diags);
			goto out;
		}
		manifest_set_free(set);
		manifest_diags_free(&diags);
	}
	if (workspaces != FILES * PER_FILE) {
		fprintf(stderr, "bench_validate: loaded %zu workspace entries, expected %d\n", workspaces,
			FILES * PER_FILE);
		goto out;
	}
	getrusage(RUSAGE_SELF, &ru);
	{
		double ws[64], cs[64];

		memcpy(ws, wall, sizeof(double) * (size_t)runs);
		memcpy(cs, cpu, sizeof(double) * (size_t)runs);
		qsort(ws, (size_t)runs, sizeof(double), cmp_double);
		qsort(cs, (size_t)runs, sizeof(double), cmp_double);
		printf("validate: %zu workspace entries, %zu documents, %d files, %.1f MiB of YAML\n", workspaces,
		       docs, FILES, (double)bytes / (1024.0 * 1024.0));
		printf("  runs %d: wall median %.1f ms (min %.1f, max %.1f), CPU median %.1f ms\n", runs,
		       ws[runs / 2] * 1e3, ws[0] * 1e3, ws[runs - 1] * 1e3, cs[runs / 2] * 1e3);
		printf("  peak RSS %.1f MiB (whole process)\n", (double)ru.ru_maxrss / 1024.0);
	}
	rc = 0;
out:
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_validate: could not remove %s\n", dir);
	return rc;
}
