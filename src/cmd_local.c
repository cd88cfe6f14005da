/* cmd_local.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_local(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl local: error: not implemented yet\n");
	return 1;
}
