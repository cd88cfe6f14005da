/* migration_method.h - which method moves slots (migrate.h "Methods"),
 * decided per node from what each server offers, and the atomic jobs an
 * earlier run left on the servers.
 *
 * Nothing here sends a family's command to a node that has not said it has
 * it: the capability probe is COMMAND INFO (every generation answers it),
 * CONFIG GET primaryauth is asked only of Valkey nodes with atomic
 * migration, GETSLOTMIGRATIONS likewise, CLUSTER MIGRATION STATUS only of
 * Redis nodes that have it.
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

/* What a node offers (capable[i] of method_choose). */
enum { CAP_NONE = 0, CAP_VALKEY, CAP_REDIS };

/* Into *method and *family: MIGRATE_ATOMIC of ATOMIC_VALKEY when every
 * node has CLUSTER MIGRATESLOTS (Valkey >= 9) and, with a password in
 * conn, a non-empty primaryauth; MIGRATE_ATOMIC of ATOMIC_REDIS when every
 * node has CLUSTER MIGRATION (Redis >= 8.4: no setting needed, the nodes
 * use the cluster's secret); else MIGRATE_LEGACY (a line on log says why
 * when some node has atomic migration: one lacks it, or the two families
 * are mixed), or, when atomic was asked for, ERR_REFUSED naming the node
 * and what it lacks.  *capable (may be NULL) gets what each node has, an
 * array of n CAP_* (caller frees).  0 / -1. */
int method_choose(const struct method_req *r, enum migrate_method *method, enum migrate_family *family,
		  int **capable, struct sc_err *e);

/* Wait (at most wait_ms) for the atomic jobs in progress on the nodes that
 * have them (capable[i], or, with capable NULL, what each node says of
 * itself; each asked in its own family's words; a Redis
 * import left failing, which its server would retry forever, is
 * cancelled), saying so on log.  Returns how many were in
 * progress at first (0: none), or -1 (e: still running at the deadline). */
int method_await_jobs(const struct method_req *r, const int *capable, int wait_ms, struct sc_err *e);

#endif
