/* cmd_reconcile.c - placeholder until the command is built; says so plainly. */
#include <stdio.h>

#include "cmd.h"

int cmd_reconcile(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "shardctl reconcile: error: not implemented yet\n");
	return 1;
}
