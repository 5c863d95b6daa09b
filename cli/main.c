/*
 * main.c - the thin entry point: find the command in the table and run it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "common/out.h"

int main(int argc, char **argv)
{
	cli_common globals;

	/* every file cmkctl makes is private, including those made by
	 * libraries (libgit2's cache files were 0644 inside the 0700 cache) */
	umask(077);
	/* every byte printed from here on passes the output filter (control
	 * characters shown as text, workflow commands only where cmkctl means
	 * them): manifest text cannot drive the terminal or the CI runner */
	if (cmk_out_install() < 0) {
		fprintf(stderr, "cmkctl: %s\n", cmk_error_last());
		return CMK_EXIT_ERROR;
	}
	/* --log-format, --quiet, --verbose hold for every command: taken out
	 * of argv here, wherever they were written */
	if (cli_common_parse(&globals, &argc, argv) < 0) {
		fprintf(stderr, "cmkctl: %s\nRun 'cmkctl --help' for usage.\n", cmk_error_last());
		return CMK_EXIT_USAGE;
	}
	cli_common_apply(&globals);
	if (argc < 2) {
		cmk_commands_usage(stderr);
		return CMK_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		cmk_commands_usage(stdout);
		return CMK_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(1, argv + 1);
	for (const cmk_command *c = cmk_commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0)
			return c->run(argc - 1, argv + 1);
	fputs("cmkctl: unknown command '", stderr);
	cmk_out_fputs(argv[1], 0, stderr);
	fputs("'\n\n", stderr);
	cmk_commands_usage(stderr);
	return CMK_EXIT_USAGE;
}
