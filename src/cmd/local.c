/* cmd_local.c - `shardctl local up|scale|status|down --dir DIR ...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "local/local.h"

enum { OPT_DIR = OPT_OWN, OPT_SHARDS, OPT_REPLICAS, OPT_PORT, OPT_HOST, OPT_SERVER, OPT_WAIT };

static const char usage_text[] =
	"usage: shardctl local up     --dir DIR --shards S [--replicas R] [--port P] [--host H]\n"
	"       shardctl local scale  --dir DIR --shards S [--replicas R]\n"
	"       shardctl local status --dir DIR\n"
	"       shardctl local down   --dir DIR\n"
	"\n"
	"Clusters of plain redis-server processes on this machine, one folder per\n"
	"node under DIR (redis.conf, nodes.conf, redis.log, redis.pid).  Node i\n"
	"listens on port P+i (its cluster bus on P+i+10000), like pod i of a\n"
	"StatefulSet.  Data is kept in memory only: 'down' loses it.\n"
	"\n"
	"  up      start S*(1+R) nodes in parallel and create the cluster; refuses\n"
	"          busy ports and a DIR where nodes still run\n"
	"  scale   change shards and/or replicas the way a Helm upgrade does:\n"
	"          'reconcile --evacuate-only' with the new node list while the old\n"
	"          nodes run, then start new nodes / stop departed ones, then a full\n"
	"          'reconcile'\n"
	"  status  the node processes, then the cluster as 'shardctl status' shows it\n"
	"  down    stop every node (SIGTERM, SIGKILL after the deadline)\n"
	"\n"
	"  -d, --dir DIR             the cluster's folder\n"
	"  -s, --shards S            number of masters (3 or more)\n"
	"  -r, --replicas R          replicas per master (up: default 0; scale:\n"
	"                            default unchanged)\n"
	"  -p, --port P              first port (default 7000)\n"
	"      --host H              IPv4 address to listen on and announce\n"
	"                            (default 127.0.0.1)\n"
	"      --redis-server PATH   the redis-server binary (default: from PATH)\n"
	"      --wait SECONDS        deadline of each wait (default 10 for\n"
	"                            processes, 60 for the cluster)\n"
	CLI_COMMON_HELP
	"  -h, --help                this text\n";

static void print_status(const char *dir)
{
	struct local_state st;
	struct server *v = NULL;
	struct sc_err e = { 0 };
	int n = 0, running = 0;

	if (local_inspect(dir, &st, &v, &n, &e) < 0) {
		cli_fail("local status", &e);
		return;
	}
	printf("local cluster in %s: %d shards, %d replica%s each, %s:%d-%d\n", dir, st.shards,
	       st.replicas, st.replicas == 1 ? "" : "s", st.host, st.port, st.port + st.nodes - 1);
	printf("%-22s %-8s %s\n", "NODE", "PID", "PROCESS");
	for (int i = 0; i < n; i++) {
		char name[96];
		snprintf(name, sizeof(name), "%s:%d", st.host, v[i].port);
		if (v[i].pid)
			printf("%-22s %-8d running\n", name, (int)v[i].pid);
		else
			printf("%-22s %-8s stopped\n", name, "-");
		running += v[i].pid > 0;
	}
	printf("%d of %d node processes running\n", running, n);
	free(v);
}

/* What to run next, with this cluster's addresses filled in. */
static void print_hints(const char *dir)
{
	struct local_state st;

	if (local_state_read(dir, &st, NULL) < 0)
		return;
	printf("\nsee it:  shardctl status %s:%d\n"
	       "check:   shardctl check %s:%d --shards %d --replicas %d\n"
	       "stop:    shardctl local down --dir %s\n",
	       st.host, st.port, st.host, st.port, st.shards, st.replicas, dir);
}

/* The processes, then `shardctl status` on the first running node (with
 * the same authentication options). */
