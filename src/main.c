/* main.c - the command table. */
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"

#ifndef SHARDCTL_VERSION
#define SHARDCTL_VERSION "0.1.0"
#endif

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "create a cluster from empty nodes" },
	{ "status", cmd_status, "show the cluster grouped by shard" },
	{ "check", cmd_check, "verify cluster health (exit 0 healthy, 1 unhealthy)" },
	{ "plan", cmd_plan, "print what reconcile would do; changes nothing" },
	{ "reconcile", cmd_reconcile, "make the cluster match --nodes/--shards/--replicas" },
	{ "fix", cmd_fix, "repair open and uncovered slots after an interruption" },
	{ "heal", cmd_heal, "rejoin members whose address changed" },
	{ "ready", cmd_ready, "whether nodes serve (a readiness probe; membership ignored)" },
	{ "handoff", cmd_handoff, "before a master stops, fail over to its best in-sync replica" },
	{ "upgrade-check", cmd_upgrade_check, "refuse a server image that cannot read the running data" },
	{ "local", cmd_local, "run clusters of redis-server processes on this machine" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: shardctl COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'shardctl COMMAND --help' describes a command.\n"
		   "Exit status: 0 success, 1 failure or unhealthy, 2 bad usage or refused input.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("shardctl %s\n", SHARDCTL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "shardctl: error: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
