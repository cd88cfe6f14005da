/* cmd_heal.c - `shardctl heal --nodes LIST`: rejoin members whose address
 * changed (see heal.h).  Membership and replication links only. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/heal.h"

enum { OPT_NODES = OPT_OWN, OPT_WAIT, OPT_DRY_RUN };

static const char usage_text[] =
	"usage: shardctl heal --nodes LIST [options]\n"
	"\n"
	"Rejoins cluster members whose address changed (e.g. every pod restarted with\n"
	"a new IP, nodes.conf kept).  Each name of LIST is resolved again, every node\n"
	"is identified by its node id, and members are also looked for at the\n"
	"hostnames they announce (cluster-announce-hostname).  Nodes that lost a peer\n"
	"are told to CLUSTER MEET it at its new address; heal then waits until every\n"
	"member links to every other one, and re-points replicas whose master link\n"
	"stays down.  It never moves or assigns slots, never adds a node that is not\n"
	"already a member, and refuses a LIST reaching two different clusters.\n"
	"On a healthy cluster it changes nothing and says so.\n"
	"\n"
	"  -n, --nodes LIST            comma-separated host:port of the cluster's nodes\n"
	"      --wait SECONDS          deadline for the members to agree (default 60)\n"
	"      --dry-run               say which meets would be sent, change nothing\n" CLI_COMMON_HELP
	"  -h, --help                  this text\n"
	"\n"
	"Exit status: 0 healed or already healthy, 1 not healed (members missing or\n"
	"deadline passed), 2 bad usage or refused input (nothing changed).\n";

int cmd_heal(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nodes", required_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "help", no_argument, NULL, 'h' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common cc;
	struct addr_list nodes = { NULL, 0 };
	struct heal_req req;
	struct heal_result res;
	struct sc_err e;
	const char *list = NULL;
	int opt, wait_s = 60, status = 2;

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	err_clear(&e);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		int h = cli_common_option(&cc, opt, optarg, &e);
		if (h < 0) {
			status = cli_fail("heal", &e);
			goto out;
		}
		if (h > 0)
			continue;
		switch (opt) {
		case 'n':
			list = optarg;
			break;
		case OPT_WAIT:
			if (cli_parse_int(optarg, 1, 86400, "--wait", &wait_s, &e) < 0) {
				status = cli_fail("heal", &e);
				goto out;
			}
			break;
		case OPT_DRY_RUN:
			req.dry_run = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = 0;
			goto out;
		default:
			status = cli_usage_error("heal", "unknown option");
			goto out;
		}
	}
	if (optind < argc) {
		status = cli_usage_error("heal", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!list) {
		status = cli_usage_error("heal", "--nodes is required");
		goto out;
	}
	if (addr_list_parse(&nodes, list, &e) < 0 || cli_common_finish(&cc, &e) < 0) {
		status = cli_fail("heal", &e);
		goto out;
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
