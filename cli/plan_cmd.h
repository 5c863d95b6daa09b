/*
 * plan_cmd.h - what the commands that plan without writing (plan, drift,
 * graph) share: their common options, opening the plan input and building
 * the plan with their error reporting, and rendering a plan in the chosen
 * output format.
 */
#ifndef CMK_CLI_PLAN_CMD_H
#define CMK_CLI_PLAN_CMD_H

#include "common/buf.h"
#include "common/error.h"
#include "planner/plan.h"
#include "planner/render.h"
#include "reconciler/plan_input.h"
#include "reconciler/shard.h"
#include "sources/source.h"

typedef struct {
	source_spec spec;      /* -f, --git-* */
	shard_filter shard;    /* --subscription, --shard */
	plan_options popts;    /* --now (and the command's own flags) */
	const char *live_path; /* --live-state FILE; NULL: read Azure */
	const char *format;    /* -o/--output: text, json or markdown */
} plan_cmd_args;

/* One run of a planning command: its options, what it read, the plan and
 * its rendering. */
typedef struct {
	plan_cmd_args args;
	plan_input in;
	plan *plan;
	render_options ropts;  /* set by plan_cmd_show (mode: the caller's) */
	cmk_buf rendered;      /* what plan_cmd_show printed */
} plan_cmd;

/* Defaults: no manifests, no scope, text output, a plan (not drift). */
void plan_cmd_init(plan_cmd *c);
void plan_cmd_free(plan_cmd *c);

/*
 * If argv[*i] is one of the shared options (manifest source and scope,
 * --live-state, -o/--output, --now), consume it into `a` and return 1; 0
 * when it is not; a negative code with the message set for a missing or
 * bad value ("option '--now' needs a value", an unreadable time): a usage
 * error.
 */
int plan_cmd_take(plan_cmd_args *a, int argc, char **argv, int *i) CMK_WUR;

/* If `arg` is one of the planner's switches (--allow-destroy,
 * --allow-unlink, --no-grant), set it in `po` and return true. */
bool plan_cmd_flag(plan_options *po, const char *arg);

/* The usage error of `cmd` for an argument no option took ("unknown option
 * '-x'" or "unexpected argument 'x' (use -f PATH)"); returns 64. */
int plan_cmd_reject(const char *cmd, const char *arg);

/* After parsing: the output format and the manifest options; CMK_EUSAGE
 * with the message set. */
int plan_cmd_check(const plan_cmd_args *a) CMK_WUR;

/*
 * Open the plan input from the source, scope and live state of c->args,
 * and build c->plan (recording the source revision). Returns CMK_EXIT_OK,
 * or, after reporting the failure ("cmkctl <cmd>: ..." and the manifest
 * errors), the exit code: 64 for a usage error found while reading the
 * input, else 1.
 */
int plan_cmd_build(plan_cmd *c, const char *cmd);

/*
 * plan_cmd_build, then the plan rendered in c->args.format (c->ropts: the
 * source line, colour for text on a terminal) into c->rendered and printed
 * on stdout. Returns as plan_cmd_build.
 */
int plan_cmd_show(plan_cmd *c, const char *cmd);

#endif
