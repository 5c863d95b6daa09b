/*
 * manifest.c - the desired model's container: the set of documents, kind and
 * enum names, lookups, freeing, and the "did you mean" helper (see
 * manifest.h). Loading lives in manifest_load.c.
 */
#include "planner/manifest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"

static const char *const kind_names[MANIFEST_KIND__COUNT] = {
	[MANIFEST_KIND_KEY_VAULT_KEY] = "KeyVaultKey",
	[MANIFEST_KIND_MANAGED_IDENTITY] = "ManagedIdentity",
	[MANIFEST_KIND_LOG_ANALYTICS_CLUSTER] = "LogAnalyticsCluster",
	[MANIFEST_KIND_WORKSPACE_LINK] = "WorkspaceLink",
	[MANIFEST_KIND_LINKED_STORAGE_ACCOUNT] = "LinkedStorageAccount",
	[MANIFEST_KIND_KUSTO_CLUSTER_KEY] = "KustoClusterKey",
	[MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK] = "AppInsightsComponentLink",
};

/* A SystemAssigned identity's stray ref is reported by chk__identity and is
 * no dependency: do not also resolve it. */
static bool manifest__identity_uses_ref(const manifest_identity *id)
{
	return !(id->type.set && id->type.value == MANIFEST_IDENTITY_SYSTEM_ASSIGNED);
}

manifest_ref *manifest_doc_ref_at(const manifest_doc *cd, size_t i, const char **path)
{
	manifest_doc *d = (manifest_doc *)cd; /* like strchr: the caller knows whether it may write */
	manifest_ref *typed[2] = { NULL, NULL };
	const char *paths[2] = { NULL, NULL };
	size_t n = 0;

	switch (d->kind) {
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
		if (manifest__identity_uses_ref(&d->spec.cluster.identity))
			typed[n] = &d->spec.cluster.identity.ref, paths[n++] = "spec.identity.ref";
		typed[n] = &d->spec.cluster.key, paths[n++] = "spec.key";
		break;
	case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
		if (manifest__identity_uses_ref(&d->spec.kusto.identity))
			typed[n] = &d->spec.kusto.identity.ref, paths[n++] = "spec.identity.ref";
		typed[n] = &d->spec.kusto.key, paths[n++] = "spec.key";
		break;
	case MANIFEST_KIND_WORKSPACE_LINK:
		typed[0] = &d->spec.workspace_link.cluster, paths[0] = "spec.cluster";
		n = 1;
		break;
	case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK:
		typed[0] = &d->spec.app_insights.cluster, paths[0] = "spec.cluster";
		n = 1;
		break;
	default:
		break;
	}
	if (i < n) {
		*path = paths[i];
		return typed[i];
	}
	i -= n;
	if (i < d->depends_on_count) {
		*path = "metadata.dependsOn";
		return &d->depends_on[i];
	}
	return NULL;
}

const char *manifest_kind_name(manifest_kind kind)
{
	return (unsigned)kind < MANIFEST_KIND__COUNT ? kind_names[kind] : "?";
}

int manifest_kind_from_name(manifest_kind *out, const char *name)
{
	for (int k = 0; k < MANIFEST_KIND__COUNT; k++) {
		if (strcmp(kind_names[k], name) == 0) {
			*out = (manifest_kind)k;
			return 0;
		}
	}
	return CMK_ENOTFOUND;
}

#define NAME_TABLE(fn, ...)                                                        \
	const char *fn(int v)                                                      \
	{                                                                          \
		static const char *const names[] = { __VA_ARGS__ };                \
		return v >= 0 && (size_t)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?"; \
	}

NAME_TABLE(manifest_identity_type_name, "SystemAssigned", "UserAssigned")
NAME_TABLE(manifest_billing_type_name, "Cluster", "Workspaces")
NAME_TABLE(manifest_cluster_type_name, "LogAnalytics", "ApplicationInsights")
NAME_TABLE(manifest_deletion_policy_name, "Retain", "Delete")
NAME_TABLE(manifest_key_type_name, "RSA", "RSA-HSM", "EC", "EC-HSM")
NAME_TABLE(manifest_data_source_name, "Query", "Alerts")
NAME_TABLE(manifest_kusto_role_name, "Standalone", "Leader", "Follower")

int manifest_set_new(manifest_set **out)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return cmk_error_oom();
	return 0;
}

manifest_doc *manifest_set_find(const manifest_set *set, manifest_kind kind, const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < set->count; i++) {
		manifest_doc *d = set->docs[i];

		if (d->kind == kind && d->name.value && strcmp(d->name.value, name) == 0)
			return d;
	}
	return NULL;
}

