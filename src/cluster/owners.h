/* owners.h - tell masters the owners of slots they see unassigned (or
 * owned by a failed node that is not the owner: see fix_unseen_slots).
 *
 * A node that imports a slot ignores gossip and UPDATE messages about it, so
 * a node that began importing before it learned the slot's owner (a run
 * killed during or right after a join) never learns it by itself: it reports
 * cluster_state:fail and answers every MIGRATE with "CLUSTERDOWN Hash slot
 * not served".  Telling it the owner with CLUSTER SETSLOT <slot> NODE <owner>
 * repairs its view and keeps the import going (Redis clears IMPORTING only
 * when the new owner is the node itself).  Shared by `fix` and `reconcile`.
 */
#ifndef SHARDCTL_OWNERS_H
#define SHARDCTL_OWNERS_H

#include <stdio.h>

#include "cluster/conn.h"
#include "base/err.h"
#include "core/topo.h"

struct owners_req {
	const struct topo *t;        /* surveyed: t->owner is what the owners claim */
	const struct conn_opts *conn;
	int dry_run;                 /* only say what would be told */
	FILE *log;                   /* one line per master taught; NULL: quiet */
	const char *prefix;          /* before each line, e.g. "fix: "; NULL: none */
};

/* Every reachable master whose own CLUSTER NODES leaves slots unassigned
 * that a reachable owner claims (fix_unseen_slots) is sent, pipelined, one
 * SETSLOT NODE per such slot.  Nothing moves.  Returns how many slots were
 * (or, in a dry run, would be) taught, or -1 (e) when a connection broke
 * mid-way.  A master that cannot be reached or read is skipped. */
int owners_teach(const struct owners_req *r, struct sc_err *e);

#endif
