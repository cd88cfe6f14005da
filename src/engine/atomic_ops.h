/* atomic_ops.h - the two families of atomic slot migration under the one
 * core of migrate_atomic.c: what differs between them is only how a
 * server-side job is started, looked at and cancelled.
 *
 * - Valkey >= 9 (atomic_valkey.c): CLUSTER MIGRATESLOTS on the source, one
 *   command for every move of a source, +OK with no job id: a job is found
 *   again in the source's CLUSTER GETSLOTMIGRATIONS; cancelled on the
 *   source (all its exports at once).  Any number of jobs per node.
 * - Redis >= 8.4 (atomic_redis.c): CLUSTER MIGRATION IMPORT on the target,
 *   one task per move, answering the task id; CLUSTER MIGRATION STATUS ID
 *   on the target; cancelled on the target.  One task per node at a time.
 *
 * The core decides what to start when (one_per_node), counts, judges a
 * job that did not succeed by the nodes' ownership, retries and falls back
 * to legacy; a family only reports what the servers said, in struct atry.
 * Internal to engine/migrate_atomic*.c; a family never calls the core.
 */
#ifndef SHARDCTL_ATOMIC_OPS_H
#define SHARDCTL_ATOMIC_OPS_H

#include "engine/migrate_job.h"

enum atry_verdict {
	ATRY_RUNNING,   /* started / still in progress */
	ATRY_SUCCESS,   /* every slot of the attempt moved */
	ATRY_ENDED,     /* refused, failed or cancelled: msg says why */
	ATRY_LOST,      /* the node to ask does not answer: err */
	ATRY_BUSY,      /* not started: a node of it runs another job now
			   (msg); to be tried again, no attempt counted */
};

/* One attempt of a move's server-side job. */
struct atry {
	int mi;                   /* the move (m->mv[mi]) */
	struct slot_range *rg;    /* its slots not moved yet, as ranges */
	int nr;
	char *ranges;             /* the same as servers echo them: "a-b c-d" */
	long long sent_s;         /* Valkey: the source's clock (s) at sending */
	long long sent_ms;        /* our clock at sending */
	char job[48];             /* Valkey: the job's name once seen; Redis:
				     the task id IMPORT answered */
	char prev[48];            /* the previous attempt's job */
	enum atry_verdict v;      /* set by issue and poll */
	char msg[300];            /* ATRY_ENDED: "state: message" or the refusal */
	struct sc_err err;        /* ATRY_LOST */
};

struct atomic_ops {
	const char *command;      /* for messages: "CLUSTER MIGRATESLOTS" */
	const char *cancel_on;    /* "source" / "target": where a cancel goes */
	int one_per_node;         /* a node takes part in one job at a time */
	/* Start t[0..n): Valkey gets every attempt of one source at once,
	 * Redis one.  Sets each v: RUNNING, ENDED (refused), BUSY or LOST. */
	void (*issue)(struct migrate *m, struct atry **t, int n);
	/* Look at t[0..n) (running, all of one source); sets each v. */
	void (*poll)(struct migrate *m, struct atry **t, int n);
	/* Cancel t[0..n) on the servers; returns the nodes told. */
	int (*cancel)(struct migrate *m, struct atry **t, int n);
	/* Jobs in progress on node i, this run's or not (0: idle), or -1
	 * (no answer).  Before the legacy method takes over slots: a node
	 * refuses SETSLOT while it runs one (Redis: "Slot N is currently in
	 * an active atomic slot migration"; a source ends a cancelled task a
	 * little after its target). */
	int (*running)(struct migrate *m, int i);
};

extern const struct atomic_ops atomic_valkey_ops;
extern const struct atomic_ops atomic_redis_ops;

#endif
