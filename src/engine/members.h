/* members.h - the members of a cluster as a run changes them: joined by
 * MEET, dropped by FORGET, roles changed by FAILOVER and REPLICATE.  What
 * the executor's waits, fan-outs and moves address.  Carries its own
 * connection options, deadline and log, so a wait can be run on members
 * outside any plan (replsync.h).
 */
#ifndef SHARDCTL_MEMBERS_H
#define SHARDCTL_MEMBERS_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "cluster/drainhold.h"
#include "cluster/fastjoin.h"
#include "core/topo.h"

struct run_member {
	char id[NODE_ID_LEN + 1];
	struct addr addr;
	int master;
	char master_of[NODE_ID_LEN + 1]; /* its master's id, "" for a master */
	char ip[64];       /* cluster bus address, for CLUSTER MEET */
	int cport;
	int dead;          /* not reachable when surveyed, or failed: never
			      met (its address may belong to another node
			      by now), not waited for, told nothing */
	int role_unknown;  /* emptied by a move: the server may have turned it
			      (and its replicas) into a replica of whoever took
			      its last slot (cluster-allow-replica-migration) */
	int gone;
	struct fastjoin fj; /* settings lowered for its join by this run */
	struct drainhold dh; /* replica migration held off while this run
				empties it or its master (drainhold.h) */
	int was_source;     /* gave slots in this run's moves (exec.c:
			       fresh_view before it becomes a replica) */
};

struct members {
	struct run_member *m;
	int n, cap;
	const struct conn_opts *conn;
	int wait_ms;        /* deadline of each wait; set by the owner */
	FILE *log;          /* NULL: quiet */
};

/* Index of the live (not gone) member with that id, or -1. */
int members_find(const struct members *ms, const char *id);
/* Add a member, or update the address and role of a known one.  0 / -1
 * (out of memory). */
int members_add(struct members *ms, const char *id, const struct addr *a, int master, const char *master_of);
/* Record the cluster bus address of member `id` (for MEETs). */
void members_bus(struct members *ms, const char *id, const char *ip, int cport);
/* Every member of t with an address; unreachable or failed ones are
 * marked dead.  0, or -1 with e. */
int members_from_topo(struct members *ms, const struct topo *t, struct sc_err *e);
void members_release(struct members *ms);

#endif
