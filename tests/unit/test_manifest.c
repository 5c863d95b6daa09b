/*
 * test_manifest.c - the manifest loader: YAML to the typed desired model,
 * positions, defaults, files and directories, and the YAML-level guards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "planner/manifest.h"
#include "planner/manifest_diag.h"
#include "planner/validate.h"

#define SUB "5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-prod-eus"
#define WS(n) "/subscriptions/" SUB "/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/" n

static const char *const full_set =
	"apiVersion: cmkctl/v1\n"                       /* 1 */
	"kind: KeyVaultKey\n"
	"metadata: {name: prod-kek}\n"
	"spec:\n"
	"  vault: " VAULT "\n"                          /* 5 */
	"  key: la-cmk\n"
	"  location: East US\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: LogAnalyticsCluster\n"                   /* 10 */
	"metadata:\n"
	"  name: prod-eus\n"
	"  labels: {team: obs}\n"
	"spec:\n"
	"  subscription: " SUB "\n"                     /* 15 */
	"  resourceGroup: rg-monitor\n"
	"  name: laprodeus\n"
	"  location: eastus\n"
	"  identity: {type: SystemAssigned}\n"
	"  capacity: 1000\n"                            /* 20 */
	"  key: {ref: prod-kek}\n"
	"  tags: {env: prod}\n"
	"---\n"
	"apiVersion: cmkctl/v1\n"
	"kind: WorkspaceLink\n"                         /* 25 */
	"metadata: {name: prod-links}\n"
	"spec:\n"
	"  cluster: {ref: prod-eus}\n"
	"  workspaces:\n"
	"    - " WS("law-a") "\n"                       /* 30 */
	"    - id: " WS("law-b") "\n"
	"      location: eastus\n";

typedef struct {
	manifest_set *set;
	manifest_diags diags;
} fixture;

static void load(fixture *f, const char *yaml)
{
	memset(f, 0, sizeof(*f));
	assert_int_equal(manifest_set_new(&f->set), 0);
	assert_int_equal(manifest_load_buffer(f->set, &f->diags, "t.yaml", yaml, strlen(yaml)), 0);
}

static void done(fixture *f)
{
	manifest_set_free(f->set);
	manifest_diags_free(&f->diags);
}

static void print_diags(const fixture *f)
{
	manifest_diags_print_text(stderr, &f->diags);
}

static const manifest_diag *only_diag(fixture *f)
{
	if (manifest_diags_total(&f->diags) != 1) {
		print_diags(f);
		fail_msg("expected exactly one error, got %zu", manifest_diags_total(&f->diags));
	}
	return &f->diags.items[0];
}

