/* cmd_fix.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_fix(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl fix: error: not implemented yet\n");
	return 1;
}
