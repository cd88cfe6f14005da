/* marks.h - importing/migrating marks left on replicas.
 *
 * Valkey >= 8 replicates every CLUSTER SETSLOT to the primary's replicas,
 * so a replica keeps "[s->-id]" / "[s-<-id]" on its own CLUSTER NODES line
 * like its primary.  A replica that was not online when the closing
 * SETSLOT NODE ran (a full sync: the sync carries the primary's marks of
 * that moment but never clears one), or a NOREPLICAS / UNBLOCKED reply,
 * leaves the mark behind for good (valkey#998, valkey#1664, open).  The
 * repair: CLUSTER SETSLOT s STABLE sent to that replica's primary, once the
 * primary itself has nothing open for s; the primary replicates it and the
 * replica drops the mark (research/server-generations.md A4, A5; verified
 * there).  Redis never replicates SETSLOT: its replicas never show marks.
 */
#ifndef SHARDCTL_MARKS_H
#define SHARDCTL_MARKS_H

#include <stdio.h>

#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

/* For every reachable replica of t showing a mark for a slot its primary
 * (reachable, a master) has no open state for: STABLE to the primary (with
 * TIMEOUT where the server takes it), one line on `log` per replica, then
 * wait (deadline wait_ms) until no such mark is left on it.  Marks whose
 * primary has the slot open too are left to the move that closes it.
 * Returns how many replicas were repaired, or -1 (e) when a repair was
 * refused or a mark did not go by the deadline. */
int marks_clear(const struct topo *t, const struct conn_opts *o, int wait_ms, FILE *log, struct sc_err *e);

#endif
