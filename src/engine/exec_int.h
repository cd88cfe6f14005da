/* exec_int.h - what exec.c and exec_sync.c share: the executor's view of
 * the members as the run changes them.  Internal to the executor. */
#ifndef SHARDCTL_EXEC_INT_H
#define SHARDCTL_EXEC_INT_H

#include "engine/exec.h"
#include "cluster/fastjoin.h"

#define POLL_MS 100

/* What exec knows of the cluster as it changes it: the members (joined by
 * MEET, dropped by FORGET) and who is a master, for the waits, the FORGET
 * fan-out and the SETSLOT NODE broadcasts of migrations. */
struct xmember {
	char id[NODE_ID_LEN + 1];
	struct addr addr;
	int master;
	char master_of[NODE_ID_LEN + 1]; /* its master's id, "" for a master */
	char ip[64];       /* cluster bus address, for CLUSTER MEET */
	int cport;
	int dead;          /* not reachable when surveyed, or failed: never
			      met (its address may belong to another node
			      by now), not waited for, told nothing */
	int role_unknown;  /* emptied by a move: Redis may have turned it (and
			      its replicas) into a replica of whoever took its
			      last slot (cluster-allow-replica-migration) */
	int gone;
	struct fastjoin fj; /* settings lowered for its join by this run */
	int was_source;     /* gave slots in this run's moves (exec.c:
			      fresh_view before it becomes a replica) */
};

struct exec {
	struct plan *p;
	const struct exec_opts *o;
	struct xmember *m;
	int n, cap;
	int wait_ms;
};

void exec_log(struct exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int exec_member_find(const struct exec *x, const char *id);
/* Members from the topo; a plan node's address wins over the topo's ip. */
int exec_members_init(struct exec *x, struct sc_err *e);

/* 1 when the node behind c answers ROLE with "master". */
int exec_role_is_master(struct conn *c);
/* Wait until the members idx[0..n) are in sync with their masters
 * (deadline: the run's wait). */
int exec_sync_wait(struct exec *x, const int *idx, int n, struct sc_err *e);
/* exec_sync_wait for the live replicas r (gone and dead members skipped)
 * for which want(x, r, arg) is true. */
int exec_sync_where(struct exec *x, int (*want)(const struct exec *x, const struct xmember *r, void *arg),
		    void *arg, struct sc_err *e);
/* exec_sync_where: every replica whose master is a live member. */
int exec_sync_replicas(struct exec *x, struct sc_err *e);

#endif
