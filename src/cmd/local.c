/* cmd_local.c - `shardctl local up|scale|status|down --dir DIR ...`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/stop.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "local/local.h"

static const char usage_text[] =
	"usage: shardctl local up     --dir DIR --shards S [--replicas R] [--port P] [--host H]\n"
	"                             [--redis-server PATH]\n"
	"       shardctl local scale  --dir DIR --shards S [--replicas R] [--redis-server PATH]\n"
	"       shardctl local status --dir DIR\n"
	"       shardctl local down   --dir DIR\n";

/* The usage line an error of one action shows (help shows them all). */
static const char *const action_usage[] = {
	"usage: shardctl local up --dir DIR --shards S [--replicas R] [--port P] [--host H] "
	"[--redis-server PATH]\n",
	"usage: shardctl local scale --dir DIR --shards S [--replicas R] [--redis-server PATH]\n",
	"usage: shardctl local status --dir DIR\n",
	"usage: shardctl local down --dir DIR\n",
};

static const char about_text[] =
	"Clusters of plain redis-server (or valkey-server) processes on this\n"
	"machine, one folder per node under DIR (redis.conf, nodes.conf, redis.log,\n"
	"redis.pid).  Node i listens on port P+i (its cluster bus on P+i+10000),\n"
	"like pod i of a StatefulSet.  Data is kept in memory only: 'down' loses it.\n"
	"\n"
	"The server is redis-server from PATH unless --redis-server names another\n"
	"binary (valkey-server works the same).  'up' records it in DIR/cluster.state;\n"
	"'scale' starts new nodes with the recorded one, or with --redis-server PATH,\n"
	"which is then recorded: scaling out onto a newer server is how a rolling\n"
	"upgrade is tried locally.  Keys never move to a server with an older DUMP\n"
	"format (such a plan is refused, nothing changed).\n"
	"\n"
	"  up      start S*(1+R) nodes in parallel and create the cluster; refuses\n"
	"          busy ports and a DIR where nodes still run\n"
	"  scale   change shards and/or replicas the way a Helm upgrade does:\n"
	"          'reconcile --evacuate-only' with the new node list while the old\n"
	"          nodes run, then start new nodes / stop departed ones, then a full\n"
	"          'reconcile'\n"
	"  status  the node processes, then the cluster as 'shardctl status' shows it\n"
	"  down    stop every node (SIGTERM, SIGKILL after the deadline)\n";

/* The actions, in the order of the usage lines. */
enum local_action { ACT_UP, ACT_SCALE, ACT_STATUS, ACT_DOWN, ACT_NONE };
static const char *const action_words[] = { "up", "scale", "status", "down", NULL };

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
	printf("new nodes start with: %s\n", st.server[0] ? st.server : "redis-server (from PATH)");
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
	struct cli_common common;
	struct local_opts lo;
	struct sc_err e = { 0 };
	enum local_action action = ACT_NONE;
	char name[32] = "local";
	int status = 2, stopped;
	/* one table for every action: an option an action has no use for is
	 * refused below when it would mislead (--port, --host on scale) */
	const struct opt opts[] = {
		OPT_FILE('d', "dir", &lo.dir, "DIR", "the cluster's folder"),
		OPT_INT('s', "shards", &lo.shards, "S", 0, 10000, "number of masters (3 or more)"),
		OPT_INT('r', "replicas", &lo.replicas, "R", 0, 100,
			"replicas per master (up: default 0; scale: default unchanged)"),
		OPT_INT('p', "port", &lo.port, "P", 1, 65535, "first port (default 7000)"),
		OPT_STRING(0, "host", &lo.host, "H",
			   "IPv4 address to listen on and announce (default 127.0.0.1)"),
		OPT_FILE(0, "redis-server", &lo.server, "PATH",
			 "the server binary, redis-server or valkey-server (up: default redis-server "
			 "from PATH; scale: default the recorded one, a new one is recorded)"),
		OPT_INT(0, "wait", &lo.wait_ms, "SECONDS", 1, 86400,
			"deadline of each wait (default 10 for processes, 60 for the cluster)"),
		OPT_ENUM(0, "migration", &lo.migration, "auto|atomic|legacy", cli_migration_words,
			 "scale: " CLI_MIGRATION_HELP),
		OPT_MS(0, "max-latency", &lo.max_latency_us, "MS", 0, CLI_MAX_LATENCY_MAX,
			"scale: " CLI_MAX_LATENCY_HELP),
		OPT_GROUP(common.opts),
		OPT_END(),
	};
	struct opt_cmd cmd = { name, usage_text, about_text, NULL, opts };

	cli_common_init(&common);
	memset(&lo, 0, sizeof(lo));
	lo.shards = -1;
	lo.replicas = -1;
	lo.max_latency_us = MIGRATE_MAX_LATENCY_US;
	/* the action is the first word, as in git's subcommands */
	if (argc >= 2 && argv[1][0] != '-') {
		for (int i = 0; action_words[i]; i++)
			if (!strcmp(argv[1], action_words[i]))
				action = (enum local_action)i;
		if (action == ACT_NONE) {
			status = opt_refuse(&cmd, "unknown action '%s' (up, scale, status or down)", argv[1]);
			goto out;
		}
		snprintf(name, sizeof(name), "local %s", argv[1]);
		cmd.usage = action_usage[action];
		argc--;
		argv++;
	}
	switch (opt_parse(&cmd, argc, argv, &e)) {
	case 1:
		cmd.usage = usage_text;
		opt_help(&cmd, stdout);
		status = 0;
		goto out;
	case -1:
		status = opt_usage_error(&cmd, &e);
		goto out;
	}
	if (action == ACT_NONE) {
		status = opt_refuse(&cmd, "which action: up, scale, status or down?");
		goto out;
	}
	if (!lo.dir) {
		status = opt_refuse(&cmd, "--dir is required");
		goto out;
	}
	if ((action == ACT_UP || action == ACT_SCALE) && lo.shards < 0) {
		status = opt_refuse(&cmd, "--shards is required");
		goto out;
	}
	if (action == ACT_SCALE && (lo.port || lo.host)) {
		status = opt_refuse(&cmd, "--port and --host are fixed when the cluster is created");
		goto out;
	}
	if (cli_common_finish(&common, &e) < 0)
		goto fail;
	lo.wait_ms *= 1000; /* seconds, like reconcile, fix and heal */
	lo.conn = &common.conn;
	lo.log = stdout;
	stop_install();
	switch (action) {
	case ACT_UP:
	case ACT_SCALE:
		if (action == ACT_UP && lo.replicas < 0)
			lo.replicas = 0;
		if ((action == ACT_UP ? local_up(&lo, &e) : local_scale(&lo, &e)) < 0)
			goto fail;
		printf("\n");
		print_status(lo.dir);
		print_hints(lo.dir);
		status = 0;
		break;
	case ACT_DOWN:
		if (local_down(&lo, &stopped, &e) < 0)
			goto fail;
		printf("stopped %d node process%s in %s\n", stopped, stopped == 1 ? "" : "es", lo.dir);
		status = 0;
		break;
	case ACT_STATUS:
		status = status_cmd(lo.dir, common.user, common.password_file);
		break;
	case ACT_NONE:
		break;
	}
	goto out;
fail:
	status = cli_fail(name, &e);
out:
	cli_common_release(&common);
	return status;
}
