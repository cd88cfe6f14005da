/* predecessor.h - the member a fresh node takes the place of.
 *
 * A StatefulSet pod without persistence (an emptyDir for /data) comes back
 * from a restart empty: a new node id, no nodes.conf, knowing no other node,
 * but announcing the same hostname (its stable pod DNS name, through
 * cluster-announce-hostname) as the member it was.  The cluster still lists
 * that member under the old id.  Such a node is that member's successor,
 * not a new pod: a new pod's name is announced by no member (a scale-in
 * forgets the members that leave, and at install there is no cluster).
 *
 * Readiness holds a successor back until it has rejoined and synced (a
 * rolling restart must not stop the next pod, possibly the master whose
 * only copy this node is about to hold), and heal rejoins it in the old
 * member's place (engine/heal.c).
 */
#ifndef SHARDCTL_PREDECESSOR_H
#define SHARDCTL_PREDECESSOR_H

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

/* Pure.  1 when the view's own node is fresh: it knows no other node (a
 * handshake in progress aside) and owns no slot; else 0. */
int predecessor_fresh(const struct view *v);

/* Pure.  Index in v of an entry (not in handshake) announcing `hostname`
 * under an id other than `self_id`, or -1 (also for an empty hostname). */
int predecessor_find(const struct view *v, const char *hostname, const char *self_id);

/* Reads the node at `self`; when it is fresh and announces a hostname, asks
 * the listed nodes, up to the first member that answers, for an entry
 * announcing that hostname under another id.  Returns 1 (the entry copied
 * into *pred, to be released with node_entry_release; why says it), 0 when
 * the node is a member, not fresh, or no member names it (also when no
 * listed member answers), -1 (e) when `self` cannot be read. */
int predecessor_lookup(const struct addr *self, const struct addr_list *nodes, const struct conn_opts *o,
		       struct node_entry *pred, char *why, int len, struct sc_err *e);

#endif
