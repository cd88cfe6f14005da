/* cmd_plan.c - `shardctl plan`: what reconcile would do, changing nothing.
 * It shares reconcile's options and checks (cmd_reconcile.c) so that the two
 * can never disagree about what a command line means. */
#include "cmd/cmd.h"

int cmd_plan(int argc, char **argv)
{
	return cmd_reconcile_body(argc, argv, 1);
}