static void test_manifest__loads_typed_model_with_positions(void **state)
{
	fixture f;
	manifest_doc *kek, *cl, *link;

	load(&f, full_set);
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_int_equal(f.set->count, 3);
	assert_int_equal(f.set->file_count, 1);
	kek = f.set->docs[0];
	cl = f.set->docs[1];
	link = f.set->docs[2];

	assert_int_equal(kek->kind, MANIFEST_KIND_KEY_VAULT_KEY);
	assert_string_equal(kek->spec.key_vault_key.vault_name.value, "kv-prod-eus");
	assert_string_equal(kek->spec.key_vault_key.vault_resource_group.value, "rg-keys");
	assert_string_equal(kek->spec.key_vault_key.vault_subscription.value, SUB);
	assert_string_equal(kek->spec.key_vault_key.location.value, "eastus"); /* canonical */
	assert_int_equal(kek->spec.key_vault_key.location.loc.line, 7);
	assert_int_equal(kek->spec.key_vault_key.location.loc.column, 13);
	assert_string_equal(kek->spec.key_vault_key.version.value, "latest"); /* default */

	assert_int_equal(cl->kind, MANIFEST_KIND_LOG_ANALYTICS_CLUSTER);
	assert_string_equal(cl->name.value, "prod-eus");
	assert_int_equal(cl->loc.line, 9);
	assert_int_equal(cl->labels.count, 1);
	assert_string_equal(cl->labels.items[0].key.value, "team");
	assert_string_equal(cl->labels.items[0].value.value, "obs");
	assert_true(cl->spec.cluster.capacity.set);
	assert_int_equal(cl->spec.cluster.capacity.value, 1000);
	assert_int_equal(cl->spec.cluster.capacity.loc.line, 20);
	assert_int_equal(cl->spec.cluster.capacity.loc.column, 13);
	assert_string_equal(cl->spec.cluster.capacity.loc.file, "t.yaml");
	assert_int_equal(cl->spec.cluster.identity.type.value, MANIFEST_IDENTITY_SYSTEM_ASSIGNED);
	assert_false(cl->spec.cluster.billing_type.set);
	assert_int_equal(cl->spec.cluster.billing_type.value, MANIFEST_BILLING_CLUSTER);
	assert_int_equal(cl->spec.cluster.cluster_type.value, MANIFEST_CLUSTER_TYPE_LOG_ANALYTICS);
	assert_int_equal(cl->spec.cluster.deletion_policy.value, MANIFEST_DELETION_RETAIN);
	assert_false(cl->spec.cluster.double_encryption.set);
	assert_string_equal(cl->spec.cluster.key.name.value, "prod-kek");
	assert_int_equal(cl->spec.cluster.key.kind, MANIFEST_KIND_KEY_VAULT_KEY);
	assert_null(cl->spec.cluster.key.target); /* resolved by validation only */
	assert_int_equal(cl->spec.cluster.tags.count, 1);

	assert_int_equal(link->spec.workspace_link.workspace_count, 2);
	assert_string_equal(link->spec.workspace_link.workspaces[0].id.value, WS("law-a"));
	assert_null(link->spec.workspace_link.workspaces[0].location.value);
	assert_string_equal(link->spec.workspace_link.workspaces[1].location.value, "eastus");
	assert_int_equal(link->spec.workspace_link.workspaces[1].id.loc.line, 31);
	assert_false(link->spec.workspace_link.unlink_unlisted.value);

	assert_ptr_equal(manifest_set_find(f.set, MANIFEST_KIND_LOG_ANALYTICS_CLUSTER, "prod-eus"), cl);
	assert_null(manifest_set_find(f.set, MANIFEST_KIND_KEY_VAULT_KEY, "prod-eus"));
	done(&f);
}

static void test_manifest__validation_resolves_refs_to_pointers(void **state)
{
	fixture f;

	load(&f, full_set);
	assert_int_equal(validate_manifest_set(&f.diags, f.set), 0);
	if (manifest_diags_total(&f.diags))
		print_diags(&f);
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_ptr_equal(f.set->docs[1]->spec.cluster.key.target, f.set->docs[0]);
	assert_ptr_equal(f.set->docs[2]->spec.workspace_link.cluster.target, f.set->docs[1]);
	done(&f);
}

static void test_manifest__vault_given_in_parts_builds_the_id(void **state)
{
	fixture f;
	const manifest_key_vault_key *k;

	load(&f, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: k}\nspec:\n"
		 "  vault: {subscription: " SUB ", resourceGroup: rg-keys, name: kv-prod-eus}\n"
		 "  key: la-cmk\n  version: 0123456789abcdef0123456789ABCDEF\n");
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	k = &f.set->docs[0]->spec.key_vault_key;
	assert_string_equal(k->vault_id.value, VAULT);
	assert_string_equal(k->version.value, "0123456789abcdef0123456789ABCDEF");
	assert_int_equal(validate_manifest_set(&f.diags, f.set), 0);
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	done(&f);
}

