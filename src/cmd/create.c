/* cmd_create.c - `shardctl create --nodes LIST --shards S --replicas R`. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/create.h"

static const char usage_text[] =
	"usage: shardctl create --nodes LIST --shards S [--replicas R] [options]\n";

static const char about_text[] =
	"Create a Redis Cluster from empty cluster-enabled nodes: S masters, each\n"
	"with R replicas, using the first S*(1+R) nodes of LIST.  Masters are\n"
	"spread across hosts, replicas are placed off their master's host when\n"
	"another host exists, and each master gets an even contiguous share of the\n"
	"16384 slots.  Every node is checked first; nothing is changed when one is\n"
	"unreachable, not cluster-enabled, holds keys or already belongs to a\n"
	"cluster (exit status 2).  It ends when the replicas are in sync; the nodes\n"
	"run the create with cluster-node-timeout 500 and repl-diskless-sync-delay 0,\n"
	"put back after it (see docs/ENGINE.md, \"Fast join\").\n";

int cmd_create(int argc, char **argv)
{
	struct cli_common common;
	struct addr_list nodes = { NULL, 0 };
	struct create_req req;
	struct sc_err e = { 0 };
	int shards = -1, replicas = 0, wait_s = 0, status = 2;
	const struct opt opts[] = {
		OPT_ADDR_LIST('n', "nodes", &nodes, "LIST", "comma-separated host:port list"),
		/* 3 or more: layout_build says why, before any node is touched */
		OPT_INT('s', "shards", &shards, "S", 0, 100000, "number of masters (3 or more)"),
		OPT_INT('r', "replicas", &replicas, "R", 0, 100, "replicas per master (default 0)"),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 1, 86400,
			"deadline of each wait for the nodes to agree (default 60)"),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "create", usage_text, about_text, NULL, opts };

	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &status) < 0)
		goto out;
	if (!nodes.n) {
		status = opt_refuse(&cmd, "--nodes is required");
		goto out;
	}
	if (shards < 0) {
		status = opt_refuse(&cmd, "--shards is required");
		goto out;
	}
	if (cli_common_finish(&common, &e) < 0)
		goto fail;
	memset(&req, 0, sizeof(req));
	req.nodes = nodes.v;
	req.nnodes = nodes.n;
	req.shards = shards;
	req.replicas = replicas;
	req.conn = &common.conn;
	req.wait_ms = wait_s * 1000; /* seconds, like reconcile, fix and heal; 0: the default */
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
