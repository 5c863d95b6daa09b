/*
 * live_azure.c - a client from the environment, and the live state of a
 * manifest set read through providers/live_read (see live_azure.h).
 */
#include "reconciler/live_azure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/time.h"
#include "providers/cloud.h"

int live_azure_connect(live_azure_conn *out, const live_azure_opts *opts)
{
	arm_client_opts o = { 0 };
	int error;

	memset(out, 0, sizeof(*out));
	/* the one parser (common/time.h); 1.0 when unset */
	if ((error = cmk_time_scale_env(&o.time_scale)) < 0)
		return error;
	if ((error = arm_cloud_resolve(&out->cloud, NULL)) < 0)
		return error;
	o.cloud = out->cloud;
	if (opts) {
		o.cancel = opts->cancel;
		o.max_parallel = opts->max_parallel;
	}
	if ((error = arm_client_new(&out->client, &o)) < 0)
		live_azure_disconnect(out);
	return error;
}

void live_azure_disconnect(live_azure_conn *conn)
{
	arm_client_free(conn->client);
	arm_cloud_free(conn->cloud);
	memset(conn, 0, sizeof(*conn));
}

/* Append `s` to a list unless it is there already (ids without case). */
static void live_azure__add(const char **list, size_t *n, const char *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(list[i], s) == 0)
			return;
	list[(*n)++] = s;
}

static int live_azure__own(live_azure_scope *s, char *str, const char **out)
{
	if (!str)
		return cmk_error_oom();
	s->owned_[s->owned_count_++] = str;
	*out = str;
	return 0;
}

/* The subscription id of a resource id into `out`; false when none. */
static bool live_azure__sub_of(char *out, size_t size, const char *id)
{
	size_t n;

	if (!id || strncasecmp(id, "/subscriptions/", 15) != 0)
		return false;
	n = strcspn(id + 15, "/");
	if (n == 0 || n >= size)
		return false;
	memcpy(out, id + 15, n);
	out[n] = '\0';
	return true;
}

/* The scope names subscriptions as ids ("/subscriptions/{id}"). */
static int live_azure__add_sub(live_azure_scope *s, const char *subscription)
{
	char text[160];
	const char *id = NULL;
	int error;

	if (!subscription)
		return 0;
	snprintf(text, sizeof(text), "/subscriptions/%s", subscription);
	for (size_t i = 0; i < s->scope.subscription_count; i++)
		if (strcasecmp(s->subs_[i], text) == 0)
			return 0;
	if ((error = live_azure__own(s, strdup(text), &id)) < 0)
		return error;
	live_azure__add(s->subs_, &s->scope.subscription_count, id);
	return 0;
}

