/* cmd_fix.c - `shardctl fix HOST:PORT`: repair open and uncovered slots left
 * by an interrupted migration (see fix.h). */
#include <stdio.h>
#include <string.h>

#include "base/addr.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/fix.h"

static const char usage_text[] =
	"usage: shardctl fix HOST:PORT [options]\n";

static const char about_text[] =
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
	"works (a running reconcile is waited for, up to --wait).\n";

static const char after_text[] =
	"Exit status: 0 nothing to fix or fixed, 1 some slot needs a decision or a\n"
	"step failed, 2 bad usage.\n";

int cmd_fix(int argc, char **argv)
{
	struct cli_common cc;
	struct fix_req req;
	struct fix_result res;
	struct sc_err e;
	int wait_s = 60, status = 2;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR, &req.seed, "HOST:PORT", NULL),
		OPT_FLAG(0, "dry-run", &req.dry_run, "print what would be done, change nothing"),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 1, 86400,
			"deadline of the lock and of the nodes' agreement (default 60)"),
		OPT_MS(0, "max-latency", &req.max_latency_us, "MS", 0, CLI_MAX_LATENCY_MAX, CLI_MAX_LATENCY_HELP),
		OPT_GROUP(cc.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "fix", usage_text, about_text, after_text, opts };

	cli_common_init(&cc);
	memset(&req, 0, sizeof(req));
	req.max_latency_us = MIGRATE_MAX_LATENCY_US;
	err_clear(&e);
	if (opt_parse_cmdline(&cmd, argc, argv, &status) < 0)
		goto out;
	if (cli_common_finish(&cc, &e) < 0) {
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
