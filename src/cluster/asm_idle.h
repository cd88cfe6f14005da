/* asm_idle.h - wait until no atomic slot migration runs on a set of nodes,
 * whichever family each node runs (Valkey's jobs: slotmig.h; Redis's
 * tasks: asmtask.h).  A killed run leaves its jobs on the servers, where
 * they go on by themselves; the next run waits for them here before it
 * looks at the ownership they leave.
 */
#ifndef SHARDCTL_ASM_IDLE_H
#define SHARDCTL_ASM_IDLE_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"

/* How many jobs are in progress on the node of c (and the first of them
 * described in what), or -1 with e.  It may also end jobs that would never
 * end by themselves (asmtask_running: a failed Redis import). */
typedef int (*asm_running_fn)(struct conn *c, char *what, int len, struct sc_err *e);

/* On every node a[i] (n of them), asked with running[i]: wait until no job
 * is in progress, at most wait_ms.  Returns how many were running at first
 * (0: nothing to wait for), or -1 with e (a node did not answer, or jobs
 * still run at the deadline: the message names the node and the job).
 * Says what it waits for on log. */
int asm_await_idle(const struct addr *a, const asm_running_fn *running, int n, const struct conn_opts *o,
		   int wait_ms, FILE *log, struct sc_err *e);

#endif
