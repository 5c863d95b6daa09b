/*
 * commands.c - the command table and the top-level usage text.
 */
#include "cli/cli_common.h"
#include "cli/commands.h"

const cmk_command cmk_commands[] = {
	{ "plan", "show the steps apply would run (nothing is written)", cmd_plan },
	{ "apply", "run the plan against Azure, wait for every operation, verify", cmd_apply },
	{ "drift", "report drift from the manifests (nothing is written)", cmd_drift },
	{ "reconcile", "plan and apply (or report drift) every interval, until stopped", cmd_reconcile },
	{ "graph", "print the plan's step graph (Mermaid or DOT)", cmd_graph },
	{ "validate", "check manifests without contacting Azure", cmd_validate },
	{ "version", "print the version", cmd_version },
	{ NULL, NULL, NULL },
};

void cmk_commands_usage(FILE *out)
{
	fprintf(out,
		"cmkctl - keep Azure Monitor dedicated clusters encrypted with your own keys\n"
		"\n"
		"usage: cmkctl <command> [options]\n"
		"\n"
		"commands:\n");
	for (const cmk_command *c = cmk_commands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nglobal options (before or after the command):\n%s", cli_common_help());
	fprintf(out,
		"\n"
		"Run 'cmkctl <command> --help' for a command's options.\n"
		"Exit codes: 0 success/no changes, 1 error, 2 changes or drift, 64 usage error.\n");
}
