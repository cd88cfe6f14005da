/* cmd_reconcile.c - `shardctl reconcile` and (sharing its options and
 * checks) `shardctl plan`: make a cluster match --nodes/--shards/--replicas,
 * or print what that would do.  See reconcile.h. */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "base/keyslot.h"
#include "base/stop.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/reconcile.h"

static const char reconcile_usage[] =
	"usage: shardctl reconcile --nodes LIST --shards S --replicas R [options]\n";

static const char reconcile_about[] =
	"Makes the cluster match: creates it when no listed node belongs to one, joins\n"
	"new nodes, moves slots off members not in LIST straight to their final owners,\n"
	"spreads the 16384 slots evenly over S masters (moving only the surplus),\n"
	"sets R replicas per master, then forgets and resets members not in LIST.\n"
	"Online: clients following MOVED/ASK see no error; no key is ever overwritten.\n"
	"Idempotent and resumable: on a cluster that already matches it changes\n"
	"nothing and says so; run again after an interruption, it finishes the job.\n"
	"Only one reconcile runs at a time per cluster (the others wait, then refuse).\n"
	"It ends when every replica is in sync.  Joining nodes run their join with\n"
	"cluster-node-timeout 500 and repl-diskless-sync-delay 0, put back after it\n"
	"(Redis's rejoin and sync delays; see docs/ENGINE.md, \"Fast join\").\n"
	"Keys never move to a server with an older DUMP format (Valkey 9 to Redis\n"
	"7.0, Redis 8 to Valkey 8, ...): such a plan is refused, naming both nodes and\n"
	"their servers (docs/ENGINE.md, \"Servers\").\n";

static const char reconcile_after[] =
	"Progress: a bar on a terminal, otherwise a line every few seconds.\n"
	"SIGINT/SIGTERM stop it cleanly: atomic jobs are cancelled, open slots\n"
	"brought to an end; a second signal ends it at once.\n"
	"Exit status: 0 the cluster matches, 1 failed (run again to continue),\n"
	"2 bad usage or refused input (nothing changed).\n";

static const char plan_usage[] =
	"usage: shardctl plan --nodes LIST --shards S --replicas R [options]\n";

static const char plan_about[] =
	"Prints what 'shardctl reconcile' would do with the same arguments, step by\n"
	"step (joins, failovers, slot moves, replica changes, removals), and changes\n"
	"nothing.  The same input always gives the same plan.  A plan that would move\n"
	"keys to a server with an older DUMP format is refused, as reconcile does.\n";

static const char plan_after[] =
	"Exit status: 0 planned, 1 failed (e.g. unreachable), 2 bad usage or refused\n"
	"input.\n";

int cmd_reconcile_body(int argc, char **argv, int plan_only)
{
	struct cli_common cc;
	struct addr_list nodes = { NULL, 0 };
	struct addr cluster = { "", 0 };
	struct reconcile_req req;
	struct sc_err e;
	int wait_s = 60, status = 2, shards = -1, replicas = -1, need, migration = MIGRATION_AUTO;
	int max_latency = MIGRATE_MAX_LATENCY_US;
	/* one table for both, so that plan and reconcile can never disagree
	 * about what a command line means; a row without help is accepted but
	 * not shown (--json in reconcile, refused below; --wait in plan) */
	const struct opt opts[] = {
		OPT_ADDR_LIST('n', "nodes", &nodes, "LIST", "comma-separated host:port of every node wanted"),
		OPT_INT('s', "shards", &shards, "S", 3, CLUSTER_SLOTS,
			"number of masters (at least 3: a cluster needs 3 masters to agree on failovers)"),
		OPT_INT('r', "replicas", &replicas, "R", 0, 100, "replicas per master"),
		OPT_ADDR(0, "cluster", &cluster, "HOST:PORT",
			 "a live member of the cluster; lets LIST share no member with it: every member "
			 "is evacuated into the listed nodes and removed (moving a cluster onto new "
			 "nodes or another server, online)"),
		OPT_FLAG(0, "evacuate-only", &req.evacuate_only,
			 plan_only ? "plan only the pre-upgrade half (see reconcile --help)"
				   : "the pre-upgrade half: only move slots and replicas off members not in "
				     "LIST; listed nodes that do not exist yet are not waited for"),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 1, 86400,
			plan_only ? NULL : "deadline of each wait (agreement, lock; default 60)"),
		OPT_ENUM(0, "migration", &migration, "auto|atomic|legacy", cli_migration_words, CLI_MIGRATION_HELP),
		OPT_MS(0, "max-latency", &max_latency, "MS", 0, CLI_MAX_LATENCY_MAX,
			plan_only ? NULL : CLI_MAX_LATENCY_HELP),
		OPT_FLAG(0, "json", &cc.json, plan_only ? "one JSON object" : NULL),
		OPT_GROUP(cc.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = {
		plan_only ? "plan" : "reconcile",
		plan_only ? plan_usage : reconcile_usage,
		plan_only ? plan_about : reconcile_about,
		plan_only ? plan_after : reconcile_after,
		opts,
	};

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	err_clear(&e);
	if (opt_parse_cmdline(&cmd, argc, argv, &status) < 0)
		goto out;
	/* every combination is checked before anything is touched */
	if (!nodes.n || shards < 0 || replicas < 0) {
		status = opt_refuse(&cmd, "--nodes, --shards and --replicas are required");
		goto out;
	}
	if (cc.json && !plan_only) {
		status = opt_refuse(&cmd, "--json is only for 'shardctl plan'");
		goto out;
	}
	if (cli_common_finish(&cc, &e) < 0) {
		status = cli_fail(cmd.name, &e);
		goto out;
	}
	need = shards * (1 + replicas);
	if (!req.evacuate_only && nodes.n < need) {
		err_set(&e, ERR_REFUSED, "too few nodes: %d shards x (1 + %d replicas) needs %d nodes, "
			"--nodes lists %d", shards, replicas, need, nodes.n);
		status = cli_fail(cmd.name, &e);
		goto out;
	}
	req.nodes = &nodes;
	req.cluster = cluster.host[0] ? &cluster : NULL;
	req.shards = shards;
	req.replicas = replicas;
	req.dry_run = plan_only;
	req.json = cc.json;
	req.conn = &cc.conn;
	req.wait_ms = wait_s * 1000;
	req.out = stdout;
	req.tty = cc.tty;
	req.migration = (enum migration_choice)migration;
	req.max_latency_us = max_latency;
	stop_install();
	if (reconcile_run(&req, &e) < 0) {
		status = cli_fail(cmd.name, &e);
		goto out;
	}
	status = 0;
out:
	addr_list_release(&nodes);
	cli_common_release(&cc);
	return status;
}

int cmd_reconcile(int argc, char **argv)
{
	return cmd_reconcile_body(argc, argv, 0);
}
