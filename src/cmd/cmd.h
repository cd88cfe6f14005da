/* cmd.h - the subcommands; each lives in its own cmd/NAME.c with its own
 * usage text and option table (options.h), and returns the exit status:
 * 0 success / healthy, 1 failed / unhealthy, 2 bad usage or refused input. */
#ifndef SHARDCTL_CMD_H
#define SHARDCTL_CMD_H

int cmd_create(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
/* reconcile's option parsing and checks, shared by plan (plan_only = 1) */
int cmd_reconcile_body(int argc, char **argv, int plan_only);
int cmd_fix(int argc, char **argv);
int cmd_heal(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_ready(int argc, char **argv);
int cmd_handoff(int argc, char **argv);
int cmd_upgrade_check(int argc, char **argv);

#endif
