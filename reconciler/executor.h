/*
 * executor.h - run a plan's step graph against Azure.
 *
 * The executor decides nothing: it runs the steps plan_build produced
 * (planner/plan.h), each through the handler of its kind (one per row of
 * PLAN_STEP_KINDS: exec_steps.c, exec_links.c), which calls the resource's
 * adapter (providers/adapter_*.h): the executor itself never builds a
 * request, knows an api-version or reads a path out of an answer. The
 * whole run is one wait of the provider's loop (lro.h arm_op_wait_all with
 * a `more` hook): a step starts the moment every step it depends on
 * succeeded and its cluster's lock is free - its write goes out at once (ready link writes together, concurrently, paced
 * by ARM's rate-limit headers) - and every long-running operation is
 * waited for in the same loop: status URLs are polled after their
 * Retry-After, workspace links and unlinks are observed with one
 * workspace list per subscription per round (adapter_link.h) rather than
 * one poll each. What a step did is checked by read-back: the cluster's
 * keyVaultProperties after a key update, each workspace's
 * features.clusterResourceId after a link (one list per subscription for
 * the links that ended together).
 *
 * Safety: writes to one cluster are serialised (the plan chains them and
 * the executor never runs two steps with the same lock at once); a step
 * that meets the documented "another operation is running" answer (409
 * "Workspace link or unlink operation in process", 400 "Operation cannot
 * be executed now") waits for the resource to be idle and sends the same
 * request again - the plan's own wait steps (cluster.wait, link.wait) make
 * that the exception. Every operation started is written to the journal
 * (opstate.h) before it is waited on - workspace links even before they
 * are sent, as a batch of 1000 takes a while - and removed once it ended,
 * so an interrupted apply resumes waiting instead of writing again
 * (executor_resume); an operation the journal holds but that cannot be
 * followed any more is settled by its resource's provisioningState.
 *
 * Failure: a step that fails is reported with its ARM error's one line;
 * steps depending on it (directly or not) are skipped; independent steps
 * still run. When the client's cancel flag is raised (SIGINT/SIGTERM) no
 * new step starts, running waits stop (their operations stay in the
 * journal, reported as running) and executor_run returns CMK_ECANCELED.
 */
#ifndef CMK_EXECUTOR_H
#define CMK_EXECUTOR_H

#include <stdint.h>

#include "common/error.h"
#include "planner/plan.h"
#include "providers/arm.h"
#include "reconciler/opstate.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"

#define EXECUTOR_DEFAULT_PARALLELISM 16

typedef struct {
	unsigned parallelism;  /* informational: the client's max_parallel (set
				* from --parallelism) bounds the writes in flight;
				* 0: 16 */
	opstate *journal;      /* in-flight operations; NULL: none kept */
	progress *progress;    /* NULL: silent */
	int64_t observe_ms;    /* virtual ms between link observations and
				* progress checks; 0: 10 s */
} executor_opts;

/*
 * Run `p` (applicable: no blocked step) and fill `r` (report_new(p)).
 * Returns 0 when every step succeeded, CMK_ECANCELED when interrupted,
 * CMK_ERROR when a step failed or was skipped (the report says which and
 * why), or another negative code for a failure outside the steps (journal
 * I/O; r->error holds its message).
 */
int executor_run(report *r, arm_client *c, const plan *p, const executor_opts *opts) CMK_WUR;

/*
 * Wait for every operation in the journal (an earlier, interrupted run's),
 * all at once, and forget those that ended; each is added to r->resumed
 * (r may be NULL). Returns 0 when all ended (succeeded or not: the next
 * plan sees the result), CMK_ECANCELED when interrupted, or the code of an
 * operation that could not be followed (it stays in the journal).
 */
int executor_resume(report *r, arm_client *c, opstate *journal, progress *pg,
		    int64_t observe_ms) CMK_WUR;

#endif
