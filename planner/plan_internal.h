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

/* Phases: the documented order, used to sort steps. */
enum {
	PLAN_PHASE_WAIT = 0,
	PLAN_PHASE_IDENTITY = 10,
	PLAN_PHASE_GRANT_EARLY = 20,  /* grants to user-assigned identities (before a create) */
	PLAN_PHASE_CLUSTER_CREATE = 30,
	PLAN_PHASE_KUSTO_IDENTITY = 40,
	PLAN_PHASE_IDENTITY_UPDATE = 40,  /* a cluster's identity change: before its grant */
	PLAN_PHASE_GRANT = 50,
	PLAN_PHASE_KEY_UPDATE = 60,
	PLAN_PHASE_CLUSTER_UPDATE = 70,
	PLAN_PHASE_KUSTO_KEY = 80,
	PLAN_PHASE_UNLINK = 90,
	PLAN_PHASE_LINK = 100,
	PLAN_PHASE_LINKED_STORAGE = 110,
	PLAN_PHASE_COMPONENT = 120,
	PLAN_PHASE_DELETE = 130,
};

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

/* Add a step for resource `res`; its id is "<kind-name>:<address>". */
int plan__add_step(size_t *out_index, plan *p, plan_step_kind kind, int phase, size_t res,
		   const char *target, const char *lock, const char *fmt, ...)
	CMK_PRINTF(8, 9) CMK_WUR;
/* A dependency of `step` on `on` (PLAN_NONE is ignored; duplicates folded). */
int plan__add_dep(plan *p, size_t step, size_t on) CMK_WUR;
int plan__add_param(plan *p, size_t step, const char *name, const char *value) CMK_WUR;
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