static void test_manifest__enum_values_match_without_case(void **state)
{
	fixture f;

	load(&f, "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: c}\nspec:\n"
		 "  subscription: " SUB "\n  resourceGroup: rg\n  name: lacluster\n  location: eastus\n"
		 "  identity: {type: systemAssigned}\n  capacity: 1000\n  billingType: workspaces\n"
		 "  clusterType: applicationinsights\n  deletionPolicy: DELETE\n");
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_int_equal(f.set->docs[0]->spec.cluster.billing_type.value, MANIFEST_BILLING_WORKSPACES);
	assert_int_equal(f.set->docs[0]->spec.cluster.cluster_type.value, MANIFEST_CLUSTER_TYPE_APPLICATION_INSIGHTS);
	assert_int_equal(f.set->docs[0]->spec.cluster.deletion_policy.value, MANIFEST_DELETION_DELETE);
	assert_string_equal(manifest_billing_type_name(f.set->docs[0]->spec.cluster.billing_type.value), "Workspaces");
	done(&f);
}

static void test_manifest__duplicate_key_is_reported_and_first_kept(void **state)
{
	fixture f;
	const manifest_diag *d;

	load(&f, "apiVersion: cmkctl/v1\nkind: KeyVaultKey\nmetadata: {name: k}\nspec:\n"
		 "  vault: " VAULT "\n  key: first\n  key: second\n");
	d = only_diag(&f);
	assert_string_equal(d->message, "duplicate key 'key'");
	assert_int_equal(d->line, 7);
	assert_int_equal(d->column, 3);
	assert_string_equal(f.set->docs[0]->spec.key_vault_key.key.value, "first");
	done(&f);
}

static void test_manifest__aliases_within_bounds_are_expanded(void **state)
{
	fixture f;

	load(&f, "apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata:\n  name: id1\n"
		 "  labels: &common {team: obs, env: prod}\n  annotations: *common\n"
		 "spec: {subscription: " SUB ", resourceGroup: rg, name: id-one, location: eastus, tags: *common}\n");
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_int_equal(f.set->docs[0]->annotations.count, 2);
	assert_int_equal(f.set->docs[0]->spec.managed_identity.tags.count, 2);
	assert_string_equal(f.set->docs[0]->spec.managed_identity.tags.items[1].value.value, "prod");
	done(&f);
}

static void test_manifest__alias_bomb_is_refused(void **state)
{
	fixture f;
	char yaml[2048] = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";

	for (int i = 0; i < 9; i++)
		snprintf(yaml + strlen(yaml), sizeof(yaml) - strlen(yaml),
			 "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", 'b' + i, 'b' + i,
			 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i, 'a' + i);
	load(&f, yaml);
	assert_int_equal(manifest_diags_total(&f.diags), 1);
	assert_non_null(strstr(f.diags.items[0].message, "alias bomb"));
	assert_true(f.set->incomplete);
	assert_int_equal(f.set->count, 0);
	done(&f);
}

static void test_manifest__recursive_alias_cannot_build_a_cycle(void **state)
{
	fixture f;

	load(&f, "a: &a [1, *a]\n");
	assert_int_equal(manifest_diags_total(&f.diags), 1);
	assert_non_null(strstr(f.diags.items[0].message, "unknown or recursive alias '*a'"));
	done(&f);
}

static void test_manifest__empty_documents_are_skipped(void **state)
{
	fixture f;
	char *yaml;

	assert_true(asprintf(&yaml, "---\n# comment only\n---\n%s\n---\n", full_set) > 0);
	load(&f, yaml);
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_int_equal(f.set->count, 3);
	free(yaml);
	done(&f);
}

static void test_manifest__syntax_error_keeps_earlier_documents_and_marks_incomplete(void **state)
{
	fixture f;
	char *yaml;
	const manifest_diag *d;

	assert_true(asprintf(&yaml, "%s---\nkind: [\n", full_set) > 0);
	load(&f, yaml);
	d = only_diag(&f);
	assert_non_null(strstr(d->message, "invalid YAML"));
	assert_int_equal(d->line, 35);
	assert_true(f.set->incomplete);
	assert_int_equal(f.set->count, 3);
	free(yaml);
	done(&f);
}

