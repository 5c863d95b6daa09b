/*
 * gha.h - GitHub Actions integration: workflow-command annotations and the
 * job's step summary, used by validate, plan, apply and drift when they run
 * inside GitHub Actions (GITHUB_ACTIONS set).
 *
 * Annotations are workflow commands on one line,
 *   ::error file=F,line=L,col=C,title=T::MESSAGE
 * escaped by GitHub's rules (the runner's ActionCommand): in the message
 * '%' -> %25, '\r' -> %0D, '\n' -> %0A; in property values also
 * ':' -> %3A and ',' -> %2C; before that, control characters in them are
 * shown as text (common/out.h: ESC as \x1b, a file name's newline as \n).
 * They are written to stderr (the runner reads commands from both streams;
 * stdout stays the report, e.g. JSON) through cmk_out_command: the only
 * lines of cmkctl's output that may start with "::".
 *
 * Secrets: every annotation and summary passes the log's secret filter
 * (common/log.h), so a registered secret is never echoed. `::add-mask::`
 * is deliberately not used: it would itself print the secret, and a user
 * redirecting the stream to a file (a PR comment) would publish it.
 */
#ifndef CMK_GHA_H
#define CMK_GHA_H

#include <stdbool.h>
#include <stdio.h>

#include "common/buf.h"
#include "common/error.h"
#include "planner/manifest_diag.h"

/* Whether this process runs in GitHub Actions (GITHUB_ACTIONS set, not
 * empty, not "false"). */
bool gha_active(void);

/* Append `s` escaped as a command's message / a property value. CMK_ENOMEM. */
int gha_escape_data(cmk_buf *out, const char *s) CMK_WUR;
int gha_escape_property(cmk_buf *out, const char *s) CMK_WUR;

/*
 * Append one annotation line (with its newline) to `out`: `level` is
 * "error", "warning" or "notice"; `file` (NULL or "" for none; an absolute
 * path under $GITHUB_WORKSPACE is made relative to it), `line`/`col`
 * (0 for none) and `title` (NULL for none) become properties. The message
 * is redacted before escaping. CMK_ENOMEM.
 */
int gha_annotation(cmk_buf *out, const char *level, const char *file, unsigned line, unsigned col,
		   const char *title, const char *message) CMK_WUR;

/* One error annotation per manifest diagnostic (its hint on a second line),
 * written to `stream`. */
void gha_annotate_diags(FILE *stream, const manifest_diags *d);

/* One annotation without a position, written to `stream`. */
void gha_annotate(FILE *stream, const char *level, const char *title, const char *message);

/*
 * Append `markdown` (redacted) and a blank line to the file named by
 * $GITHUB_STEP_SUMMARY. 0 when the variable is unset (nothing to do);
 * CMK_ERROR when the file cannot be written.
 */
int gha_step_summary_append(const char *markdown) CMK_WUR;

#endif
