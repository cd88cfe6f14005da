/* exec.h - carry out a plan (plan.h) on the live cluster.
 *
 * Steps run in order, except that consecutive STEP_MOVE steps form one
 * migration job (migrate.h) whose moves run in parallel where they share no
 * node.  Every wait has a deadline (`wait_ms`):
 * - STEP_MEET: CLUSTER MEET from the joining node to the peer's IP (names
 *   are resolved now: MEET takes an address); a node without an id gets it
 *   read (CLUSTER MYID) and stored into the plan, for the later steps.
 * - STEP_WAIT: await_agreement (await.h) over the current members: every
 *   node agrees and reports cluster_state:ok (migrating to a node right
 *   after its join fails with CLUSTERDOWN otherwise).
 * - STEP_FAILOVER: CLUSTER FAILOVER on the replica, then poll ROLE until it
 *   is a master.
 * - STEP_REPLICATE: CLUSTER REPLICATE; "Unknown node" (gossip not there yet)
 *   is retried until the deadline.
 * - STEP_FORGET: CLUSTER FORGET pipelined to every other member at once
 *   (gossip would re-add a node forgotten by some members only; the forget
 *   ban lasts 60 s), then CLUSTER RESET HARD on the node when it answers.
 */
#ifndef SHARDCTL_EXEC_H
#define SHARDCTL_EXEC_H

#include <stdio.h>

#include "cluster/conn.h"
#include "base/err.h"
#include "engine/migrate.h"
#include "core/plan.h"
#include "core/topo.h"

struct exec_opts {
	const struct conn_opts *conn;
	const struct topo *t;            /* the cluster the plan was made from
					    (members and roles); not kept */
	const struct migrate_opts *mig;  /* NULL: defaults */
	int wait_ms;                     /* deadline of each wait; 0: 60 s */
	FILE *log;                       /* step lines and progress; NULL: quiet */
	int tty;                         /* log is a terminal: progress bar */
	int *unsettled;                  /* NULL, or set to 1 when the run
					    failed because a wait for agreement
					    passed its deadline (the cluster
					    may be fine, only not what the
					    plan expected: plan again) */
};

/* Run every step.  0 when all succeeded; -1 with the first failure (the
 * steps before it stay done: run reconcile again to continue). */
int exec_run(struct plan *p, const struct exec_opts *o, struct sc_err *e);

/* Before exec_run returns, every replica whose master is a live member
 * (those a REPLICATE step attached and those there before), and before a
 * FAILOVER the replica promoted, is in sync (replsync.h), or the run fails
 * naming it when wait_ms runs out. */

#endif
