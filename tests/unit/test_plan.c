/*
 * test_plan.c - the planner beyond the golden cases: the saved-plan loader
 * refuses malformed files, staleness follows exactly the resources a plan
 * touched, markdown stays under the comment limit, colour only on request,
 * timestamps in both Azure forms, and the step order for a new cluster.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/live.h"
#include "planner/diff.h"
#include "planner/manifest.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "planner/validate.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv1"
#define CLUSTER "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.OperationalInsights/clusters/la-prod"
#define WSID(n) "/subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/" n

static const char manifests[] =
	"apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
	"  vault: " VAULT "\n  key: k1\n"
	"---\napiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: prod}\nspec:\n"
	"  subscription: " SUB "\n  resourceGroup: rg\n  name: la-prod\n  location: eastus\n"
	"  identity: {type: SystemAssigned}\n  capacity: 1000\n  key: {ref: kek}\n"
	"---\napiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: ws}\nspec:\n"
	"  cluster: {ref: prod}\n  workspaces:\n    - " WSID("w1") "\n";

static const char live_empty_cluster[] =
	"{\"subscriptions\":[{\"id\":\"" SUB "\",\"tenantId\":\"t1\"}],"
	"\"vaults\":[{\"id\":\"" VAULT "\",\"name\":\"kv1\",\"location\":\"eastus\",\"tenantId\":\"t1\","
	"\"vaultUri\":\"https://kv1.vault.azure.net/\",\"softDelete\":true,\"purgeProtection\":true}],"
	"\"keys\":[{\"vaultId\":\"" VAULT "\",\"name\":\"k1\",\"currentVersion\":\"0123456789abcdef0123456789abcdef\","
	"\"kty\":\"RSA\",\"keySize\":2048,\"enabled\":true}],"
	"\"workspaces\":[{\"id\":\"" WSID("w1") "\",\"location\":\"eastus\",\"linkOperations30d\":0},"
	"{\"id\":\"" WSID("unrelated") "\",\"location\":\"eastus\"}]}";

static manifest_set *load_set(const char *yaml)
{
	manifest_set *set = NULL;
	manifest_diags diags = MANIFEST_DIAGS_INIT;

	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_buffer(set, &diags, "test.yaml", yaml, strlen(yaml)), 0);
	assert_int_equal(validate_manifest_set(&diags, set), 0);
	if (manifest_diags_total(&diags))
		manifest_diags_print_text(stderr, &diags);
	assert_int_equal(manifest_diags_total(&diags), 0);
	manifest_diags_free(&diags);
	return set;
}

static void load_live(live_state *out, const char *text)
{
	cJSON *json = cJSON_Parse(text);

	assert_non_null(json);
	assert_int_equal(live_state_from_json(out, json), 0);
	cJSON_Delete(json);
}

static plan *build(const manifest_set *set, const live_state *live)
{
	plan_options o = PLAN_OPTIONS_INIT;
	plan *p = NULL;

	assert_int_equal(diff_parse_time(&o.now, "2026-11-23T12:00:00Z"), 0);
	assert_int_equal(plan_build(&p, set, live, &o), 0);
	return p;
}

static size_t step_index(const plan *p, const char *id)
{
	for (size_t i = 0; i < p->step_count; i++)
		if (strcmp(p->steps[i].id, id) == 0)
			return i;
	fail_msg("no step %s", id);
	return 0;
}

static bool depends(const plan *p, size_t step, size_t on)
{
	for (size_t i = 0; i < p->steps[step].dep_count; i++)
		if (p->steps[step].depends_on[i] == on)
			return true;
	return false;
}

static void test_plan__link_waits_for_key_update_after_grant_after_create(void **state)
{
	manifest_set *set = load_set(manifests);
	live_state live;
	plan *p;
	size_t create, grant, key, link;

	load_live(&live, live_empty_cluster);
	p = build(set, &live);
	create = step_index(p, "cluster.create:LogAnalyticsCluster/prod");
	grant = step_index(p, "key.grant:LogAnalyticsCluster/prod");
	key = step_index(p, "cluster.key:LogAnalyticsCluster/prod");
	link = step_index(p, "workspace.link:WorkspaceLink/ws/w1");
	assert_true(create < grant && grant < key && key < link);
	assert_true(depends(p, grant, create));
	assert_true(depends(p, key, grant) && depends(p, key, create));
	assert_true(depends(p, link, key));
	/* the grant's principal comes from the create's read-back */
	assert_string_equal(plan_step_param(&p->steps[grant], "principalId"),
			    "@cluster.create:LogAnalyticsCluster/prod.principalId");
	/* writes to the cluster share its lock */
	assert_string_equal(p->steps[create].lock, CLUSTER);
	assert_string_equal(p->steps[key].lock, CLUSTER);
	assert_true(plan_is_applicable(p));
	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
}

