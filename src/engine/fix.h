/* fix.h - repair what an interrupted migration left (the I/O half; the
 * pure decisions are core/fix_plan.h): open slots closed or finished,
 * uncovered slots assigned, never choosing between two copies of data by
 * guessing. */
#ifndef SHARDCTL_ENGINE_FIX_H
#define SHARDCTL_ENGINE_FIX_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"

struct fix_req {
	struct addr seed;
	const struct conn_opts *conn;
	int dry_run;
	int wait_ms;  /* deadline for the cluster to agree afterwards; 0: 60 s */
	FILE *out;    /* plan, progress and stops; NULL: quiet */
	int max_latency_us; /* slot moves: migrate_opts.max_latency_us (0: no
			       limit) */
};

struct fix_result {
	int moved, closed, assigned, stops; /* slots */
	long long dup_removed;  /* identical copies removed from the source */
};

/* 0: nothing to fix, or everything fixed and the cluster agrees.  -1 with
 * e: ERR_FAIL when some slot needs a decision (each stop was written to
 * out) or a step failed, ERR_IO when the seed cannot be read. */
int fix_run(const struct fix_req *r, struct fix_result *res, struct sc_err *e);

#endif
