/*
 * test_adapter_la.c - the Log Analytics adapters against armsim over HTTPS:
 * clusters (create, get, list, key update, read-back of the 2019 shape),
 * the cluster link (link, unlink, link state, many links observed with one
 * list per round), linked storage accounts; each test checks the requests
 * armsim logged (method, path, api-version, status, how many).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/arm_id.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_key.h"
#include "providers/adapter_link.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_vault.h"
#include "providers/adapter_workspace.h"
#include "providers/lro.h"
#include "tests/integration/it_common.h"

#define SUB "5ab50000-0000-4000-8000-0000000000ad"
#define TENANT "7a1c0000-0000-4000-8000-000000000001"
#define RG_LA "/subscriptions/" SUB "/resourceGroups/rg-la/providers/"
#define LA RG_LA "Microsoft.OperationalInsights/"
#define VAULT "/subscriptions/" SUB "/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kvad-ap"
#define LEGACY LA "clusters/la-legacy"

static armsim *sim;

static int setup(void **state)
{
	armsim_opts o = { .fixture = IT_FIXTURES "/adapters.json", .seed = 7,
			  .time_scale = IT_SCALE };

	sim = it_start(&o);
	return 0;
}

static int teardown(void **state)
{
	armsim_stop(sim);
	return 0;
}

static void test_adapter_la__create_grant_update_key(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *id = LA "clusters/la-new";
	adapter_cluster_spec spec = { .location = "eastus", .identity_type = "SystemAssigned",
				      .capacity = 1000, .billing_type = "Cluster",
				      .double_encryption = 1, .availability_zones = -1 };
	live_state s = { 0 }, ks = { 0 };
	arm_op *op = NULL;
	arm_error *err = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	if (adapter_cluster_create(&op, c, id, &spec, &err) < 0)
		fail_msg("create: %s", cmk_error_last());
	assert_int_equal(op->kind, ARM_OP_CLUSTER_CREATE);
	assert_int_equal(op->state, ARM_OP_POLL_WAIT); /* 202: in flight */
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);

	assert_int_equal(adapter_cluster_get(&s, c, id), 0);
	live_la_cluster *cl = &s.clusters[0];
	assert_string_equal(cl->provisioning_state, "Succeeded");
	assert_false(cl->busy);
	assert_int_equal(cl->capacity, 1000);
	assert_true(cl->double_encryption);
	assert_string_equal(cl->identity.type, "SystemAssigned");
	assert_non_null(cl->identity.principal_id);
	assert_null(cl->key.vault_uri);

	/* grant the cluster's identity, then point the cluster at the key */
	assert_int_equal(adapter_vault_get(&s, c, VAULT), 0);
	if (adapter_access_policy_grant(NULL, c, VAULT, TENANT, cl->identity.principal_id, &err) < 0)
		fail_msg("grant: %s", cmk_error_last());
	assert_int_equal(adapter_key_get(&ks, c, VAULT, s.vaults[0].vault_uri, "la-key"), 0);
	assert_true(ks.keys[0].exists);
	assert_int_equal(ks.keys[0].key_size, 2048);
	live_key_ref key = { .vault_uri = ks.keys[0].vault_uri, .key_name = "la-key",
			     .key_version = ks.keys[0].current_version };
	if (adapter_cluster_update_key(&op, c, id, &key, &err) < 0)
		fail_msg("key update: %s", cmk_error_last());
	assert_int_equal(op->kind, ARM_OP_CLUSTER_KEY_UPDATE);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);

	live_state_free(&s);
	assert_int_equal(adapter_cluster_get(&s, c, id), 0);
	assert_string_equal(s.clusters[0].key.key_name, "la-key");
	assert_string_equal(s.clusters[0].key.key_version, ks.keys[0].current_version);
	assert_string_equal(s.clusters[0].key.vault_uri, ks.keys[0].vault_uri);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-new?api-version=2026-03-01", 202), 1);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-new?api-version=2026-03-01", 202), 1);
	assert_int_equal(it_count(log, "PUT", "/vaults/kvad-ap/accessPolicies/add?api-version=2024-11-01",
				  200), 1);
	assert_int_equal(it_count(log, "GET", "/keys/la-key?api-version=7.6", 200), 1);
	assert_int_equal(it_count(log, "GET", "/vaults/kvad-ap?api-version=2024-11-01", 200), 1);
	/* nothing was refused, so nothing invalid was sent */
	assert_int_equal(it_count(log, NULL, NULL, 400), 0);
	assert_int_equal(it_count(log, NULL, NULL, 409), 0);
	cJSON_Delete(log);

	/* the documented 400 is refused before any request */
	since = it_last_seq(sim);
	spec.key = &key;
	assert_int_equal(adapter_cluster_create(&op, c, LA "clusters/la-bad", &spec, &err),
			 CMK_EINVALID);
	assert_null(op);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, NULL, "/clusters/la-bad", 0), 0);
	cJSON_Delete(log);

	/* a tags-only update is answered at once: the operation is already over */
	live_tag tag = { "team", "obs" };
	live_tags tags = { &tag, 1 };
	adapter_cluster_spec tg = { .double_encryption = -1, .availability_zones = -1, .tags = &tags };
	since = it_last_seq(sim);
	if (adapter_cluster_update(&op, c, id, &tg, &err) < 0)
		fail_msg("tags: %s", cmk_error_last());
	assert_int_equal(op->state, ARM_OP_SUCCEEDED);
	assert_int_equal(op->kind, ARM_OP_CLUSTER_UPDATE);
	arm_op_free(op);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-new?api-version=2026-03-01", 200), 1);
	cJSON_Delete(log);

	/* capacity and billing: a long-running update */
	adapter_cluster_spec sku = { .double_encryption = -1, .availability_zones = -1,
				     .capacity = 1100, .billing_type = "Workspaces" };
	since = it_last_seq(sim);
	if (adapter_cluster_update(&op, c, id, &sku, &err) < 0)
		fail_msg("sku: %s", cmk_error_last());
	assert_int_equal(op->kind, ARM_OP_CLUSTER_UPDATE);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	live_state_free(&s);
	assert_int_equal(adapter_cluster_get(&s, c, id), 0);
	assert_int_equal(s.clusters[0].capacity, 1100);
	assert_string_equal(s.clusters[0].billing_type, "Workspaces");
	assert_string_equal(s.clusters[0].key.key_name, "la-key"); /* untouched */
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PATCH", "/clusters/la-new?api-version=2026-03-01", 202), 1);
	cJSON_Delete(log);

	/* delete (nothing linked: at once), then the name stays reserved */
	if (adapter_cluster_delete(&op, c, id, &err) < 0)
		fail_msg("delete: %s", cmk_error_last());
	assert_int_equal(op->kind, ARM_OP_CLUSTER_DELETE);
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	live_state_free(&s);
	assert_int_equal(adapter_cluster_get(&s, c, id), CMK_ENOTFOUND);
	spec.key = NULL;
	assert_int_equal(adapter_cluster_create(&op, c, id, &spec, &err), CMK_ECONFLICT);
	assert_non_null(err);
	assert_int_equal(err->http_status, 409);
	assert_non_null(strstr(cmk_error_last(), "soft-delete"));
	arm_error_free(err);
	assert_null(op);

	live_state_free(&s);
	live_state_free(&ks);
	it_client_free(c);
}

