/* cmd_create.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_create(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl create: error: not implemented yet\n");
	return 1;
}