static void test_plan__stale_only_when_a_touched_resource_changes(void **state)
{
	manifest_set *set = load_set(manifests);
	live_state live;
	plan *p;

	load_live(&live, live_empty_cluster);
	p = build(set, &live);
	assert_int_equal(plan_fingerprint_set(p, &live), 0);
	assert_int_equal(strlen(p->fingerprint), 64);
	assert_int_equal(plan_check_fresh(p, &live), 0);

	/* a workspace the plan never looked at may change */
	free(live.workspaces[1].location);
	live.workspaces[1].location = strdup("westus");
	assert_int_equal(plan_check_fresh(p, &live), 0);

	/* one it links may not */
	live.workspaces[0].link_operations_30d = 1;
	assert_int_equal(plan_check_fresh(p, &live), CMK_ECONFLICT);
	assert_non_null(strstr(cmk_error_last(), "the plan is stale"));
	live.workspaces[0].link_operations_30d = 0;
	assert_int_equal(plan_check_fresh(p, &live), 0);

	/* nor the key (ids compared without case: a key read with another case is the same) */
	live.keys[0].enabled = false;
	assert_int_equal(plan_check_fresh(p, &live), CMK_ECONFLICT);
	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
}

static void test_plan__save_is_0600_and_loads_back(void **state)
{
	manifest_set *set = load_set(manifests);
	char path[] = "/tmp/cmkctl-test-plan-XXXXXX";
	live_state live;
	struct stat st;
	plan *p, *q = NULL;
	int fd;

	load_live(&live, live_empty_cluster);
	p = build(set, &live);
	assert_int_equal(plan_save(p, "/tmp/x"), CMK_EINVALID); /* no fingerprint yet */
	assert_int_equal(plan_fingerprint_set(p, &live), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	chmod(path, 0644); /* a pre-existing file with wider rights is replaced */
	assert_int_equal(plan_save(p, path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(plan_load(&q, path), 0);
	assert_int_equal(q->step_count, p->step_count);
	assert_string_equal(q->fingerprint, p->fingerprint);
	for (size_t i = 0; i < q->step_count; i++) {
		assert_string_equal(q->steps[i].id, p->steps[i].id);
		assert_int_equal(q->steps[i].dep_count, p->steps[i].dep_count);
	}
	assert_int_equal(plan_check_fresh(q, &live), 0);
	unlink(path);
	plan_free(q);
	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
}

/* A minimal valid saved plan, then one mutation per case. */
#define FP "\"fingerprint\":\"" \
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""
#define RES "\"resources\":[{\"address\":\"A/a\",\"id\":null,\"action\":\"create\",\"changes\":[],\"reasons\":[]}]"
#define STEP(id, deps) "{\"id\":\"" id "\",\"kind\":\"cluster.create\",\"resource\":\"A/a\",\"target\":null," \
	"\"lock\":null,\"description\":\"d\",\"depends_on\":[" deps "],\"params\":{}}"

static void expect_rejected(const char *text, const char *needle)
{
	plan *p = NULL;

	assert_int_equal(plan_load_buffer(&p, text, strlen(text)), CMK_EINVALID);
	assert_null(p);
	if (!strstr(cmk_error_last(), needle))
		fail_msg("error '%s' does not say '%s'", cmk_error_last(), needle);
}

static void test_plan__loader_rejects_malformed_saved_plans(void **state)
{
	const char *ok = "{\"format_version\":1," RES ",\"steps\":[" STEP("s1", "") "," STEP("s2", "\"s1\"")
			 "],\"findings\":[],\"touched\":[\"/a\",\"/b\"]," FP "}";
	plan *p = NULL;

	assert_int_equal(plan_load_buffer(&p, ok, strlen(ok)), 0);
	assert_int_equal(p->step_count, 2);
	assert_int_equal(p->steps[1].depends_on[0], 0);
	plan_free(p);

	expect_rejected("not json", "not valid JSON");
	expect_rejected("{\"format_version\":2}", "format_version must be 1");
	expect_rejected("{\"format_version\":1,\"extra\":1}", "unknown field 'extra'");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[],\"findings\":[],\"touched\":[],"
			"\"fingerprint\":\"xyz\"}", "64 lower-case hex");
	/* a dependency on a later (or unknown) step */
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[" STEP("s1", "\"s2\"") "," STEP("s2", "")
			"],\"findings\":[],\"touched\":[]," FP "}", "steps[0]: depends_on");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[" STEP("s1", "") "," STEP("s1", "")
			"],\"findings\":[],\"touched\":[]," FP "}", "duplicate step id");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[{\"id\":\"s\",\"kind\":\"rm -rf\",\"resource\":\"A/a\","
			"\"description\":\"d\",\"depends_on\":[],\"params\":{}}],\"findings\":[],\"touched\":[]," FP "}",
			"unknown step kind");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[{\"id\":\"s\",\"kind\":\"cluster.create\","
			"\"resource\":\"B/b\",\"description\":\"d\",\"depends_on\":[],\"params\":{}}],\"findings\":[],"
			"\"touched\":[]," FP "}", "names no resource");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[" STEP("s1", "") "],\"findings\":[],"
			"\"touched\":[\"/b\",\"/a\"]," FP "}", "not sorted");
	expect_rejected("{\"format_version\":1,\"resources\":[{\"address\":\"A/a\",\"id\":null,\"action\":\"explode\","
			"\"changes\":[],\"reasons\":[]}],\"steps\":[],\"findings\":[],\"touched\":[]," FP "}",
			"unknown action");
	expect_rejected("{\"format_version\":1," RES ",\"steps\":[{\"id\":\"s\",\"kind\":\"cluster.create\","
			"\"resource\":\"A/a\",\"description\":\"d\",\"depends_on\":[],\"params\":{\"x\":1}}],"
			"\"findings\":[],\"touched\":[]," FP "}", "params: expected string values");
	{
		/* strings are bounded */
		size_t n = PLAN_MAX_STRING + 100;
		char *big = malloc(n + 200);

		assert_non_null(big);
		strcpy(big, "{\"format_version\":1,\"now\":\"");
		memset(big + strlen(big), 'x', n);
		strcpy(big + strlen("{\"format_version\":1,\"now\":\"") + n, "\"," FP "}");
		expect_rejected(big, "string too long");
		free(big);
	}
}

/* A saved step of `kind` with `params` (JSON object text). */
static char *saved_step_plan(const char *kind, const char *params)
{
	char *text = NULL;

	assert_true(asprintf(&text, "{\"format_version\":1," RES ",\"steps\":[{\"id\":\"s\",\"kind\":\"%s\","
			     "\"resource\":\"A/a\",\"target\":null,\"lock\":null,\"description\":\"d\","
			     "\"depends_on\":[],\"params\":%s}],\"findings\":[],\"touched\":[]," FP "}",
			     kind, params) > 0);
	return text;
}

static void expect_step_rejected(const char *kind, const char *params, const char *needle)
{
	char *text = saved_step_plan(kind, params);

	expect_rejected(text, needle);
	free(text);
}

static void test_plan__saved_params_load_typed_and_render_back_the_same(void **state)
{
	cmk_buf ids = CMK_BUF_INIT, params = CMK_BUF_INIT, json = CMK_BUF_INIT;
	char *text, *shown = NULL;
	plan *p = NULL;
	int64_t capacity = 0;
	size_t n = 0;
	char *const *list;
	const live_tags *tags;

	(void)state;
	/* more than 256 storage accounts: none dropped */
	for (int i = 0; i < 300; i++)
		assert_int_equal(cmk_buf_printf(&ids, "%s/subscriptions/s/resourceGroups/r/providers/"
					       "Microsoft.Storage/storageAccounts/sa%d", i ? ", " : "", i), 0);
	assert_int_equal(cmk_buf_printf(&params, "{\"workspaceId\":\"/w\",\"dataSourceType\":\"Query\","
				       "\"storageAccountIds\":\"%s\"}", ids.ptr), 0);
	text = saved_step_plan("storage.link", params.ptr);
	assert_int_equal(plan_load_buffer(&p, text, strlen(text)), 0);
	list = plan_step_param_list(&p->steps[0], "storageAccountIds", &n);
	assert_non_null(list);
	assert_int_equal(n, 300);
	assert_string_equal(list[299], "/subscriptions/s/resourceGroups/r/providers/Microsoft.Storage/"
				       "storageAccounts/sa299");
	assert_int_equal(plan_param_text(&shown, plan_step_param_get(&p->steps[0], "storageAccountIds")), 0);
	assert_string_equal(shown, ids.ptr);
	free(shown);
	plan_free(p);
	free(text);

	/* int, bool and map params come back typed, and render as they were */
	text = saved_step_plan("cluster.create", "{\"location\":\"westeurope\",\"capacity\":\"1000\","
			       "\"isDoubleEncryptionEnabled\":\"true\",\"tags\":\"{\\\"a\\\":\\\"1\\\",\\\"b\\\":\\\"x y\\\"}\"}");
	assert_int_equal(plan_load_buffer(&p, text, strlen(text)), 0);
	assert_true(plan_step_param_int(&capacity, &p->steps[0], "capacity"));
	assert_int_equal(capacity, 1000);
	assert_int_equal(plan_step_param_bool(&p->steps[0], "isDoubleEncryptionEnabled"), 1);
	assert_int_equal(plan_step_param_bool(&p->steps[0], "isAvailabilityZonesEnabled"), -1);
	assert_null(plan_step_param_str(&p->steps[0], "capacity"));
	tags = plan_step_param_map(&p->steps[0], "tags");
	assert_non_null(tags);
	assert_int_equal(tags->count, 2);
	assert_string_equal(tags->items[1].key, "b");
	assert_string_equal(tags->items[1].value, "x y");
	assert_int_equal(plan_write_json(&json, p, true), 0);
	assert_non_null(strstr(json.ptr, "\"params\":{\"location\":\"westeurope\",\"capacity\":\"1000\","
				       "\"isDoubleEncryptionEnabled\":\"true\",\"tags\":\"{\\\"a\\\":\\\"1\\\","
				       "\\\"b\\\":\\\"x y\\\"}\"}"));
	plan_free(p);
	free(text);
	cmk_buf_free(&ids);
	cmk_buf_free(&params);
	cmk_buf_free(&json);
}

static void test_plan__loader_rejects_params_of_the_wrong_type(void **state)
{
	(void)state;
	expect_step_rejected("cluster.create", "{\"capacity\":\"1000 GB\"}", "steps[0].params.capacity: an integer");
	expect_step_rejected("cluster.create", "{\"capacity\":\"\"}", "steps[0].params.capacity: an integer");
	expect_step_rejected("cluster.create", "{\"capacity\":\"99999999999999999999\"}",
			     "steps[0].params.capacity: an integer");
	expect_step_rejected("cluster.create", "{\"isAvailabilityZonesEnabled\":\"yes\"}",
			     "steps[0].params.isAvailabilityZonesEnabled: \"true\" or \"false\"");
	expect_step_rejected("cluster.update", "{\"tags\":\"[1]\"}", "steps[0].params.tags: a JSON object");
	expect_step_rejected("cluster.update", "{\"tags\":\"{\\\"a\\\":1}\"}", "steps[0].params.tags: a JSON object");
	expect_step_rejected("cluster.update", "{\"tags\":\"{} x\"}", "steps[0].params.tags: a JSON object");
	expect_step_rejected("cluster.delete", "{\"capacity\":\"1\"}", "steps[0].params.capacity: not a param");
}

static void test_plan__markdown_stays_under_the_comment_limit(void **state)
{
	cmk_buf yaml = CMK_BUF_INIT, json = CMK_BUF_INIT, md = CMK_BUF_INIT, text = CMK_BUF_INIT;
	render_options ro = RENDER_OPTIONS_INIT;
	manifest_set *set;
	live_state live;
	plan *p;

	/* 1000 workspaces to link: far more than a comment holds */
	assert_int_equal(cmk_buf_puts(&yaml, manifests), 0);
	assert_int_equal(cmk_buf_puts(&json, "{\"workspaces\":["), 0);
	for (int i = 0; i < 999; i++) {
		assert_int_equal(cmk_buf_printf(&yaml, "    - " WSID("x%04d") "\n", i), 0);
		assert_int_equal(cmk_buf_printf(&json, "%s{\"id\":\"" WSID("x%04d") "\",\"location\":\"eastus\"}",
						i ? "," : "", i), 0);
	}
	assert_int_equal(cmk_buf_puts(&json, "]}"), 0);
	set = load_set(cmk_buf_cstr(&yaml));
	load_live(&live, cmk_buf_cstr(&json));
	p = build(set, &live);
	assert_true(p->summary.blocked > 0); /* vault missing: blocked, still rendered */
	assert_int_equal(render_plan_markdown(&md, p, NULL, 0), 0);
	assert_true(md.len < RENDER_MARKDOWN_MAX);
	assert_non_null(strstr(cmk_buf_cstr(&md), "are not shown"));
	assert_true(strncmp(cmk_buf_cstr(&md), "### cmkctl plan\n\n**", 19) == 0); /* counts first */
	cmk_buf_clear(&md);
	assert_int_equal(render_plan_markdown(&md, p, NULL, 4000), 0);
	assert_true(md.len < 4000);

	/* colour only when asked */
	assert_int_equal(render_plan_text(&text, p, &ro), 0);
	assert_null(strchr(cmk_buf_cstr(&text), '\033'));
	cmk_buf_clear(&text);
	ro.color = true;
	assert_int_equal(render_plan_text(&text, p, &ro), 0);
	assert_non_null(strchr(cmk_buf_cstr(&text), '\033'));

	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
	cmk_buf_free(&yaml);
	cmk_buf_free(&json);
	cmk_buf_free(&md);
	cmk_buf_free(&text);
}

static void test_plan__markdown_warns_on_unlinks(void **state)
{
	const char *yaml = "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
			   "  vault: " VAULT "\n  key: k1\n"
			   "---\napiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: prod}\nspec:\n"
			   "  subscription: " SUB "\n  resourceGroup: rg\n  name: la-prod\n  location: eastus\n"
			   "  identity: {type: SystemAssigned}\n  capacity: 1000\n"
			   "---\napiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: ws}\nspec:\n"
			   "  cluster: {ref: prod}\n  unlinkUnlisted: true\n  workspaces:\n    - " WSID("w1") "\n";
	const char *state_json =
		"{\"clusters\":[{\"id\":\"" CLUSTER "\",\"location\":\"eastus\",\"capacity\":1000,"
		"\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p\"},"
		"\"tags\":{\"cmkctl-managed\":\"true\",\"cmkctl-deletion-policy\":\"Retain\"}}],"
		"\"workspaces\":[{\"id\":\"" WSID("w1") "\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"},"
		"{\"id\":\"" WSID("w2") "\",\"name\":\"w2\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"}]}";
	manifest_set *set = load_set(yaml);
	cmk_buf md = CMK_BUF_INIT;
	live_state live;
	plan *p;

	load_live(&live, state_json);
	p = build(set, &live);
	assert_int_equal(p->summary.unlinks, 1);
	assert_int_equal(render_plan_markdown(&md, p, NULL, 0), 0);
	assert_non_null(strstr(cmk_buf_cstr(&md), "> [!WARNING]"));
	assert_non_null(strstr(cmk_buf_cstr(&md), "**unlinks 1 workspace**"));
	assert_non_null(strstr(cmk_buf_cstr(&md), "<details>"));
	cmk_buf_free(&md);
	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
}