static void test_adapter_la__legacy_shape_and_lists(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	live_state s = { 0 };
	long since = it_last_seq(sim);
	cJSON *log, *doc = NULL;

	/* stored with KeyVaultProperties capitalised and an RFC 1123 date */
	assert_int_equal(adapter_cluster_get(&s, c, LEGACY), 0);
	assert_string_equal(s.clusters[0].key.vault_uri, "https://kvad-ap.vault.azure.net/");
	assert_string_equal(s.clusters[0].key.key_name, "la-key");
	assert_string_equal(s.clusters[0].key.key_version, "");
	assert_string_equal(s.clusters[0].created, "2022-11-03T07:31:31Z");
	assert_string_equal(s.clusters[0].location, "eastus");
	live_state_free(&s);

	/* what the 2019-08-01-preview api-version serves reads the same */
	assert_int_equal(arm_get_json(&doc, c, LEGACY, "2019-08-01-preview", NULL), 0);
	assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(doc, "properties"),
							 "KeyVaultProperties"));
	assert_int_equal(adapter_cluster_add(&s, doc), 0);
	assert_string_equal(s.clusters[0].key.key_name, "la-key");
	cJSON_Delete(doc);
	live_state_free(&s);

	/* lists */
	since = it_last_seq(sim);
	assert_int_equal(adapter_workspace_list(&s, c, SUB), 0);
	assert_int_equal(s.workspace_count, 4);
	live_workspace *w1 = live_find_workspace(&s, LA "workspaces/wsad1");
	assert_non_null(w1);
	assert_true(arm_id_equal(w1->cluster_resource_id, LEGACY));
	assert_null(live_find_workspace(&s, LA "workspaces/wsad2")->cluster_resource_id);
	assert_int_equal(adapter_cluster_list(&s, c, SUB), 0);
	assert_non_null(live_find_cluster(&s, LEGACY));
	log = it_requests(sim, since);
	/* one list: its first page, then any nextLink as given (the spec's list
	 * is not paged; a server that pages anyway is followed) */
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.OperationalInsights/workspaces?"
				  "api-version=2026-03-01", 200),
			 1 + it_count(log, "GET", "/providers/Microsoft.OperationalInsights/workspaces?"
				      "api-version=2026-03-01&$skiptoken=", 200));
	/* la-legacy, la-ai (la-new is deleted, soft-deleted clusters are not listed) */
	assert_int_equal(s.cluster_count, 2);
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.OperationalInsights/clusters?"
				  "api-version=2026-03-01", 200), 1);
	cJSON_Delete(log);

	/* a missing cluster is CMK_ENOTFOUND and leaves nothing behind */
	size_t before = s.cluster_count;
	assert_int_equal(adapter_cluster_get(&s, c, LA "clusters/nope"), CMK_ENOTFOUND);
	assert_int_equal(s.cluster_count, before);
	live_state_free(&s);
	it_client_free(c);
}

