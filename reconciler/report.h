/*
 * report.h - what an apply did, step by step, and how it is shown: text
 * for people, JSON for machines (--output json), markdown for a pull
 * request or a CI summary (--output markdown).
 *
 * The executor (executor.h) fills one report_step per plan step, in the
 * plan's order; the renderers say what was done, what failed (with the ARM
 * error's one line), what was skipped because a step it depends on did not
 * succeed, and what never started because the run was interrupted.
 *
 * Ownership: a report owns its strings and JSON; report_free releases all.
 * The plan a report was made for is borrowed by the renderers only.
 */
#ifndef CMK_REPORT_H
#define CMK_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/plan.h"

#define REPORT_FORMAT_VERSION 1
/* Markdown reports stay under GitHub's comment / step-summary limit. */
#define REPORT_MARKDOWN_MAX 65536

typedef enum {
	REPORT_PENDING = 0,  /* not started (the run ended first: interrupted) */
	REPORT_RUNNING,      /* started; its operation is still running in Azure
			      * (interrupted while waiting: the journal has it) */
	REPORT_SUCCEEDED,
	REPORT_FAILED,
	REPORT_SKIPPED,      /* a step it depends on did not succeed */
	REPORT__COUNT
} report_status;

typedef struct {
	report_status status;
	char *error;          /* FAILED: the one-line error (ARM code and message) */
	char *skipped_because;/* SKIPPED: the id of the dependency that did not succeed */
	char *note;           /* e.g. "waited for a running operation first", or NULL */
	int64_t started_ms;   /* monotonic (arm_now_ms), 0 when not started */
	int64_t ended_ms;
	unsigned writes;      /* write requests this step sent (retries of a busy
			       * resource included) */
	unsigned polls;       /* status reads of its operation */
	cJSON *readback;      /* the resource as read back after success, or NULL */
} report_step;

typedef struct {
	char *step_id;
	char *resource_id;
	char *kind;           /* operation kind ("workspace.link") */
	char *outcome;        /* "succeeded", "failed: …", "still running" */
} report_resumed;

typedef struct {
	report_step *steps;   /* one per plan step, same order */
	size_t step_count;
	report_resumed *resumed; /* operations of an earlier run waited for first */
	size_t resumed_count;
	size_t succeeded, failed, skipped, pending, running;
	bool interrupted;     /* SIGINT/SIGTERM: stopped starting steps */
	int64_t started_ms, ended_ms;
	double time_scale;    /* virtual seconds per real second (1 in production) */
	char *correlation_id; /* x-ms-correlation-request-id of every request */
	char *error;          /* a failure outside any step (journal, read), or NULL */
} report;

/* A report for `p` with every step PENDING (`p` NULL: no steps yet).
 * CMK_ENOMEM. */
int report_new(report **out, const plan *p) CMK_WUR;

/* Give the report one PENDING step per step of `p` (replacing any):
 * operations resumed before the plan was made stay. */
int report_set_plan(report *r, const plan *p) CMK_WUR;
void report_free(report *r);

/* Recount succeeded/failed/... from the steps. */
void report_count(report *r);

/* Remember an operation of an earlier run that was waited for. */
int report_add_resumed(report *r, const char *step_id, const char *resource_id,
		       const char *kind, const char *outcome) CMK_WUR;

/* Set a step's error / note (copied; replaces). */
int report_step_set_error(report_step *s, const char *text) CMK_WUR;
int report_step_set_note(report_step *s, const char *text) CMK_WUR;

/* "succeeded", "failed", "skipped", "not started", "running". */
const char *report_status_name(report_status s);

/* Whether everything in the plan succeeded (nothing failed, skipped,
 * pending or running, and no error outside a step). */
bool report_ok(const report *r);

/*
 * Renderers (append to `out`). `source_line` ("dir manifests/…", "git …
 * commit …") may be NULL. Text: a summary line, then every step that did
 * not simply succeed first (failed with its error, skipped with the reason,
 * not started), then the succeeded ones. JSON: {"format_version":1,
 * "result":"succeeded|failed|interrupted","source":…,"correlationId":…,
 * "summary":{…},"resumed":[…],"steps":[{"id","kind","target","status",
 * "error"?,"skippedBecause"?,"note"?,"seconds","writes","polls"}]}.
 * Markdown: counts first, failures, then a collapsed table of steps, cut
 * with a note to stay under REPORT_MARKDOWN_MAX.
 */
int report_render_text(cmk_buf *out, const report *r, const plan *p, const char *source_line) CMK_WUR;
int report_render_json(cmk_buf *out, const report *r, const plan *p, const cJSON *src) CMK_WUR;
int report_render_markdown(cmk_buf *out, const report *r, const plan *p, const char *source_line) CMK_WUR;

#endif
