/* cmd_status.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl status: error: not implemented yet\n");
	return 1;
}