static void test_adapter_la__user_assigned_identity_creates_with_its_key(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *id = LA "clusters/la-uai";
	const char *uai = RG_LA "Microsoft.ManagedIdentity/userAssignedIdentities/uai-one";
	live_state s = { 0 };
	arm_op *op = NULL;
	long since;
	cJSON *log;

	/* uai-one holds get/wrapKey/unwrapKey on kvad-ap (fixture): seed 003
	 * allows the key at creation with a user-assigned identity */
	assert_int_equal(adapter_vault_get(&s, c, VAULT), 0);
	live_key_ref key = { .vault_uri = s.vaults[0].vault_uri, .key_name = "la-key" };
	adapter_cluster_spec spec = { .location = "eastus", .identity_type = "UserAssigned",
				      .user_identity_id = uai, .capacity = 1000,
				      .double_encryption = -1, .availability_zones = -1, .key = &key };
	since = it_last_seq(sim);
	if (adapter_cluster_create(&op, c, id, &spec, NULL) < 0)
		fail_msg("create: %s", cmk_error_last());
	assert_int_equal(arm_op_wait(c, op, NULL), 0);
	arm_op_free(op);
	assert_int_equal(adapter_cluster_get(&s, c, id), 0);
	live_la_cluster *cl = live_find_cluster(&s, id);
	assert_string_equal(cl->identity.type, "UserAssigned");
	assert_int_equal(cl->identity.user_assigned_count, 1);
	assert_true(arm_id_equal(cl->identity.user_assigned[0], uai));
	assert_string_equal(cl->key.key_name, "la-key");
	assert_string_equal(cl->key.key_version, "");
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/clusters/la-uai?api-version=2026-03-01", 202), 1);
	assert_int_equal(it_count(log, NULL, NULL, 400), 0);
	cJSON_Delete(log);
	live_state_free(&s);
	it_client_free(c);
}

