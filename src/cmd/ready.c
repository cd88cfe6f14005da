/* cmd_ready.c - `shardctl ready HOST:PORT[,...] [--wait SECONDS]
 * [--nodes-file FILE]`: whether each node serves (cluster/readiness.h), the
 * server pods' readiness probe and the hook Jobs' wait for their nodes.
 * With --nodes-file, a node that restarted empty in the place of a member
 * (cluster/predecessor.h) does not serve until it rejoined.  Exit 0 every
 * node serves, 1 not (yet), 2 bad usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/predecessor.h"
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
	"With --nodes-file (the cluster's node list, comma-separated, as the chart's\n"
	"ConfigMap holds it), a node that knows no other node and owns no slot is\n"
	"asked about: when a listed member announces the node's hostname under another\n"
	"node id, the node restarted empty in that member's place (no persistence)\n"
	"and does not serve until heal rejoined it and it synced.\n"
	"With --wait, looks again every second until every node serves or the\n"
	"deadline passes, printing what is still awaited every 10 seconds.\n"
	"Changes nothing.\n";

static const char after_text[] =
	"Exit status: 0 every node serves, 1 some node does not (or cannot be reached),\n"
	"2 bad usage.\n";

/* 1 when the node at a restarted empty in a member's place (why filled),
 * 0 not, -1 (why) unreadable.  `file`: the node list's file, NULL: 0. */
static int replaces_member(const struct addr *a, const char *file, const struct conn_opts *o, char *why, int len)
{
	struct addr_list list = { NULL, 0 };
	struct node_entry pred;
	struct sc_err e;
	char *text = NULL, *end;
	size_t n = 0;
	FILE *f;
	int rc;

	if (!file)
		return 0;
	memset(&pred, 0, sizeof(pred));
	/* read each time: Kubernetes updates the ConfigMap volume on upgrade */
	if (!(f = fopen(file, "r")) || getdelim(&text, &n, '\0', f) < 0) {
		snprintf(why, (size_t)len, "cannot read the node list '%s'", file);
		rc = -1;
		goto out;
	}
	for (end = text + strlen(text); end > text && strchr(" \t\r\n", end[-1]); end--)
		*(end - 1) = '\0';
	if (addr_list_parse(&list, text, &e) < 0) {
		snprintf(why, (size_t)len, "node list '%s': %s", file, e.msg);
		rc = -1;
		goto out;
	}
	if ((rc = predecessor_lookup(a, &list, o, &pred, why, len, &e)) < 0)
		snprintf(why, (size_t)len, "%s", e.msg);
	node_entry_release(&pred);
out:
	if (f)
		fclose(f);
	free(text);
	addr_list_release(&list);
	return rc;
}

/* Index of the first node that does not serve (why filled), or -1. */
static int first_not_ready(const struct addr_list *l, const struct conn_opts *o, const char *file, int from,
			   char *why, int len)
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
		if (ok != 1 || replaces_member(&l->v[i], file, o, why, len) != 0)
			return i;
	}
	return -1;
}

int cmd_ready(int argc, char **argv)
{
	struct cli_common common;
	struct addr_list nodes = { NULL, 0 };
	struct sc_err e = { 0 };
	const char *nodes_file = NULL;
	char why[600], name[300];
	int rc = 2, wait_s = 0, i = 0;
	long long deadline, said = 0;
	const struct opt opts[] = {
		OPT_ARG(OPTION_ADDR_LIST, &nodes, "HOST:PORT", NULL),
		OPT_INT(0, "wait", &wait_s, "SECONDS", 0, 86400,
			"look again until every node serves, for at most SECONDS (default 0: once)"),
		OPT_FILE(0, "nodes-file", &nodes_file, "FILE",
			 "the cluster's node list: a node restarted empty in a member's place waits to rejoin"),
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
	while ((i = first_not_ready(&nodes, &common.conn, nodes_file, i, why, sizeof(why))) >= 0) {
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