static void test_manifest__suggest_finds_close_names_only(void **state)
{
	static const char *const fields[] = { "subscription", "resourceGroup", "name", "location" };

	assert_string_equal(manifest_suggest("resourcegroup", fields, 4), "resourceGroup");
	assert_string_equal(manifest_suggest("locaton", fields, 4), "location");
	assert_string_equal(manifest_suggest("subscriptoin", fields, 4), "subscription");
	assert_string_equal(manifest_suggest("nme", fields, 4), "name");
	assert_null(manifest_suggest("capacity", fields, 4));
	assert_null(manifest_suggest("x", fields, 4));
}

static void test_manifest__resource_id_names_the_managed_azure_resource(void **state)
{
	fixture f;
	char *id = NULL;

	load(&f, full_set);
	assert_int_equal(manifest_doc_resource_id(&id, f.set->docs[0]), 0);
	assert_string_equal(id, VAULT);
	free(id);
	assert_int_equal(manifest_doc_resource_id(&id, f.set->docs[1]), 0);
	assert_string_equal(id, "/subscriptions/" SUB "/resourceGroups/rg-monitor/providers/"
				"Microsoft.OperationalInsights/clusters/laprodeus");
	free(id);
	assert_int_equal(manifest_doc_resource_id(&id, f.set->docs[2]), CMK_ENOTFOUND);
	assert_null(id);
	done(&f);

	load(&f, "apiVersion: cmkctl/v1\nkind: LinkedStorageAccount\nmetadata: {name: q}\nspec:\n"
		 "  workspace: " WS("law-a") "\n  dataSourceType: alerts\n  storageAccounts:\n"
		 "    - /subscriptions/" SUB "/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st1\n");
	assert_int_equal(manifest_diags_total(&f.diags), 0);
	assert_int_equal(manifest_doc_resource_id(&id, f.set->docs[0]), 0);
	assert_string_equal(id, WS("law-a") "/linkedStorageAccounts/Alerts");
	free(id);
	done(&f);
}

static void test_manifest__kind_names_round_trip(void **state)
{
	for (int k = 0; k < MANIFEST_KIND__COUNT; k++) {
		manifest_kind back;

		assert_int_equal(manifest_kind_from_name(&back, manifest_kind_name((manifest_kind)k)), 0);
		assert_int_equal(back, k);
	}
	{
		manifest_kind back;

		assert_int_equal(manifest_kind_from_name(&back, "logAnalyticsCluster"), CMK_ENOTFOUND);
	}
}

/* ---- files and directories ---- */

static char tmpdir[64];

static void write_file(const char *rel, const char *content)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	assert_non_null(fp = fopen(path, "w"));
	fputs(content, fp);
	fclose(fp);
}

static int setup_dir(void **state)
{
	char path[256];

	strcpy(tmpdir, "/tmp/cmk-test-manifest-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(path, sizeof(path), "%s/sub", tmpdir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/.git", tmpdir);
	mkdir(path, 0700);
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_manifest__directory_is_walked_sorted_recursively_and_once(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;
	char path[256];

	write_file("b.yaml", "apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata: {name: b}\n"
			     "spec: {subscription: " SUB ", resourceGroup: rg, name: id-b, location: eastus}\n");
	write_file("a.yml", "apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata: {name: a}\n"
			    "spec: {subscription: " SUB ", resourceGroup: rg, name: id-a, location: eastus}\n");
	write_file("sub/c.yaml", "apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata: {name: c}\n"
				 "spec: {subscription: " SUB ", resourceGroup: rg, name: id-c, location: eastus}\n");
	write_file("notes.txt", "not: [yaml\n");
	write_file(".git/config.yaml", "broken: [\n");

	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_path(set, &diags, tmpdir), 0);
	/* the same file again, by another path: loaded once */
	snprintf(path, sizeof(path), "%s/sub/../a.yml", tmpdir);
	assert_int_equal(manifest_load_path(set, &diags, path), 0);
	if (manifest_diags_total(&diags))
		manifest_diags_print_text(stderr, &diags);
	assert_int_equal(manifest_diags_total(&diags), 0);
	assert_int_equal(set->count, 3);
	assert_string_equal(set->docs[0]->name.value, "a");
	assert_string_equal(set->docs[1]->name.value, "b");
	assert_string_equal(set->docs[2]->name.value, "c");
	snprintf(path, sizeof(path), "%s/sub/c.yaml", tmpdir);
	assert_string_equal(set->docs[2]->loc.file, path);
	manifest_set_free(set);
	manifest_diags_free(&diags);
}

