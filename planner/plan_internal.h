/*
 * plan_internal.h - helpers the planner's files share to build a plan
 * (plan.c) while diff.c walks the manifests; not for use outside planner/.
 *
 * While building, resources and steps are referred to by index in creation
 * order; plan__finish sorts them (resources by address, steps by phase then
 * address then kind), remaps every index, propagates blocked reasons to
 * dependents and computes the summary.
 */
#ifndef CMK_PLAN_INTERNAL_H
#define CMK_PLAN_INTERNAL_H

#include "common/error.h"
#include "planner/plan.h"

#define PLAN_NONE ((size_t)-1)

int plan__alloc(plan **out) CMK_WUR;

/* Whether a resource has `address` already. */
bool plan__addr_taken(const plan *p, const char *address);

/* Add a resource; *out_index is its index until plan__finish. A taken
 * address gets a suffix (#2, #3, ...) so addresses and step ids stay unique. */
int plan__add_resource(size_t *out_index, plan *p, const char *address, const char *id) CMK_WUR;
int plan__add_change(plan *p, size_t res, const char *field, const char *before,
		     const char *after) CMK_WUR;
int plan__add_reason(plan *p, size_t res, const char *fmt, ...) CMK_PRINTF(3, 4) CMK_WUR;

/* Add a step for resource `res`; its id is "<kind-name>:<address>", its
 * phase the kind's (PLAN_STEP_KINDS). plan__add_step_at: in another phase
 * (PLAN_PHASE_GRANT_EARLY, PLAN_PHASE_IDENTITY_UPDATE, or the kind's own). */
int plan__add_step(size_t *out_index, plan *p, plan_step_kind kind, size_t res, const char *target,
		   const char *lock, const char *fmt, ...) CMK_PRINTF(7, 8) CMK_WUR;
int plan__add_step_at(size_t *out_index, plan *p, plan_step_kind kind, int phase, size_t res,
		      const char *target, const char *lock, const char *fmt, ...)
	CMK_PRINTF(8, 9) CMK_WUR;
/* A dependency of `step` on `on` (PLAN_NONE is ignored; duplicates folded). */
int plan__add_dep(plan *p, size_t step, size_t on) CMK_WUR;
/*
 * Params, in the order they are added (the order the JSON form shows).
 * `name` must be declared by the step's kind with the adder's type (a bug
 * otherwise: CMK_ERROR "internal: ..."), never text to be parsed back.
 * plan__add_param adds a string (NULL: ""); plan__add_param_text parses `text` per the declared type
 * (the saved-plan loader's path: CMK_EINVALID "<what> expected" when it
 * does not parse, CMK_ENOTFOUND when the kind declares no such param).
 */
int plan__add_param(plan *p, size_t step, const char *name, const char *value) CMK_WUR;
int plan__add_param_int(plan *p, size_t step, const char *name, int64_t value) CMK_WUR;
int plan__add_param_bool(plan *p, size_t step, const char *name, bool value) CMK_WUR;
/* A list of `n` strings, copied. */
int plan__add_param_list(plan *p, size_t step, const char *name, const char *const *items,
			 size_t n) CMK_WUR;
/* A map of `n` pairs, copied in order. */
typedef struct {
	const char *key, *value;
} plan_pair;
int plan__add_param_map(plan *p, size_t step, const char *name, const plan_pair *pairs,
			size_t n) CMK_WUR;
int plan__add_param_text(plan *p, size_t step, const char *name, const char *text) CMK_WUR;
/* Release what a param holds (plan_free does it for every step). */
void plan__param_free(plan_param *pp);
int plan__block(plan *p, size_t step, const char *fmt, ...) CMK_PRINTF(3, 4) CMK_WUR;

int plan__add_finding(plan *p, plan_finding_kind kind, const char *address, const char *fmt, ...)
	CMK_PRINTF(4, 5) CMK_WUR;
/* Record a live resource id the plan depends on (for the fingerprint). */
int plan__touch(plan *p, const char *id) CMK_WUR;

/* Sort, remap, propagate, summarise. Call once, last. */
int plan__finish(plan *p) CMK_WUR;

/* Recompute the summary from resources and steps (also used by the loader). */
void plan__summarise(plan *p);

/* "@<step-id>.<field>" into a new string. */
char *plan__ref(const plan *p, size_t step, const char *field);

/* Format into a new string; NULL on allocation failure. */
char *plan__fmt(const char *fmt, ...) CMK_PRINTF(1, 2);

#endif
