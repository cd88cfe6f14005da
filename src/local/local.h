/* local.h - `shardctl local`: clusters of plain redis-server processes on
 * this machine, one folder per node under DIR (server.h), and a state file
 * DIR/cluster.state recording what runs there (host, first port, shards,
 * replicas).  Node i listens on port P+i, like pod i of a StatefulSet, so
 * S shards with R replicas use the first S*(1+R) ports.
 *
 * Nodes keep their data in memory only (save "", appendonly no): local
 * clusters are for trying things and for tests; `down` loses the data.
 */
#ifndef SHARDCTL_LOCAL_H
#define SHARDCTL_LOCAL_H

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
	const char *server;      /* redis-server binary; NULL: "redis-server" */
	const struct conn_opts *conn;
	int wait_ms;             /* deadline of each wait; 0: defaults */
	FILE *log;               /* progress lines; NULL: quiet */
	int migration;           /* scale: enum migration_choice (reconcile.h) */
};

struct local_state {
	char host[64];
	int port;
	int shards, replicas;
	int nodes;               /* shards * (1 + replicas) */
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
 * and stop departed ones, then a full reconcile. */
int local_scale(const struct local_opts *o, struct sc_err *e);

/* The state and the node processes found under DIR (every node-PORT folder,
 * in port order; pid 0 when not running).  The caller frees *servers. */
int local_inspect(const char *dir, struct local_state *st, struct server **servers, int *n,
		  struct sc_err *e);

/* Helpers shared with local_scale (local_scale.c). */
int local_state_read(const char *dir, struct local_state *st, struct sc_err *e);
int local_state_write(const char *dir, const struct local_state *st, struct sc_err *e);
int local_check_ports(const char *host, int first, int count, struct sc_err *e);
int local_start(struct server *v, int n, const struct local_opts *o, struct sc_err *e);
int local_stop(struct server *v, int n, int wait_ms, struct sc_err *e);

#endif
