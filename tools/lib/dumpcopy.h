/* dumpcopy.h - the floors of a slot move, for benchmarks.  dumpcopy_run: every key of a set
 * of slots copied from its owner with pipelined DUMP and RESTORE into one
 * target (a plain redis-server), one thread per source node, DUMPs of the
 * next round in flight while the current round is restored.  It copies only
 * (no DEL, no SETSLOT): what any migration of those keys must at least do.
 */
#ifndef SHARDCTL_DUMPCOPY_H
#define SHARDCTL_DUMPCOPY_H

#include "base/addr.h"
#include "lib/ccli.h"
#include "base/err.h"

struct dumpcopy_result {
	long long keys, bytes; /* keys restored, DUMP payload bytes */
	int sources;           /* nodes copied from */
	double seconds;        /* wall time of the copy itself */
};

/* Parse "0-819,4096-4915 9000" (ranges or single slots, separated by commas
 * or spaces) into mark[CLUSTER_SLOTS] (1 = chosen).  Pure.  ERR_REFUSED on
 * malformed text or slots outside 0..16383. */
int dumpcopy_parse_slots(const char *text, char *mark, struct sc_err *e);

/* Copy every key of the marked slots from their owners (c's slot map) to
 * `to`, `pipeline` keys per round.  Fails on a slot nobody serves, on any
 * DUMP or RESTORE error (a key already on the target included). */
int dumpcopy_run(const struct ccli *c, const char *mark, const struct addr *to, int pipeline,
		 struct dumpcopy_result *res, struct sc_err *e);

/* The floor of a MIGRATE-based move of the same keys: for each source in
 * turn (shardctl moves into one target one source at a time), every marked
 * slot's keys with MIGRATE ... COPY KEYS (at most 1000 keys per call, one
 * call per slot at most: MIGRATE cannot cross slots in a cluster), `depth`
 * calls pipelined.  COPY keeps the source's keys (no DEL, no replication of
 * a DEL) and there is no SETSLOT: less than any real move does.
 * res->bytes stays 0. */
int dumpcopy_migrate(const struct ccli *c, const char *mark, const struct addr *to, int depth,
		     struct dumpcopy_result *res, struct sc_err *e);

#endif
