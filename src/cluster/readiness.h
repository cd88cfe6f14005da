/* readiness.h - whether one node serves: what a Kubernetes readiness probe
 * asks before the next pod of a rolling restart may go down.
 *
 * A node serves when it answers, is not loading its dataset, and, when it is
 * a replica, holds its master's data: master_link_status:up and no sync in
 * progress (a replica in its first full sync has nothing yet, and promoting
 * it, or stopping the master's other copy, would lose the shard).  Cluster
 * membership is deliberately NOT part of it: a new pod, not yet in any
 * cluster, must become Ready so that `helm upgrade --wait` and the
 * post-upgrade hook that adds it can go on (SYSTEM.md, "The chart").
 */
#ifndef SHARDCTL_READINESS_H
#define SHARDCTL_READINESS_H

#include "cluster/conn.h"

/* Judge an INFO reply holding at least the persistence and replication
 * sections.  Returns 1 serving, 0 not (why says which field, e.g.
 * "loading:1", "replica: master_link_status:down").  Pure: no I/O. */
int readiness_judge(const char *info, char *why, int len);

/* Read INFO from the node and judge it: 1 serving, 0 not, -1 no usable
 * answer (why: the error). */
int readiness_probe(struct conn *c, char *why, int len);

#endif
