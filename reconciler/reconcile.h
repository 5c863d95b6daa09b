/*
 * reconcile.h - the reconcile loop: source -> plan -> apply (or only
 * report drift), again and again, for `cmkctl reconcile`.
 *
 * One iteration: wait for operations an interrupted run left in the
 * journal (executor_resume), open the source (a git source is fetched into
 * its cache: only new objects travel), load and validate the manifests,
 * select this run's documents (--subscription / --shard, shard.h), read the
 * live state, plan, and - in apply mode, when the plan has changes and no
 * blocked step - run it with the executor. Each iteration's report goes to
 * stdout; counters, the status file and the metrics are updated after each
 * iteration and at every change of state (reconcile_state.h).
 *
 * Between iterations the loop sleeps `interval` +- `jitter` (a fraction:
 * many runners started together spread out). It holds for its whole life:
 * the scope's lock (two instances never reconcile one scope) and, in apply
 * mode, the journal of the scope (state-dir itself for the whole estate,
 * so `cmkctl apply` and the loop exclude each other; state-dir/<scope>/
 * for a shard or subscription set).
 *
 * Stopping: when *stop is raised (SIGTERM/SIGINT) the wait ends at once;
 * during an apply no new step starts and running Azure operations stay in
 * the journal, so the next run (loop or apply) waits for them instead of
 * writing again. The loop then writes its status ("stopped") and returns.
 */
#ifndef CMK_RECONCILE_H
#define CMK_RECONCILE_H

#include <signal.h>
#include <stdbool.h>

#include "common/error.h"
#include "planner/plan.h"
#include "reconciler/shard.h"
#include "reconciler/ui.h"
#include "sources/source.h"

typedef struct {
	const source_spec *spec;
	const shard_filter *shard;     /* NULL: the whole estate */
	bool drift_only;               /* --mode drift: never write */
	plan_options popts;
	double interval_s;             /* > 0 */
	double jitter;                 /* 0..0.5, fraction of the interval */
	long iterations;               /* 0: until stopped */
	const char *state_dir;         /* resolved */
	const char *status_path;       /* NULL: none */
	const char *metrics_path;      /* NULL: none */
	const char *metrics_listen;    /* NULL: none */
	unsigned parallelism;          /* 0: executor default */
	const char *output;            /* per-iteration report on stdout:
					* "text", "json" (one line) or "none" */
	volatile sig_atomic_t *stop;   /* raised by the signal handler */
	const ui_hooks *ui;            /* settings and reporting of the caller */
} reconcile_opts;

/*
 * Run the loop. Returns 0 when it ran (and *exit_code holds the command's
 * exit code: with a finite number of iterations the last one's - 0
 * succeeded / in sync, 1 failed, 2 drift in drift mode; 0 after a stop
 * by signal), or a negative code when it could not start (lock held:
 * CMK_ECONFLICT; journal, connection, metrics address), message set.
 */
int reconcile_run(int *exit_code, const reconcile_opts *o) CMK_WUR;

#endif
