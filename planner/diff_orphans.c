/*
 * diff_orphans.c - the diff's passes over what is live but in no
 * manifest: workspaces linked to a managed cluster that no WorkspaceLink
 * lists (reported, unlinked with unlinkUnlisted or --allow-unlink), and
 * clusters cmkctl manages (tagged) that left the manifests (kept, or
 * deleted after unlinking their workspaces with deletionPolicy Delete and
 * --allow-destroy).
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"
#include "planner/diff.h"

/* ---- workspaces linked to a managed cluster, in no manifest -------------- */

static int diff__unlisted_one(diff_ctx *c, size_t wi, diff__doc *cd)
{
	const live_workspace *w = &c->live->workspaces[wi];
	size_t res, step;
	char *addr = NULL;
	int error;

	if ((error = diff__add_workspace(&res, &addr, c, w)) < 0 ||
	    (error = plan__add_finding(c->p, PLAN_FINDING_UNMANAGED_LINK, addr,
				       "workspace %s is linked to managed cluster %s but is in no manifest",
				       w->id, diff__last_segment(cd->id))) < 0)
		goto out;
	if (cd->unlink_unlisted || c->opts->allow_unlink) {
		c->p->resources[res].action = PLAN_ACTION_DELETE;
		if ((error = plan__add_reason(c->p, res, "linked to %s but in no manifest: unlinked (%s)",
					      diff__last_segment(cd->id), cd->unlink_unlisted ? "unlinkUnlisted"
					      : "--allow-unlink")) < 0 ||
		    (error = diff__unlink(&step, c, res, wi, "in no manifest", false)) < 0)
			goto out;
	} else {
		cd->linked++;
		if ((error = plan__add_reason(c->p, res, "linked to %s but in no manifest: left alone "
					      "(unlinkUnlisted: true or --allow-unlink unlinks it)",
					      diff__last_segment(cd->id))) < 0)
			goto out;
	}
out:
	free(addr);
	return error;
}

int diff__unlisted(diff_ctx *c)
{
	int error;

	for (size_t wi = 0; wi < c->live->workspace_count; wi++) {
		const live_workspace *w = &c->live->workspaces[wi];
		size_t cdi;
		diff__doc *cd;

		if (!w->cluster_resource_id || !*w->cluster_resource_id ||
		    (cdi = diff__map_get(&c->clusters, w->cluster_resource_id)) == PLAN_NONE)
			continue;
		cd = &c->docs[cdi];
		if (diff__map_get(&c->listed, w->id) != PLAN_NONE) {
			/* counted once: an unlink in progress is re-linked by a new link step */
			if (!w->link_state || strcasecmp(w->link_state, "Deleting") != 0)
				cd->linked++;
			continue;
		}
		if ((error = diff__unlisted_one(c, wi, cd)) < 0)
			return error;
	}
	return 0;
}

/* ---- managed clusters no longer in the manifests --------------------------- */

/* A managed cluster that stays: being deleted, deletionPolicy Retain, or
 * no --allow-destroy. Returns 1 when it stays, 0 when it goes. */
static int diff__orphan_kept(diff_ctx *c, const live_la_cluster *lc, size_t res, const char *addr)
{
	int error;

	if (lc->provisioning_state && strcasecmp(lc->provisioning_state, "Deleting") == 0) {
		if ((error = plan__add_reason(c->p, res, "not in the manifests; already being deleted")) < 0)
			return error;
	} else if (!diff__has_tag(&lc->tags, PLAN_TAG_DELETION_POLICY, "Delete")) {
		if ((error = plan__add_reason(c->p, res, "managed by cmkctl but no longer in the manifests: kept "
					      "(deletionPolicy Retain)")) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, addr,
					       "cluster %s is no longer in the manifests (deletionPolicy Retain: kept)",
					       lc->id)) < 0)
			return error;
	} else if (!c->opts->allow_destroy) {
		if ((error = plan__add_reason(c->p, res, "no longer in the manifests, deletionPolicy Delete: "
					      "--allow-destroy deletes it")) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_FIELD_DRIFT, addr,
					       "cluster %s is no longer in the manifests (deletionPolicy Delete: "
					       "kept until --allow-destroy)", lc->id)) < 0)
			return error;
	} else {
		return 0;
	}
	return 1;
}

