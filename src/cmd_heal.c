/* cmd_heal.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_heal(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl heal: error: not implemented yet\n");
	return 1;
}
