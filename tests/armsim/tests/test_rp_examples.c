/*
 * test_rp_examples.c - the index of the armspec examples replayed by the
 * Key Vault, keys data plane, managed identity, Kusto and Application
 * Insights suites. It fails when a vendored example of those providers is
 * not listed (a new example must get a replay) or a listed one is missing,
 * so "every example is replayed" stays true as the vendored set changes.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"

typedef struct replay {
	const char *example; /* under ARMSPEC_DIR/examples */
	const char *test;    /* the test that replays it */
} replay;

static const replay replays[] = {
	{ "Microsoft.KeyVault/2026-02-01/getVault.json", "test_keyvault: test_conformance__get_vault" },
	{ "Microsoft.KeyVault/2024-11-01/updateVault.json", "test_keyvault: test_conformance__update_vault" },
	{ "Microsoft.KeyVault/2024-11-01/deleteVault.json", "test_keyvault: test_conformance__delete_then_create_vault" },
	{ "Microsoft.KeyVault/2026-02-01/createVault.json", "test_keyvault: test_conformance__delete_then_create_vault" },
	{ "Microsoft.KeyVault/2024-11-01/listVaultByResourceGroup.json", "test_keyvault: test_conformance__list_vaults" },
	{ "Microsoft.KeyVault/2026-02-01/updateAccessPoliciesAdd.json", "test_keyvault: test_conformance__access_policies_add" },
	{ "KeyVault.data-plane.Keys/7.6/GetKey-example.json", "test_keys_dataplane: test_conformance__get_key" },
	{ "KeyVault.data-plane.Keys/2025-07-01/CreateKey-example.json", "test_keys_dataplane: test_conformance__create_key" },
	{ "KeyVault.data-plane.Keys/2025-07-01/unwrapKey-example.json", "test_keys_dataplane: test_conformance__unwrap_key" },
	{ "Microsoft.ManagedIdentity/2026-05-31/IdentityCreate.json", "test_msi: test_conformance__identity_create" },
	{ "Microsoft.ManagedIdentity/2026-05-31/IdentityGet.json", "test_msi: test_conformance__identity_get" },
	{ "Microsoft.ManagedIdentity/2026-05-31/IdentityDelete.json", "test_msi: test_conformance__identity_delete" },
	{ "Microsoft.Kusto/2024-04-13/KustoClustersCreateOrUpdate.json", "test_kusto: test_conformance__create" },
	{ "Microsoft.Kusto/2024-04-13/KustoClustersGet.json", "test_kusto: test_conformance__get" },
	{ "Microsoft.Kusto/2024-04-13/KustoClustersUpdate.json", "test_kusto: test_conformance__update" },
	{ "Microsoft.Kusto/2024-04-13/KustoClustersDelete.json", "test_kusto: test_conformance__delete" },
	{ "Microsoft.Kusto/2024-04-13/KustoOperationResultsGet.json", "test_kusto: test_conformance__operation_results" },
	{ "Microsoft.Insights/2020-02-02/ComponentsCreate.json", "test_insights: test_conformance__components_create" },
	{ "Microsoft.Insights/2020-02-02/ComponentsGet.json", "test_insights: test_conformance__components_get" },
};

static const char *const providers[] = { "Microsoft.KeyVault", "KeyVault.data-plane.Keys",
					 "Microsoft.ManagedIdentity", "Microsoft.Kusto", "Microsoft.Insights" };

static bool listed(const char *rel)
{
	for (size_t i = 0; i < sizeof replays / sizeof replays[0]; i++)
		if (!strcmp(replays[i].example, rel))
			return true;
	return false;
}

static void test_examples__every_vendored_example_is_replayed(void **state)
{
	(void)state;
	int seen = 0;
	for (size_t p = 0; p < sizeof providers / sizeof providers[0]; p++) {
		char dir[1024];
		snprintf(dir, sizeof dir, "%s/examples/%s", ARMSPEC_DIR, providers[p]);
		DIR *d = opendir(dir);
		if (!d)
			fail_msg("no vendored examples for %s (%s)", providers[p], dir);
		struct dirent *ve;
		while ((ve = readdir(d))) {
			if (ve->d_name[0] == '.')
				continue;
			char vdir[1400];
			snprintf(vdir, sizeof vdir, "%s/%s", dir, ve->d_name);
			DIR *vd = opendir(vdir);
			if (!vd)
				continue;
			struct dirent *fe;
			while ((fe = readdir(vd))) {
				size_t n = strlen(fe->d_name);
				if (n < 6 || strcmp(fe->d_name + n - 5, ".json"))
					continue;
				char rel[1024];
				snprintf(rel, sizeof rel, "%s/%s/%s", providers[p], ve->d_name, fe->d_name);
				if (!listed(rel))
					fail_msg("example %s is vendored but no test replays it", rel);
				seen++;
			}
			closedir(vd);
		}
		closedir(d);
	}
	assert_int_equal(seen, (int)(sizeof replays / sizeof replays[0]));
}

static void test_examples__every_listed_example_exists(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof replays / sizeof replays[0]; i++) {
		char path[1024];
		struct stat st;
		snprintf(path, sizeof path, "%s/examples/%s", ARMSPEC_DIR, replays[i].example);
		if (stat(path, &st) != 0)
			fail_msg("%s (replayed by %s) is not vendored", path, replays[i].test);
	}
}

int main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_examples__every_vendored_example_is_replayed),
		cmocka_unit_test(test_examples__every_listed_example_exists),
	};
	return cmocka_run_group_tests_name("resource-provider examples index", t, NULL, NULL);
}
