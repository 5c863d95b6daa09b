/*
 * diff.c - plan_build: the desired model against the live model, into
 * resources with their changes and reasons, steps in the documented order
 * with preflight blocks, and drift findings (see plan.h).
 *
 * This file owns the shared context (diff_internal.h) and the order of the
 * passes, one per kind, in dependency order: keys (resolve `latest`, check
 * the vault and key), identities, Log Analytics clusters, Kusto clusters,
 * workspace links, managed clusters no longer in the manifests, unlisted
 * links, the 1000-workspace rule, linked storage, components. Each pass is
 * in diff_<kind>.c. Lookups of live resources that can be many
 * (workspaces) go through a hash index built once, so a plan over 10,000
 * workspaces stays linear.
 */
#include "planner/plan.h"

#include <stdlib.h>
#include <string.h>

#include "planner/diff.h"
#include "planner/diff_internal.h"

int diff__each(diff_ctx *c, manifest_kind kind, diff__doc_fn one)
{
	int error;

	for (size_t i = 0; i < c->set->count; i++)
		if (c->set->docs[i]->kind == kind && (error = one(c, i)) < 0)
			return error;
	return 0;
}

/* The set must be valid and resolved: plan_build trusts its references. */
static int diff__check_set(size_t *nlisted, const manifest_set *set)
{
	*nlisted = 0;
	for (size_t i = 0; i < set->count; i++) {
		const manifest_doc *d = set->docs[i];

		if (d->has_errors)
			return cmk_error_set(CMK_EINVALID, "%s/%s has errors: validate the manifests first",
					     manifest_kind_name(d->kind), d->name.value ? d->name.value : "?");
		if ((d->kind == MANIFEST_KIND_LOG_ANALYTICS_CLUSTER && d->spec.cluster.key.name.value &&
		     !d->spec.cluster.key.target) ||
		    (d->kind == MANIFEST_KIND_WORKSPACE_LINK && !d->spec.workspace_link.cluster.target) ||
		    (d->kind == MANIFEST_KIND_KUSTO_CLUSTER_KEY && !d->spec.kusto.key.target) ||
		    (d->kind == MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK && !d->spec.app_insights.cluster.target))
			return cmk_error_set(CMK_EINVALID, "%s/%s has unresolved references: validate the manifests first",
					     manifest_kind_name(d->kind), d->name.value ? d->name.value : "?");
		if (d->kind == MANIFEST_KIND_WORKSPACE_LINK)
			*nlisted += d->spec.workspace_link.workspace_count;
	}
	return 0;
}

/* The context's state per document and its id indexes (live workspaces,
 * listed workspaces, managed clusters). */
static int diff__ctx_init(diff_ctx *c, size_t nlisted)
{
	const manifest_set *set = c->set;
	const live_state *live = c->live;
	char now[32];
	int error;

	if ((error = plan__alloc(&c->p)) < 0)
		return error;
	diff_format_time(now, sizeof(now), c->now);
	if ((c->p->now = strdup(now)) == NULL ||
	    (set->count && (c->docs = calloc(set->count, sizeof(diff__doc))) == NULL) ||
	    (nlisted && (c->listed_step = calloc(nlisted, sizeof(size_t))) == NULL) ||
	    (live->workspace_count && (c->unlink_step = calloc(live->workspace_count, sizeof(size_t))) == NULL))
		return cmk_error_oom();
	for (size_t i = 0; i < set->count; i++) {
		diff__doc *d = &c->docs[i];

		d->res = d->principal_step = d->create = d->wait = d->tail = PLAN_NONE;
	}
	if ((error = diff__map_init(&c->ws, live->workspace_count)) < 0 ||
	    (error = diff__map_init(&c->listed, nlisted)) < 0 ||
	    (error = diff__map_init(&c->clusters, set->count)) < 0)
		return error;
	for (size_t i = 0; i < live->workspace_count; i++) {
		c->unlink_step[i] = PLAN_NONE;
		if (live->workspaces[i].id)
			diff__map_put(&c->ws, live->workspaces[i].id, i);
	}
	c->listed_count = nlisted;
	for (size_t i = 0, li = 0; i < set->count; i++) {
		const manifest_doc *d = set->docs[i];

		if (d->kind != MANIFEST_KIND_WORKSPACE_LINK)
			continue;
		for (size_t j = 0; j < d->spec.workspace_link.workspace_count; j++, li++)
			diff__map_put(&c->listed, d->spec.workspace_link.workspaces[j].id.value, li);
	}
	return 0;
}

static void diff__ctx_free(diff_ctx *c)
{
	for (size_t i = 0; c->docs && i < c->set->count; i++) {
		free(c->docs[i].id);
		free(c->docs[i].principal);
		free(c->docs[i].key_id);
		free(c->docs[i].version);
		free(c->docs[i].problem);
	}
	free(c->docs);
	free(c->ws.slots);
	free(c->listed.slots);
	free(c->clusters.slots);
	free(c->listed_step);
	free(c->links);
	free(c->unlink_step);
	plan_free(c->p);
}

int plan_build(plan **out, const manifest_set *set, const live_state *live, const plan_options *opts)
{
	static const plan_options defaults = PLAN_OPTIONS_INIT;
	diff_ctx c;
	size_t nlisted;
	int error;

	memset(&c, 0, sizeof(c));
	c.set = set;
	c.live = live;
	c.opts = opts ? opts : &defaults;
	c.now = c.opts->now ? c.opts->now : time(NULL);
	*out = NULL;
	if ((error = diff__check_set(&nlisted, set)) < 0)
		return error;
	/* the passes, in dependency order: what a later pass joins (a
	 * cluster's chain, a key's version, a link step) exists by then */
	if ((error = diff__ctx_init(&c, nlisted)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_KEY_VAULT_KEY, diff__key)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_MANAGED_IDENTITY, diff__identity)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_LOG_ANALYTICS_CLUSTER, diff__cluster)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_KUSTO_CLUSTER_KEY, diff__kusto)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_WORKSPACE_LINK, diff__link_list)) < 0 ||
	    (error = diff__orphans(&c)) < 0 || (error = diff__unlisted(&c)) < 0 ||
	    (error = diff__link_limit(&c)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_LINKED_STORAGE_ACCOUNT, diff__storage)) < 0 ||
	    (error = diff__each(&c, MANIFEST_KIND_APP_INSIGHTS_COMPONENT_LINK, diff__component)) < 0 ||
	    (error = plan__finish(c.p)) < 0)
		goto out;
	c.p->allow_destroy = c.opts->allow_destroy;
	c.p->allow_unlink = c.opts->allow_unlink;
	c.p->no_grant = c.opts->no_grant;
	*out = c.p;
	c.p = NULL;
out:
	diff__ctx_free(&c);
	return error;
}
