/*
 * diff_components.c - the AppInsightsComponentLink pass of the diff: an
 * Application Insights component associated with its cluster (through
 * the cluster's clusterId, read back when the cluster is new), after the
 * cluster's writes, in the cluster's region.
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/arm_id.h"

/* Whether the component is associated with the cluster already. */
static bool diff__component_current(const live_component *lc, const diff__doc *cd)
{
	return lc && lc->cluster_definition_id && cd->lc &&
	       ((cd->lc->cluster_id && strcasecmp(lc->cluster_definition_id, cd->lc->cluster_id) == 0) ||
		arm_id_equal(lc->cluster_definition_id, cd->id));
}

/* clusterDefinitionId is the cluster's clusterId (seed 000): live, read
 * back from the create, or the id when neither is known. */
static char *diff__component_want(diff_ctx *c, const diff__doc *cd)
{
	if (cd->lc && cd->lc->cluster_id)
		return strdup(cd->lc->cluster_id);
	if (cd->create != PLAN_NONE)
		return plan__ref(c->p, cd->create, "clusterId");
	return strdup(cd->id);
}

static int diff__component_link(diff_ctx *c, const manifest_app_insights_component_link *s, size_t res,
				const live_component *lc, diff__doc *cd, const char *want, const char *addr)
{
	const char *cloc = s->cluster.target->spec.cluster.location.value;
	size_t step;
	int error;

	c->p->resources[res].action = PLAN_ACTION_UPDATE;
	if ((error = plan__add_change(c->p, res, "clusterDefinitionId", lc ? lc->cluster_definition_id : NULL,
				      want)) < 0 ||
	    (error = plan__add_reason(c->p, res, "the component is not associated with cluster %s",
				      diff__last_segment(cd->id))) < 0 ||
	    (error = plan__add_step(&step, c->p, PLAN_STEP_COMPONENT_LINK, res,
				    s->component.value, NULL, "associate component %s with cluster %s",
				    diff__last_segment(s->component.value), diff__last_segment(cd->id))) < 0 ||
	    (error = diff__after_chain(c, cd, step)) < 0 ||
	    (error = plan__add_param(c->p, step, "clusterDefinitionId", want)) < 0)
		return error;
	if (!lc) {
		if ((error = plan__block(c->p, step, "Application Insights component %s not found",
					 s->component.value)) < 0 ||
		    (error = plan__add_finding(c->p, PLAN_FINDING_VANISHED, addr, "component %s not found",
					       s->component.value)) < 0)
			return error;
	} else if (lc->location && cloc && !arm_location_equal(lc->location, cloc) &&
		   (error = plan__block(c->p, step, DIFF_MSG_REGION ": component %s is in %s, the cluster in %s",
					diff__last_segment(s->component.value), lc->location, cloc)) < 0) {
		return error;
	}
	return 0;
}

int diff__component(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_app_insights_component_link *s = &doc->spec.app_insights;
	diff__doc *cd = &c->docs[diff__doc_index(c, s->cluster.target)];
	const live_component *lc;
	char *addr = NULL, *want = NULL;
	size_t res;
	int error;

	if ((addr = diff__address(doc)) == NULL)
		return cmk_error_oom();
	if ((error = diff__add_touched(&res, c, addr, s->component.value, false)) < 0)
		goto out;
	lc = live_find_component(c->live, s->component.value);
	if (diff__component_current(lc, cd))
		goto out;
	if ((want = diff__component_want(c, cd)) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	error = diff__component_link(c, s, res, lc, cd, want, addr);
out:
	free(addr);
	free(want);
	return error;
}
