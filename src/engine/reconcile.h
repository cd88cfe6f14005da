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

/* How slots move (--migration).  The order is the option's words. */
enum migration_choice {
	MIGRATION_AUTO = 0,  /* atomic where every node taking part has it */
	MIGRATION_ATOMIC,    /* atomic, or refused before any change */
	MIGRATION_LEGACY,    /* SETSLOT / MIGRATE */
};

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
	enum migration_choice migration;
	int max_latency_us;       /* legacy moves: migrate_opts.max_latency_us
				     (0: no limit) */
};

/* With --migration auto or atomic: every node taking part (each listed
 * node and each reachable member) is asked COMMAND INFO
 * cluster|migrateslots; atomic slot migration is used when all of them
 * have it and, when a password is in use, all of them have primaryauth
 * set (a source authenticates to its target with it).  `atomic` refuses
 * (ERR_REFUSED, before any change) naming a node that lacks either; `auto`
 * falls back to legacy and says why.  Before planning, jobs a killed run
 * left running on the servers (GETSLOTMIGRATIONS, on nodes that have it)
 * are waited for.  Moves of the plan then run as one atomic job, all at
 * once; slots left open by a killed legacy run are finished the legacy
 * way first. */
int reconcile_run(const struct reconcile_req *r, struct sc_err *e);

#endif