static void test_manifest__oversized_file_is_refused(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;
	char path[256];
	FILE *fp;
	static char chunk[1 << 16];

	snprintf(path, sizeof(path), "%s/huge.yaml", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	memset(chunk, '#', sizeof(chunk));
	for (size_t i = 0; i <= MANIFEST_MAX_FILE_SIZE / sizeof(chunk); i++)
		assert_int_equal(fwrite(chunk, 1, sizeof(chunk), fp), sizeof(chunk));
	fclose(fp);
	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_path(set, &diags, path), 0);
	assert_int_equal(manifest_diags_total(&diags), 1);
	assert_string_equal(diags.items[0].message, "file is larger than 16 MiB");
	assert_true(set->incomplete);
	unlink(path);
	manifest_set_free(set);
	manifest_diags_free(&diags);
}

static void test_manifest__missing_path_is_an_error_not_a_crash(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;

	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_path(set, &diags, "/nonexistent/cmk/manifests"), 0);
	assert_int_equal(manifest_diags_total(&diags), 1);
	assert_string_equal(diags.items[0].file, "/nonexistent/cmk/manifests");
	assert_int_equal(diags.items[0].line, 0);
	manifest_set_free(set);
	manifest_diags_free(&diags);
}

/* A fresh directory for one test, outside tmpdir so the entries it plants
 * reach no other test whatever the order; remove it with drop_dir. */
static void fresh_dir(char *out, size_t size)
{
	snprintf(out, size, "/tmp/cmk-test-hazard-XXXXXX");
	assert_non_null(mkdtemp(out));
}

static void drop_dir(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* The diagnostic for `file`, or NULL. */
static const manifest_diag *diag_for(const manifest_diags *d, const char *file)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->items[i].file, file) == 0)
			return &d->items[i];
	return NULL;
}

static void expect_diag(const manifest_diags *d, const char *dir, const char *rel, const char *fragment)
{
	char path[512];
	const manifest_diag *g;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((g = diag_for(d, path)) == NULL || !strstr(g->message, fragment)) {
		manifest_diags_print_text(stderr, d);
		fail_msg("expected an error on %s containing '%s'", path, fragment);
	}
}

static void test_manifest__unreadable_entries_are_errors_never_skipped(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;
	char dir[128], path[256];

	fresh_dir(dir, sizeof(dir));
#define AT(rel) (snprintf(path, sizeof(path), "%s/%s", dir, rel), path)
	{
		FILE *fp = fopen(AT("ok.yaml"), "w");

		fputs("apiVersion: cmkctl/v1\nkind: ManagedIdentity\nmetadata: {name: ok}\n"
		      "spec: {subscription: " SUB ", resourceGroup: rg, name: id-ok, location: eastus}\n", fp);
		fclose(fp);
	}
	assert_int_equal(symlink("../vendor/links.yaml", AT("dangling.yaml")), 0);
	assert_int_equal(symlink("../vendor/clusters", AT("vendor")), 0);  /* a folder, once */
	assert_int_equal(symlink(".", AT("loop")), 0);
	assert_int_equal(symlink("self", AT("self")), 0);
	assert_int_equal(symlink("/dev/zero", AT("zero.yaml")), 0);
	assert_int_equal(mkfifo(AT("fifo.yml"), 0600), 0);
	/* skipped by design: not a manifest by name, or hidden */
	assert_int_equal(mkfifo(AT("notes.txt"), 0600), 0);
	assert_int_equal(symlink("/nowhere", AT(".hidden")), 0);
	{
		FILE *fp = fopen(AT("README"), "w");

		fclose(fp);
	}
#undef AT

	assert_int_equal(manifest_set_new(&set), 0);
	alarm(20); /* a FIFO read would block */
	assert_int_equal(manifest_load_path(set, &diags, dir), 0);
	alarm(0);
	expect_diag(&diags, dir, "dangling.yaml", "cannot read: dangling symbolic link to '../vendor/links.yaml'");
	expect_diag(&diags, dir, "vendor", "cannot read: dangling symbolic link to '../vendor/clusters'");
	expect_diag(&diags, dir, "loop", "cannot read: symbolic link loop: leads back to");
	expect_diag(&diags, dir, "self", "cannot read: symbolic link loop");
	expect_diag(&diags, dir, "zero.yaml", "cannot read: a character device, not a regular file");
	expect_diag(&diags, dir, "fifo.yml", "cannot read: a FIFO, not a regular file");
	if (manifest_diags_total(&diags) != 6) {
		manifest_diags_print_text(stderr, &diags);
		fail_msg("expected 6 errors, got %zu", manifest_diags_total(&diags));
	}
	assert_true(set->incomplete);
	assert_int_equal(set->count, 1);
	manifest_set_free(set);
	manifest_diags_free(&diags);
	drop_dir(dir);
}

