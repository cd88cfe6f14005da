/* layout.h - the pure half of cluster creation (create.h): from a node list,
 * S shards and R replicas per shard, decide which node is the master of which
 * shard, which node replicates which master, and each shard's slots.  No I/O.
 *
 * Rules:
 * - the first S*(1+R) nodes of the list are used, the rest are ignored;
 * - a node's "host" is the host part of its address (compared exactly,
 *   ignoring case); masters are spread round-robin across hosts, the hosts
 *   with the most nodes first, so no host gets two masters while another
 *   host has none;
 * - replicas are never on their master's host when the nodes allow it
 *   (an assignment is searched for, not only greedily picked), and a shard's
 *   replicas prefer hosts that shard does not use yet;
 * - shard i owns the one contiguous range [i*16384/S, (i+1)*16384/S - 1]
 *   (floor or ceil of 16384/S slots); shards are numbered in the list order
 *   of their masters;
 * - same input, same layout.
 */
#ifndef SHARDCTL_LAYOUT_H
#define SHARDCTL_LAYOUT_H

#include "base/addr.h"
#include "base/err.h"
#include "core/topo.h"

struct layout {
	int n;                    /* nodes used: shards * (1 + replicas) */
	int shards, replicas;
	int *shard;               /* [n] the shard of each used node */
	int *master;              /* [n] index of its master, -1 for a master */
	int *shard_master;        /* [shards] index of each shard's master */
	struct slot_range *slots; /* [shards] each shard's slots */
};

/* Refuses (ERR_REFUSED) fewer than 3 shards, negative replicas and fewer
 * than S*(1+R) nodes.  On success the caller releases the layout. */
int layout_build(struct layout *l, const struct addr *nodes, int nnodes, int shards,
		 int replicas, struct sc_err *e);
void layout_release(struct layout *l); /* accepts a zeroed or released layout */

/* Number of used nodes whose master is on the same host (0 is the goal). */
int layout_same_host_replicas(const struct layout *l, const struct addr *nodes);

#endif
