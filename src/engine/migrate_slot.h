/* migrate_slot.h - what one slot of a move sends, and what each reply does
 * to it: the engine half of core/slot_machine.h.  Internal: only the round
 * driver (migrate.c) includes it; the slot code calls down into the job
 * (migrate_job.h) and never back into the driver.
 *
 * The queue functions return 0, or -1 when the command could not be queued
 * (the move, or for NODE on another master the node, is then marked lost).
 */
#ifndef SHARDCTL_MIGRATE_SLOT_H
#define SHARDCTL_MIGRATE_SLOT_H

#include "engine/migrate_job.h"

/* Slot si of move mi enters the window: IMPORTING is due on the target. */
void migrate_slot_open(struct migrate *m, int mi, int si);

/* Queue CLUSTER SETSLOT <slot> <how> <id> on `node`, awaited as `op`. */
int migrate_slot_setslot(struct migrate *m, int node, int mi, int si, enum slot_op op,
			 const char *how, const char *id);
/* Queue CLUSTER GETKEYSINSLOT in the slot's current database, after a
 * SELECT when the source's connection is on another one. */
int migrate_slot_getkeys(struct migrate *m, int mi, int si, int count);
/* Queue the all-database COUNT (CLUSTER SLOT-STATS) on the source. */
int migrate_slot_count(struct migrate *m, int mi, int si);
/* MIGRATE the keys the last GETKEYSINSLOT listed (they are released).
 * Returns 1, sending nothing, when the source's connection is not on their
 * database or a SELECT is pending on it this round: list them again. */
int migrate_slot_migrate(struct migrate *m, int mi, int si);

/* The reply `r` read from node `node` for the command `p` describes; NULL:
 * the command was never read (the server closed the connection after an
 * UNBLOCKED reply to an earlier one), so it is sent again.  A GETKEYSINSLOT
 * array may be kept (s->keys == r): the caller frees r only when it was
 * not. */
void migrate_slot_handle(struct migrate *m, int node, const struct job_reply *p, redisReply *r);

/* After a BUSYKEY: name a key present on both nodes and fail the slot.
 * Between rounds only (no reply pending on any connection). */
void migrate_slot_busykey(struct migrate *m, int mi, struct job_slot *s);

/* After a COUNT found keys in a slot whose databases were all drained: read
 * the source's databases again and walk them from the first (the slot fails
 * after a few such walks).  Between rounds only. */
void migrate_slot_rescan(struct migrate *m, int mi, struct job_slot *s);

#endif
