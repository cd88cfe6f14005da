/* cmd_heal.c - `shardctl heal --nodes LIST`: rejoin members whose address
 * changed (see heal.h).  Membership and replication links only. */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cluster/predecessor.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/heal.h"
#include "engine/heal_gate.h"

static const char usage_text[] =
	"usage: shardctl heal --nodes LIST [options]\n";

static const char about_text[] =
	"Rejoins cluster members whose address changed (e.g. every pod restarted with\n"
	"a new IP, nodes.conf kept).  Each name of LIST is resolved again, every node\n"
	"is identified by its node id, and members are also looked for at the\n"
	"hostnames they announce (cluster-announce-hostname).  Nodes that lost a peer\n"
	"are told to CLUSTER MEET it at its new address; heal then waits until every\n"
	"member links to every other one, and re-points replicas whose master link\n"
	"stays down.  It never moves or assigns slots, never adds a node that is not\n"
	"already a member, and refuses a LIST reaching two different clusters.\n"
	"On a healthy cluster it changes nothing and says so.\n"
	"With --if-broken HOST:PORT it first asks that node alone (the heal sidecar's\n"
	"own node) and does nothing, quietly, unless the node was a member (knows\n"
	"another node) and reports a cluster_state other than ok, or sees a peer\n"
	"failing, without address, or disconnected; or unless the node knows no other\n"
	"node, owns no slot, and a listed member announces its hostname under another\n"
	"node id: it restarted empty in that member's place (no persistence), and heal\n"
	"has every member forget the old id, meets the node and makes it a replica of\n"
	"the old member's master (a member that still owns slots is not replaced).\n";

static const char after_text[] =
	"Exit status: 0 healed or already healthy, 1 not healed (members missing or\n"
	"deadline passed), 2 bad usage or refused input (nothing changed).\n";

int cmd_heal(int argc, char **argv)
{
	struct cli_common cc;
	struct addr_list nodes = { NULL, 0 };
	struct heal_req req;
	struct heal_result res;
	struct sc_err e;
	struct addr gate;
	char why[300];
	int wait_s = 60, status = 2, gated;
	const struct opt opts[] = {
		OPT_ADDR_LIST('n', "nodes", &nodes, "LIST", "comma-separated host:port of the cluster's nodes"),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 1, 86400,
			"deadline for the members to agree (default 60)"),
		OPT_FLAG(0, "dry-run", &req.dry_run, "say which meets would be sent, change nothing"),
		OPT_ADDR(0, "if-broken", &gate, "HOST:PORT", "heal only when this node's own view is broken"),
		OPT_GROUP(cc.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "heal", usage_text, about_text, after_text, opts };

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	memset(&gate, 0, sizeof(gate));
	err_clear(&e);
	if (opt_parse_cmdline(&cmd, argc, argv, &status) < 0)
		goto out;
	if (!nodes.n) {
		status = opt_refuse(&cmd, "--nodes is required");
		goto out;
	}
	if (cli_common_finish(&cc, &e) < 0) {
		status = cli_fail("heal", &e);
		goto out;
	}
	if (gate.port) {
		if ((gated = heal_gate_probe(&gate, &cc.conn, why, sizeof(why), &e)) < 0) {
			status = cli_fail("heal", &e);
			goto out;
		}
		if (gated == HEAL_GATE_FRESH) {
			struct node_entry pred;
			memset(&pred, 0, sizeof(pred));
			if ((gated = predecessor_lookup(&gate, &nodes, &cc.conn, &pred, why, sizeof(why), &e)) < 0) {
				status = cli_fail("heal", &e);
				goto out;
			}
			node_entry_release(&pred);
		}
		if (!gated) {
			status = 0;
			goto out;
		}
		printf("'%s:%d' sees its cluster broken (%s): healing\n", gate.host, gate.port, why);
		fflush(stdout);
	}
	req.nodes = &nodes;
	req.conn = &cc.conn;
	req.wait_ms = wait_s * 1000;
	req.out = stdout;
	if (heal_run(&req, &res, &e) < 0) {
		status = cli_fail("heal", &e);
		goto out;
	}
	status = 0;
out:
	addr_list_release(&nodes);
	cli_common_release(&cc);
	return status;
}
