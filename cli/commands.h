/*
 * commands.h - the command table of the cmkctl CLI: one entry per command,
 * each implemented in its own cmd_<name>.c.
 */
#ifndef CMK_COMMANDS_H
#define CMK_COMMANDS_H

/* Exit codes every command uses. */
enum {
	CMK_EXIT_OK = 0,      /* success, valid, or no changes */
	CMK_EXIT_ERROR = 1,   /* something failed or is invalid */
	CMK_EXIT_CHANGES = 2, /* changes or drift present (plan --detailed-exitcode, drift) */
	CMK_EXIT_USAGE = 64,  /* wrong command-line usage (sysexits EX_USAGE) */
};

typedef struct {
	const char *name;
	const char *summary;
	/* argv[0] is the command name; returns a CMK_EXIT_* code */
	int (*run)(int argc, char **argv);
} cmk_command;

/* The table, terminated by an entry whose name is NULL. */
extern const cmk_command cmk_commands[];

int cmd_version(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_graph(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_drift(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);

/* Print `cmkctl --help` to `out`. */
#include <stdio.h>
void cmk_commands_usage(FILE *out);

#endif