static void test_adapter_la__link_observed_then_unlink(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *ws[2] = { LA "workspaces/wsad2", LA "workspaces/wsad3" };
	arm_op *ops[2] = { NULL, NULL }, *un = NULL;
	adapter_link_observer obs = { .poll_every = 50 };
	arm_op_wait_opts wo = { .observe = adapter_link_observe, .observe_ud = &obs,
				.observe_ms = 60000 };
	live_state s = { 0 };
	char *st = NULL, *target = NULL;
	long since = it_last_seq(sim);
	cJSON *log;

	int rcs[2];
	arm_error *errs[2];

	/* both writes at once, then watched together */
	const char *const clusters[2] = { LEGACY, LEGACY };

	if (adapter_link_begin_all(ops, rcs, errs, c, ws, clusters, 2) < 0)
		fail_msg("link: %s", cmk_error_last());
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rcs[i], 0);
		assert_null(errs[i]);
		assert_int_equal(ops[i]->kind, ARM_OP_WORKSPACE_LINK);
		assert_int_equal(ops[i]->state, ARM_OP_POLL_WAIT);
		ops[i]->observed = 1;
	}
	assert_int_equal(arm_op_wait_all(c, ops, 2, &wo), 0);
	assert_true(obs.lists >= 1);
	assert_int_equal(obs.probes, 0);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/workspaces/wsad2/linkedServices/cluster?api-version="
				  "2026-03-01", 201), 1);
	assert_int_equal(it_count(log, "PUT", "/workspaces/wsad3/linkedServices/cluster?api-version="
				  "2026-03-01", 201), 1);
	/* observed with lists, never polled one by one: each link's own status
	 * is read once, when the list shows its workspace linked (issue 11:
	 * done means the operation says Succeeded and the workspace reads back) */
	assert_int_equal(it_count(log, "GET", "operationstatuses", 0), 2);
	assert_int_equal(it_count(log, "GET", "/linkedServices/cluster/operationresults", 0), 0);
	/* one list per round (plus its next pages, if paged), never a GET per workspace */
	assert_int_equal(it_count(log, "GET", "/providers/Microsoft.OperationalInsights/workspaces?"
				  "api-version=2026-03-01", 200),
			 obs.lists + it_count(log, "GET", "/providers/Microsoft.OperationalInsights/"
					      "workspaces?api-version=2026-03-01&$skiptoken=", 200));
	assert_int_equal(it_count(log, "GET", "/workspaces/wsad2?", 0), 0);
	cJSON_Delete(log);

	assert_int_equal(adapter_link_get(&st, &target, c, ws[0]), 0);
	assert_string_equal(st, "Succeeded");
	assert_true(arm_id_equal(target, LEGACY));
	free(st);
	free(target);

	/* unlink: followed by its own status URL */
	since = it_last_seq(sim);
	if (adapter_unlink_begin(&un, c, ws[1], NULL) < 0)
		fail_msg("unlink: %s", cmk_error_last());
	assert_int_equal(un->kind, ARM_OP_WORKSPACE_UNLINK);
	assert_int_equal(arm_op_wait(c, un, NULL), 0);
	assert_int_equal(adapter_workspace_list(&s, c, SUB), 0);
	assert_null(live_find_workspace(&s, ws[1])->cluster_resource_id);
	assert_non_null(live_find_workspace(&s, ws[0])->cluster_resource_id);
	assert_int_equal(adapter_link_read_into(&s, c, ws[1]), 0);
	assert_null(live_find_workspace(&s, ws[1])->link_state);
	assert_int_equal(adapter_link_read_into(&s, c, ws[0]), 0);
	assert_string_equal(live_find_workspace(&s, ws[0])->link_state, "Succeeded");
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "DELETE", "/workspaces/wsad3/linkedServices/cluster?api-version="
				  "2026-03-01", 200), 1);
	cJSON_Delete(log);

	/* the batch form unlinks too (no cluster: DELETE) */
	arm_op *unl[1] = { NULL };
	int urc[1];
	since = it_last_seq(sim);
	if (adapter_link_begin_all(unl, urc, NULL, c, ws, NULL, 1) < 0)
		fail_msg("unlink all: %s", cmk_error_last());
	assert_int_equal(unl[0]->kind, ARM_OP_WORKSPACE_UNLINK);
	assert_int_equal(arm_op_wait_all(c, unl, 1, NULL), 0);
	arm_op_free(unl[0]);
	live_state_free(&s);
	assert_int_equal(adapter_workspace_list(&s, c, SUB), 0);
	assert_null(live_find_workspace(&s, ws[0])->cluster_resource_id);
	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "DELETE", "/workspaces/wsad2/linkedServices/cluster?api-version="
				  "2026-03-01", 200), 1);
	cJSON_Delete(log);

	live_state_free(&s);
	for (int i = 0; i < 2; i++)
		arm_op_free(ops[i]);
	arm_op_free(un);
	it_client_free(c);
}

