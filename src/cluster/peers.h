/* peers.h - wait until the two nodes of each slot move know each other.
 *
 * A server refuses to move a slot towards a node it does not know: legacy
 * SETSLOT NODE / IMPORTING / MIGRATING answer "Unknown node", Valkey's
 * MIGRATESLOTS "Unknown node name" and its target "does not know the
 * source node".  Gossip normally spreads a member to every node within a
 * few cluster-node-timeouts, but a node can lag: on Valkey 9.1, the rerun
 * after a source master was killed mid-move found the replica that took
 * over not knowing the move's target (NODE refused with "Unknown node"
 * after its keys had moved); in the same test, a node kept a node that had
 * rejoined (removed, reset, met again) in handshake for 10+ s.  Moving
 * then fails half way (some slots moved, the rest refused).  So a move waits here first, for just the pairs it needs
 * (not for the whole cluster to agree: views that differ only in departed
 * members never agree by themselves, and the plan is what repairs them).
 *
 * One write, to hurry gossip along: a node that does not know its peer
 * after PEERS_MEET_AFTER_MS is sent a CLUSTER MEET to the address the peer
 * announces for itself (at most every PEERS_MEET_EVERY_MS).  The peer is a
 * member (the plan moves slots to or from it), so this only adds what
 * gossip would add.
 */
#ifndef SHARDCTL_PEERS_H
#define SHARDCTL_PEERS_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

struct peer_node {
	struct addr addr;          /* where shardctl connects */
	char id[NODE_ID_LEN + 1];
	char name[300];            /* for messages: "'host:port'" */
};

/* Wait, at most wait_ms, until for every pair (pairs[k][0], pairs[k][1])
 * of nodes (indices into nodes, n of them) each one's CLUSTER NODES lists the other's
 * id with an address, out of handshake.  A pair with a node that cannot
 * be read is not waited for (the move says at once what is wrong with
 * it).  Returns 0 at once when they do, 1 when it had to wait, or -1 with
 * e (ERR_FAIL) at the deadline, naming the first pair.  Says what it waits
 * for on log (at once, then every ~2 s). */
int peers_await(const struct peer_node *nodes, int n, const int (*pairs)[2], int npairs,
		const struct conn_opts *o, int wait_ms, FILE *log, struct sc_err *e);

#endif
