/* reconcile.h - make a live cluster match a node list, S shards and R
 * replicas per shard: probe the list, survey the cluster, take the cluster
 * lock, plan (plan.h), carry the plan out (exec), verify.  Creates the
 * cluster (create.h) when no listed node belongs to one.  Idempotent and
 * resumable: run again after any interruption, it finishes the job.
 */
#ifndef SHARDCTL_RECONCILE_H
#define SHARDCTL_RECONCILE_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"

struct reconcile_req {
	const struct addr_list *nodes;
	const struct addr *cluster; /* a live member, or NULL: names the cluster
				     when the list may share no member with it
				     (every member is then evacuated into the
				     listed nodes and removed) */
	int shards, replicas;
	int evacuate_only;        /* pre-upgrade half: only move slots and
				     replicas off members not in the list */
	int dry_run;              /* plan only: print the plan, change nothing */
	int json;                 /* dry run output as JSON */
	const struct conn_opts *conn;
	int wait_ms;              /* deadline of each wait (agreement, lock) */
	FILE *out;                /* progress and results; NULL: quiet */
	int tty;                  /* out is a terminal: progress bar */
};

int reconcile_run(const struct reconcile_req *r, struct sc_err *e);

#endif
