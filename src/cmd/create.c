/* cmd_create.c - `shardctl create --nodes LIST --shards S --replicas R`. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/create.h"

enum { OPT_NODES = OPT_OWN, OPT_SHARDS, OPT_REPLICAS, OPT_WAIT };

static const char usage_text[] =
	"usage: shardctl create --nodes LIST --shards S [--replicas R] [options]\n"
	"\n"
	"Create a Redis Cluster from empty cluster-enabled nodes: S masters, each\n"
	"with R replicas, using the first S*(1+R) nodes of LIST.  Masters are\n"
	"spread across hosts, replicas are placed off their master's host when\n"
	"another host exists, and each master gets an even contiguous share of the\n"
	"16384 slots.  Every node is checked first; nothing is changed when one is\n"
	"unreachable, not cluster-enabled, holds keys or already belongs to a\n"
	"cluster (exit status 2).  It ends when the replicas are in sync; the nodes\n"
	"run the create with cluster-node-timeout 500 and repl-diskless-sync-delay 0,\n"
	"put back after it (see docs/ENGINE.md, \"Fast join\").\n"
	"\n"
	"  -n, --nodes LIST          comma-separated host:port list\n"
	"  -s, --shards S            number of masters (3 or more)\n"
	"  -r, --replicas R          replicas per master (default 0)\n"
	"      --wait SECONDS        deadline of each wait for the nodes to agree\n"
	"                            (default 60)\n"
	CLI_COMMON_HELP
	"  -h, --help                this text\n";

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, OPT_NODES },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "replicas", required_argument, NULL, OPT_REPLICAS },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, 'h' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common;
	struct addr_list nodes = { 0 };
	struct create_req req;
	struct sc_err e = { 0 };
	const char *list = NULL;
	int shards = -1, replicas = 0, wait_ms = 0, opt, status = 2;

	cli_common_init(&common);
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:s:r:h", opts, NULL)) != -1) {
		int handled = cli_common_option(&common, opt, optarg, &e);
		if (handled < 0) {
			status = cli_fail("create", &e);
			goto out;
		}
		if (handled)
			continue;
		switch (opt) {
		case 'n':
		case OPT_NODES:
			list = optarg;
			break;
		case 's':
		case OPT_SHARDS:
			if (cli_parse_int(optarg, 0, 100000, "--shards", &shards, &e) < 0)
				goto fail;
			break;
		case 'r':
		case OPT_REPLICAS:
			if (cli_parse_int(optarg, 0, 100, "--replicas", &replicas, &e) < 0)
				goto fail;
			break;
		case OPT_WAIT:
			if (cli_parse_int(optarg, 1, 86400, "--wait", &wait_ms, &e) < 0)
				goto fail;
			wait_ms *= 1000; /* seconds, like reconcile, fix and heal */
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = 0;
			goto out;
		case ':':
			status = cli_usage_error("create", "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			status = cli_usage_error("create", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		status = cli_usage_error("create", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!list) {
		status = cli_usage_error("create", "--nodes is required");
		goto out;
	}
	if (shards < 0) {
		status = cli_usage_error("create", "--shards is required");
		goto out;
	}
	if (addr_list_parse(&nodes, list, &e) < 0 || cli_common_finish(&common, &e) < 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.nodes = nodes.v;
	req.nnodes = nodes.n;
	req.shards = shards;
	req.replicas = replicas;
	req.conn = &common.conn;
	req.wait_ms = wait_ms;
	req.log = stdout;
	if (create_cluster(&req, &e) < 0)
		goto fail;
	printf("cluster created: %d shards, %d replica%s each\n", shards, replicas,
	       replicas == 1 ? "" : "s");
	status = 0;
	goto out;
fail:
	status = cli_fail("create", &e);
out:
	addr_list_release(&nodes);
	cli_common_release(&common);
	return status;
}
