/* await.h - wait, with a deadline, until a cluster has settled.
 *
 * "Settled" means, read afresh from every node at each poll (survey.h):
 *  - every node id in `ids` is a member;
 *  - every member the views name was reached and answered, and is in none
 *    of the noaddr, pfail or fail states; except members that cannot be
 *    reached, own no slot, and are either not in `ids` (when `ids` is given)
 *    or already marked failed by the cluster: a departed node that is not
 *    forgotten yet (a deleted pod) must not make the wait endless;
 *  - no member is in handshake state;
 *  - all reachable views agree on the member set and the slot -> owner map,
 *    and no slot is claimed by two masters (topo.h `agree`, `nconflicts`);
 *  - every reachable member reports cluster_state:ok and knows exactly all
 *    members (cluster_known_nodes == number of members);
 *  - when `masters` is given: every reachable member's own CLUSTER NODES
 *    shows ids[i] as a replica of masters[i] (or as a master when
 *    masters[i] is "").
 *
 * Why: migrating to a node right after it joined fails with CLUSTERDOWN, and
 * CLUSTER REPLICATE right after a MEET fails with "Unknown node" until gossip
 * has spread; callers wait for this state before the next step instead of
 * sleeping.  Polls every 100 ms, reading CLUSTER NODES / INFO.
 *
 * One write, to hurry roles along (only with `masters`): a node learns a
 * peer's role only from that peer's own messages, which come every
 * cluster-node-timeout/2 or so; so when a member that is itself in `ids`
 * does not see ids[i]'s role yet, ids[i] is made to send it a CLUSTER MEET
 * (a round at most every 500 ms).  The
 * member already knows ids[i], so membership does not change; the MEET's
 * header carries the role, which the member takes at once.
 */
#ifndef SHARDCTL_AWAIT_H
#define SHARDCTL_AWAIT_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"
#include "core/topo.h"

struct await_req {
	const struct addr *seeds;           /* where the survey starts */
	int nseeds;
	const char (*ids)[NODE_ID_LEN + 1]; /* must be members; may be NULL */
	int nids;
	const char (*masters)[NODE_ID_LEN + 1]; /* [nids] expected master of
						   ids[i], "" for a master;
						   NULL: roles not checked */
	const struct conn_opts *conn;
	int wait_ms;                        /* deadline; 0: 60 s */
	FILE *log;                          /* a line every ~2 s; NULL: quiet */
	const char *what;                   /* "nodes to meet", for messages */
};

/* The conditions above except the roles, on a topo read with stats (state_ok
 * and known_nodes filled): 1 when they hold, else 0 with the first missing
 * one described in why.  Pure: no I/O. */
int await_check(const struct await_req *r, const struct topo *t, char *why, int len);

/* Returns 0 once settled; -1 with ERR_FAIL when the deadline passed (the
 * message says what was still missing), ERR_IO when no seed could be read. */
int await_agreement(const struct await_req *r, struct sc_err *e);

#endif
