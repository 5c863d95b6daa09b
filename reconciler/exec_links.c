/*
 * exec_links.c - the workspace link kinds' handlers: links sent together
 * (1000 links are 1000 concurrent PUTs in the one loop, journaled before
 * they are sent), links and unlinks observed with one workspace list per
 * subscription per round, link.wait steps, and the links verified by
 * reading features.clusterResourceId back (see exec_internal.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arm_id.h"
#include "providers/adapter_link.h"
#include "providers/adapter_workspace.h"
#include "reconciler/exec_internal.h"

static int exec__send_link(exec_sent *out, exec_run *w, const plan_step *s)
{
	int error = adapter_link_begin(&out->op, w->c, s->target, plan_step_param_str(s, "clusterResourceId"),
				       &out->err);

	if (error == 0)
		out->op->observed = 1;
	return error;
}

static int exec__send_unlink(exec_sent *out, exec_run *w, const plan_step *s)
{
	int error = adapter_unlink_begin(&out->op, w->c, s->target, &out->err);

	if (error == 0)
		out->op->observed = 1;
	return error;
}

static int exec__link_idle(exec_run *w, const plan_step *s)
{
	return adapter_link_wait_idle(w->c, s->target);
}

/*
 * Write-ahead: the links are in the journal before they are sent, so a run
 * killed before their answers arrive (kill -9 amid 1000 PUTs) still waits
 * for them next time - the workspace list shows those that were sent, a
 * linked-service probe finds the others never started.
 */
static int exec__journal_intents(exec_run *w, const size_t *steps, size_t n)
{
	int error;

	for (size_t k = 0; k < n; k++) {
		arm_op *intent = NULL;

		if ((error = adapter_link_intent(&intent, w->p->steps[steps[k]].target)) < 0)
			return error;
		error = opstate_add(w->o->journal, w->p->steps[steps[k]].id, intent);
		arm_op_free(intent);
		if (error < 0)
			return error;
	}
	return opstate_save(w->o->journal);
}

/* How link k of a batch was answered. */
static int exec__link_outcome(exec_run *w, size_t i, arm_op **op, int rc, const arm_error *err)
{
	char *url = NULL;
	int error = 0;

	if (rc == 0 && *op) {
		(*op)->observed = 1;
		if (w->o->journal && (error = opstate_add(w->o->journal, w->p->steps[i].id, *op)) < 0)
			return error;
		if ((error = exec__add_op(w, *op, i, EXEC_OP_WRITE)) == 0)
			*op = NULL;
		return error;
	}
	if (rc == CMK_ECANCELED && !err) {
		/* interrupted, maybe before it was sent: the journal keeps the
		 * intent, the next run finds out */
		exec__mark_pending(w, i);
		return 0;
	}
	if (w->o->journal) {
		if ((error = adapter_link_url(&url, w->p->steps[i].target)) < 0)
			return error;
		opstate_remove(w->o->journal, url);
		free(url);
	}
	if (err && err->klass == ARM_ERROR_WAIT_RUNNING) {
		/* rare: the one-by-one path waits and sends again */
		w->r->steps[i].writes--;
		return exec__start(w, i);
	}
	exec__fail_err(w, i, err);
	return 0;
}

/* Start every ready link step at once (adapter_link_begin_all). */
static int exec__send_links(exec_run *w, const size_t *steps, size_t n)
{
	arm_op **ops = calloc(n, sizeof(*ops));
	arm_error **errs = calloc(n, sizeof(*errs));
	int *rcs = calloc(n, sizeof(*rcs));
	const char **ws = calloc(n, sizeof(*ws)), **clusters = calloc(n, sizeof(*clusters));
	int error = 0;

	if (!ops || !errs || !rcs || !ws || !clusters) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t k = 0; k < n; k++) {
		const plan_step *s = &w->p->steps[steps[k]];

		ws[k] = s->target;
		clusters[k] = plan_step_param_str(s, "clusterResourceId");
		exec__mark_running(w, steps[k]);
		w->r->steps[steps[k]].writes++;
	}
	if (w->o->journal && (error = exec__journal_intents(w, steps, n)) < 0)
		goto out;
	/* each request's outcome is in rcs/errs */
	if (adapter_link_begin_all(ops, rcs, errs, w->c, ws, clusters, n) < 0)
		cmk_error_clear();
	for (size_t k = 0; k < n && error == 0; k++)
		error = exec__link_outcome(w, steps[k], &ops[k], rcs[k], errs[k]);
