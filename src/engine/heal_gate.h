/* heal_gate.h - whether one node's own word says its cluster needs `shardctl
 * heal` (the heal sidecar's look, every interval, at its own node).
 *
 * It does when the node was a member (it knows another node) and either
 * reports a cluster_state other than ok, or sees a peer failing (fail,
 * fail?, noaddr) or its link to a peer down: after every pod restarted with
 * new IPs the states may all still say ok while no link is up.  A node that
 * knows no other node is left alone (joining a new pod is the post-upgrade
 * hook's job) unless it restarted empty in the place of a member
 * (cluster/predecessor.h): that the caller asks the node list.
 */
#ifndef SHARDCTL_HEAL_GATE_H
#define SHARDCTL_HEAL_GATE_H

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

#define HEAL_GATE_FRESH 2

/* Pure: the node's CLUSTER NODES (parsed) and CLUSTER INFO text.  1 heal
 * (why says what is broken), 0 leave it, HEAL_GATE_FRESH: it knows no other
 * node and owns no slot (heal only if it takes a member's place). */
int heal_gate_judge(const struct view *v, const char *cluster_info, char *why, int len);

/* Reads the node at a and judges it: 1, 0, HEAL_GATE_FRESH, or -1 with e
 * when unreadable. */
int heal_gate_probe(const struct addr *a, const struct conn_opts *o, char *why, int len, struct sc_err *e);

#endif
