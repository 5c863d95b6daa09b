/*
 * diff_links.c - the WorkspaceLink pass of the diff: each listed workspace
 * linked to its cluster after the cluster exists and has its key (a move
 * from another cluster is an unlink then a link, when allowed), waits for
 * link operations in progress, the preflight of every link (workspace
 * found, link budget, region, tenant), and the 1000-workspace rule once
 * every link and unlink is known. Also the unlink step the orphan passes
 * share.
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "planner/diff.h"
#include "planner/validate.h"

/* What linking one listed workspace works with. */
typedef struct {
	const manifest_doc *doc;       /* the WorkspaceLink document */
	size_t cdi;                    /* its cluster's document index */
	diff__doc *cd;                 /* its cluster's document */
	const char *cloc, *ctenant;    /* the cluster's region and tenant */
	const char *wid;               /* the workspace id */
	size_t wi;                     /* its index in the live workspaces, or PLAN_NONE */
	const live_workspace *w;       /* the live workspace, or NULL */
	size_t res;                    /* its plan resource */
	const char *addr;
	bool other;                    /* linked (live) to another cluster */
} diff__wl;

static bool diff__link_busy(const live_workspace *w)
{
	return w->link_state && !diff_state_terminal(w->link_state);
}

static int diff__link_wait(size_t *out, diff_ctx *c, size_t res, const live_workspace *w)
{
	int error;

	if ((error = plan__add_step(out, c->p, PLAN_STEP_LINK_WAIT, res, w->id, NULL,
				    "workspace %s: a link or unlink is in progress (%s): wait for it",
				    diff__or(w->name, diff__last_segment(w->id)), w->link_state)) < 0 ||
	    (error = plan__add_reason(c->p, res, "Workspace link or unlink operation in process (%s): cmkctl waits",
				      w->link_state)) < 0)
		return error;
	return 0;
}

int diff__unlink(size_t *out, diff_ctx *c, size_t res, size_t wi, const char *why, bool moving)
{
	const live_workspace *w = &c->live->workspaces[wi];
	size_t step, wait = PLAN_NONE;
	int error;

	if (diff__link_busy(w) && (error = diff__link_wait(&wait, c, res, w)) < 0)
		return error;
	if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_UNLINK, res, w->id, NULL,
				    "unlink workspace %s from cluster %s (%s), wait",
				    diff__or(w->name, diff__last_segment(w->id)),
				    diff__last_segment(w->cluster_resource_id), why)) < 0 ||
	    (error = plan__add_dep(c->p, step, wait)) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterResourceId", w->cluster_resource_id)) < 0)
		return error;
	/* a move (unlink then link) shows one change: old cluster -> new cluster */
	if (!moving && (error = plan__add_change(c->p, res, "clusterResourceId", w->cluster_resource_id, NULL)) < 0)
		return error;
	if (w->link_operations_30d >= PLAN_MAX_LINK_OPS_30D &&
	    (error = plan__block(c->p, step, DIFF_MSG_LINK_BUDGET " Workspace %s had %d in the last 30 days.",
				 diff__or(w->name, w->id), w->link_operations_30d)) < 0)
		return error;
	c->unlink_step[wi] = step;
	*out = step;
	return 0;
}

/* A listed workspace that does not exist: a blocked link and a finding. */
static int diff__link_absent(size_t *out, diff_ctx *c, const diff__wl *x)
{
	size_t step;
	int error;

	if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_LINK, x->res, x->wid, NULL,
				    "link workspace %s to cluster %s", diff__last_segment(x->wid),
				    diff__last_segment(x->cd->id))) < 0 ||
	    (error = diff__after_chain(c, x->cd, step)) < 0 ||
	    (error = plan__block(c->p, step, DIFF_MSG_WS_NOT_FOUND " (%s)", x->wid)) < 0 ||
	    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, x->addr, "workspace %s not found", x->wid)) < 0)
		return error;
	*out = step;
	return 0;
}

/* Remember a new link for the 1000-workspace rule. */
static int diff__link_note(diff_ctx *c, size_t step, size_t cdi)
{
	if (c->link_count == c->link_cap) {
		size_t ncap = c->link_cap ? c->link_cap * 2 : 64;
		diff__link *n = realloc(c->links, ncap * sizeof(*n));

		if (!n)
			return cmk_error_oom();
		c->links = n;
		c->link_cap = ncap;
	}
	c->links[c->link_count++] = (diff__link){ step, cdi };
	return 0;
}

/* Why the link would fail now: linked elsewhere without an unlink, the
 * link budget, another region or tenant. */
static int diff__link_preflight(diff_ctx *c, const diff__wl *x, size_t step, size_t unlink)
{
	const live_workspace *w = x->w;
	const char *wtenant = diff__tenant_of_id(c, x->wid);
	const char *name = diff__or(w->name, x->wid);
	int error;

	if (x->other && unlink == PLAN_NONE &&
	    (error = plan__block(c->p, step, DIFF_MSG_OTHER_CLUSTER " %s is linked to %s: unlink it first "
				 "(--allow-unlink plans the unlink)", name, w->cluster_resource_id)) < 0)
		return error;
	if (w->link_operations_30d >= 0 &&
	    w->link_operations_30d + (unlink != PLAN_NONE ? 1 : 0) >= PLAN_MAX_LINK_OPS_30D &&
	    (error = plan__block(c->p, step, DIFF_MSG_LINK_BUDGET " Workspace %s had %d in the last 30 days%s.",
				 name, w->link_operations_30d,
				 unlink != PLAN_NONE ? " and the move needs an unlink too" : "")) < 0)
		return error;
	if (w->location && x->cloc && !arm_location_equal(w->location, x->cloc) &&
	    (error = plan__block(c->p, step, DIFF_MSG_REGION ": workspace %s is in %s, the cluster in %s",
				 name, w->location, x->cloc)) < 0)
		return error;
	if (wtenant && x->ctenant && strcasecmp(wtenant, x->ctenant) != 0 &&
	    (error = plan__block(c->p, step, DIFF_MSG_REGION ": workspace %s is in tenant %s, the cluster in %s",
				 name, wtenant, x->ctenant)) < 0)
		return error;
	return 0;
}

