/*
 * cmd_validate.c - `cmkctl validate`: placeholder replaced by the manifest work.
 */
#include <stdio.h>

#include "reconciler/commands.h"

int cmd_validate(int argc, char **argv)
{
	fprintf(stderr, "cmkctl validate: not built yet\n");
	return CMK_EXIT_ERROR;
}
