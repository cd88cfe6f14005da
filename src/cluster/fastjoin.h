/* fastjoin.h - shorten the two waits Redis puts on a node joining a cluster,
 * by lowering two settings on that node only, for the join, then putting
 * them back.
 *
 * 1. Rejoin delay.  A master that was "in a minority" (a fresh node knows no
 *    one) reports cluster_state:ok only after its cluster-node-timeout,
 *    clamped to 500 ms .. 5 s, with the majority in sight (Redis's rejoin
 *    delay).  Migrating to it before that fails with CLUSTERDOWN, so every
 *    scale-out waited 5 s with the default 15 s node timeout.  With the
 *    joining node's timeout at FASTJOIN_NODE_TIMEOUT_MS (500: the clamp's
 *    floor, lower buys nothing) the wait is ~0.5 s.  Lowered before its
 *    CLUSTER MEET, restored once every node agrees and it reports ok
 *    (exec's wait after the joins).  Meanwhile only this node judges peers
 *    faster (PFAIL after 0.5 s without a pong; the handshake timeout stays
 *    1 s, Redis's floor); its report alone never makes a FAIL (a majority
 *    of the slot-owning masters must agree), and it owns no slot yet.
 * 2. Diskless sync delay.  A master serving a full sync waits
 *    repl-diskless-sync-delay (5 s by default) for more replicas to arrive.
 *    A new master's replica is attached right after the join, while the
 *    master is still empty: with the delay at 0 the sync is immediate and
 *    the replica is in sync long before the moves end.  Restored when the
 *    run ends (after the replicas are in sync).
 *
 * Best effort: a node that refuses CONFIG (ACL, renamed command) keeps its
 * settings and the join is just slower.  A run killed inside the window
 * leaves the lowered values until the node restarts (CONFIG SET is not
 * written to redis.conf) or the next reconcile puts them back
 * (fastjoin_repair).
 */
#ifndef SHARDCTL_FASTJOIN_H
#define SHARDCTL_FASTJOIN_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "core/topo.h"

#define FASTJOIN_NODE_TIMEOUT_MS 500

enum { FASTJOIN_TIMEOUT = 1, FASTJOIN_SYNC_DELAY = 2 };

/* What fastjoin_lower changed; all zero: nothing. */
struct fastjoin {
	int held;           /* FASTJOIN_* bits: values to put back */
	long long before[2]; /* cluster-node-timeout, repl-diskless-sync-delay
				before they were lowered */
};

/* Lower both settings on the node behind c, remembering the values before
 * in f.  Never fails: see above. */
void fastjoin_lower(struct conn *c, struct fastjoin *f);

/* Put back what fastjoin_lower changed: the node timeout, the sync delay or
 * both.  Each value is restored once: f forgets it even when the node
 * refused.  0, or -1 when a value could not be put back (to be reported:
 * the node keeps the lowered value until it restarts or the next reconcile). */
int fastjoin_restore(struct conn *c, struct fastjoin *f, int what);

/* fastjoin_restore on a new connection to `a`, when f holds something of
 * `what` to put back; a node that cannot be told is named on `log` (it
 * keeps the lowered values until it restarts or the next reconcile). */
void fastjoin_put_back(const struct addr *a, const struct conn_opts *o, struct fastjoin *f, int what,
		       FILE *log);

/* What a killed run may have left: on every reachable member of t whose
 * cluster-node-timeout is FASTJOIN_NODE_TIMEOUT_MS (or whose
 * repl-diskless-sync-delay is 0) while every other member that answers
 * agrees on one other value, set that value; one line per change on `log`.
 * Members that all share the low value, or disagree, are left as they are
 * (it may be their configuration).  Best effort; returns how many settings
 * were put back. */
int fastjoin_repair(const struct topo *t, const struct conn_opts *o, FILE *log);

#endif