/* Live lists come back in any order: the plan must not depend on it. */
static void test_plan__same_plan_whatever_the_live_order(void **state)
{
	const char *yaml = "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: kek}\nspec:\n"
			   "  vault: " VAULT "\n  key: k1\n"
			   "---\napiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: prod}\nspec:\n"
			   "  subscription: " SUB "\n  resourceGroup: rg\n  name: la-prod\n  location: eastus\n"
			   "  identity: {type: SystemAssigned}\n  capacity: 1000\n"
			   "---\napiVersion: cmkctl/v1\nkind: WorkspaceLink\nmetadata: {name: ws}\nspec:\n"
			   "  cluster: {ref: prod}\n  workspaces:\n    - " WSID("w1") "\n    - " WSID("w3") "\n";
	const char *a = "{\"clusters\":[{\"id\":\"" CLUSTER "\",\"location\":\"eastus\",\"capacity\":1000,"
			"\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p\"},"
			"\"tags\":{\"cmkctl-managed\":\"true\",\"cmkctl-deletion-policy\":\"Retain\"}}],"
			"\"workspaces\":[{\"id\":\"" WSID("w1") "\",\"location\":\"eastus\"},"
			"{\"id\":\"" WSID("w2") "\",\"name\":\"w2\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"},"
			"{\"id\":\"" WSID("w3") "\",\"location\":\"eastus\"},"
			"{\"id\":\"" WSID("w4") "\",\"name\":\"w4\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"}]}";
	const char *b = "{\"workspaces\":[{\"id\":\"" WSID("w4") "\",\"name\":\"w4\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"},"
			"{\"id\":\"" WSID("w3") "\",\"location\":\"eastus\"},"
			"{\"id\":\"" WSID("w2") "\",\"name\":\"w2\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"},"
			"{\"id\":\"" WSID("w1") "\",\"location\":\"eastus\"}],"
			"\"clusters\":[{\"id\":\"" CLUSTER "\",\"location\":\"eastus\",\"capacity\":1000,"
			"\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p\"},"
			"\"tags\":{\"cmkctl-managed\":\"true\",\"cmkctl-deletion-policy\":\"Retain\"}}]}";
	manifest_set *set = load_set(yaml);
	cmk_buf ja = CMK_BUF_INIT, jb = CMK_BUF_INIT;
	live_state la, lb;
	plan *pa, *pb;
	char fa[65], fb[65];

	load_live(&la, a);
	load_live(&lb, b);
	pa = build(set, &la);
	pb = build(set, &lb);
	assert_int_equal(render_plan_json(&ja, pa), 0);
	assert_int_equal(render_plan_json(&jb, pb), 0);
	assert_string_equal(cmk_buf_cstr(&ja), cmk_buf_cstr(&jb));
	assert_int_equal(pa->finding_count, 3); /* w2 and w4 unmanaged links, the vault missing */
	assert_int_equal(pa->findings[0].kind, PLAN_FINDING_UNMANAGED_LINK);
	assert_int_equal(pa->findings[2].kind, PLAN_FINDING_VANISHED);
	/* and the fingerprint is of the content, not the order */
	assert_int_equal(plan_fingerprint(fa, &la, pa->touched, pa->touched_count), 0);
	assert_int_equal(plan_fingerprint(fb, &lb, pb->touched, pb->touched_count), 0);
	assert_string_equal(fa, fb);
	cmk_buf_free(&ja);
	cmk_buf_free(&jb);
	plan_free(pa);
	plan_free(pb);
	live_state_free(&la);
	live_state_free(&lb);
	manifest_set_free(set);
}