int manifest_doc_resource_id(char **out, const manifest_doc *d)
{
	const manifest_string *sub = NULL, *rg = NULL, *name = NULL, *id = NULL;
	const char *type = NULL;

	*out = NULL;
	switch (d->kind) {
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
		sub = &d->spec.cluster.subscription;
		rg = &d->spec.cluster.resource_group;
		name = &d->spec.cluster.name;
		type = "Microsoft.OperationalInsights/clusters";
		break;
	case MANIFEST_KIND_MANAGED_IDENTITY:
		sub = &d->spec.managed_identity.subscription;
		rg = &d->spec.managed_identity.resource_group;
		name = &d->spec.managed_identity.name;
		type = "Microsoft.ManagedIdentity/userAssignedIdentities";
		break;
	case MANIFEST_KIND_KEY_VAULT_KEY:
		id = &d->spec.key_vault_key.vault_id;
		break;
	case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
		id = &d->spec.kusto.cluster;
		break;
	case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK:
		id = &d->spec.app_insights.component;
		break;
	case MANIFEST_KIND_LINKED_STORAGE_ACCOUNT: {
		const manifest_linked_storage_account *s = &d->spec.linked_storage;

		if (!s->workspace.value || !s->data_source_type.set)
			return CMK_ENOTFOUND;
		/* the ARM resource is named by its data source type */
		if (asprintf(out, "%s/linkedStorageAccounts/%s", s->workspace.value,
			     manifest_data_source_name(s->data_source_type.value)) < 0) {
			*out = NULL;
			return cmk_error_oom();
		}
		return 0;
	}
	default:
		return CMK_ENOTFOUND;
	}
	if (id) {
		if (!id->value)
			return CMK_ENOTFOUND;
		return (*out = strdup(id->value)) ? 0 : cmk_error_oom();
	}
	if (!sub->value || !rg->value || !name->value)
		return CMK_ENOTFOUND;
	if (arm_id_build(out, sub->value, rg->value, type, name->value) < 0)
		return cmk_error_last_code() == CMK_ENOMEM ? CMK_ENOMEM : CMK_ENOTFOUND;
	return 0;
}

static void manifest__map_free(manifest_map *m)
{
	for (size_t i = 0; i < m->count; i++) {
		free(m->items[i].key.value);
		free(m->items[i].value.value);
	}
	free(m->items);
}

static void manifest__doc_free(manifest_doc *d)
{
	if (!d)
		return;
	free(d->name.value);
	manifest__map_free(&d->labels);
	manifest__map_free(&d->annotations);
	for (size_t i = 0; i < d->depends_on_count; i++)
		free(d->depends_on[i].name.value);
	free(d->depends_on);
	switch (d->kind) {
	case MANIFEST_KIND_KEY_VAULT_KEY: {
		manifest_key_vault_key *s = &d->spec.key_vault_key;

		free(s->vault_id.value);
		free(s->vault_subscription.value);
		free(s->vault_resource_group.value);
		free(s->vault_name.value);
		free(s->key.value);
		free(s->version.value);
		free(s->location.value);
		break;
	}
	case MANIFEST_KIND_MANAGED_IDENTITY: {
		manifest_managed_identity *s = &d->spec.managed_identity;

		free(s->subscription.value);
		free(s->resource_group.value);
		free(s->name.value);
		free(s->location.value);
		manifest__map_free(&s->tags);
		break;
	}
	case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER: {
		manifest_log_analytics_cluster *s = &d->spec.cluster;

		free(s->subscription.value);
		free(s->resource_group.value);
		free(s->name.value);
		free(s->location.value);
		free(s->identity.ref.name.value);
		free(s->key.name.value);
		manifest__map_free(&s->tags);
		break;
	}
	case MANIFEST_KIND_WORKSPACE_LINK: {
		manifest_workspace_link *s = &d->spec.workspace_link;

		free(s->cluster.name.value);
		for (size_t i = 0; i < s->workspace_count; i++) {
			free(s->workspaces[i].id.value);
			free(s->workspaces[i].location.value);
		}
		free(s->workspaces);
		break;
	}
	case MANIFEST_KIND_LINKED_STORAGE_ACCOUNT: {
		manifest_linked_storage_account *s = &d->spec.linked_storage;

		free(s->workspace.value);
		for (size_t i = 0; i < s->storage_account_count; i++)
			free(s->storage_accounts[i].value);
		free(s->storage_accounts);
		break;
	}
	case MANIFEST_KIND_KUSTO_CLUSTER_KEY: {
		manifest_kusto_cluster_key *s = &d->spec.kusto;

		free(s->cluster.value);
		free(s->location.value);
		free(s->identity.ref.name.value);
		free(s->key.name.value);
		break;
	}
	case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK: {
		manifest_app_insights_component_link *s = &d->spec.app_insights;

		free(s->component.value);
		free(s->location.value);
		free(s->cluster.name.value);
		break;
	}
	case MANIFEST_KIND__COUNT:
		break;
	}
	free(d);
}

void manifest_set_free(manifest_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++)
		manifest__doc_free(set->docs[i]);
	free(set->docs);
	for (size_t i = 0; i < set->file_count; i++)
		free(set->files[i]);
	free(set->files);
	free(set);
}

/* Levenshtein distance, ASCII case-insensitive, capped: words over 64
 * characters are not compared (no field name is that long). */
static size_t manifest__distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t best = diag + cost;

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *manifest_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word);
	size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;

	for (size_t i = 0; i < n; i++) {
		size_t d = manifest__distance(word, candidates[i]);

		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best && best_d <= limit ? best : NULL;
}
