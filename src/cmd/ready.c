/* cmd_ready.c - `shardctl ready HOST:PORT[,...] [--wait SECONDS]`: whether
 * each node serves (cluster/readiness.h), the server pods' readiness probe
 * and the hook Jobs' wait for their nodes.  Exit 0 every node serves, 1 not
 * (yet), 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/readiness.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"

static const char usage_text[] =
	"usage: shardctl ready HOST:PORT[,HOST:PORT...] [--wait SECONDS] [options]\n";

static const char about_text[] =
	"Says whether each node serves: it answers, is not loading its dataset, and,\n"
	"when it is a replica, its link to its master is up and no sync is in progress\n"
	"(a replica in its first full sync holds nothing yet).  Cluster membership does\n"
	"not matter: a node that belongs to no cluster yet serves as soon as it\n"
	"answers (a new pod must be Ready before the hook that adds it runs).\n"
	"With --wait, looks again every second until every node serves or the\n"
	"deadline passes, printing what is still awaited every 10 seconds.\n"
	"Changes nothing.\n";

static const char after_text[] =
	"Exit status: 0 every node serves, 1 some node does not (or cannot be reached),\n"
	"2 bad usage.\n";

/* Index of the first node that does not serve (why filled), or -1. */
static int first_not_ready(const struct addr_list *l, const struct conn_opts *o, int from, char *why, int len)
{
	for (int i = from; i < l->n; i++) {
		struct sc_err e;
		struct conn *c = conn_open(&l->v[i], o, &e);
		int ok;

		if (!c) {
			snprintf(why, (size_t)len, "%s", e.msg);
			return i;
		}
		ok = readiness_probe(c, why, len);
		conn_free(c);
		if (ok != 1)
			return i;
	}
	return -1;
}

int cmd_ready(int argc, char **argv)
{
	struct cli_common common;
	struct addr_list nodes = { NULL, 0 };
	struct sc_err e = { 0 };
	char why[600], name[300];
	int rc = 2, wait_s = 0, i = 0;
	long long deadline, said = 0;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR_LIST, &nodes, "HOST:PORT", NULL),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 0, 86400,
			"look again until every node serves, for at most SECONDS (default 0: once)"),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	const struct opt_cmd cmd = { "ready", usage_text, about_text, after_text, opts };

	cli_common_init(&common);
	if (opt_parse_cmdline(&cmd, argc, argv, &rc) < 0)
		goto out;
	if (cli_common_finish(&common, &e) < 0) {
		rc = cli_fail("ready", &e);
		goto out;
	}
	deadline = clock_now_ms() + (long long)wait_s * 1000;
	/* nodes already seen serving are not asked again: a wait is for each
	 * node to have served once, in list order */
	while ((i = first_not_ready(&nodes, &common.conn, i, why, sizeof(why))) >= 0) {
		addr_format(&nodes.v[i], name, sizeof(name));
		if (clock_now_ms() >= deadline) {
			printf("not ready: '%s': %s\n", name, why);
			rc = 1;
			goto out;
		}
		if (!said || clock_now_ms() - said >= 10000) {
			printf("waiting for '%s' to serve: %s\n", name, why);
			fflush(stdout);
			said = clock_now_ms();
		}
		clock_sleep_ms(1000);
	}
	printf(nodes.n == 1 ? "ready: the node serves\n" : "ready: every node serves (%d)\n", nodes.n);
	rc = 0;
out:
	addr_list_release(&nodes);
	cli_common_release(&common);
	return rc;
}
