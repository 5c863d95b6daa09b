/*
 * test_fixture.c - fixtures: every kind of bad fixture is refused at start
 * with a message saying what and where (file:line:column for syntax), and a
 * state dump loads back into a fresh armsim with nothing lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "common/error.h"

static char g_dir[64];

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof path, "%s/%s", g_dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* armsim must refuse to start and say `want` */
static void expect_refused(const char *name, const char *text, const char *want)
{
	armsim *sim = NULL;
	armsim_opts o = { .fixture = write_file(name, text) };
	int rc = armsim_start(&sim, &o);
	if (rc == 0) {
		armsim_stop(sim);
		fail_msg("armsim started with fixture %s", name);
	}
	if (!strstr(cmk_error_last(), want))
		fail_msg("expected the error to contain\n  %s\ngot\n  %s", want, cmk_error_last());
}

static void test_fixture__yaml_syntax_error_has_position(void **state)
{
	(void)state;
	expect_refused("bad.yaml", "tenantId: 1\nsubscriptions:\n  - {subscriptionId: x\n", "bad.yaml:4:1: YAML error");
}

static void test_fixture__json_syntax_error_has_position(void **state)
{
	(void)state;
	expect_refused("bad.json", "{\n  \"tenantId\": \"t\",\n  \"subscriptions\": [\n", "bad.json:3:21: invalid JSON");
}

static void test_fixture__semantic_errors_name_the_entry(void **state)
{
	(void)state;
	expect_refused("noid.yaml", "resources:\n  - {location: eastus}\n", "resources[0]: missing \"id\"");
	expect_refused("badrole.yaml",
		       "principals:\n  - {clientId: a, objectId: b, roles: [{role: Wizard, scope: /subscriptions/x}]}\n",
		       "principals[0].roles: unknown role 'Wizard'");
	expect_refused("nokv.yaml", "keys:\n  - {vault: nokv, name: k}\n", "keys[0]: vault 'nokv' is not in the fixture");
	expect_refused("badsetting.yaml", "settings: {pageSiz: 3}\n", "settings: unknown setting 'pageSiz'");
	expect_refused("notype.yaml", "resources:\n  - {id: /nothing/here}\n", "resources[0]: cannot tell the type of id '/nothing/here'");
	expect_refused("norg.yaml", "resourceGroups:\n  - {name: rg}\n", "resourceGroups[0]: needs subscriptionId, name, location");
}

static void test_fixture__dump_loads_back(void **state)
{
	(void)state;
	assert_int_equal(check_start("la.yaml", 1), 0);
	/* some state worth keeping: a cluster, its key, a link, a rotated key */
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/keepme?api-version=2021-06-01",
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	check_advance(7300);
	r = check_arm("PUT", RGP "/workspaces/ws1/linkedServices/cluster?api-version=2020-08-01",
		      "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/keepme\"}}");
	assert_int_equal(r.status, 201);
	armsim_http_free(&r);
	check_advance(3600);
	cJSON_Delete(check_admin("POST", "/_sim/keys/rotate", "{\"vault\":\"kv-cmk-eus\",\"name\":\"la-key\"}"));
	r = check_arm("GET", RGP "/clusters/keepme?api-version=2026-03-01", NULL);
	char *before = cJSON_PrintUnformatted(r.json);
	armsim_http_free(&r);

	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *text = cJSON_Print(dump);
	cJSON_Delete(dump);
	const char *path = write_file("dump.json", text);
	free(text);
	assert_int_equal(check_stop(NULL), 0);

	armsim_opts o = { .fixture = path };
	assert_int_equal(armsim_start(&g_sim, &o), 0);
	r = check_arm("GET", RGP "/clusters/keepme?api-version=2026-03-01", NULL);
	assert_int_equal(r.status, 200);
	cJSON *after = r.json;
	cJSON *b = cJSON_Parse(before);
	/* same principal, same link, same dates */
	assert_string_equal(check_str(after, "identity.principalId"), check_str(b, "identity.principalId"));
	assert_string_equal(check_str(after, "properties.createdDate"), check_str(b, "properties.createdDate"));
	assert_int_equal(cJSON_GetArraySize(check_get(after, "properties.associatedWorkspaces")), 1);
	cJSON_Delete(b);
	free(before);
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/workspaces/ws1?api-version=2021-06-01", NULL);
	assert_non_null(strstr(check_str(r.json, "properties.features.clusterResourceId"), "/clusters/keepme"));
	armsim_http_free(&r);
	/* the link budget survived (one operation used) */
	cJSON *st = check_admin("GET", "/_sim/state", NULL);
	bool found = false;
	const cJSON *res;
	cJSON_ArrayForEach(res, check_get(st, "resources"))
		if (check_str(res, "name") && !strcmp(check_str(res, "name"), "ws1") && check_get(res, "_sim.linkOps"))
			found = cJSON_GetArraySize(check_get(res, "_sim.linkOps")) == 1;
	assert_true(found);
	cJSON_Delete(st);
	/* the vault URI follows the new port */
	r = check_arm("GET", "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-cmk-eus?api-version=2023-07-01", NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.vaultUri"),
				    check_fmt("https://kv-cmk-eus.vault.localhost:%d/", g_sim->port));
	armsim_http_free(&r);
	assert_int_equal(check_stop(NULL), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof g_dir, "/tmp/armsim-fixture-XXXXXX");
	return mkdtemp(g_dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture__yaml_syntax_error_has_position),
		cmocka_unit_test(test_fixture__json_syntax_error_has_position),
		cmocka_unit_test(test_fixture__semantic_errors_name_the_entry),
		cmocka_unit_test(test_fixture__dump_loads_back),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