static void test_plan__drift_rendering_leads_with_findings(void **state)
{
	const char *state_json =
		"{\"vaults\":[{\"id\":\"" VAULT "\",\"name\":\"kv1\",\"location\":\"eastus\",\"vaultUri\":\"https://kv1.vault.azure.net/\","
		"\"softDelete\":true,\"purgeProtection\":true,\"accessPolicies\":[{\"objectId\":\"p\",\"keyPermissions\":[\"get\",\"wrapKey\",\"unwrapKey\"]}]}],"
		"\"keys\":[{\"vaultId\":\"" VAULT "\",\"name\":\"k1\",\"currentVersion\":\"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\",\"kty\":\"RSA\",\"enabled\":true}],"
		"\"clusters\":[{\"id\":\"" CLUSTER "\",\"location\":\"eastus\",\"capacity\":1000,"
		"\"identity\":{\"type\":\"SystemAssigned\",\"principalId\":\"p\"},"
		"\"key\":{\"vaultUri\":\"https://kv1.vault.azure.net/\",\"keyName\":\"k1\",\"keyVersion\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"},"
		"\"tags\":{\"cmkctl-managed\":\"true\",\"cmkctl-deletion-policy\":\"Retain\"}}],"
		"\"workspaces\":[{\"id\":\"" WSID("w1") "\",\"location\":\"eastus\",\"clusterResourceId\":\"" CLUSTER "\"}]}";
	manifest_set *set = load_set(manifests);
	render_options ro = RENDER_OPTIONS_INIT;
	cmk_buf t = CMK_BUF_INIT;
	live_state live;
	plan *p;
	const char *text;

	load_live(&live, state_json);
	p = build(set, &live);
	assert_true(plan_has_drift(p));
	assert_int_equal(p->finding_count, 1);
	assert_int_equal(p->findings[0].kind, PLAN_FINDING_ROTATION_PENDING);
	ro.mode = RENDER_DRIFT;
	assert_int_equal(render_plan_text(&t, p, &ro), 0);
	text = cmk_buf_cstr(&t);
	assert_true(strncmp(text, "Drift: 0 to create, 1 to update", 31) == 0);
	assert_true(strstr(text, "rotation-pending") < strstr(text, "Steps (1)"));
	cmk_buf_free(&t);
	plan_free(p);
	live_state_free(&live);
	manifest_set_free(set);
}

