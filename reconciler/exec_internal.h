/*
 * exec_internal.h - what the executor's files share; not for use outside
 * reconciler/exec*.c. executor.c is the scheduler (start what is ready,
 * harvest what ended, skip what cannot run), exec_steps.c holds one
 * handler per step kind (the table follows PLAN_STEP_KINDS), exec_links.c
 * the workspace links sent, observed and verified together, exec_resume.c
 * the wait for an interrupted run's operations.
 *
 * A handler speaks to Azure only through the providers' adapter API
 * (providers/adapter_*.h, never adapter_util.h): the api-versions, bodies
 * and response paths are theirs.
 */
#ifndef CMK_EXEC_INTERNAL_H
#define CMK_EXEC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "providers/adapter_link.h"
#include "providers/lro.h"
#include "reconciler/executor.h"

/* What an operation of the run is for. */
typedef enum {
	EXEC_OP_WRITE = 0,   /* the operation of a step's write (or a cluster.wait) */
	EXEC_OP_LINK_WAIT,   /* link.wait: the linked service until it is idle */
} exec_op_role;

typedef struct {
	arm_op *op;
	size_t step;         /* plan step index */
	exec_op_role role;
	bool done;           /* its end was recorded in the report */
} exec_op;

/* A cluster lock and what holds it now. */
typedef struct {
	const char *lock;
	size_t writes;       /* running steps other than batch steps */
	size_t batch;        /* running batch steps (links: they may overlap each other) */
} exec_lock;

/* The state of one run of the executor. */
typedef struct {
	arm_client *c;
	const plan *p;
	report *r;
	const executor_opts *o;
	exec_op *ops;        /* every operation started, in start order */
	size_t n, cap;
	arm_op **add;        /* operations started by the current `more` call */
	size_t add_n, add_cap;
	size_t *ready, *batch, *verify, *scratch; /* per-schedule/harvest lists, step_count each */
	exec_lock *locks;
	size_t nlocks;
	bool changed;        /* a step started or ended since the last schedule */
	bool *resent;        /* per step: sent again after its operation failed */
	int error;           /* a failure outside the steps (journal I/O) */
	adapter_link_observer observer;
} exec_run;

/* What sending one step's write gave. */
typedef struct {
	arm_op *op;          /* the operation to wait for; NULL: done at once */
	arm_error *err;      /* ARM's structured error when it answered one */
	cJSON *readback;     /* the answer of a write done at once */
} exec_sent;

/*
 * One step kind's handlers. A wait kind (PLAN_KIND_WAIT) has `wait`, every
 * other kind `send`; the rest may be NULL.
 */
typedef struct {
	/* a wait step: the operation that ends when its target is idle */
	int (*wait)(arm_op **out, const plan_step *s);
	exec_op_role wait_role;
	/* a write: send it; out->err set when ARM answered an error */
	int (*send)(exec_sent *out, exec_run *w, const plan_step *s);
	/* PLAN_KIND_BATCH: send every ready step of the kind at once */
	int (*send_all)(exec_run *w, const size_t *steps, size_t n);
	/* ARM said the resource is busy: wait until it is idle (NULL: the
	 * operation running on the step's lock, or its target) */
	int (*wait_idle)(exec_run *w, const plan_step *s);
	/* after success: check the read-back (a mismatch fails the step) */
	void (*verify)(exec_run *w, size_t i);
	/* the same for every step of the kind whose write ended together */
	int (*verify_all)(exec_run *w, const size_t *steps, size_t n);
} exec_handler;

/* The handlers of kind `k` (exec_steps.c); NULL for no kind. */
const exec_handler *exec__handler(plan_step_kind k);

/* The link kinds' handlers (exec_links.c). */
extern const exec_handler exec__h_link_wait, exec__h_workspace_link, exec__h_workspace_unlink;

/* ---- executor.c: what handlers use --------------------------------------- */

bool exec__canceled(const exec_run *w);
bool exec__op_running(const arm_op *op);
/* Follow `op` (owned from now) as step `step`'s operation. */
int exec__add_op(exec_run *w, arm_op *op, size_t step, exec_op_role role) CMK_WUR;
void exec__fail(exec_run *w, size_t i, const char *msg);
/* Fail with the structured error's one line, else the thread's last error. */
void exec__fail_err(exec_run *w, size_t i, const arm_error *err);
/* Start step i (it is ready): a wait, or a write sent (again after waiting
 * for a busy resource when ARM says so). */
int exec__start(exec_run *w, size_t i) CMK_WUR;
/* Mark step i running now (report, progress). */
void exec__mark_running(exec_run *w, size_t i);
/* Put step i back to pending (interrupted before it was sent). */
void exec__mark_pending(exec_run *w, size_t i);

/* arm_op_wait_opts.observe for the run (exec_links.c). */
int exec__observe(void *ud, arm_client *c, arm_op **ops, size_t n);

#endif
