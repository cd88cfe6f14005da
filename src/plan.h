/* plan.h - the reconcile planner.  Pure: from the live topology, the wanted
 * node list, S and R, an ordered list of steps.  A plan is a value: printed
 * by `shardctl plan`, carried out by exec.c, compared in tests.
 *
 * Rules (SYSTEM.md, "Rules of the engine"):
 * - only surplus slots move, each at most once, straight to its final owner;
 * - a departing master whose replica stays is failed over, not migrated;
 * - every one of the S masters ends with floor or ceil of 16384/S slots, in
 *   as few contiguous ranges as the moves allow;
 * - same input, same plan.
 *
 * Creating a cluster from empty nodes is not planned here: create.h does it
 * (reconcile calls it when no node of the list belongs to a cluster).
 */
#ifndef SHARDCTL_PLAN_H
#define SHARDCTL_PLAN_H

#include <stdio.h>

#include "addr.h"
#include "err.h"
#include "topo.h"

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
};

struct plan_input {
	const struct topo *t;     /* the live cluster; t->n == 0 when none */
	const struct want_node *want;
	int nwant;
	int shards, replicas;
	int evacuate_only;        /* only move slots/replicas off members not
				     in want; nodes not yet present are ignored */
};

enum step_kind {
	STEP_MEET,       /* `node` joins the cluster through `peer` */
	STEP_WAIT,       /* all nodes agree and report cluster_state:ok */
	STEP_MOVE,       /* migrate `ranges` from `node` to `peer` (online) */
	STEP_FAILOVER,   /* replica `node` takes over from its master `peer` */
	STEP_REPLICATE,  /* `node` becomes a replica of `peer` */
	STEP_FORGET,     /* every other node forgets `node`, then it is reset */
};

/* Nodes are referred to by index into plan.nodes. */
struct plan_node {
	char id[NODE_ID_LEN + 1];   /* "" for a node not yet known by id */
	struct addr addr;           /* where to connect */
};

struct step {
	enum step_kind kind;
	int node, peer;             /* plan.nodes indices; peer -1 if unused */
	struct slot_range *ranges;  /* MOVE */
	int nranges;
	int nslots;
};

struct plan {
	struct plan_node *nodes;
	int nnodes;
	struct step *steps;
	int nsteps;
	int moved_slots;            /* sum of nslots over MOVE steps */
};

/* Build the plan, or refuse (ERR_REFUSED, nothing changed) plainly wrong
 * input: fewer than 3 shards, a list sharing no member with a live cluster,
 * a non-empty new node, too few nodes for S*(1+R), unreachable masters. */
int plan_build(struct plan *p, const struct plan_input *in, struct sc_err *e);
void plan_release(struct plan *p);

/* Human (one line per step, then a summary) or JSON output. */
void plan_print(const struct plan *p, FILE *f, int json);

#endif
