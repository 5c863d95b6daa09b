/*
 * render_text.c - the plan for people (terminal and CI logs), and its JSON
 * form as printed by `plan --output json` (see render.h).
 */
#include "planner/render.h"

#include <stdlib.h>
#include <string.h>


#define C_RESET "\033[0m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_RED "\033[31m"
#define C_BOLD_RED "\033[1;31m"
#define C_DIM "\033[2m"
#define C_BOLD "\033[1m"

static const char *render__sign(plan_action a)
{
	switch (a) {
	case PLAN_ACTION_CREATE: return "+";
	case PLAN_ACTION_UPDATE: return "~";
	case PLAN_ACTION_DELETE: return "-";
	case PLAN_ACTION_BLOCKED: return "!";
	default: return " ";
	}
}

static const char *render__color(plan_action a)
{
	switch (a) {
	case PLAN_ACTION_CREATE: return C_GREEN;
	case PLAN_ACTION_UPDATE: return C_YELLOW;
	case PLAN_ACTION_DELETE: return C_RED;
	case PLAN_ACTION_BLOCKED: return C_BOLD_RED;
	default: return "";
	}
}

#define ON(code) (opts->color ? (code) : "")
#define OFF (opts->color ? C_RESET : "")

static int render__summary(cmk_buf *b, const plan *p)
{
	const plan_summary *s = &p->summary;

	return cmk_buf_printf(b, "%zu to create, %zu to update, %zu to delete, %zu unchanged, %zu blocked",
			      s->create, s->update, s->delete_, s->noop, s->blocked);
}

static int render__findings(cmk_buf *b, const plan *p, const render_options *opts)
{
	int error;

	if (!p->finding_count)
		return 0;
	if ((error = cmk_buf_printf(b, "\nFindings (%zu):\n", p->finding_count)) < 0)
		return error;
	for (size_t i = 0; i < p->finding_count; i++) {
		const plan_finding *f = &p->findings[i];
		bool loud = f->kind == PLAN_FINDING_REVOCATION_RISK || f->kind == PLAN_FINDING_ROTATION_PENDING;

		if ((error = cmk_buf_printf(b, "  %s%s%s %s: %s\n", loud ? ON(C_BOLD_RED) : ON(C_YELLOW),
					    plan_finding_kind_name(f->kind), OFF, f->address, f->message)) < 0)
			return error;
	}
	return 0;
}

int render_plan_text(cmk_buf *b, const plan *p, const render_options *opts)
{
	static const render_options defaults = RENDER_OPTIONS_INIT;
	int error;

	opts = opts ? opts : &defaults;
	if (opts->source_line && (error = cmk_buf_printf(b, "source: %s\n", opts->source_line)) < 0)
		return error;
	if (opts->mode == RENDER_DRIFT) {
		if ((error = cmk_buf_printf(b, "%sDrift:%s ", ON(C_BOLD), OFF)) < 0 ||
		    (error = plan_has_drift(p) ? render__summary(b, p)
					       : cmk_buf_puts(b, "none. Azure matches the manifests")) < 0 ||
		    (error = cmk_buf_printf(b, ", %zu finding%s.\n", p->finding_count,
					    p->finding_count == 1 ? "" : "s")) < 0 ||
		    (error = render__findings(b, p, opts)) < 0)
			return error;
		if (!p->step_count)
			return 0;
		if ((error = cmk_buf_puts(b, "\n")) < 0)
			return error;
	} else if (!p->step_count) {
		if ((error = cmk_buf_printf(b, "%sNo changes.%s Azure matches the manifests (%zu resource%s checked).\n",
					    ON(C_BOLD), OFF, p->resource_count,
					    p->resource_count == 1 ? "" : "s")) < 0 ||
		    (error = render__findings(b, p, opts)) < 0)
			return error;
		return 0;
	} else {
		if ((error = cmk_buf_printf(b, "%sPlan:%s ", ON(C_BOLD), OFF)) < 0 ||
		    (error = render__summary(b, p)) < 0 || (error = cmk_buf_puts(b, ".\n")) < 0)
			return error;
	}

	for (size_t i = 0; i < p->resource_count; i++) {
		const plan_resource *r = &p->resources[i];

		if (r->action == PLAN_ACTION_NOOP)
			continue; /* unchanged resources are counted, not listed */
		if ((error = cmk_buf_printf(b, "\n%s%s %s%s (%s)\n", ON(render__color(r->action)),
					    render__sign(r->action), r->address, OFF,
					    plan_action_name(r->action))) < 0 ||
		    (r->id && (error = cmk_buf_printf(b, "    id: %s\n", r->id)) < 0))
			return error;
		for (size_t j = 0; j < r->change_count; j++) {
			const plan_change *c = &r->changes[j];

			if ((error = cmk_buf_printf(b, "    %s: %s -> %s\n", c->field, c->before ? c->before : "(none)",
						    c->after ? c->after : "(none)")) < 0)
				return error;
		}
		for (size_t j = 0; j < r->reason_count; j++)
			if ((error = cmk_buf_printf(b, "    why: %s\n", r->reasons[j])) < 0)
				return error;
	}

	if ((error = cmk_buf_printf(b, "\nSteps (%zu%s", p->step_count, p->summary.blocked_steps ? ", " : "")) < 0 ||
	    (p->summary.blocked_steps &&
	     (error = cmk_buf_printf(b, "%s%zu blocked%s", ON(C_BOLD_RED), p->summary.blocked_steps, OFF)) < 0) ||
	    (error = cmk_buf_puts(b, "):\n")) < 0)
		return error;
	for (size_t i = 0; i < p->step_count; i++) {
		const plan_step *s = &p->steps[i];

		if ((error = cmk_buf_printf(b, "  %zu. %s", i + 1, s->id)) < 0)
			return error;
		for (size_t j = 0; j < s->dep_count; j++)
			if ((error = cmk_buf_printf(b, "%s%zu", j ? ", " : "  (after ", s->depends_on[j] + 1)) < 0)
				return error;
		if ((error = cmk_buf_printf(b, "%s\n     %s%s%s\n", s->dep_count ? ")" : "", ON(C_DIM),
					    s->description, OFF)) < 0)
			return error;
		for (size_t j = 0; j < s->param_count; j++)
			if (s->params[j].type == PLAN_PARAM_STR && s->params[j].str[0] == '@' &&
			    (error = cmk_buf_printf(b, "     %s: from %s\n", s->params[j].name,
						    s->params[j].str + 1)) < 0)
				return error;
		if (s->blocked_reason &&
		    (error = cmk_buf_printf(b, "     %sBLOCKED:%s %s\n", ON(C_BOLD_RED), OFF, s->blocked_reason)) < 0)
			return error;
	}
	if (opts->mode != RENDER_DRIFT && (error = render__findings(b, p, opts)) < 0)
		return error;
	if (p->summary.blocked_steps &&
	    (error = cmk_buf_printf(b, "\n%sThis plan cannot be applied:%s %zu step%s blocked (see BLOCKED above).\n",
				    ON(C_BOLD_RED), OFF, p->summary.blocked_steps,
				    p->summary.blocked_steps == 1 ? " is" : "s are")) < 0)
		return error;
	return 0;
}

int render_plan_json(cmk_buf *b, const plan *p)
{
	return plan_write_json(b, p, false);
}
