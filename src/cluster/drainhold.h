/* drainhold.h - keep a drained master a master.  A master that loses its
 * last slot becomes a replica of the node that took it, and does a full
 * sync, when cluster-allow-replica-migration is yes (the default); its
 * replicas follow it.  On Valkey >= 8 that lands in the middle of the
 * drain: the caller blocked on a replicated SETSLOT gets UNBLOCKED (the
 * connection closed), NOREPLICAS, or "use SETSLOT only with masters", and
 * the atomic path demotes it the same way
 * (research/server-generations.md item 10, A3; valkey#899, #928).  So the
 * setting is held at "no" on a master about to be emptied and on its
 * replicas for the moves, and put back when the run ends.
 *
 * Best effort: a node that refuses CONFIG keeps its setting (the engine
 * still tolerates the demotion: engine/members.h role_unknown).  A run
 * killed inside the window leaves "no" until the node restarts (CONFIG SET
 * is not written to redis.conf); a departing node is reset anyway.
 */
#ifndef SHARDCTL_DRAINHOLD_H
#define SHARDCTL_DRAINHOLD_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"

#define DRAINHOLD_SETTING "cluster-allow-replica-migration"

/* What drainhold_set changed; held 0: nothing. */
struct drainhold {
	int held;
};

/* Set DRAINHOLD_SETTING to "no" on the node behind c when it is "yes",
 * remembering that in h (a node already at "no" is left alone and nothing
 * is held).  Never fails: see above.  1 when the node holds "no" now (set
 * or found), else 0. */
int drainhold_set(struct conn *c, struct drainhold *h);

/* Put "yes" back on the node at `a` when h holds it; h forgets it even when
 * the node refused, which is named on `log`. */
void drainhold_put_back(const struct addr *a, const struct conn_opts *o, struct drainhold *h, FILE *log);

#endif
