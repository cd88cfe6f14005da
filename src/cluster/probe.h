/* probe.h - what each node of a LIST is, before anything is planned.
 *
 * For every address: reachable or not, its node id (CLUSTER MYID), whether
 * it is empty (no keys, knows no other node, owns no slot: free to join),
 * which server it runs (INFO server), and its failure domain (the resolved
 * IP).  `member` is left -1: the caller
 * matches ids against the surveyed topology.
 *
 * Refuses (ERR_REFUSED) a list whose non-empty nodes belong to different
 * clusters (no node of one knows any node of the other), naming one node of
 * each, and a node that is not cluster-enabled.
 */
#ifndef SHARDCTL_PROBE_H
#define SHARDCTL_PROBE_H

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"
#include "core/planner.h"

/* Fills want[0..l->n-1] and, when in_cluster is not NULL, in_cluster[i]:
 * 1 when node i knows another node or owns slots (a member of some cluster;
 * a lone node holding keys is not empty, but in no cluster).  Unreachable
 * nodes are not an error here (the planner decides whether they matter). */
int probe_nodes(const struct addr_list *l, const struct conn_opts *o, struct want_node *want,
		int *in_cluster, struct sc_err *e);

#endif
