/*
 * fuzz_adapters.c - libFuzzer target for the ARM response parsing of every
 * resource adapter (providers/adapter_*.h): the JSON a GET or list answers is
 * untrusted, and whatever it holds (wrong types, odd casing, missing members,
 * huge numbers, deep nesting) must read into the live model or fail cleanly -
 * no crash, leak or sanitizer report - and the model read must serialise
 * (live_state_to_json) and load back (live_state_from_json), because a saved
 * plan fingerprints it and golden fixtures use that form.
 *
 * Input: the first byte picks the parser (byte % FUZZ_PARSERS, see
 * fuzz__parsers), the rest is the response body. A body that is an object
 * with a "value" array is a list page: each item goes to the parser, as
 * adapter_list hands them out; anything else is one GET answer.
 *
 * Built as a libFuzzer target with CMKCTL_FUZZ=ON (ci/fuzz.sh); otherwise a
 * replay program for the seeds in tests/fuzz/corpus/adapters/ (ctest).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/live.h"
#include "providers/adapter_cluster.h"
#include "providers/adapter_component.h"
#include "providers/adapter_identity.h"
#include "providers/adapter_key.h"
#include "providers/adapter_kusto.h"
#include "providers/adapter_link.h"
#include "providers/adapter_linked_storage.h"
#include "providers/adapter_role.h"
#include "providers/adapter_util.h"
#include "providers/adapter_vault.h"
#include "providers/adapter_workspace.h"
#include "providers/cloud.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VAULT_ID "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-keys/providers/Microsoft.KeyVault/vaults/kv-prod-eus"
#define FUZZ_WORKSPACE_ID "/subscriptions/5d3e9a47-1c2b-4f6e-9a8d-2b7c4e1f0a93/resourceGroups/rg-apps/providers/Microsoft.OperationalInsights/workspaces/law-app1"

static int fuzz__cluster(live_state *s, const cJSON *d) { return adapter_cluster_add(s, d); }
static int fuzz__workspace(live_state *s, const cJSON *d) { return adapter_workspace_add(s, d); }
static int fuzz__vault(live_state *s, const cJSON *d) { return adapter_vault_add(s, d); }
static int fuzz__identity(live_state *s, const cJSON *d) { return adapter_identity_add(s, d); }
static int fuzz__kusto(live_state *s, const cJSON *d) { return adapter_kusto_add(s, d); }
static int fuzz__role(live_state *s, const cJSON *d) { return adapter_role_assignment_add(s, d); }
static int fuzz__component(live_state *s, const cJSON *d) { return adapter_component_add(s, d); }

static int fuzz__key(live_state *s, const cJSON *d)
{
	return adapter_key_add(s, FUZZ_VAULT_ID, "https://kv-prod-eus.vault.azure.net/", "la-cmk",
			       d);
}

static int fuzz__linked_storage(live_state *s, const cJSON *d)
{
	return adapter_linked_storage_add(s, FUZZ_WORKSPACE_ID, d);
}

/* The linked service `cluster` of a workspace (adapter_link_get's parse). */
static int fuzz__link(live_state *s, const cJSON *d)
{
	char *state = NULL, *cluster = NULL;
	int error = adapter_link_parse(&state, &cluster, d);

	(void)s;
	free(state);
	free(cluster);
	return error;
}

/* The cloud metadata document (arm_cloud_discover's parse). */
static int fuzz__cloud(live_state *s, const cJSON *d)
{
	arm_cloud *cloud = NULL;
	int error = arm_cloud_from_metadata(&cloud, "https://management.example", d);

	(void)s;
	if (error == 0) {
		char *scope = arm_cloud_scope(cloud->arm_audience);

		if (!cloud->arm_endpoint || !cloud->authority_host || !cloud->arm_audience)
			abort(); /* promised by cloud.h */
		free(scope);
		arm_cloud_free(cloud);
	}
	return error;
}

static int (*const fuzz__parsers[])(live_state *, const cJSON *) = {
	fuzz__cluster, fuzz__workspace, fuzz__vault,     fuzz__key,
	fuzz__identity, fuzz__kusto,    fuzz__role,      fuzz__component,
	fuzz__linked_storage, fuzz__link, fuzz__cloud,
};
#define FUZZ_PARSERS (sizeof(fuzz__parsers) / sizeof(fuzz__parsers[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int (*parse)(live_state *, const cJSON *);
	live_state live = { 0 }, back = { 0 };
	cJSON *doc, *json = NULL;
	const cJSON *page, *item;

	if (size < 1)
		return 0;
	parse = fuzz__parsers[data[0] % FUZZ_PARSERS];
	if ((doc = cJSON_ParseWithLength((const char *)data + 1, size - 1)) == NULL)
		return 0;
	page = adapter_get(doc, "value");
	if (cJSON_IsObject(doc) && cJSON_IsArray(page)) {
		cJSON_ArrayForEach(item, page)
			if (parse(&live, item) < 0)
				break;
	} else {
		(void)parse(&live, doc);
	}
	/* whatever was read must serialise and load back as a fixture would */
	if (live_state_to_json(&json, &live) == 0) {
		if (live_state_from_json(&back, json) < 0) {
			char *text = cJSON_Print(json);

			fprintf(stderr, "the model read does not load back: %s\n%s\n",
				cmk_error_last(), text ? text : "");
			abort();
		}
		live_state_free(&back);
		cJSON_Delete(json);
	}
	live_state_free(&live);
	cJSON_Delete(doc);
	return 0;
}

#include "fuzz_replay.h"