/* Link an existing workspace: an unlink first when it moves (and moving
 * is allowed), a wait when a link operation runs, then the link. */
static int diff__link_existing(size_t *out, diff_ctx *c, const diff__wl *x)
{
	const live_workspace *w = x->w;
	size_t step, wait = PLAN_NONE, unlink = PLAN_NONE;
	int error;

	if (x->other) {
		if (c->opts->allow_unlink && (error = diff__unlink(&unlink, c, x->res, x->wi,
								   "moving to the cluster the manifest names", true)) < 0)
			return error;
	} else if (diff__link_busy(w) && (error = diff__link_wait(&wait, c, x->res, w)) < 0) {
		return error;
	}
	if ((error = plan__add_step(&step, c->p, PLAN_STEP_WORKSPACE_LINK, x->res, x->wid, NULL,
				    "link workspace %s to cluster %s, wait, verify features.clusterResourceId",
				    diff__or(w->name, diff__last_segment(x->wid)), diff__last_segment(x->cd->id))) < 0)
		return error;
	/* after the cluster exists and has its key (DESIGN.md step 6) */
	if ((error = diff__after_chain(c, x->cd, step)) < 0 || (error = plan__add_dep(c->p, step, wait)) < 0 ||
	    (error = plan__add_dep(c->p, step, unlink)) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterResourceId", x->cd->id)) < 0 ||
	    (error = plan__add_change(c->p, x->res, "clusterResourceId", x->other ? w->cluster_resource_id : NULL,
				      x->cd->id)) < 0 ||
	    (error = plan__add_reason(c->p, x->res, x->other ? "linked to another cluster"
							     : "the workspace is not linked")) < 0)
		return error;
	*out = step;
	if ((error = diff__link_note(c, step, x->cdi)) < 0)
		return error;
	return diff__link_preflight(c, x, step, unlink);
}

/* One listed workspace; *listed is its link step (or wait), PLAN_NONE
 * when it needs none. */
static int diff__link_workspace(size_t *listed, diff_ctx *c, diff__wl *x)
{
	const live_workspace *w = x->w;
	/* an unlink still running ("Deleting") leaves the workspace unlinked:
	 * wait for it, then link */
	bool leaving = w && w->link_state && strcasecmp(w->link_state, "Deleting") == 0;
	int error;

	x->other = w && !leaving && w->cluster_resource_id && *w->cluster_resource_id &&
		   !arm_id_equal(w->cluster_resource_id, x->cd->id);
	if ((error = diff__add_touched(&x->res, c, x->addr, x->wid, true)) < 0)
		return error;
	if (w && !leaving && w->cluster_resource_id && arm_id_equal(w->cluster_resource_id, x->cd->id)) {
		if (!diff__link_busy(w))
			return 0;
		c->p->resources[x->res].action = PLAN_ACTION_UPDATE;
		return diff__link_wait(listed, c, x->res, w);
	}
	c->p->resources[x->res].action = x->other ? PLAN_ACTION_UPDATE : PLAN_ACTION_CREATE;
	if (!w)
		return diff__link_absent(listed, c, x);
	return diff__link_existing(listed, c, x);
}

int diff__link_list(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_workspace_link *s = &doc->spec.workspace_link;
	diff__wl x = { .doc = doc };
	int error = 0;

	x.cdi = diff__doc_index(c, s->cluster.target);
	x.cd = &c->docs[x.cdi];
	x.cloc = s->cluster.target->spec.cluster.location.value;
	x.ctenant = diff__tenant_of_sub(c, s->cluster.target->spec.cluster.subscription.value);
	if (s->unlink_unlisted.set && s->unlink_unlisted.value)
		x.cd->unlink_unlisted = true;
	for (size_t j = 0; j < s->workspace_count && error == 0; j++) {
		size_t *listed = &c->listed_step[c->listed_next++];
		char *addr;

		x.wid = s->workspaces[j].id.value;
		x.wi = diff__map_get(&c->ws, x.wid);
		x.w = x.wi == PLAN_NONE ? NULL : &c->live->workspaces[x.wi];
		*listed = PLAN_NONE;
		if ((addr = plan__fmt("%s/%s/%s", manifest_kind_name(doc->kind), doc->name.value,
				      diff__last_segment(x.wid))) == NULL)
			return cmk_error_oom();
		x.addr = addr;
		error = diff__link_workspace(listed, c, &x);
		free(addr);
	}
	return error;
}

int diff__link_limit(diff_ctx *c)
{
	int error;

	for (size_t i = 0; i < c->link_count; i++) {
		diff__doc *cd = &c->docs[c->links[i].doc];

		if (!c->p->steps[c->links[i].step].blocked_reason)
			cd->linked++;
	}
	for (size_t i = 0; i < c->link_count; i++) {
		diff__doc *cd = &c->docs[c->links[i].doc];

		if (cd->linked > VALIDATE_MAX_WORKSPACES_PER_CLUSTER &&
		    (error = plan__block(c->p, c->links[i].step, DIFF_MSG_MAX_WS " Cluster %s would have %zu.",
					 diff__last_segment(cd->id), cd->linked)) < 0)
			return error;
	}
	return 0;
}