static void test_manifest__path_longer_than_path_max_is_an_error(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;
	char dir[128], name[251];
	int fd, next;

	fresh_dir(dir, sizeof(dir));
	memset(name, 'd', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_true((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	for (int i = 0; i < 20; i++) { /* 20 x 251 bytes: past PATH_MAX */
		assert_int_equal(mkdirat(fd, name, 0700), 0);
		assert_true((next = openat(fd, name, O_RDONLY | O_DIRECTORY)) >= 0);
		close(fd);
		fd = next;
	}
	assert_true((next = openat(fd, "deep.yaml", O_WRONLY | O_CREAT, 0600)) >= 0);
	close(next);
	close(fd);

	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_path(set, &diags, dir), 0);
	if (manifest_diags_total(&diags) != 1 ||
	    strcmp(diags.items[0].message, "cannot read: path longer than PATH_MAX (4096 bytes)") != 0) {
		manifest_diags_print_text(stderr, &diags);
		fail_msg("expected one 'path longer than PATH_MAX' error");
	}
	assert_true(strlen(diags.items[0].file) > PATH_MAX);
	assert_true(set->incomplete);
	manifest_set_free(set);
	manifest_diags_free(&diags);
	drop_dir(dir);
}

static void test_manifest__stdin_directory_is_named_not_empty(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;
	int saved = dup(STDIN_FILENO), fd;

	assert_true((fd = open(tmpdir, O_RDONLY | O_DIRECTORY)) >= 0);
	assert_true(dup2(fd, STDIN_FILENO) >= 0);
	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_path(set, &diags, "-"), 0);
	assert_true(dup2(saved, STDIN_FILENO) >= 0);
	close(saved);
	close(fd);
	assert_int_equal(manifest_diags_total(&diags), 1);
	assert_string_equal(diags.items[0].file, "<stdin>");
	assert_string_equal(diags.items[0].message, "cannot read: Is a directory");
	assert_true(set->incomplete);
	manifest_set_free(set);
	manifest_diags_free(&diags);
}

static void test_manifest__no_documents_names_each_file(void **state)
{
	manifest_diags diags = MANIFEST_DIAGS_INIT;
	manifest_set *set;

	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_buffer(set, &diags, "empty.yaml", "", 0), 0);
	assert_int_equal(manifest_load_buffer(set, &diags, "comments.yaml", "# only\n---\n", 11), 0);
	assert_int_equal(manifest_check_documents(set, &diags), 0);
	assert_int_equal(manifest_diags_total(&diags), 2);
	assert_string_equal(diags.items[0].file, "empty.yaml");
	assert_string_equal(diags.items[0].message, "no manifest documents found");
	assert_string_equal(diags.items[1].file, "comments.yaml");
	manifest_set_free(set);
	manifest_diags_free(&diags);

	/* a file with a document: nothing to say */
	assert_int_equal(manifest_set_new(&set), 0);
	assert_int_equal(manifest_load_buffer(set, &diags, "ok.yaml", full_set, strlen(full_set)), 0);
	assert_int_equal(manifest_load_buffer(set, &diags, "empty.yaml", "", 0), 0);
	assert_int_equal(manifest_check_documents(set, &diags), 0);
	assert_int_equal(manifest_diags_total(&diags), 0);
	manifest_set_free(set);
	manifest_diags_free(&diags);
}

