/* migration_method.h - which method moves slots (migrate.h "Methods"),
 * decided per node from what each server offers, and the atomic jobs an
 * earlier run left on the servers.
 *
 * Nothing here sends a Valkey-only command to a node that has not said it
 * has it: the capability probe is COMMAND INFO (every generation answers
 * it), CONFIG GET primaryauth is asked only of nodes that have atomic
 * migration, GETSLOTMIGRATIONS likewise.
 */
#ifndef SHARDCTL_MIGRATION_METHOD_H
#define SHARDCTL_MIGRATION_METHOD_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "engine/migrate.h"

struct method_req {
	const struct addr *nodes;  /* every node taking part (reachable) */
	int n;
	const struct conn_opts *conn;
	int want;                  /* 0 auto, 1 atomic (refuse without it),
				      2 legacy (enum migration_choice) */
	FILE *log;                 /* the reason for a fallback; NULL quiet */
};

/* Into *method: MIGRATE_ATOMIC when every node has CLUSTER MIGRATESLOTS
 * (Valkey >= 9) and, with a password in conn, a non-empty primaryauth;
 * else MIGRATE_LEGACY, or, when atomic was asked for, ERR_REFUSED naming
 * the node and what it lacks.  *capable (may be NULL) gets the nodes that
 * have CLUSTER MIGRATESLOTS, as a 0/1 array of n (caller frees).  0 / -1. */
int method_choose(const struct method_req *r, enum migrate_method *method, int **capable, struct sc_err *e);

/* Wait (at most wait_ms) for the atomic jobs in progress on the nodes that
 * have them (capable[i]), saying so on log.  Returns how many were in
 * progress at first (0: none), or -1 (e: still running at the deadline). */
int method_await_jobs(const struct method_req *r, const int *capable, int wait_ms, struct sc_err *e);

#endif
