/*
 * progress.h - what a person (or a CI log) sees while apply runs, on
 * stderr.
 *
 * On a terminal: a line per state change and, below them, a live view of
 * the running steps with their operation's status and elapsed time,
 * redrawn in place. Otherwise (CI): a line per state change, and at most
 * every `interval_s` real seconds one "still waiting on …" line naming the
 * oldest running steps with status and elapsed time ("still waiting on
 * cluster.create:LogAnalyticsCluster/prod (Updating, 12m)").
 *
 * Elapsed times are shown in Azure's time: real time times the client's
 * time scale (1 except against an emulator with a faster clock).
 */
#ifndef CMK_PROGRESS_H
#define CMK_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/error.h"

typedef struct progress progress;

typedef struct {
	FILE *out;          /* stderr */
	bool tty;           /* live view (isatty(stderr) and TERM is not "dumb") */
	double interval_s;  /* real seconds between "still waiting" lines; 0: 30 */
	double time_scale;  /* 0: 1 */
	bool quiet;         /* print nothing */
	bool json;          /* each line as a JSON log line (common/log.h) with the
			     * step id in "step"; no live view (--log-format json) */
} progress_opts;

int progress_new(progress **out, const progress_opts *opts) CMK_WUR;
void progress_free(progress *p);

/* A state change: "started", "succeeded", "failed: …", "skipped: …". A
 * started step joins the running set, every other event leaves it. */
void progress_event(progress *p, const char *step_id, const char *what);

/* The status a running step's operation reported last ("Updating"). */
void progress_status(progress *p, const char *step_id, const char *status);

/* A free-form line ("resuming 3 operations of an earlier run"). */
void progress_note(progress *p, const char *fmt, ...) CMK_PRINTF(2, 3);

/* Called while waiting: redraws the live view or prints the periodic
 * "still waiting" line when due. */
void progress_tick(progress *p);

/* Clear the live view (before the report is printed). */
void progress_finish(progress *p);

#endif
