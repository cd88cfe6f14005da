/* survey.h - read a live cluster into a topo (the I/O half of topo.h).
 *
 * Starts from the seeds, reads CLUSTER NODES and INFO server (which server
 * it runs, member.server) from each, then from every node those views name
 * (by ip:port), until no new node appears.  Unreachable
 * nodes stay in the model with reachable = 0.  With `stats`, each reachable
 * member's keys (INFO keyspace: every database), used_memory, cluster_state, cluster_known_nodes and
 * (replicas) master_link_status are read too, pipelined on the same
 * connection.  Handshake and noaddr entries are not followed.  Nodes are read
 * up to 16 at a time (threads), so the timeouts of unreachable nodes overlap;
 * the result does not depend on which answers first.
 */
#ifndef SHARDCTL_SURVEY_H
#define SHARDCTL_SURVEY_H

#include "base/addr.h"
#include "cluster/conn.h"
#include "core/topo.h"

/* Fails (ERR_IO) only when no seed can be read at all; ERR_FAIL when a seed
 * is not cluster-enabled. */
int survey_read(struct topo *t, const struct addr *seeds, int nseeds,
		const struct conn_opts *o, int stats, struct sc_err *e);

#endif