static int status_cmd(const char *dir, const char *user, const char *password_file)
{
	struct local_state st;
	struct server *v = NULL;
	struct sc_err e = { 0 };
	int n = 0, rc = 1, seed = -1;

	if (local_inspect(dir, &st, &v, &n, &e) < 0)
		return cli_fail("local status", &e);
	print_status(dir);
	for (int i = 0; i < n && seed < 0; i++)
		if (v[i].pid)
			seed = i;
	if (seed >= 0) {
		char addr[96], *argv[7] = { "status", addr, NULL };
		int argc = 2;
		snprintf(addr, sizeof(addr), "%s:%d", st.host, v[seed].port);
		if (user) {
			argv[argc++] = "--user";
			argv[argc++] = (char *)user;
		}
		if (password_file) {
			argv[argc++] = "--password-file";
			argv[argc++] = (char *)password_file;
		}
		argv[argc] = NULL;
		printf("\n");
		fflush(stdout);
		rc = cmd_status(argc, argv);
	}
	free(v);
	return rc;
}

int cmd_local(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		{ "replicas", required_argument, NULL, OPT_REPLICAS },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "redis-server", required_argument, NULL, OPT_SERVER },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ "help", no_argument, NULL, 'h' },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	struct cli_common common;
	struct local_opts lo;
	struct sc_err e = { 0 };
	const char *action = NULL;
	char cmd[32] = "local";
	int opt, status = 2, stopped;

	cli_common_init(&common);
	memset(&lo, 0, sizeof(lo));
	lo.shards = -1;
	lo.replicas = -1;
	if (argc >= 2 && argv[1][0] != '-') {
		action = argv[1];
		snprintf(cmd, sizeof(cmd), "local %s", action);
		argc--;
		argv++;
	}
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":d:s:r:p:h", opts, NULL)) != -1) {
		int handled = cli_common_option(&common, opt, optarg, &e);
		if (handled < 0)
			goto fail;
		if (handled)
			continue;
		switch (opt) {
		case 'd':
		case OPT_DIR:
			lo.dir = optarg;
			break;
		case 's':
		case OPT_SHARDS:
			if (cli_parse_int(optarg, 0, 10000, "--shards", &lo.shards, &e) < 0)
				goto fail;
			break;
		case 'r':
		case OPT_REPLICAS:
			if (cli_parse_int(optarg, 0, 100, "--replicas", &lo.replicas, &e) < 0)
				goto fail;
			break;
		case 'p':
		case OPT_PORT:
			if (cli_parse_int(optarg, 1, 65535, "--port", &lo.port, &e) < 0)
				goto fail;
			break;
		case OPT_HOST:
			lo.host = optarg;
			break;
		case OPT_SERVER:
			lo.server = optarg;
			break;
		case OPT_WAIT:
			if (cli_parse_int(optarg, 1, 86400, "--wait", &lo.wait_ms, &e) < 0)
				goto fail;
			lo.wait_ms *= 1000; /* seconds, like reconcile, fix and heal */
			break;
		case 'h':
			fputs(usage_text, stdout);
			status = 0;
			goto out;
		case ':':
			status = cli_usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			status = cli_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (!action) {
		status = cli_usage_error("local", "which action: up, scale, status or down?");
		goto out;
	}
	if (optind < argc) {
		status = cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (!lo.dir) {
		status = cli_usage_error(cmd, "--dir is required");
		goto out;
	}
	if (cli_common_finish(&common, &e) < 0)
		goto fail;
	lo.conn = &common.conn;
	lo.log = stdout;
	if (!strcmp(action, "up") || !strcmp(action, "scale")) {
		int up = action[0] == 'u';
		if (lo.shards < 0) {
			status = cli_usage_error(cmd, "--shards is required");
			goto out;
		}
		if (!up && (lo.port || lo.host)) {
			status = cli_usage_error(cmd, "--port and --host are fixed when the cluster is created");
			goto out;
		}
		if (up && lo.replicas < 0)
			lo.replicas = 0;
		if ((up ? local_up(&lo, &e) : local_scale(&lo, &e)) < 0)
			goto fail;
		printf("\n");
		print_status(lo.dir);
		print_hints(lo.dir);
		status = 0;
	} else if (!strcmp(action, "down")) {
		if (local_down(&lo, &stopped, &e) < 0)
			goto fail;
		printf("stopped %d node process%s in %s\n", stopped, stopped == 1 ? "" : "es", lo.dir);
		status = 0;
	} else if (!strcmp(action, "status")) {
		status = status_cmd(lo.dir, common.conn.user, common.password_file);
	} else {
		status = cli_usage_error("local", "unknown action '%s' (up, scale, status or down)", action);
	}
	goto out;
fail:
	status = cli_fail(cmd, &e);
out:
	cli_common_release(&common);
	return status;
}
