/*
 * diff_identity.c - the ManagedIdentity pass of the diff (create a missing
 * user-assigned identity, update its tags, block a move to another
 * region), and who a cluster's principal is: its user-assigned identity's,
 * its own, or one read back after an identity change.
 */
#include "planner/diff_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/arm_id.h"

static int diff__identity_create(diff_ctx *c, diff__doc *d, const manifest_managed_identity *s,
				 const diff__tag *tags, size_t ntags)
{
	size_t step;
	int error;

	c->p->resources[d->res].action = PLAN_ACTION_CREATE;
	if ((error = plan__add_reason(c->p, d->res, "the identity does not exist")) < 0 ||
	    (error = plan__add_change(c->p, d->res, "location", NULL, s->location.value)) < 0 ||
	    (error = diff__tags(c, d->res, tags, ntags, &(live_tags){ NULL, 0 })) < 0 ||
	    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_CREATE, d->res, d->id,
				    NULL, "create user-assigned identity %s in %s", s->name.value,
				    s->location.value)) < 0 ||
	    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
	    (error = diff__tags_param(c, step, tags, ntags)) < 0)
		return error;
	d->create = step;
	return diff__principal_from_step(c, d, step);
}

static int diff__identity_existing(diff_ctx *c, diff__doc *d, const manifest_managed_identity *s,
				   const live_user_identity *li, const diff__tag *tags, size_t ntags)
{
	size_t step;
	int changed, error;

	if (li->principal_id && (d->principal = strdup(li->principal_id)) == NULL)
		return cmk_error_oom();
	if ((changed = diff__tags(c, d->res, tags, ntags, &li->tags)) < 0)
		return changed;
	if (li->location && s->location.value && !arm_location_equal(li->location, s->location.value)) {
		if ((error = plan__add_change(c->p, d->res, "location", li->location, s->location.value)) < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_UPDATE, d->res, d->id,
					    NULL, "update identity %s", s->name.value)) < 0 ||
		    (error = plan__block(c->p, step, "an identity cannot move to another region (%s -> %s): "
					 "create a new identity under another name",
					 li->location, s->location.value)) < 0)
			return error;
	} else if (changed) {
		c->p->resources[d->res].action = PLAN_ACTION_UPDATE;
		if ((error = plan__add_reason(c->p, d->res, "tags differ")) < 0 ||
		    (error = plan__add_step(&step, c->p, PLAN_STEP_IDENTITY_UPDATE, d->res, d->id,
					    NULL, "update tags of identity %s", s->name.value)) < 0 ||
		    (error = plan__add_param(c->p, step, "location", s->location.value)) < 0 ||
		    (error = diff__tags_param(c, step, tags, ntags)) < 0)
			return error;
	}
	return 0;
}

int diff__identity(diff_ctx *c, size_t i)
{
	const manifest_doc *doc = c->set->docs[i];
	const manifest_managed_identity *s = &doc->spec.managed_identity;
	diff__doc *d = &c->docs[i];
	const live_user_identity *li;
	diff__tag *tags = NULL;
	size_t ntags = 0;
	char *addr = NULL;
	int error;

	if ((error = arm_id_build(&d->id, s->subscription.value, s->resource_group.value,
				  "Microsoft.ManagedIdentity/userAssignedIdentities", s->name.value)) < 0)
		return error;
	if ((addr = diff__address(doc)) == NULL)
		return cmk_error_oom();
	if ((error = diff__add_touched(&d->res, c, addr, d->id, false)) < 0 ||
	    (error = diff__want_tags(&tags, &ntags, &s->tags, NULL)) < 0)
		goto out;
	li = live_find_identity(c->live, d->id);
	if (!li)
		error = diff__identity_create(c, d, s, tags, ntags);
	else
		error = diff__identity_existing(c, d, s, li, tags, ntags);
out:
	free(tags);
	free(addr);
	return error;
}

/* ---- the principal of a cluster ----------------------------------------- */

bool diff__has_user_identity(const diff__doc *ident, const live_identity *li)
{
	bool has = false;

	for (size_t i = 0; ident && i < li->user_assigned_count; i++)
		has = has || arm_id_equal(li->user_assigned[i], ident->id);
	return has;
}

int diff__principal_of_identity(diff__doc *d, const diff__doc *ident)
{
	if (!ident)
		return 0;
	d->principal_step = ident->principal_step;
	if (ident->principal && (d->principal = strdup(ident->principal)) == NULL)
		return cmk_error_oom();
	return 0;
}

int diff__principal_from_step(diff_ctx *c, diff__doc *d, size_t step)
{
	free(d->principal);
	d->principal_step = step;
	if ((d->principal = plan__ref(c->p, step, "principalId")) == NULL)
		return cmk_error_oom();
	return 0;
}
