/*
 * ui.h - how the reconciler talks to the person running it, without knowing
 * the command line: the settings (--quiet, --log-format) and the reporting
 * functions are handed in by cli/ (cli_ui()), so nothing below cli/ reads
 * command-line globals.
 *
 * Every function pointer is required. The structure is borrowed for the
 * length of the call it is passed to.
 */
#ifndef CMK_RECONCILER_UI_H
#define CMK_RECONCILER_UI_H

#include <stdbool.h>
#include <stdio.h>

#include "common/error.h"
#include "planner/manifest_diag.h"

typedef struct {
	bool quiet;    /* errors only: no progress, notes or plan text */
	bool log_json; /* stderr is JSON lines: no free text on it */
	/* where manifest errors are printed as text (a sink under JSON logs) */
	FILE *(*diag_stream)(void);
	/* the same errors the other ways (JSON lines, GitHub annotations) */
	void (*report_diags)(const char *cmd, const manifest_diags *d);
	/* "cmkctl <cmd>: ..." at info level (silent with quiet) and at error level */
	void (*note)(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);
	void (*error)(const char *cmd, const char *fmt, ...) CMK_PRINTF(2, 3);
} ui_hooks;

#endif
