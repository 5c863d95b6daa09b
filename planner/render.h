/*
 * render.h - a plan (plan.h) as text for people, JSON for machines,
 * markdown for pull-request comments, and the step graph as Mermaid or DOT.
 *
 * Every renderer appends to a cmk_buf and is deterministic (golden tests
 * compare bytes). Colour is used only when the caller asks: the command
 * decides (stdout is a TTY and NO_COLOR is unset), never the renderer.
 * Failures: CMK_ENOMEM, or CMK_EINVALID when the buffer's cap is reached.
 */
#ifndef CMK_RENDER_H
#define CMK_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/plan.h"

/* GitHub's limit on a comment body. */
#define RENDER_MARKDOWN_MAX 65536

typedef enum {
	RENDER_PLAN = 0, /* "Plan: ..." - what apply would do */
	RENDER_DRIFT,    /* "Drift: ..." - findings first, same diff */
} render_mode;

typedef struct {
	bool color;       /* ANSI colours (TTY and no NO_COLOR) */
	render_mode mode;
	const char *source_line; /* "git https://… commit …" or NULL: printed first */
} render_options;

#define RENDER_OPTIONS_INIT { false, RENDER_PLAN, NULL }

/*
 * Text: the summary line, each resource that changes or is blocked with
 * its changes (before -> after) and reasons, the steps in order with their
 * dependencies and blocked reasons, then findings.
 */
int render_plan_text(cmk_buf *out, const plan *p, const render_options *opts) CMK_WUR;

/* The JSON form (plan_write_json, not the saved form): one line per
 * resource, step and finding, with a final newline. */
int render_plan_json(cmk_buf *out, const plan *p) CMK_WUR;

/*
 * Markdown for a pull-request comment: counts first, a warning when the
 * plan deletes or unlinks, blocked steps, then one collapsed <details> per
 * changed resource and the steps. Never longer than `max` bytes (0:
 * RENDER_MARKDOWN_MAX): when it would be, resources are left out and a
 * note says how many.
 */
int render_plan_markdown(cmk_buf *out, const plan *p, const render_options *opts, size_t max) CMK_WUR;

/* The step graph: Mermaid ("flowchart TD", blocked steps styled) and
 * Graphviz DOT. */
int render_plan_mermaid(cmk_buf *out, const plan *p) CMK_WUR;
int render_plan_dot(cmk_buf *out, const plan *p) CMK_WUR;

#endif
