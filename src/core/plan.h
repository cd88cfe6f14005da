/* plan.h - the plan as a value: the ordered steps that reconcile carries
 * out.  Built by planner.h, printed by `shardctl plan` and by reconcile
 * before it runs (the printed plan is the run: engine/exec.c carries the
 * steps out in this order), compared in tests.  Pure: no I/O.
 */
#ifndef SHARDCTL_PLAN_H
#define SHARDCTL_PLAN_H

#include <stdio.h>

#include "base/addr.h"
#include "core/topo.h"

enum step_kind {
	STEP_MEET,       /* `node` joins the cluster through `peer` */
	STEP_WAIT,       /* all nodes agree and report cluster_state:ok */
	STEP_MOVE,       /* migrate `ranges` from `node` to `peer` (online) */
	STEP_FAILOVER,   /* replica `node` takes over from its master `peer` */
	STEP_REPLICATE,  /* `node` becomes a replica of `peer` */
	STEP_FORGET,     /* every other node forgets `node`, then it is reset */
	STEP_FINISH,     /* finish moving `ranges` from `node` to `peer`: slots
			    a killed run left open (planner.h, RESUMING) */
};

/* Nodes are referred to by index into plan.nodes. */
struct plan_node {
	char id[NODE_ID_LEN + 1];   /* "" for a node not yet known by id */
	struct addr addr;           /* where to connect: the LIST address for
				       listed nodes, else the topo's ip (or
				       announced hostname) and port; host ""
				       for a departing node without address
				       (then only FORGET names it, by id) */
};

struct step {
	enum step_kind kind;
	int node, peer;             /* plan.nodes indices; peer -1 if unused
				       (FORGET, WAIT), node -1 for WAIT */
	struct slot_range *ranges;  /* MOVE: sorted, merged, non-empty */
	int nranges;
	int nslots;                 /* MOVE: slots in ranges; else 0 */
	int round;                  /* MOVE: parallel round (0, 1, ...); MOVE
				       steps are sorted by round, and no node
				       appears twice in one round; else -1 */
	int successor;              /* FINISH: a node of the move failed over
				       since; it goes on with the replica that
				       took over */
};

struct plan {
	struct plan_node *nodes;
	int nnodes;
	struct step *steps;
	int nsteps;
	int moved_slots;            /* sum of nslots over MOVE steps */
	int no_cluster;             /* t->n == 0: nothing planned, create */
	int finish_slots;           /* sum of nslots over FINISH steps */
	int then_replan;            /* only FINISH steps: the rest is planned
				       on the cluster they leave */
	int shards, replicas;       /* as asked, for printing */
	int atomic_moves;           /* PLAN_MOVES_*, set by the caller, not
				       the planner (it knows no server): MOVE
				       steps will run as the servers' atomic
				       slot migration (Valkey's: all at once;
				       Redis's: a node in one task at a time),
				       whatever their round; FINISH steps
				       always run the legacy way */
};

/* plan.atomic_moves */
enum { PLAN_MOVES_LEGACY = 0, PLAN_MOVES_VALKEY, PLAN_MOVES_REDIS };

/* Frees what the plan holds; the plan is empty afterwards. */
void plan_release(struct plan *p);
/* node i of the plan as messages name it ('host:port', addr_label) */
const char *plan_node_label(const struct plan *p, int i, char *buf, int len);

/* Human (one line per step with addresses and merged slot ranges, the
 * first 16 ranges of a move and their count, "(round r)" for a legacy
 * move, "(atomic)" for an atomic one; then a summary: slots to move
 * (or, for FINISH steps, the slots finished before the rest is planned),
 * moves, nodes joining and leaving, failovers, resets, replicas attached) or
 * JSON, one object on one line:
 *   {"no_cluster":bool,"shards":S,"replicas":R,"moved_slots":N,
 *    "finish_open_slots":N,"then_replan":bool,
 *    "steps":[{"kind":"meet|wait|move|failover|replicate|forget|finish",
 *              "node":"host:port","node_id":"..."|null,
 *              "peer":"host:port"|null,"peer_id":"..."|null,
 *              MOVE and FINISH: "slots":N,"round":r,"ranges":[[first,last],...],
 *                "method":"atomic"|"legacy", atomic MOVE: "family":"valkey"|"redis",
 *              FINISH: "successor":bool}],
 *    "joining":["host:port",...],"leaving":["host:port",...]}
 * (WAIT has node and peer null; a reset replica is in neither list). */
void plan_print(const struct plan *p, FILE *f, int json);

#endif