static void test_manifest__integers_in_another_base_or_out_of_range_say_so(void **state)
{
	static const struct {
		const char *value, *message, *hint;
	} cases[] = {
		{ "0x3E8", "spec.capacity must be a decimal integer, not 0x3E8", "write it in decimal: 1000" },
		{ "0o1750", "spec.capacity must be a decimal integer, not 0o1750", "write it in decimal: 1000" },
		{ "9223372036854775808", "spec.capacity 9223372036854775808 is out of range for an integer", NULL },
		{ "-9223372036854775809", "spec.capacity -9223372036854775809 is out of range for an integer", NULL },
		{ "1.5", "spec.capacity must be an integer, not a number", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		manifest_diags diags = MANIFEST_DIAGS_INIT;
		manifest_set *set;
		char yaml[512];

		snprintf(yaml, sizeof(yaml),
			 "apiVersion: cmkctl/v1\nkind: LogAnalyticsCluster\nmetadata: {name: c}\n"
			 "spec: {subscription: " SUB ", resourceGroup: rg, name: cl, location: eastus,\n"
			 "  identity: {type: SystemAssigned}, capacity: %s}\n", cases[i].value);
		assert_int_equal(manifest_set_new(&set), 0);
		assert_int_equal(manifest_load_buffer(set, &diags, "c.yaml", yaml, strlen(yaml)), 0);
		if (manifest_diags_total(&diags) != 1 || strcmp(diags.items[0].message, cases[i].message) != 0) {
			manifest_diags_print_text(stderr, &diags);
			fail_msg("%s: expected '%s'", cases[i].value, cases[i].message);
		}
		if (cases[i].hint)
			assert_string_equal(diags.items[0].hint, cases[i].hint);
		manifest_set_free(set);
		manifest_diags_free(&diags);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest__loads_typed_model_with_positions),
		cmocka_unit_test(test_manifest__validation_resolves_refs_to_pointers),
		cmocka_unit_test(test_manifest__vault_given_in_parts_builds_the_id),
		cmocka_unit_test(test_manifest__enum_values_match_without_case),
		cmocka_unit_test(test_manifest__duplicate_key_is_reported_and_first_kept),
		cmocka_unit_test(test_manifest__aliases_within_bounds_are_expanded),
		cmocka_unit_test(test_manifest__alias_bomb_is_refused),
		cmocka_unit_test(test_manifest__recursive_alias_cannot_build_a_cycle),
		cmocka_unit_test(test_manifest__empty_documents_are_skipped),
		cmocka_unit_test(test_manifest__syntax_error_keeps_earlier_documents_and_marks_incomplete),
		cmocka_unit_test(test_manifest__suggest_finds_close_names_only),
		cmocka_unit_test(test_manifest__resource_id_names_the_managed_azure_resource),
		cmocka_unit_test(test_manifest__kind_names_round_trip),
		cmocka_unit_test(test_manifest__directory_is_walked_sorted_recursively_and_once),
		cmocka_unit_test(test_manifest__oversized_file_is_refused),
		cmocka_unit_test(test_manifest__missing_path_is_an_error_not_a_crash),
		cmocka_unit_test(test_manifest__unreadable_entries_are_errors_never_skipped),
		cmocka_unit_test(test_manifest__path_longer_than_path_max_is_an_error),
		cmocka_unit_test(test_manifest__stdin_directory_is_named_not_empty),
		cmocka_unit_test(test_manifest__no_documents_names_each_file),
		cmocka_unit_test(test_manifest__integers_in_another_base_or_out_of_range_say_so),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
