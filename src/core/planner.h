/* planner.h - the reconcile planner.  Pure: from the live topology, the
 * wanted node list, S and R, an ordered list of steps (plan.h).
 *
 * Rules (SYSTEM.md, "Rules of the engine"):
 * - only surplus slots move, each at most once, straight to its final owner;
 * - a departing master whose replica stays is failed over, not migrated;
 * - every one of the S masters ends with floor or ceil of 16384/S slots, in
 *   as few contiguous ranges as the moves allow;
 * - same input, same plan.
 *
 * Creating a cluster from empty nodes is not planned here: create.h does it
 * (reconcile calls it when no node of the list belongs to a cluster).  Given
 * t->n == 0, plan_build returns 0 with an empty plan and plan.no_cluster = 1.
 *
 * Words used below.  A "member" is a node of the topo; a "listed" node is one
 * of `want`; a "departing" node is a member that is not listed; a "new" node
 * is listed and not a member.  "Owns" means per topo.owner[].
 *
 * CHOOSING THE S MASTERS (normal mode).  Candidates, each with a value = the
 * slots it keeps without any move:
 *   1. listed masters (value: the slots they own; empty masters count 0);
 *   2. a listed replica of a departing, reachable master that owns slots,
 *      whose replication link is not known to be down (repl_link_up != 0),
 *      at most one per such master (value: its master's slots; it is
 *      promoted by STEP_FAILOVER: zero bytes move);
 *   3. new nodes (value 0; joined by STEP_MEET, then STEP_WAIT);
 *   4. listed replicas of other masters (value 0), only when 1-3 are too few:
 *      such a replica is turned into an empty master by STEP_FORGET (on its
 *      old id) and STEP_MEET (as plan node with id "", same address).
 * The S candidates are picked one at a time, best first: highest value (so
 * the fewest slots move), then the lower-numbered class above, then the hostkey holding the fewest chosen masters
 * so far (spread across failure domains), then (class 4) the replica whose
 * master has the most listed replicas, then node id, then list order.
 *
 * SLOTS.  Quotas: floor(16384/S) each; the 16384 % S ceil quotas go to the
 * chosen masters keeping the most slots (ties by node id, then list order).
 * Donors: chosen masters above quota give only their surplus; every other
 * owner (departing masters not failed over, listed masters not chosen) gives
 * everything, straight to the final owners.  moved_slots is therefore the
 * minimum for an even result.  Slots are taken from the donor's range ends,
 * first the end adjacent to the receiver's own slots, then whole ranges,
 * so receivers grow contiguous ranges.  One STEP_MOVE per donor/receiver
 * pair, its ranges sorted and merged.  MOVE steps come in rounds: within a
 * round no node appears twice, so the MOVE steps of one round can run in
 * parallel; there are as many rounds as the busiest node has moves (a
 * proper edge colouring), rounds are ordered by their biggest move and
 * bigger moves come first in each round.  A MOVE's `node` is the owner at
 * the time it runs (after the FAILOVER steps); a donor that ends with no
 * slot may turn itself into a replica of the receiver of its last slot
 * (Redis 7 does with cluster-allow-replica-migration), which later steps
 * (REPLICATE, FORGET) accept.
 *
 * REPLICAS.  Every chosen master ends with exactly R replicas (the list
 * holds exactly S*(1+R) nodes, see REFUSALS).  Listed replicas stay with
 * their master when it stays a master (after a FAILOVER, the old master's
 * other replicas follow the promoted one: Redis moves them itself); when a
 * master has too many, those on its own hostkey are released first.  Every
 * other listed node that is not a master gets STEP_REPLICATE (after the
 * MOVE steps, so emptied masters are empty by then), preferring a master on
 * another hostkey and then the master lacking most; a final pass swaps two
 * new placements when that takes both off their master's hostkey.
 *
 * STEP ORDER (normal mode), each group possibly empty:
 *   FORGET (class-4 replicas being reset), MEET..., REPLICATE... of a new
 *   replica to a new master (both joined by this plan: attached while the
 *   master is empty, its sync overlapping the join's wait, instead of a
 *   full sync of everything moved after the moves), WAIT (if any MEET),
 *   FAILOVER..., WAIT (if any FAILOVER), MOVE..., REPLICATE...,
 *   WAIT (if any REPLICATE, or before the final FORGETs when any step came
 *   before them), FORGET... (departing nodes: replicas first, then masters,
 *   by id; a departing master owns nothing by then; members still in
 *   handshake are skipped: their id is made up and they time out).
 * A converged cluster yields zero steps.
 *
 * EVACUATE_ONLY (the pre-upgrade half).  New nodes are ignored (they may not
 * exist yet): no MEET, no FORGET, no REPLICATE of listed masters, no
 * conversion, and the node-count refusal does not apply.  The masters are
 * chosen as above among existing nodes only (classes 1-2).  Only the slots
 * of departing masters move: by FAILOVER when a listed replica can take
 * over, otherwise to the chosen masters, first up to their final quota,
 * then evenly (the later reconcile moves the excess to the new nodes).
 * Reachable listed replicas of departing masters not failed over get
 * STEP_REPLICATE to a chosen master (fewest replicas, other hostkey first).
 * Everything else is untouched.  Order: FAILOVER, WAIT, MOVE, REPLICATE.
 *
 * RESUMING.  When a reachable member has open (migrating/importing) slots,
 * a killed run left them: the plan is then only STEP_FINISH steps, one per
 * (source, target) pair, which finish those moves (plan_resume.c says how
 * the pair is found, also when a node of it failed over since), and
 * plan.then_replan = 1: reconcile carries them out, surveys again and plans
 * the rest.  Refused with ERR_FAIL, naming the slot: an open slot reconcile
 * cannot finish safely (run `shardctl fix`), a node of the pair down with
 * nobody in its place.
 *
 * REFUSALS (ERR_REFUSED, nothing planned), the message says what to do:
 * shards < 3 or > 16384; replicas < 0; a list sharing no member with the live
 * cluster (unless named_cluster: moving a whole cluster onto new nodes);
 * the same member listed twice; two members claiming one slot, an
 * uncovered slot (run `shardctl fix`);
 * a master owning slots that is unreachable; a listed, reachable node that
 * is not a member and not empty (keys or another cluster).  Normal mode
 * only: a listed node that is unreachable; fewer or more than S*(1+R)
 * listed nodes (every listed node ends a member, every master with exactly R
 * replicas: an extra node would have no place);
 * fewer than S listed nodes able to be masters (cannot happen when all are
 * reachable).
 * Evacuate mode only: departing slots with no listed master to take them.
 * Every mode, once the steps are decided: a MOVE or FINISH step whose
 * source writes a DUMP format its target cannot read (server_kind.h: a
 * newer server to an older one, Redis >= 7.4 to Valkey 9), or a REPLICATE
 * step whose replica cannot read its master's (the full sync), naming both
 * nodes, their servers and formats.  The server of a node is the topo
 * member's, else its want_node's; a node whose server is unknown is not
 * judged.
 * The planner does not look at t->agree: the caller waits for agreement.
 *
 * EXECUTOR NOTES.  STEP_FORGET: every other member forgets `node`, then the
 * node itself is reset when reachable (CLUSTER RESET HARD, so a later MEET
 * of the same address brings a new id past the forget ban).  STEP_MEET
 * `peer` is a listed master (or another reachable member).  STEP_FAILOVER
 * is a manual failover run on `node` (the master is reachable).
 */
