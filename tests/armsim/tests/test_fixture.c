/*
 * test_fixture.c - fixtures: every kind of bad fixture is refused at start
 * with a message saying what and where (file:line:column for syntax), and a
 * state dump loads back into a fresh armsim with nothing lost, running
 * asynchronous operations included.
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
	expect_refused("badop.yaml",
		       "operations:\n  - {id: 0f000000-0000-4000-8000-000000000001, kind: cluster.create, status: InProgress,\n"
		       "     resourceId: /x/clusters/c, _sim: {startMs: 1, endMs: 2, complete: la.nope}}\n",
		       "operation 0f000000-0000-4000-8000-000000000001 (cluster.create on /x/clusters/c): "
		       "unknown completion callback 'la.nope'");
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

/* The path and query of an absolute operation URL (the port changes on a
 * restart; the path stays). */
static const char *op_path(const armsim_http_resp *r, const char *header)
{
	static char url[2][8192];
	static int i;
	char *u = url[i++ & 1];
	assert_true(armsim_http_header(r, header, u, sizeof url[0]));
	char *p = strstr(u, "://");
	assert_non_null(p);
	p = strchr(p + 3, '/');
	assert_non_null(p);
	return p;
}

static void expect_status(const char *path, const char *want)
{
	armsim_http_resp r = check_arm("GET", path, NULL);
	assert_int_equal(r.status, 200);
	if (strcmp(check_str(r.json, "status"), want))
		fail_msg("operation %s: status %s, want %s", path, check_str(r.json, "status"), want);
	armsim_http_free(&r);
}

/* A running operation survives a dump and load: polled at the same URLs
 * it is still running, and ends on the virtual clock doing what it would
 * have done (a new armsim from the dump; a PUT of the dump into the same). */
static void test_fixture__running_operations_survive_reload(void **state)
{
	(void)state;
	assert_int_equal(check_start("la.yaml", 1), 0);
	armsim_http_resp r = check_arm("PUT", RGP "/clusters/midway?api-version=2021-06-01",
		"{\"location\":\"eastus\",\"identity\":{\"type\":\"SystemAssigned\"},\"sku\":{\"name\":\"capacityReservation\",\"capacity\":1000}}");
	assert_int_equal(r.status, 202);
	char status[8192], result[8192];
	snprintf(status, sizeof status, "%s", op_path(&r, "Azure-AsyncOperation"));
	snprintf(result, sizeof result, "%s", op_path(&r, "Location"));
	armsim_http_free(&r);
	check_advance(1800); /* a quarter of the 2 h creation */
	expect_status(status, "InProgress");

	cJSON *dump = check_admin("GET", "/_sim/state", NULL);
	char *text = cJSON_Print(dump);
	cJSON_Delete(dump);
	const char *path = write_file("running.json", text);
	free(text);
	assert_int_equal(check_stop(NULL), 0);
	armsim_opts o = { .fixture = path };
	assert_int_equal(armsim_start(&g_sim, &o), 0);

	expect_status(status, "InProgress");
	r = check_arm("GET", result, NULL);
	assert_int_equal(r.status, 202);
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/clusters/midway?api-version=2021-06-01", NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Creating");
	armsim_http_free(&r);
	check_advance(1900); /* past halfway: the step a timer makes came back too */
	r = check_arm("GET", RGP "/clusters/midway?api-version=2021-06-01", NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "ProvisioningAccount");
	armsim_http_free(&r);
	/* the cluster is still busy: a write is refused */
	r = check_arm("PATCH", RGP "/clusters/midway?api-version=2021-06-01", "{\"sku\":{\"capacity\":1100}}");
	assert_int_equal(r.status, 400);
	armsim_http_free(&r);
	check_advance(3400); /* 1 h 58 min 20 s in all: not yet */
	expect_status(status, "InProgress");
	check_advance(200);
	expect_status(status, "Succeeded");
	r = check_arm("GET", result, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);
	r = check_arm("GET", RGP "/clusters/midway?api-version=2021-06-01", NULL);
	assert_string_equal(check_str(r.json, "properties.provisioningState"), "Succeeded");
	armsim_http_free(&r);

	/* a workspace link, the dump PUT back into the running armsim */
	r = check_arm("PUT", RGP "/workspaces/ws1/linkedServices/cluster?api-version=2020-08-01",
		      "{\"properties\":{\"writeAccessResourceId\":\"" RGP "/clusters/midway\"}}");
	assert_int_equal(r.status, 201);
	snprintf(status, sizeof status, "%s", op_path(&r, "Azure-AsyncOperation"));
	armsim_http_free(&r);
	check_advance(600);
	dump = check_admin("GET", "/_sim/state", NULL);
	text = cJSON_PrintUnformatted(dump);
	cJSON_Delete(dump);
	cJSON_Delete(check_admin("PUT", "/_sim/state", text));
	free(text);
	expect_status(status, "InProgress");
	r = check_arm("GET", RGP "/workspaces/ws1?api-version=2021-06-01", NULL);
	assert_null(check_get(r.json, "properties.features.clusterResourceId"));
	armsim_http_free(&r);
	check_advance(1300); /* 31 min 40 s: the 30 min link is done */
	expect_status(status, "Succeeded");
	r = check_arm("GET", RGP "/workspaces/ws1?api-version=2021-06-01", NULL);
	assert_non_null(strstr(check_str(r.json, "properties.features.clusterResourceId"), "/clusters/midway"));
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
		cmocka_unit_test(test_fixture__running_operations_survive_reload),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
