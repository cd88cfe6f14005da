/* cmd_fix.c - `shardctl fix HOST:PORT`: repair open and uncovered slots left
 * by an interrupted migration (see fix.h). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/fix.h"

enum { OPT_WAIT = OPT_OWN, OPT_DRY_RUN };

static const char usage_text[] =
	"usage: shardctl fix HOST:PORT [options]\n"
	"\n"
	"Repairs the slots an interrupted migration leaves behind, reading the whole\n"
	"cluster from HOST:PORT:\n"
	"  - an open slot (MIGRATING / IMPORTING) is finished towards its target when\n"
	"    both halves were set or the target already holds keys of it, otherwise\n"
	"    closed (nothing had moved);\n"
	"  - an uncovered slot goes to the one master holding its keys, or, when no\n"
	"    master holds any, to the master with fewest slots.\n"
	"Keys move only with MIGRATE without REPLACE.  A key on both sides is removed\n"
	"from the source only when both copies are identical; where two nodes hold\n"
	"different data, or the slot's owner-to-be is ambiguous, fix leaves that slot\n"
	"alone and prints a STOP line saying what it found and what to decide.\n"
	"It also tells masters the owners of slots they see unassigned, and reports\n"
	"keys held outside their slot's owner.  It holds the cluster lock while it\n"
	"works (a running reconcile is waited for, up to --wait).\n"
	"\n"
	"      --dry-run        print what would be done, change nothing\n"
	"      --wait SECONDS   deadline of the lock and of the nodes' agreement (default 60)\n" CLI_COMMON_HELP
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 nothing to fix or fixed, 1 some slot needs a decision or a\n"
	"step failed, 2 bad usage.\n";

int cmd_fix(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "help", no_argument, NULL, 'h' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common cc;
	struct fix_req req;
	struct fix_result res;
	struct sc_err e;
	int opt, wait_s = 60, status = 2;

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	err_clear(&e);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int h = cli_common_option(&cc, opt, optarg, &e);
		if (h < 0) {
			status = cli_fail("fix", &e);
			goto out;
		}
		if (h > 0)
			continue;
		switch (opt) {
		case OPT_WAIT:
			if (cli_parse_int(optarg, 1, 86400, "--wait", &wait_s, &e) < 0) {
				status = cli_fail("fix", &e);
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
			status = cli_usage_error("fix", "unknown option");
			goto out;
		}
	}
	if (argc - optind != 1) {
		if (argc == optind)
			status = cli_usage_error("fix", "HOST:PORT is required");
		else
			status = cli_usage_error("fix", "expected one HOST:PORT, got %d arguments", argc - optind);
		goto out;
	}
	if (addr_parse(&req.seed, argv[optind], &e) < 0 || cli_common_finish(&cc, &e) < 0) {
		status = cli_fail("fix", &e);
		goto out;
	}
	req.conn = &cc.conn;
	req.wait_ms = wait_s * 1000;
	req.out = stdout;
	if (fix_run(&req, &res, &e) < 0) {
		status = cli_fail("fix", &e);
		goto out;
	}
	status = 0;
out:
	cli_common_release(&cc);
	return status;
}