static void test_adapter_la__failed_link_is_reported_not_waited_out(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *ws = LA "workspaces/wsad4";
	arm_op *op = NULL, *again = NULL;
	arm_error *err = NULL;
	adapter_link_observer obs = { .poll_every = 2 };
	arm_op_wait_opts wo = { .observe = adapter_link_observe, .observe_ud = &obs,
				.observe_ms = 600000 };

	it_admin(sim, "PUT", "/_sim/faults", "[{\"method\":\"*\",\"resourceType\":"
		 "\"Microsoft.OperationalInsights/workspaces/linkedServices\",\"fault\":"
		 "\"async_fail\",\"rate\":1,\"count\":1}]");
	if (adapter_link_begin(&op, c, ws, LEGACY, NULL) < 0)
		fail_msg("link: %s", cmk_error_last());
	/* while it runs, a second link is "wait, then retry", not a failure */
	assert_int_equal(adapter_link_begin(&again, c, ws, LEGACY, &err), CMK_ECONFLICT);
	assert_non_null(err);
	assert_int_equal(err->klass, ARM_ERROR_WAIT_RUNNING);
	arm_error_free(err);
	op->observed = 1;
	assert_int_equal(arm_op_wait_all(c, &op, 1, &wo), CMK_ERROR);
	assert_int_equal(op->state, ARM_OP_FAILED);
	assert_non_null(op->error);
	assert_non_null(strstr(op->error->message, "link"));
	/* found by the probe of a later round, not by the 90-minute deadline */
	assert_true(obs.probes >= 1);
	assert_true(obs.rounds <= 2 * 4);
	arm_op_free(op);
	it_admin(sim, "DELETE", "/_sim/faults", NULL);
	it_client_free(c);
}

/* However many links are watched, a probe round reads at most probe_max
 * linked services, taking turns. */
