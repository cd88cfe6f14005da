/* cmd_check.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl check: error: not implemented yet\n");
	return 1;
}
