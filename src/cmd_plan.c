/* cmd_plan.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_plan(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl plan: error: not implemented yet\n");
	return 1;
}
