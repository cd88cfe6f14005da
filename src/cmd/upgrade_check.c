/* cmd_upgrade_check.c - `shardctl upgrade-check --nodes LIST --to-image
 * IMAGE [--flavor valkey|redis]`: refuses a server image that cannot read
 * the running nodes' data (engine/upgrade_check.h).  The chart's
 * pre-upgrade and pre-rollback hooks run it before any pod restarts. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "engine/upgrade_check.h"

static const char usage_text[] =
	"usage: shardctl upgrade-check --nodes LIST --to-image REPO:TAG [--flavor valkey|redis] [options]\n";

static const char about_text[] =
	"Before the server image changes, checks that the new server can read the data\n"
	"the running nodes wrote (append-only and RDB files, and the full syncs of a\n"
	"rolling restart).  Data formats: Redis 7.0 writes RDB 10; Redis 7.2, Valkey 7.2\n"
	"and 8.x 11; Redis 7.4 to 8.4 12; Redis 8.6 13; Valkey 9 80.  A server reads its\n"
	"own version and older ones, except that Valkey 9 does not read 12-79 (Redis\n"
	"7.4 and later).  So a Redis image older than the running Redis, Valkey 9 to\n"
	"Valkey 8 or to Redis, and Redis 7.4+ to Valkey are refused.\n"
	"Every member of the cluster LIST belongs to is asked INFO server, and every\n"
	"listed node; unreachable nodes are skipped.  The target is read from the image\n"
	"tag (MAJOR.MINOR at least: \"9.1.3\", \"7.2-alpine\") and, unless --flavor says,\n"
	"from the repository's name (\"valkey\" or \"redis\" in it).  An image whose\n"
	"version cannot be told (a digest, \"latest\") is allowed with a warning.\n"
	"Changes nothing.\n";

static const char after_text[] =
	"Exit status: 0 safe (or not judged: warned), 1 a node could not be read,\n"
	"2 refused (the server could not read the data) or bad usage.\n";

int cmd_upgrade_check(int argc, char **argv)
{
	static const char *const flavors[] = { "auto", "valkey", "redis", NULL };
	struct cli_common common;
	struct addr_list nodes = { NULL, 0 };
	struct upgrade_check_req req;
	struct sc_err e = { 0 };
	const char *image = NULL;
	int rc = 2, flavor = 0;
	const struct opt opts[] = {
		OPT_ADDR_LIST('n', "nodes", &nodes, "LIST", "comma-separated host:port of the running nodes"),
		OPT_STRING(0, "to-image", &image, "REPO:TAG", "the server image about to run"),
		OPT_ENUM(0, "flavor", &flavor, "FLAVOR", flavors,
			 "the image's server: auto (from the repository name), valkey or redis"),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "upgrade-check", usage_text, about_text, after_text, opts };

	memset(&req, 0, sizeof(req));
	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &rc) < 0)
		goto out;
	if (!nodes.n) {
		rc = opt_refuse(&cmd, "--nodes is required");
		goto out;
	}
	if (!image || !*image) {
		rc = opt_refuse(&cmd, "--to-image is required");
		goto out;
	}
	if (cli_common_finish(&common, &e) < 0) {
		rc = cli_fail("upgrade-check", &e);
		goto out;
	}
	req.nodes = &nodes;
	req.conn = &common.conn;
	req.image = image;
	req.flavor = flavor ? flavors[flavor] : NULL;
	req.out = stdout;
	rc = upgrade_check_run(&req, &e) < 0 ? cli_fail("upgrade-check", &e) : 0;
out:
	addr_list_release(&nodes);
	cli_common_release(&common);
	return rc;
}
