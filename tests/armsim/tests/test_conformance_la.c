/*
 * test_conformance_la.c - replay every Microsoft.OperationalInsights example
 * of armspec (2026-03-01) against armsim, with the state each example
 * presumes loaded (fixtures/conformance_la.json), and check that the status
 * is one the example lists and the body matches the example's body for that
 * status (ids and timestamps aside: see helpers/conformance.h). Long-running
 * operations answered 202 are completed on the virtual clock and their final
 * result (Location URL) is compared with the example's 200 body.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "common/error.h"
#include "conformance.h"

#define EXDIR ARMSPEC_DIR "/examples/Microsoft.OperationalInsights/2026-03-01/"

#define RGPATH "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.OperationalInsights"

typedef struct example {
	const char *file;
	const char *method;
	const char *path; /* template: {param} from the example's parameters */
} example;

static const example examples[] = {
	{ "ClustersCreate.json", "PUT", RGPATH "/clusters/{clusterName}" },
	{ "ClustersDelete.json", "DELETE", RGPATH "/clusters/{clusterName}" },
	{ "ClustersGet.json", "GET", RGPATH "/clusters/{clusterName}" },
	{ "ClustersListByResourceGroup.json", "GET", RGPATH "/clusters" },
	{ "ClustersSubscriptionList.json", "GET", "/subscriptions/{subscriptionId}/providers/Microsoft.OperationalInsights/clusters" },
	{ "ClustersUpdate.json", "PATCH", RGPATH "/clusters/{clusterName}" },
	{ "LinkedServicesCreate.json", "PUT", RGPATH "/workspaces/{workspaceName}/linkedServices/{linkedServiceName}" },
	{ "LinkedServicesDelete.json", "DELETE", RGPATH "/workspaces/{workspaceName}/linkedServices/{linkedServiceName}" },
	{ "LinkedServicesGet.json", "GET", RGPATH "/workspaces/{workspaceName}/linkedServices/{linkedServiceName}" },
	{ "LinkedServicesListByWorkspace.json", "GET", RGPATH "/workspaces/{workspaceName}/linkedServices" },
	{ "LinkedStorageAccountsCreate.json", "PUT", RGPATH "/workspaces/{workspaceName}/linkedStorageAccounts/{dataSourceType}" },
	{ "LinkedStorageAccountsDelete.json", "DELETE", RGPATH "/workspaces/{workspaceName}/linkedStorageAccounts/{dataSourceType}" },
	{ "LinkedStorageAccountsGet.json", "GET", RGPATH "/workspaces/{workspaceName}/linkedStorageAccounts/{dataSourceType}" },
	{ "LinkedStorageAccountsListByWorkspace.json", "GET", RGPATH "/workspaces/{workspaceName}/linkedStorageAccounts" },
	{ "OperationStatusesGet.json", "GET", "/subscriptions/{subscriptionId}/providers/Microsoft.OperationalInsights/locations/{location}/operationStatuses/{asyncOperationId}" },
	{ "WorkspacesCreate.json", "PUT", RGPATH "/workspaces/{workspaceName}" },
	{ "WorkspacesDelete.json", "DELETE", RGPATH "/workspaces/{workspaceName}" },
	{ "WorkspacesGet.json", "GET", RGPATH "/workspaces/{workspaceName}" },
	{ "WorkspacesUpdate.json", "PATCH", RGPATH "/workspaces/{workspaceName}" },
};

static cJSON *g_fixture;

static cJSON *load_json(const char *path)
{
	cmk_buf b = CMK_BUF_INIT;
	if (cmk_buf_read_file(&b, path) < 0)
		fail_msg("%s", cmk_error_last());
	cJSON *j = cJSON_Parse(cmk_buf_cstr(&b));
	cmk_buf_free(&b);
	if (!j)
		fail_msg("%s: not JSON", path);
	return j;
}

static void append_arrays(cJSON *dst, const cJSON *src)
{
	for (const cJSON *m = src ? src->child : NULL; m; m = m->next) {
		if (!cJSON_IsArray(m))
			continue;
		cJSON *arr = cJSON_GetObjectItemCaseSensitive(dst, m->string);
		if (!arr)
			arr = cJSON_AddArrayToObject(dst, m->string);
		const cJSON *x;
		cJSON_ArrayForEach(x, m)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(x, 1));
	}
}

