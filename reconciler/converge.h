/*
 * converge.h - the one pipeline `cmkctl apply` and the reconcile loop share:
 *
 *   resume -> plan input -> build (or check a saved plan) -> applicable?
 *          -> changes? -> approve -> execute
 *
 * 1. resume: wait for the operations an interrupted run left in the
 *    journal (executor_resume), so nothing is written to a busy resource
 *    or written twice;
 * 2. plan input: open the source, load and validate the manifests, select
 *    the shard, read the live state (plan_input_open); manifest errors go
 *    to the caller's ui (ui_hooks);
 * 3. build the plan, or, for a saved plan, check that it was made from the
 *    same source revision and that the live state still has its
 *    fingerprint;
 * 4. in drift mode stop here; a plan with a blocked step is refused;
 * 5. a plan without changes is done; else the caller may be asked to
 *    approve; then the executor runs the steps.
 *
 * Rendering the report is the caller's: converge fills the report and says
 * how far it got (converge_result.stage), so `apply` and the loop print
 * their own formats from the same facts.
 */
#ifndef CMK_CONVERGE_H
#define CMK_CONVERGE_H

#include <stdbool.h>

#include "common/error.h"
#include "planner/plan.h"
#include "providers/arm.h"
#include "reconciler/opstate.h"
#include "reconciler/plan_input.h"
#include "reconciler/progress.h"
#include "reconciler/report.h"
#include "reconciler/shard.h"
#include "reconciler/ui.h"
#include "sources/source.h"

typedef struct {
	const char *cmd;               /* "apply", "reconcile": for manifest errors */
	const ui_hooks *ui;            /* required */
	const source_spec *spec;       /* the manifests */
	const shard_filter *shard;     /* NULL: the whole estate */
	const plan_options *popts;     /* for a fresh plan */
	arm_client *client;            /* borrowed: shared with plan input */
	opstate *journal;              /* NULL: no journal (nothing to resume) */
	progress *progress;            /* NULL: silent */
	unsigned parallelism;          /* executor_opts.parallelism */
	bool drift_only;               /* stop after the plan: never write */
	bool show_plan;                /* the plan as text on stderr before
					* anything is written (not with quiet
					* or JSON logs) */
	const char *blocked_hint;      /* appended to the "N steps blocked"
					* message; "" for none */
	const char *saved_path;        /* with a saved plan: its file, for messages */
	/* asked before the steps run when the plan has changes; 0 goes on, a
	 * negative code (message set) stops. NULL: approved. */
	int (*approve)(const plan *p, void *ctx);
	void *approve_ctx;
} converge_opts;

/* How far the pipeline got. */
typedef enum {
	CONVERGE_FAILED = 0,  /* no plan: resume, input or build failed, or the
			       * saved plan was refused */
	CONVERGE_PLANNED,     /* a plan in hand: in drift mode the end (0);
			       * else a later step failed before any write
			       * (showing it, the report, not approved) */
	CONVERGE_BLOCKED,     /* the plan has a blocked step: nothing written */
	CONVERGE_NO_CHANGES,  /* the plan is empty: nothing to write */
	CONVERGE_EXECUTED,    /* the executor ran (its result is the return) */
} converge_stage;

typedef struct {
	converge_stage stage;
	bool input_read;   /* plan input opened: in.revision is this run's */
	plan *plan;        /* owned; set by the caller to a saved plan
			    * (plan_load) before converge_run, else built */
	plan_input in;     /* owned: the source revision, live state, ... */
} converge_result;

/* Zero `res` (no saved plan). */
void converge_result_init(converge_result *res);

/*
 * Run the pipeline, filling `r` (report_new(NULL); started_ms set by the
 * caller). Returns 0 when the stage reached succeeded, or a negative code
 * with the message set: the failure of the stage res->stage names, or for
 * CONVERGE_EXECUTED the executor's (executor_run). The report's ended_ms
 * is set for CONVERGE_NO_CHANGES. Release `res` with converge_result_free
 * whatever the result.
 */
int converge_run(converge_result *res, report *r, const converge_opts *o) CMK_WUR;

void converge_result_free(converge_result *res);

/* Two source revision records name the same manifests: a directory by its
 * paths, a git folder by URL, commit and path (however the ref was asked). */
bool converge_same_source(const cJSON *a, const cJSON *b);

#endif
