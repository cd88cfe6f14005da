/* replsync.h - waits for replicas to be in sync with their masters.
 *
 * A replica still loading its master's data would lose the shard if a
 * failover promoted it, and keys moved to a master whose replica is in its
 * first sync reach that replica only after the sync.  So: before a
 * FAILOVER the replica promoted, before keys flow to a master its
 * replicas, and at the end of every run every replica whose master is a
 * live member reports master_link_status:up and master_sync_in_progress:0
 * (cluster/node.h), or the wait fails naming it when the deadline passes.
 */
#ifndef SHARDCTL_REPLSYNC_H
#define SHARDCTL_REPLSYNC_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"
#include "engine/members.h"

/* Wait until the members idx[0..n) are in sync (deadline: ms->wait_ms). */
int replsync_wait(const struct members *ms, const int *idx, int n, struct sc_err *e);

/* replsync_wait for the live replicas r (gone and dead members skipped)
 * for which want(ms, r, arg) is true. */
int replsync_where(const struct members *ms,
		   int (*want)(const struct members *ms, const struct run_member *r, void *arg), void *arg,
		   struct sc_err *e);

/* Every replica whose master is a live member. */
int replsync_replicas(const struct members *ms, struct sc_err *e);

/* The same for every reachable replica of t whose master is alive (a run
 * that timed out waiting is continued by the next, even when nothing else
 * is left). */
int replsync_topo(const struct topo *t, const struct conn_opts *conn, int wait_ms, FILE *log, struct sc_err *e);

/* The same for the replicas at nodes[0..n): create's last step. */
int replsync_nodes(const struct addr *nodes, int n, const struct conn_opts *conn, int wait_ms, FILE *log,
		   struct sc_err *e);

#endif