/* Its workspaces are unlinked before the delete (a workspace moving to a
 * managed cluster is unlinked already). */
static int diff__orphan_unlinks(diff_ctx *c, const live_la_cluster *lc, size_t step)
{
	int error;

	for (size_t wi = 0; wi < c->live->workspace_count; wi++) {
		const live_workspace *w = &c->live->workspaces[wi];
		size_t wres, un;

		if (!w->cluster_resource_id || !arm_id_equal(w->cluster_resource_id, lc->id))
			continue;
		if (c->unlink_step[wi] != PLAN_NONE) {
			if ((error = plan__add_dep(c->p, step, c->unlink_step[wi])) < 0)
				return error;
			continue;
		}
		if ((error = diff__add_workspace(&wres, NULL, c, w)) < 0 ||
		    (error = plan__add_reason(c->p, wres, "its cluster is deleted")) < 0 ||
		    (error = diff__unlink(&un, c, wres, wi, "its cluster is deleted", false)) < 0 ||
		    (error = plan__add_dep(c->p, step, un)) < 0)
			return error;
		c->p->resources[wres].action = PLAN_ACTION_DELETE;
	}
	return 0;
}

/* Delete: after a running operation, after its workspaces' unlinks. */
static int diff__orphan_delete(diff_ctx *c, const live_la_cluster *lc, size_t res)
{
	diff__doc tmp;
	size_t step;
	int error;

	memset(&tmp, 0, sizeof(tmp));
	tmp.id = lc->id;
	tmp.res = res;
	tmp.lc = lc;
	tmp.busy = lc->busy || !diff_state_terminal(lc->provisioning_state);
	tmp.busy_state = lc->provisioning_state;
	tmp.wait = tmp.tail = PLAN_NONE;
	c->p->resources[res].action = PLAN_ACTION_DELETE;
	if ((error = plan__add_reason(c->p, res, "no longer in the manifests, deletionPolicy Delete, "
				      "--allow-destroy")) < 0 ||
	    (error = plan__add_step(&step, c->p, PLAN_STEP_CLUSTER_DELETE, res, lc->id, lc->id,
				    "delete cluster %s, wait (its name stays reserved for 14 days)",
				    diff__or(lc->name, lc->id))) < 0 ||
	    (error = diff__chain(c, &tmp, step, "cluster")) < 0)
		return error;
	return diff__orphan_unlinks(c, lc, step);
}

/* One managed cluster that left the manifests. */
static int diff__orphan(diff_ctx *c, const live_la_cluster *lc, const char *addr)
{
	size_t res;
	int error;

	if ((error = diff__add_touched(&res, c, addr, lc->id, false)) < 0 ||
	    (error = diff__orphan_kept(c, lc, res, addr)) != 0)
		return error < 0 ? error : 0;
	return diff__orphan_delete(c, lc, res);
}

int diff__orphans(diff_ctx *c)
{
	for (size_t i = 0; i < c->live->cluster_count; i++) {
		const live_la_cluster *lc = &c->live->clusters[i];
		char *addr;
		int error;

		if (!lc->id || diff__map_get(&c->clusters, lc->id) != PLAN_NONE ||
		    !diff__has_tag(&lc->tags, PLAN_TAG_MANAGED, "true"))
			continue;
		if ((addr = plan__fmt("LogAnalyticsCluster/%s", diff__or(lc->name, diff__last_segment(lc->id)))) == NULL)
			return cmk_error_oom();
		error = diff__orphan(c, lc, addr);
		free(addr);
		if (error < 0)
			return error;
	}
	return 0;
}
