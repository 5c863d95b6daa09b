/*
 * plan_compare.c - whether a saved plan holds the steps cmkctl would build
 * now from the same manifests and live state (plan_compare_steps, plan.h).
 *
 * `apply PLAN.json` rebuilds the plan and runs it only when the two agree:
 * a plan file edited between review and apply (a capacity raised, a tag
 * added, a step removed) is refused, naming the first step and field.
 */
#include "planner/plan.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

static int compare__by_id(const void *a, const void *b, void *steps)
{
	const plan_step *s = steps;

	return strcmp(s[*(const size_t *)a].id, s[*(const size_t *)b].id);
}

/* Index of the step with `id` in p (sorted holds p's indexes by id), or -1. */
static long compare__find(const plan *p, const size_t *sorted, const char *id)
{
	size_t lo = 0, hi = p->step_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(p->steps[sorted[mid]].id, id);

		if (c == 0)
			return (long)sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static bool compare__same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int compare__differs(const char *id, const char *field, const char *saved, const char *rebuilt)
{
	return cmk_error_set(CMK_ECONFLICT,
			     "the saved plan differs from the plan rebuilt from its source and the live state: "
			     "step %s: %s is %s in the saved plan, %s when rebuilt; nothing was applied: "
			     "make and review the plan again",
			     id, field, saved ? saved : "(none)", rebuilt ? rebuilt : "(none)");
}

/* Every param of `a` has the same text in `b`, and b has no other. */
static int compare__params(const plan_step *a, const plan_step *b)
{
	int error = 0;

	for (size_t i = 0; error == 0 && i < a->param_count + b->param_count; i++) {
		const plan_step *from = i < a->param_count ? a : b, *other = from == a ? b : a;
		const plan_param *pp = &from->params[i < a->param_count ? i : i - a->param_count];
		const plan_param *qq = plan_step_param_get(other, pp->name);
		char *x = NULL, *y = NULL, field[300];

		if (from == b && qq)
			continue; /* compared in the first half */
		if (plan_param_text(&x, pp) < 0 || (qq && plan_param_text(&y, qq) < 0)) {
			error = cmk_error_oom();
		} else if (!qq || strcmp(x, y) != 0) {
			snprintf(field, sizeof(field), "param %s", pp->name);
			error = from == a ? compare__differs(a->id, field, x, y) : compare__differs(a->id, field, y, x);
		}
		free(x);
		free(y);
	}
	return error;
}

static int compare__deps(const plan *ps, const plan_step *a, const plan *pr, const plan_step *b)
{
	size_t n = a->dep_count > b->dep_count ? a->dep_count : b->dep_count;

	for (size_t i = 0; i < n; i++) {
		const char *x = i < a->dep_count ? ps->steps[a->depends_on[i]].id : NULL;
		const char *y = i < b->dep_count ? pr->steps[b->depends_on[i]].id : NULL;

		if (!compare__same_str(x, y))
			return compare__differs(a->id, "a dependency", x, y);
	}
	return 0;
}

static int compare__step(const plan *ps, const plan_step *a, const plan *pr, const plan_step *b)
{
	if (a->kind != b->kind)
		return compare__differs(a->id, "kind", plan_step_kind_name(a->kind), plan_step_kind_name(b->kind));
	if (!compare__same_str(a->target, b->target))
		return compare__differs(a->id, "target", a->target, b->target);
	if (!compare__same_str(a->lock, b->lock))
		return compare__differs(a->id, "lock", a->lock, b->lock);
	if (!compare__same_str(a->description, b->description))
		return compare__differs(a->id, "description", a->description, b->description);
	if (!compare__same_str(a->blocked_reason, b->blocked_reason))
		return compare__differs(a->id, "blocked reason", a->blocked_reason, b->blocked_reason);
	int error = compare__deps(ps, a, pr, b);

	return error < 0 ? error : compare__params(a, b);
}

/* p's step indexes sorted by id (*out owned by the caller). */
static int compare__index(size_t **out, const plan *p)
{
	size_t *sorted = calloc(p->step_count ? p->step_count : 1, sizeof(*sorted));

	if (!(*out = sorted))
		return cmk_error_oom();
	for (size_t i = 0; i < p->step_count; i++)
		sorted[i] = i;
	qsort_r(sorted, p->step_count, sizeof(*sorted), compare__by_id, p->steps);
	return 0;
}

int plan_compare_steps(const plan *saved, const plan *rebuilt)
{
	size_t *by_id_saved = NULL, *by_id_rebuilt = NULL;
	int error;

	if ((error = compare__index(&by_id_saved, saved)) < 0 ||
	    (error = compare__index(&by_id_rebuilt, rebuilt)) < 0)
		goto out;
	for (size_t i = 0; error == 0 && i < saved->step_count; i++) {
		const plan_step *a = &saved->steps[i];
		long j = compare__find(rebuilt, by_id_rebuilt, a->id);

		error = j < 0 ? compare__differs(a->id, "the step", "present", "absent")
			      : compare__step(saved, a, rebuilt, &rebuilt->steps[j]);
	}
	for (size_t i = 0; error == 0 && i < rebuilt->step_count; i++)
		if (compare__find(saved, by_id_saved, rebuilt->steps[i].id) < 0)
			error = compare__differs(rebuilt->steps[i].id, "the step", "absent", "present");
out:
	free(by_id_saved);
	free(by_id_rebuilt);
	return error;
}