static void test_plan__parses_both_azure_time_forms(void **state)
{
	time_t a, b, c;

	assert_int_equal(diff_parse_time(&a, "2022-11-03T07:31:31Z"), 0);
	assert_int_equal(diff_parse_time(&b, "Thu, 03 Nov 2022 07:31:31 GMT"), 0);
	assert_int_equal(diff_parse_time(&c, "2022-11-03T09:31:31.1234567+02:00"), 0);
	assert_true(a == b && b == c);
	assert_int_equal(diff_parse_time(&a, "yesterday"), CMK_EINVALID);
	assert_int_equal(diff_parse_time(&a, "2022-13-03T07:31:31Z"), CMK_EINVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan__link_waits_for_key_update_after_grant_after_create),
		cmocka_unit_test(test_plan__stale_only_when_a_touched_resource_changes),
		cmocka_unit_test(test_plan__save_is_0600_and_loads_back),
		cmocka_unit_test(test_plan__loader_rejects_malformed_saved_plans),
		cmocka_unit_test(test_plan__saved_params_load_typed_and_render_back_the_same),
		cmocka_unit_test(test_plan__loader_rejects_params_of_the_wrong_type),
		cmocka_unit_test(test_plan__markdown_stays_under_the_comment_limit),
		cmocka_unit_test(test_plan__markdown_warns_on_unlinks),
		cmocka_unit_test(test_plan__same_plan_whatever_the_live_order),
		cmocka_unit_test(test_plan__drift_rendering_leads_with_findings),
		cmocka_unit_test(test_plan__parses_both_azure_time_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
