/*
 * cli_common.h - the options every cmkctl command accepts, and how commands
 * report on stderr so that those options hold everywhere.
 *
 *   --log-format text|json  stderr as text (default) or one JSON object per
 *                           line: {"time","level","message","resource"?,
 *                           "step"?,"request_id"?} (common/log.h)
 *   -q, --quiet             errors only (no warnings, notes or progress)
 *   -v, --verbose           debug messages too (each ARM request, ...)
 *   NO_COLOR                (environment, https://no-color.org) set and not
 *                           empty: never colour, even on a terminal
 *
 * main.c takes these options out of argv (before the command name or
 * anywhere after it, up to a "--") before the command parses the rest, so
 * every command - present or future - gets them without its own code, and
 * a command's parser never sees them. The choice is process-global: the
 * logger is configured once and cli_common_get() answers the rest.
 *
 * Commands report through cli_error / cli_note rather than fprintf(stderr)
 * so that with --log-format json stderr stays one JSON object per line and
 * --quiet silences notes.
 */
#ifndef CMK_CLI_COMMON_H
#define CMK_CLI_COMMON_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "common/log.h"
#include "planner/manifest_diag.h"
#include "reconciler/ui.h"

typedef struct {
	cmk_log_format format; /* --log-format */
	bool quiet;            /* --quiet */
	bool verbose;          /* --verbose */
	bool no_color;         /* NO_COLOR set and not empty */
} cli_common;

/*
 * Remove the global options from argv[1..*argc-1] (in place, keeping the
 * order of the rest and argv[*argc] == NULL), stopping at a "--" argument,
 * and record them in `out` (zeroed first; NO_COLOR read from the
 * environment). CMK_EUSAGE with a message for a bad --log-format value, a
 * missing value, or --quiet with --verbose. Accepts "--log-format json" and
 * "--log-format=json".
 */
int cli_common_parse(cli_common *out, int *argc, char **argv) CMK_WUR;

/* Make `opts` the process's choice and configure the logger (stderr; level
 * error with --quiet, debug with --verbose, else info). */
void cli_common_apply(const cli_common *opts);

/* The options applied last (all defaults before any cli_common_apply). */
const cli_common *cli_common_get(void);

/* Whether output to `stream` may be coloured: a terminal, NO_COLOR not set
 * (or empty), TERM not "dumb". */
bool cli_color(FILE *stream);

/* Whether stderr is JSON lines (--log-format json). */
bool cli_log_json(void);

/*
 * A command's final error: "cmkctl <cmd>: <message>" on stderr, or one JSON
 * line at level error with the message "<cmd>: <message>" under
 * --log-format json. Always shown (even with --quiet). The message passes
 * the log's secret filter in both forms.
 */
void cli_error(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);

/* A note for people ("saved to plan.json"): like cli_error at level info;
 * nothing with --quiet. */
void cli_note(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);

/* A warning: like cli_note at level warn (also silenced by --quiet). */
void cli_warn(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);

/*
 * Manifest errors. plan_input_open and validate print them as text to a
 * stream: cli_diag_stream() is stderr, or under --log-format json a sink
 * (the text would break the JSON lines). cli_report_diags then reports
 * them the other ways: one JSON line each (error level, "file:line:col:
 * message") under --log-format json, and one GitHub annotation each when
 * running in GitHub Actions (gha.h).
 */
FILE *cli_diag_stream(void);
void cli_report_diags(const char *cmd, const manifest_diags *d);

/*
 * A usage error of command `cmd`: "cmkctl <cmd>: <message>" and a pointer
 * to its --help on stderr. Returns CMK_EXIT_USAGE (64) for the command to
 * return.
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);

/* Whether `arg` asks for a command's help: -h or --help. */
bool cli_is_help(const char *arg);

/* --parallelism N: a number from 1 to 256 into *out; CMK_EUSAGE with the
 * message set otherwise. */
int cli_parallelism_value(unsigned *out, const char *v) CMK_WUR;

/* The options applied now and the reporting functions above, for the
 * reconciler (reconciler/ui.h). Valid until the next cli_common_apply. */
const ui_hooks *cli_ui(void);

/* Help text for the global options, in the layout of the usage texts. */
const char *cli_common_help(void);

/*
 * The value of option `opt` (or its short `alias`, may be NULL) at argv[*i]:
 * "--opt VALUE" (advancing *i past the value) or "--opt=VALUE". NULL when
 * argv[*i] is another option, and then *missing is set when it is `opt`
 * without the value it needs (the caller reports the usage error).
 */
const char *cli_option_value(int argc, char **argv, int *i, const char *opt, const char *alias,
			     bool *missing);

#endif