static void test_adapter_la__observer_probes_are_bounded_and_take_turns(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	adapter_link_observer obs = { .poll_every = 1, .probe_max = 2 };
	arm_op *ops[3];
	char json[1024], part[128];
	long since = it_last_seq(sim);
	cJSON *log;

	for (int i = 0; i < 3; i++) {
		cJSON *doc;

		snprintf(json, sizeof(json), "{\"version\":1,\"kind\":\"workspace.link\",\"method\":\"PUT\","
			 "\"resourceId\":\"" LA "workspaces/wsfake%d/linkedServices/cluster\","
			 "\"resourceUrl\":\"" LA "workspaces/wsfake%d/linkedServices/cluster\","
			 "\"apiVersion\":\"2026-03-01\",\"pollMode\":\"provisioning-state\","
			 "\"finalStateVia\":\"location\",\"startedAt\":\"2026-11-23T16:00:00.000Z\"}",
			 i, i);
		assert_non_null(doc = cJSON_Parse(json));
		if (arm_op_from_json(&ops[i], doc) < 0)
			fail_msg("op: %s", cmk_error_last());
		ops[i]->observed = 1;
		cJSON_Delete(doc);
	}
	/* round 1: two probes (wsfake0, wsfake1: no such workspace, so the
	 * link failed); round 2: the third */
	assert_int_equal(adapter_link_observe(&obs, c, ops, 3), 0);
	assert_int_equal(obs.probes, 2);
	assert_int_equal(ops[0]->state, ARM_OP_FAILED);
	assert_int_equal(ops[1]->state, ARM_OP_FAILED);
	assert_int_equal(ops[2]->state, ARM_OP_POLL_WAIT);
	assert_int_equal(adapter_link_observe(&obs, c, ops, 3), 0);
	assert_int_equal(obs.probes, 3);
	assert_int_equal(ops[2]->state, ARM_OP_FAILED);
	assert_int_equal(obs.lists, 2);
	log = it_requests(sim, since);
	for (int i = 0; i < 3; i++) {
		snprintf(part, sizeof(part), "/workspaces/wsfake%d/linkedServices/cluster?", i);
		assert_int_equal(it_count(log, "GET", part, 0), 1);
	}
	cJSON_Delete(log);
	for (int i = 0; i < 3; i++)
		arm_op_free(ops[i]);
	it_client_free(c);
}

static void test_adapter_la__linked_storage(void **state)
{
	arm_client *c = it_client(NULL, IT_SCALE);
	const char *wsid = LA "workspaces/wsad1";
	const char *sa[] = { RG_LA "Microsoft.Storage/storageAccounts/saad1" };
	live_state s = { 0 };
	cJSON *body = NULL, *log;
	long since = it_last_seq(sim);

	if (adapter_linked_storage_put(&body, c, wsid, "Query", sa, 1, NULL) < 0)
		fail_msg("put: %s", cmk_error_last());
	assert_non_null(body);
	cJSON_Delete(body);
	assert_int_equal(adapter_linked_storage_list(&s, c, wsid), 0);
	assert_int_equal(s.linked_storage_count, 1);
	assert_string_equal(s.linked_storage[0].data_source_type, "Query");
	assert_int_equal(s.linked_storage[0].storage_account_count, 1);
	assert_true(arm_id_equal(s.linked_storage[0].storage_accounts[0], sa[0]));
	assert_non_null(live_find_linked_storage(&s, wsid, "query"));
	assert_int_equal(adapter_linked_storage_get(&s, c, wsid, "Alerts"), CMK_ENOTFOUND);
	assert_int_equal(adapter_linked_storage_delete(c, wsid, "Query", NULL), 0);
	live_state_free(&s);
	assert_int_equal(adapter_linked_storage_list(&s, c, wsid), 0);
	assert_int_equal(s.linked_storage_count, 0);

	log = it_requests(sim, since);
	assert_int_equal(it_count(log, "PUT", "/workspaces/wsad1/linkedStorageAccounts/Query?"
				  "api-version=2026-03-01", 200), 1);
	assert_int_equal(it_count(log, "DELETE", "/workspaces/wsad1/linkedStorageAccounts/Query?"
				  "api-version=2026-03-01", 200), 1);
	assert_int_equal(it_count(log, "GET", "/workspaces/wsad1/linkedStorageAccounts?"
				  "api-version=2026-03-01", 200), 2);
	cJSON_Delete(log);
	live_state_free(&s);
	it_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adapter_la__create_grant_update_key),
		cmocka_unit_test(test_adapter_la__legacy_shape_and_lists),
		cmocka_unit_test(test_adapter_la__user_assigned_identity_creates_with_its_key),
		cmocka_unit_test(test_adapter_la__link_observed_then_unlink),
		cmocka_unit_test(test_adapter_la__failed_link_is_reported_not_waited_out),
		cmocka_unit_test(test_adapter_la__observer_probes_are_bounded_and_take_turns),
		cmocka_unit_test(test_adapter_la__linked_storage),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
