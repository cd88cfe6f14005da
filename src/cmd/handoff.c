/* cmd_handoff.c - `shardctl handoff HOST:PORT [--wait SECONDS]`: before the
 * node stops, its slots go to its best in-sync replica (engine/handoff.h).
 * A server pod's preStop in a rolling restart. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/handoff.h"

static const char usage_text[] =
	"usage: shardctl handoff HOST:PORT [--wait SECONDS] [options]\n";

static const char about_text[] =
	"Prepares the node at HOST:PORT to stop without its shard going down.  When it\n"
	"is a master owning slots, its in-sync replica with the highest replication\n"
	"offset (reachable, not failing, not nofailover) is made the master with\n"
	"CLUSTER FAILOVER (the coordinated kind: no acknowledged write is lost), and\n"
	"handoff waits until the roles have swapped and every member agrees.  A\n"
	"replica, or a master owning no slot, has nothing to hand off.  No slot moves\n"
	"between shards.\n";

static const char after_text[] =
	"Exit status: 0 handed off or nothing to do, 1 no in-sync replica can take over\n"
	"(the message says why) or the deadline passed, 2 bad usage.\n";

int cmd_handoff(int argc, char **argv)
{
	struct cli_common common;
	struct handoff_req req;
	struct sc_err e = { 0 };
	int rc = 2, wait_s = 60;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR, &req.node, "HOST:PORT", NULL),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 1, 86400,
			"deadline of the whole handoff (default 60)"),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "handoff", usage_text, about_text, after_text, opts };

	memset(&req, 0, sizeof(req));
	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &rc) < 0)
		goto out;
	if (cli_common_finish(&common, &e) < 0) {
		rc = cli_fail("handoff", &e);
		goto out;
	}
	req.conn = &common.conn;
	req.wait_ms = wait_s * 1000;
	req.out = stdout;
	rc = handoff_run(&req, &e) < 0 ? cli_fail("handoff", &e) : 0;
out:
	cli_common_release(&common);
	return rc;
}
