/* cmd_reconcile.c - `shardctl reconcile` and (sharing its options and
 * checks) `shardctl plan`: make a cluster match --nodes/--shards/--replicas,
 * or print what that would do.  See reconcile.h. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/reconcile.h"

enum { OPT_NODES = OPT_OWN, OPT_SHARDS, OPT_REPLICAS, OPT_EVACUATE, OPT_WAIT };

static const char reconcile_usage[] =
	"usage: shardctl reconcile --nodes LIST --shards S --replicas R [options]\n"
	"\n"
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
	"\n"
	"  -n, --nodes LIST       comma-separated host:port of every node wanted\n"
	"  -s, --shards S         number of masters (at least 3)\n"
	"  -r, --replicas R       replicas per master\n"
	"      --evacuate-only    the pre-upgrade half: only move slots and replicas off\n"
	"                         members not in LIST; listed nodes that do not exist\n"
	"                         yet are not waited for\n"
	"      --wait SECONDS     deadline of each wait (agreement, lock; default 60)\n" CLI_COMMON_HELP
	"  -h, --help             this text\n"
	"\n"
	"Progress: a bar on a terminal, otherwise a line every few seconds.\n"
	"Exit status: 0 the cluster matches, 1 failed (run again to continue),\n"
	"2 bad usage or refused input (nothing changed).\n";

static const char plan_usage[] =
	"usage: shardctl plan --nodes LIST --shards S --replicas R [options]\n"
	"\n"
	"Prints what 'shardctl reconcile' would do with the same arguments, step by\n"
	"step (joins, failovers, slot moves, replica changes, removals), and changes\n"
	"nothing.  The same input always gives the same plan.\n"
	"\n"
	"  -n, --nodes LIST       comma-separated host:port of every node wanted\n"
	"  -s, --shards S         number of masters (at least 3)\n"
	"  -r, --replicas R       replicas per master\n"
	"      --evacuate-only    plan only the pre-upgrade half (see reconcile --help)\n"
	"      --json             one JSON object\n" CLI_COMMON_HELP
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 planned, 1 failed (e.g. unreachable), 2 bad usage or refused\n"
	"input.\n";

int cmd_reconcile_body(int argc, char **argv, int plan_only)
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "shards", required_argument, NULL, 's' },
		{ "replicas", required_argument, NULL, 'r' },
		{ "evacuate-only", no_argument, NULL, OPT_EVACUATE },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = plan_only ? "plan" : "reconcile";
	struct cli_common cc;
	struct addr_list nodes = { NULL, 0 };
	struct reconcile_req req;
	struct sc_err e;
	const char *list = NULL;
	int opt, wait_s = 60, status = 2, shards = -1, replicas = -1, need;

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	err_clear(&e);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "n:s:r:h", opts, NULL)) != -1) {
		int h = cli_common_option(&cc, opt, optarg, &e);
		if (h < 0) {
			status = cli_fail(cmd, &e);
			goto out;
		}
		if (h > 0) {
			if (opt == OPT_JSON && !plan_only) {
				status = cli_usage_error(cmd, "--json is only for 'shardctl plan'");
				goto out;
			}
			continue;
		}
		switch (opt) {
		case 'n':
			list = optarg;
			break;
		case 's':
			if (cli_parse_int(optarg, 0, 16384, "--shards", &shards, &e) < 0) {
				status = cli_fail(cmd, &e);
				goto out;
			}
			break;
		case 'r':
			if (cli_parse_int(optarg, 0, 100, "--replicas", &replicas, &e) < 0) {
				status = cli_fail(cmd, &e);
				goto out;
			}
			break;
		case OPT_EVACUATE:
			req.evacuate_only = 1;
			break;
		case OPT_WAIT:
			if (cli_parse_int(optarg, 1, 86400, "--wait", &wait_s, &e) < 0) {
				status = cli_fail(cmd, &e);
				goto out;
			}
			break;
		case 'h':
			fputs(plan_only ? plan_usage : reconcile_usage, stdout);
			status = 0;
			goto out;
		default:
			status = cli_usage_error(cmd, "unknown option");
			goto out;
		}
	}
	/* every combination is checked before anything is touched */
	if (optind < argc) {
		status = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!list || shards < 0 || replicas < 0) {
		status = cli_usage_error(cmd, "--nodes, --shards and --replicas are required");
		goto out;
	}
	if (shards < 3) {
		err_set(&e, ERR_REFUSED, "--shards must be at least 3, not %d (a cluster needs 3 masters "
			"to agree on failovers)", shards);
		status = cli_fail(cmd, &e);
		goto out;
	}
	if (addr_list_parse(&nodes, list, &e) < 0 || cli_common_finish(&cc, &e) < 0) {
		status = cli_fail(cmd, &e);
		goto out;
	}
	need = shards * (1 + replicas);
	if (!req.evacuate_only && nodes.n < need) {
		err_set(&e, ERR_REFUSED, "too few nodes: %d shards x (1 + %d replicas) needs %d nodes, "
			"--nodes lists %d", shards, replicas, need, nodes.n);
		status = cli_fail(cmd, &e);
		goto out;
	}
	req.nodes = &nodes;
	req.shards = shards;
	req.replicas = replicas;
	req.dry_run = plan_only;
	req.json = cc.json;
	req.conn = &cc.conn;
	req.wait_ms = wait_s * 1000;
	req.out = stdout;
	req.tty = cc.tty;
	if (reconcile_run(&req, &e) < 0) {
		status = cli_fail(cmd, &e);
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