out:
	for (size_t k = 0; k < n; k++) {
		if (ops)
			arm_op_free(ops[k]);
		if (errs)
			arm_error_free(errs[k]);
	}
	free(ops);
	free(errs);
	free(rcs);
	free(ws);
	free(clusters);
	return error;
}

/* Every workspace whose link step just succeeded shows the cluster it was
 * linked to (one workspace list per subscription, not a GET per workspace). */
static int exec__verify_links(exec_run *w, const size_t *steps, size_t n)
{
	const char **ids = calloc(n, sizeof(*ids));
	live_state seen = { 0 };
	int error;

	if (!ids)
		return cmk_error_oom();
	for (size_t k = 0; k < n; k++)
		ids[k] = w->p->steps[steps[k]].target;
	if ((error = adapter_workspace_list_of(&seen, w->c, ids, n, NULL)) < 0)
		goto out;
	for (size_t k = 0; k < n; k++) {
		const plan_step *s = &w->p->steps[steps[k]];
		const live_workspace *ws = live_find_workspace(&seen, s->target);
		const char *want = plan_step_param_str(s, "clusterResourceId");
		char msg[2048];

		if (ws && ws->cluster_resource_id && arm_id_equal(ws->cluster_resource_id, want))
			continue;
		snprintf(msg, sizeof(msg), "read-back: workspace %s shows features.clusterResourceId %s, not %s",
			 s->target, ws && ws->cluster_resource_id ? ws->cluster_resource_id : "(none)", want);
		exec__fail(w, steps[k], msg);
	}
out:
	free(ids);
	live_state_free(&seen);
	return error;
}

static int exec__wait_link(arm_op **out, const plan_step *s)
{
	return adapter_link_wait_begin(out, s->target);
}

const exec_handler exec__h_link_wait = { .wait = exec__wait_link, .wait_role = EXEC_OP_LINK_WAIT };
const exec_handler exec__h_workspace_link = { .send = exec__send_link, .send_all = exec__send_links,
					      .wait_idle = exec__link_idle, .verify_all = exec__verify_links };
const exec_handler exec__h_workspace_unlink = { .send = exec__send_unlink, .wait_idle = exec__link_idle };

/* Links and unlinks: one workspace list per subscription per round;
 * link.wait steps: their linked service until it is idle. */
int exec__observe(void *ud, arm_client *c, arm_op **ops, size_t n)
{
	exec_run *w = ud;
	arm_op **links = calloc(n ? n : 1, sizeof(*links));
	size_t nl = 0;
	int error = 0;

	if (!links)
		return 0; /* next round */
	/* only links: the observer's rounds and probe turns count them */
	for (size_t k = 0; k < n; k++)
		if (ops[k]->kind == ARM_OP_WORKSPACE_LINK || ops[k]->kind == ARM_OP_WORKSPACE_UNLINK)
			links[nl++] = ops[k];
	if (nl && (error = adapter_link_observe(&w->observer, c, links, nl)) < 0)
		goto out;
	for (size_t k = 0; k < w->n; k++) {
		exec_op *x = &w->ops[k];
		char *state = NULL;

		if (x->done || x->role != EXEC_OP_LINK_WAIT || !exec__op_running(x->op))
			continue;
		adapter_link_wait_check(&state, c, x->op);
		if (state && w->o->progress)
			progress_status(w->o->progress, w->p->steps[x->step].id, state);
		free(state);
	}
out:
	free(links);
	return error;
}
