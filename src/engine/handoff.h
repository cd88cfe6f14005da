/* handoff.h - hand a master's slots to its best in-sync replica before the
 * master stops (a pod's preStop in a rolling restart).
 *
 * The node's own CLUSTER NODES decides whether there is anything to do: a
 * replica, or a master owning no slot, has nothing to hand off.  A master
 * owning slots needs a replica that is reachable, not failing, not flagged
 * nofailover, and in sync (cluster/node.h node_repl_synced: link up, no sync
 * in progress); among those the one with the highest replication offset
 * wins (ties: the smallest node id, so the choice is repeatable).  That
 * replica gets CLUSTER FAILOVER (the coordinated kind: the master pauses its
 * clients until the replica has caught up, so no acknowledged write is
 * lost), sent again if the election does not finish in time; then the wait
 * lasts until the roles have swapped on both nodes and every member agrees
 * (cluster/await.h with the new roles), so that clients are redirected
 * before the old master goes away.
 */
#ifndef SHARDCTL_HANDOFF_H
#define SHARDCTL_HANDOFF_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

/* What a node's own view says must happen (pure). */
enum handoff_need {
	HANDOFF_NONE_REPLICA, /* a replica: nothing to hand off */
	HANDOFF_NONE_EMPTY,   /* a master owning no slot (or not in a cluster) */
	HANDOFF_NEEDED,       /* a master owning slots */
};
enum handoff_need handoff_need(const struct view *v);

/* A replica of the master, as the choice sees it. */
struct handoff_cand {
	char id[NODE_ID_LEN + 1];
	int usable;       /* reachable, not failing, not nofailover */
	int synced;       /* node_repl_synced answered 1 */
	long long offset; /* its slave_repl_offset, -1 when unknown */
};

/* Index of the replica to promote, or -1 when none is usable and in sync
 * (pure). */
int handoff_pick(const struct handoff_cand *c, int n);

struct handoff_req {
	struct addr node;             /* the node about to stop */
	const struct conn_opts *conn;
	int wait_ms;                  /* deadline of the whole handoff */
	FILE *out;                    /* what it does, a line each; NULL quiet */
};

/* 0 when handed off or nothing to do (the line says which); -1 with e:
 * ERR_FAIL when no replica can take over or the deadline passed (the
 * message says which replicas were seen and why none fit), ERR_IO when the
 * node cannot be read. */
int handoff_run(const struct handoff_req *r, struct sc_err *e);

#endif