int live_azure_scope_build(live_azure_scope *out, const manifest_set *set)
{
	size_t cap = set->count * 6 + 4, n_ws = 0;
	live_scope *sc = &out->scope;
	int error = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < set->count; i++)
		if (set->docs[i]->kind == MANIFEST_KIND_WORKSPACE_LINK)
			n_ws += set->docs[i]->spec.workspace_link.workspace_count;
	cap += n_ws;
	if (!(out->subs_ = calloc(cap, sizeof(char *))) || !(out->clusters_ = calloc(cap, sizeof(char *))) ||
	    !(out->workspaces_ = calloc(cap, sizeof(char *))) || !(out->ls_ws_ = calloc(cap, sizeof(char *))) ||
	    !(out->vaults_ = calloc(cap, sizeof(char *))) || !(out->ids_ = calloc(cap, sizeof(char *))) ||
	    !(out->kusto_ = calloc(cap, sizeof(char *))) || !(out->comps_ = calloc(cap, sizeof(char *))) ||
	    !(out->keys_ = calloc(cap, sizeof(live_scope_key))) || !(out->owned_ = calloc(cap, sizeof(char *)))) {
		error = cmk_error_oom();
		goto out;
	}
	sc->subscriptions = out->subs_;
	sc->clusters = out->clusters_;
	sc->workspaces = out->workspaces_;
	sc->linked_storage_workspaces = out->ls_ws_;
	sc->vaults = out->vaults_;
	sc->identities = out->ids_;
	sc->kusto_clusters = out->kusto_;
	sc->components = out->comps_;
	sc->keys = out->keys_;
	sc->link_state = true;

	for (size_t i = 0; i < set->count; i++) {
		const manifest_doc *d = set->docs[i];
		const char *id = NULL;
		char *built = NULL;

		if (d->kind != MANIFEST_KIND_WORKSPACE_LINK && d->kind != MANIFEST_KIND_LINKED_STORAGE_ACCOUNT) {
			if ((error = manifest_doc_resource_id(&built, d)) < 0) {
				if (error != CMK_ENOTFOUND)
					goto out;
				error = 0;
				continue;
			}
			if ((error = live_azure__own(out, built, &id)) < 0)
				goto out;
		}
		switch (d->kind) {
		case MANIFEST_KIND_KEY_VAULT_KEY: {
			const manifest_key_vault_key *k = &d->spec.key_vault_key;
			bool known = false;

			live_azure__add(out->vaults_, &sc->vault_count, id);
			for (size_t j = 0; j < sc->key_count; j++)
				known |= strcasecmp(out->keys_[j].vault_id, id) == 0 &&
					 strcmp(out->keys_[j].name, k->key.value) == 0;
			if (!known && k->key.value)
				out->keys_[sc->key_count++] = (live_scope_key){ id, k->key.value };
			break;
		}
		case MANIFEST_KIND_MANAGED_IDENTITY:
			live_azure__add(out->ids_, &sc->identity_count, id);
			if ((error = live_azure__add_sub(out, d->spec.managed_identity.subscription.value)) < 0)
				goto out;
			break;
		case MANIFEST_KIND_LOG_ANALYTICS_CLUSTER:
			live_azure__add(out->clusters_, &sc->cluster_count, id);
			if ((error = live_azure__add_sub(out, d->spec.cluster.subscription.value)) < 0)
				goto out;
			break;
		case MANIFEST_KIND_WORKSPACE_LINK:
			/* the workspaces' subscriptions too: a managed cluster removed
			 * from the manifests is found by the cluster list of a
			 * subscription the manifests still touch */
			for (size_t j = 0; j < d->spec.workspace_link.workspace_count; j++) {
				const char *ws = d->spec.workspace_link.workspaces[j].id.value;
				char sub[128];

				live_azure__add(out->workspaces_, &sc->workspace_count, ws);
				if (live_azure__sub_of(sub, sizeof(sub), ws) &&
				    (error = live_azure__add_sub(out, sub)) < 0)
					goto out;
			}
			break;
		case MANIFEST_KIND_LINKED_STORAGE_ACCOUNT:
			live_azure__add(out->ls_ws_, &sc->linked_storage_workspace_count,
					d->spec.linked_storage.workspace.value);
			live_azure__add(out->workspaces_, &sc->workspace_count, d->spec.linked_storage.workspace.value);
			break;
		case MANIFEST_KIND_KUSTO_CLUSTER_KEY:
			live_azure__add(out->kusto_, &sc->kusto_cluster_count, id);
			break;
		case MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK:
			live_azure__add(out->comps_, &sc->component_count, id);
			break;
		default:
			break;
		}
	}
out:
	if (error < 0)
		live_azure_scope_free(out);
	return error;
}

void live_azure_scope_free(live_azure_scope *s)
{
	for (size_t i = 0; i < s->owned_count_; i++)
		free(s->owned_[i]);
	free(s->owned_);
	free(s->subs_);
	free(s->clusters_);
	free(s->workspaces_);
	free(s->ls_ws_);
	free(s->vaults_);
	free(s->ids_);
	free(s->kusto_);
	free(s->comps_);
	free(s->keys_);
	memset(s, 0, sizeof(*s));
}

int live_azure_read(live_state *out, arm_client *c, const manifest_set *set)
{
	live_azure_scope s;
	int error;

	memset(out, 0, sizeof(*out));
	if ((error = live_azure_scope_build(&s, set)) < 0)
		return error;
	error = live_read(out, c, &s.scope);
	live_azure_scope_free(&s);
	return error;
}
