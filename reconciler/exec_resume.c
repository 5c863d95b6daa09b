/*
 * exec_resume.c - waiting for the operations an interrupted apply left in
 * the journal, all at once, before anything new is planned (see
 * executor_resume in executor.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/time.h"
#include "providers/adapter_link.h"
#include "reconciler/exec_internal.h"

static const char *exec__resume_name(arm_op *op, const char *step)
{
	return step && *step ? step : op->resource_id;
}

/*
 * An operation that could not be followed (its status URL expired, its
 * deadline passed while no apply ran) is settled by the resource's own
 * provisioningState instead, from now on. Whether any was switched.
 */
static bool exec__resume_fallback(arm_op **ops, const char **steps, size_t n, progress *pg)
{
	bool again = false;

	for (size_t i = 0; i < n; i++) {
		if (ops[i]->state != ARM_OP_ERROR && ops[i]->state != ARM_OP_TIMED_OUT)
			continue;
		if (pg)
			progress_note(pg, "%s: %s; reading the resource's state instead",
				      exec__resume_name(ops[i], steps[i]),
				      ops[i]->error ? ops[i]->error->message : "could not follow the operation");
		if (arm_op_follow_resource(ops[i]) < 0)
			continue;
		ops[i]->started_ms = cmk_time_wall_ms(); /* its deadline may have passed */
		again = true;
	}
	return again;
}

/* Report how operation i ended, and forget it when it did. */
static int exec__resume_outcome(report *r, arm_client *c, opstate *journal, progress *pg, arm_op *op,
				const char *step, int *error)
{
	const char *id = exec__resume_name(op, step);
	char outcome[2048];
	char *line = op->error ? arm_error_line(op->error) : NULL;

	switch (op->state) {
	case ARM_OP_SUCCEEDED:
		snprintf(outcome, sizeof(outcome), "succeeded");
		break;
	case ARM_OP_FAILED:
	case ARM_OP_CANCELED:
		snprintf(outcome, sizeof(outcome), "%s: %s", arm_op_state_name(op->state), line ? line : "no error given");
		break;
	default:
		snprintf(outcome, sizeof(outcome), "still running: %s", line ? line : "");
		if (*error == 0)
			*error = arm_client_canceled(c)
					 ? cmk_error_set(CMK_ECANCELED, "interrupted")
					 : cmk_error_set(CMK_ERROR, "could not follow %s of %s (started by an earlier "
							 "apply, recorded in %s): %s", arm_op_kind_name(op->kind),
							 op->resource_id, opstate_path(journal), line ? line : "?");
		break;
	}
	free(line);
	if (pg)
		progress_event(pg, id, outcome);
	if (r && report_add_resumed(r, id, op->resource_id, arm_op_kind_name(op->kind), outcome) < 0)
		return cmk_error_oom();
	if (op->state == ARM_OP_SUCCEEDED || op->state == ARM_OP_FAILED || op->state == ARM_OP_CANCELED)
		opstate_remove(journal, op->resource_id);
	return 0;
}

int executor_resume(report *r, arm_client *c, opstate *journal, progress *pg, int64_t observe_ms)
{
	size_t n = opstate_count(journal);
	arm_op **ops = NULL;
	const char **steps = NULL;
	adapter_link_observer obs = { 0 };
	arm_op_wait_opts wo = { 0 };
	int error = 0, save;

	if (n == 0)
		return 0;
	if ((ops = calloc(n, sizeof(*ops))) == NULL || (steps = calloc(n, sizeof(*steps))) == NULL) {
		error = cmk_error_oom();
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((error = opstate_get(&ops[i], &steps[i], journal, i)) < 0)
			goto out;
		ops[i]->observed = ops[i]->kind == ARM_OP_WORKSPACE_LINK || ops[i]->kind == ARM_OP_WORKSPACE_UNLINK;
		if (pg)
			progress_event(pg, exec__resume_name(ops[i], steps[i]), "started");
	}
	if (pg)
		progress_note(pg, "waiting for %zu operation%s an earlier apply started (journal %s)", n,
			      n == 1 ? "" : "s", opstate_path(journal));
	wo.observe = adapter_link_observe;
	wo.observe_ud = &obs;
	wo.observe_ms = observe_ms ? observe_ms : 10000;
	if (arm_op_wait_all(c, ops, n, &wo) < 0)
		cmk_error_clear();
	if (!arm_client_canceled(c) && exec__resume_fallback(ops, steps, n, pg) &&
	    arm_op_wait_all(c, ops, n, &wo) < 0)
		cmk_error_clear();
	for (size_t i = 0; i < n; i++)
		if (exec__resume_outcome(r, c, journal, pg, ops[i], steps[i], &error) < 0) {
			error = CMK_ENOMEM;
			goto out;
		}
	save = opstate_save(journal);
	if (error == 0)
		error = save;
out:
	for (size_t i = 0; ops && i < n; i++)
		arm_op_free(ops[i]);
	free(ops);
	free(steps);
	return error;
}