#ifndef SHARDCTL_PLANNER_H
#define SHARDCTL_PLANNER_H

#include "base/err.h"
#include "core/plan.h"
#include "core/server_kind.h"

/* One entry of the wanted node list, as probed by the caller. */
struct want_node {
	struct addr addr;               /* as written in LIST */
	char id[NODE_ID_LEN + 1];       /* its node id, "" when unreachable */
	char hostkey[64];               /* failure domain (resolved IP); masters
					   and their replicas are spread across */
	int member;                     /* index into topo, -1 if not a member */
	int reachable;
	int empty;                      /* no keys, knows no other node, owns
					   no slot: may be joined */
	struct server_kind server;      /* its INFO server; unknown when
					   unreachable (members: the topo's
					   member.server comes first) */
};

struct plan_input {
	const struct topo *t;     /* the live cluster; t->n == 0 when none */
	const struct want_node *want;
	int nwant;
	int shards, replicas;
	int evacuate_only;        /* only move slots/replicas off members not
				     in want; nodes not yet present are ignored */
	const long long *closing_keys; /* per slot: keys its source still holds,
				     read by the caller for slots whose target
				     already owns them (RESUMING); NULL: none */
	int named_cluster;        /* the caller named the cluster (reconcile
				     --cluster): the list may share no member
				     with it, every member then departs */
};

/* Build the plan, or refuse (ERR_REFUSED, nothing changed) plainly wrong
 * input (see REFUSALS above).  Out of memory: ERR_FAIL.  On success the
 * caller owns the plan (plan_release); on failure it is empty. */
int plan_build(struct plan *p, const struct plan_input *in, struct sc_err *e);
#endif
