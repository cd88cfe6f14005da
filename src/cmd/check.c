/* cmd_check.c - `shardctl check HOST:PORT [--shards S] [--replicas R]
 * [--json]`: reads the cluster (survey.h), judges it (health.h), prints the
 * problems.  Exit 0 healthy, 1 unhealthy or unreadable, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "core/health.h"
#include "base/json.h"
#include "cluster/survey.h"

static const char usage_text[] =
	"usage: shardctl check HOST:PORT [--shards S] [--replicas R] [--json] [options]\n";

static const char about_text[] =
	"Checks the cluster that HOST:PORT belongs to: every slot owned by exactly one\n"
	"master, no open (migrating/importing) slot, all nodes agree on the members and\n"
	"the slot map, no failed, suspected (pfail) or unreachable node, no handshake or\n"
	"noaddr leftover, every node reports cluster_state:ok, every replica's link to\n"
	"its master is up (a replica whose link is down is not a working replica).\n"
	"Changes nothing.\n"
	"HOST:PORT may be a comma-separated list of seeds.\n";

static const char after_text[] =
	"Exit status: 0 healthy, 1 unhealthy (or the cluster cannot be read), 2 bad usage.\n";

static void print_json(const struct topo *t, const struct health *h, const char *unreadable)
{
	int reach = 0;

	for (int i = 0; t && i < t->n; i++)
		reach += t->m[i].reachable;
	printf("{\"healthy\":%s,\"nodes\":%d,\"reachable\":%d,\"masters\":%d,\"problems\":[",
	       !unreadable && h->n == 0 ? "true" : "false", t ? t->n : 0, reach,
	       t ? topo_count_masters(t) : 0);
	if (unreadable) {
		printf("{\"kind\":\"unreadable\",\"message\":");
		json_str(stdout, unreadable);
		printf("}");
	}
	for (int i = 0; h && i < h->n; i++) {
		printf("%s{\"kind\":\"%s\",\"message\":", i ? "," : "", problem_kind_name(h->p[i].kind));
		json_str(stdout, h->p[i].msg);
		printf("}");
	}
	printf("]}\n");
}

static void print_human(const struct topo *t, const struct health *h)
{
	int reach = 0;

	for (int i = 0; i < t->n; i++)
		reach += t->m[i].reachable;
	printf("checked %d node%s (%d reachable), %d master%s owning slots\n", t->n,
	       t->n == 1 ? "" : "s", reach, topo_count_masters(t), topo_count_masters(t) == 1 ? "" : "s");
	for (int i = 0; i < h->n; i++)
		printf("problem: %s\n", h->p[i].msg);
	if (h->n == 0)
		printf("healthy\n");
	else
		printf("unhealthy: %d problem%s\n", h->n, h->n == 1 ? "" : "s");
}

int cmd_check(int argc, char **argv)
{
	struct cli_common common;
	struct health_opts ho = { -1, -1 };
	struct addr_list seeds = { NULL, 0 };
	struct health h = { NULL, 0 };
	struct topo t;
	struct sc_err e = { 0 };
	int rc = 2, have_topo = 0;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR_LIST, &seeds, "HOST:PORT", NULL),
		OPT_INT(0, "shards", &ho.shards, "S", 1, CLUSTER_SLOTS,
			"also require exactly S masters owning slots"),
		OPT_INT(0, "replicas", &ho.replicas, "R", 0, 1000,
			"also require exactly R working replicas per master"),
		OPT_FLAG(0, "json", &common.json,
			 "{\"healthy\":BOOL,\"problems\":[{\"kind\",\"message\"}],...}"),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "check", usage_text, about_text, after_text, opts };

	memset(&t, 0, sizeof(t));
	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &rc) < 0)
		goto out;
	if (cli_common_finish(&common, &e) < 0)
		goto usage_fail;
	if (survey_read(&t, seeds.v, seeds.n, &common.conn, 1, &e) < 0) {
		/* an unreadable cluster is unhealthy (1), not a usage error */
		if (e.kind == ERR_REFUSED)
			e.kind = ERR_FAIL;
		if (common.json)
			print_json(NULL, NULL, e.msg);
		rc = cli_fail("check", &e);
		goto out;
	}
	have_topo = 1;
	if (health_check(&t, &ho, &h, &e) < 0) {
		rc = cli_fail("check", &e);
		goto out;
	}
	if (common.json)
		print_json(&t, &h, NULL);
	else
		print_human(&t, &h);
	rc = h.n == 0 ? 0 : 1;
	goto out;
usage_fail:
	rc = cli_fail("check", &e);
out:
	health_release(&h);
	if (have_topo)
		topo_release(&t);
	addr_list_release(&seeds);
	cli_common_release(&common);
	return rc;
}
