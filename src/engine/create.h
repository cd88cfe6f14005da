/* create.h - create a cluster from empty nodes.
 *
 * Layout: S masters spread across hosts (host = the address's host part),
 * replicas never on their master's host when another host exists; slots
 * split evenly and contiguously (floor/ceil of 16384/S); distinct config
 * epochs; every node met; a wait (with deadline) until every node agrees and
 * reports cluster_state:ok before replicas are attached.
 *
 * Refuses (ERR_REFUSED, before changing anything): fewer than 3 shards, too
 * few nodes for S*(1+R), unreachable nodes, nodes that are not
 * cluster-enabled, hold keys or already know other nodes, own slots or carry
 * a config epoch other than the ones this create gives them.
 *
 * Resumable: a lone node that already has exactly its slots and/or epoch
 * from this same create (same list, S, R: the layout is deterministic),
 * killed before the meet, is taken as it is.  The pure placement is
 * layout.h; the waits are await.h.
 */
#ifndef SHARDCTL_CREATE_H
#define SHARDCTL_CREATE_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"

struct create_req {
	const struct addr *nodes; /* the first S*(1+R) are used, in order */
	int nnodes;
	int shards, replicas;
	const struct conn_opts *conn;
	int wait_ms;              /* deadline of each wait; 0: default 60 s */
	FILE *log;                /* progress lines; NULL: quiet */
};

int create_cluster(const struct create_req *r, struct sc_err *e);

/* 0 when create_cluster(r) would finish an interrupted create: every node
 * the layout uses is alone and has nothing, or exactly its slots and/or
 * epoch of this layout, at least one has its slots, and every listed node
 * the layout leaves out is empty and alone (the same checks as
 * create_cluster's, which it shares).  -1 otherwise, with e saying why.
 * Changes nothing.  reconcile uses it on lone nodes that each own slots,
 * which are otherwise taken for nodes of different clusters. */
int create_interrupted(const struct create_req *r, struct sc_err *e);

#endif