/* Fill {name} from the example's parameters; spaces become %20. */
static void build_path(char *out, size_t len, const char *tmpl, const cJSON *params)
{
	size_t o = 0;
	for (const char *p = tmpl; *p && o + 1 < len;) {
		if (*p == '{') {
			const char *e = strchr(p, '}');
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)(e - p - 1), p + 1);
			const char *v = check_str(params, name);
			if (!v)
				fail_msg("example has no parameter %s", name);
			for (; *v && o + 3 < len; v++) {
				if (*v == ' ') {
					memcpy(out + o, "%20", 3);
					o += 3;
				} else {
					out[o++] = *v;
				}
			}
			p = e + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

static void expect_conforms(const cJSON *expected, const cJSON *actual, const char *what)
{
	char why[1024];
	if (!conformance_compare(expected, actual, why, sizeof why)) {
		char *a = actual ? cJSON_Print(actual) : NULL;
		fail_msg("%s does not match the example: %s\nactual body:\n%s", what, why, a ? a : "(none)");
	}
}

static void run_example(const example *ex)
{
	char path[2048], url[2300], state_name[128];
	cJSON *doc = load_json(check_fmt(EXDIR "%s", ex->file));
	const cJSON *params = check_get(doc, "parameters"), *responses = check_get(doc, "responses");

	/* the presumed state: base + this example's additions */
	cJSON *st = cJSON_Duplicate(check_get(g_fixture, "base"), 1);
	snprintf(state_name, sizeof state_name, "%s", ex->file);
	append_arrays(st, cJSON_GetObjectItemCaseSensitive(check_get(g_fixture, "examples"), state_name));
	char *text = cJSON_PrintUnformatted(st);
	cJSON_Delete(check_admin("PUT", "/_sim/state", text));
	free(text);
	cJSON_Delete(st);
	free(g_sim->arm_token); /* principals were reloaded; fetch a fresh token */
	g_sim->arm_token = NULL;
	snprintf(g_sim->client_id, sizeof g_sim->client_id, "%s", check_str(check_get(g_fixture, "base"), "defaultClient"));
	snprintf(g_sim->client_secret, sizeof g_sim->client_secret, "conformance-secret");
	snprintf(g_sim->tenant_id, sizeof g_sim->tenant_id, "%s", check_str(check_get(g_fixture, "base"), "tenantId"));

	build_path(path, sizeof path, ex->path, params);
	snprintf(url, sizeof url, "%s?api-version=%s", path, check_str(params, "api-version"));
	const cJSON *body = check_get(params, "parameters");
	char *btext = body ? cJSON_PrintUnformatted(body) : NULL;
	armsim_http_resp r = check_arm(ex->method, url, btext);
	free(btext);

	char code[8];
	snprintf(code, sizeof code, "%ld", r.status);
	const cJSON *want = cJSON_GetObjectItemCaseSensitive(responses, code);
	if (!want)
		fail_msg("%s %s answered %ld, which the example does not list: %s", ex->method, url, r.status, r.body);
	const cJSON *wbody = check_get(want, "body");
	if (wbody)
		expect_conforms(wbody, r.json, check_fmt("%s %ld body", ex->file, r.status));
	/* every header the example shows must be there */
	const cJSON *h;
	cJSON_ArrayForEach(h, check_get(want, "headers")) {
		char v[4096];
		if (!armsim_http_header(&r, h->string, v, sizeof v))
			fail_msg("%s: header %s missing", ex->file, h->string);
		if (!strcasecmp(h->string, "Location"))
			assert_non_null(strstr(v, "/operationresults/"));
		if (!strcasecmp(h->string, "Azure-AsyncOperation"))
			assert_non_null(strstr(v, "/operationstatuses/"));
	}
	if (r.status == 202 && check_get(responses, "200.body")) {
		/* finish the operation and compare the final result */
		char loc[4096];
		assert_true(armsim_http_header(&r, "Location", loc, sizeof loc));
		check_advance(6 * 3600);
		armsim_http_resp fin = check_arm("GET", loc, NULL);
		assert_int_equal(fin.status, 200);
		expect_conforms(check_get(responses, "200.body"), fin.json, check_fmt("%s final result", ex->file));
		armsim_http_free(&fin);
	}
	armsim_http_free(&r);
	cJSON_Delete(doc);
}

#define EXAMPLE_TEST(i, name) \
	static void test_conformance__##name(void **state) { (void)state; run_example(&examples[i]); }
EXAMPLE_TEST(0, ClustersCreate)
EXAMPLE_TEST(1, ClustersDelete)
EXAMPLE_TEST(2, ClustersGet)
EXAMPLE_TEST(3, ClustersListByResourceGroup)
EXAMPLE_TEST(4, ClustersSubscriptionList)
EXAMPLE_TEST(5, ClustersUpdate)
EXAMPLE_TEST(6, LinkedServicesCreate)
EXAMPLE_TEST(7, LinkedServicesDelete)
EXAMPLE_TEST(8, LinkedServicesGet)
EXAMPLE_TEST(9, LinkedServicesListByWorkspace)
EXAMPLE_TEST(10, LinkedStorageAccountsCreate)
EXAMPLE_TEST(11, LinkedStorageAccountsDelete)
EXAMPLE_TEST(12, LinkedStorageAccountsGet)
EXAMPLE_TEST(13, LinkedStorageAccountsListByWorkspace)
EXAMPLE_TEST(14, OperationStatusesGet)
EXAMPLE_TEST(15, WorkspacesCreate)
EXAMPLE_TEST(16, WorkspacesDelete)
EXAMPLE_TEST(17, WorkspacesGet)
EXAMPLE_TEST(18, WorkspacesUpdate)

/* Every example file in the directory is in the table above. */
static void test_conformance__every_example_is_replayed(void **state)
{
	(void)state;
	FILE *p = popen("ls " EXDIR, "r");
	char line[256];
	int n = 0;
	assert_non_null(p);
	while (fgets(line, sizeof line, p)) {
		line[strcspn(line, "\n")] = '\0';
		bool found = false;
		for (size_t i = 0; i < sizeof examples / sizeof examples[0]; i++)
			if (!strcmp(examples[i].file, line))
				found = true;
		if (!found)
			fail_msg("example %s is not replayed", line);
		n++;
	}
	pclose(p);
	assert_int_equal(n, (int)(sizeof examples / sizeof examples[0]));
}

static int setup(void **state)
{
	(void)state;
	g_fixture = NULL;
	cmk_buf b = CMK_BUF_INIT;
	if (cmk_buf_read_file(&b, ARMSIM_FIXTURES "/conformance_la.json") < 0)
		return -1;
	g_fixture = cJSON_Parse(cmk_buf_cstr(&b));
	cmk_buf_free(&b);
	if (!g_fixture)
		return -1;
	return check_start(NULL, 1);
}

static int teardown(void **state)
{
	cJSON_Delete(g_fixture);
	return check_stop(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance__every_example_is_replayed),
		cmocka_unit_test(test_conformance__ClustersCreate),
		cmocka_unit_test(test_conformance__ClustersDelete),
		cmocka_unit_test(test_conformance__ClustersGet),
		cmocka_unit_test(test_conformance__ClustersListByResourceGroup),
		cmocka_unit_test(test_conformance__ClustersSubscriptionList),
		cmocka_unit_test(test_conformance__ClustersUpdate),
		cmocka_unit_test(test_conformance__LinkedServicesCreate),
		cmocka_unit_test(test_conformance__LinkedServicesDelete),
		cmocka_unit_test(test_conformance__LinkedServicesGet),
		cmocka_unit_test(test_conformance__LinkedServicesListByWorkspace),
		cmocka_unit_test(test_conformance__LinkedStorageAccountsCreate),
		cmocka_unit_test(test_conformance__LinkedStorageAccountsDelete),
		cmocka_unit_test(test_conformance__LinkedStorageAccountsGet),
		cmocka_unit_test(test_conformance__LinkedStorageAccountsListByWorkspace),
		cmocka_unit_test(test_conformance__OperationStatusesGet),
		cmocka_unit_test(test_conformance__WorkspacesCreate),
		cmocka_unit_test(test_conformance__WorkspacesDelete),
		cmocka_unit_test(test_conformance__WorkspacesGet),
		cmocka_unit_test(test_conformance__WorkspacesUpdate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
