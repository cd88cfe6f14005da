/* local.h - `shardctl local`: clusters of plain redis-server (or
 * valkey-server) processes on this machine, one folder per node under DIR
 * (server.h), and a state file DIR/cluster.state recording what runs there
 * (host, first port, shards, replicas, and the server binary when one was
 * given).  Node i listens on port P+i, like pod i of a StatefulSet, so S
 * shards with R replicas use the first S*(1+R) ports.
 *
 * The state file: a first line "shardctl-local 1", then "key value" lines
 * (host, port, shards, replicas, nodes, server); unknown lines are ignored
 * and "server" is optional, so files written before it existed still read
 * (their nodes are started with redis-server from PATH).
 *
 * Nodes keep their data in memory only (save "", appendonly no): local
 * clusters are for trying things and for tests; `down` loses the data.
 */
#ifndef SHARDCTL_LOCAL_H
#define SHARDCTL_LOCAL_H

#include <limits.h>
#include <stdio.h>

#include "cluster/conn.h"
#include "base/err.h"
#include "local/server.h"

/* 7000: its cluster bus ports (+10000) stay below Linux's ephemeral range
 * (32768-60999), where an outgoing connection could hold them. */
#define LOCAL_DEFAULT_PORT 7000
#define LOCAL_DEFAULT_HOST "127.0.0.1"

struct local_opts {
	const char *dir;
	const char *host;        /* NULL: LOCAL_DEFAULT_HOST (up) */
	int port;                /* first port; 0: LOCAL_DEFAULT_PORT (up) */
	int shards, replicas;    /* scale: replicas < 0 keeps the current */
	const char *server;      /* the server binary; NULL: up, "redis-server"
				    from PATH; scale, the one recorded */
	const struct conn_opts *conn;
	int wait_ms;             /* deadline of each wait; 0: defaults */
	FILE *log;               /* progress lines; NULL: quiet */
	int migration;           /* scale: enum migration_choice (reconcile.h) */
	int max_latency_us;      /* scale: legacy moves' latency budget (0: no
				    limit; reconcile_req.max_latency_us) */
};

struct local_state {
	char host[64];
	int port;
	int shards, replicas;
	int nodes;               /* shards * (1 + replicas) */
	char server[PATH_MAX];   /* the binary new nodes are started with
				    (absolute unless a bare name looked up
				    in PATH); "": redis-server from PATH */
};

/* Start S*(1+R) nodes and create the cluster.  Refuses (ERR_REFUSED, nothing
 * started) fewer than 3 shards, a DIR where a node still runs, and busy ports
 * (each port and its cluster bus port, +10000).  On failure every process it
 * started is stopped again. */
int local_up(const struct local_opts *o, struct sc_err *e);

/* Stop every node process found under DIR (SIGTERM, then SIGKILL after the
 * deadline) and forget the state.  `stopped` (may be NULL) gets the count. */
int local_down(const struct local_opts *o, int *stopped, struct sc_err *e);

/* Change the shape the way a Helm upgrade does: reconcile --evacuate-only
 * with the new node list while every old node runs, then start new nodes
 * and stop departed ones, then a full reconcile.  New nodes run the server
 * recorded in the state, or o->server when given, which is then recorded
 * (how a rolling upgrade onto another server is tried locally). */
int local_scale(const struct local_opts *o, struct sc_err *e);

/* The state and the node processes found under DIR (every node-PORT folder,
 * in port order; pid 0 when not running).  The caller frees *servers. */
int local_inspect(const char *dir, struct local_state *st, struct server **servers, int *n,
		  struct sc_err *e);

/* Helpers shared with local_scale (local_scale.c). */
int local_state_read(const char *dir, struct local_state *st, struct sc_err *e);
int local_state_write(const char *dir, const struct local_state *st, struct sc_err *e);
int local_check_ports(const char *host, int first, int count, struct sc_err *e);
/* The server binary as it is recorded: a path made absolute against the
 * current folder (symlinks kept: Debian's redis-server and valkey-server
 * are links whose name picks the program's mode), a bare name kept for a
 * PATH lookup.  Refuses (ERR_REFUSED) a path too long or with a newline. */
int local_server_path(const char *given, char *out, size_t len, struct sc_err *e);
int local_start(struct server *v, int n, const struct local_opts *o, struct sc_err *e);
int local_stop(struct server *v, int n, int wait_ms, struct sc_err *e);

#endif
