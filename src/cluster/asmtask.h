/* asmtask.h - Redis's atomic slot migration tasks (Redis >= 8.4, CLUSTER
 * MIGRATION IMPORT / STATUS / CANCEL), as a node tells them, read and
 * judged in one place; the Valkey family is slotmig.h.
 *
 * A task is started on the destination primary (IMPORT, which answers the
 * task's id) and pulls its slots from their one source; the source lists
 * the same id as a `migrate` task.  A node runs one task at a time,
 * imports and exports together.  STATUS answers a list of flat key/value
 * arrays (RESP2) with id, slots, source, dest, operation (import |
 * migrate), state, last_error, retries, create_time, start_time, end_time
 * (ms) and write_pause_ms; fields are looked up by name.  States:
 * `completed` and `canceled` (one l) are terminal; `failed` is not: an
 * import task in `failed` is retried by the server about every second
 * (`retries` counts) until it succeeds or is cancelled, and a migrate task
 * in `failed` stays the source's current task, whose slots refuse legacy
 * SETSLOT ("Slot N is currently in an active atomic slot migration") until
 * it is cancelled or another migration replaces it (verified on 8.6.3);
 * anything else (connecting ... takeover) is in progress
 * (research/server-generations.md D).  A task has the same id on both
 * nodes.  Kept in memory only.
 */
#ifndef SHARDCTL_ASMTASK_H
#define SHARDCTL_ASMTASK_H

#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

enum asmtask_state { ASMTASK_RUNNING, ASMTASK_COMPLETED, ASMTASK_FAILED, ASMTASK_CANCELED };

struct asmtask {
	char id[48];
	int import;                     /* 1: import (this node is the dest) */
	char slots[256];                /* "a-b c-d" (cut: slots_cut 1) */
	int slots_cut;
	char source[NODE_ID_LEN + 1];
	char dest[NODE_ID_LEN + 1];
	char state[32];                 /* as the server words it */
	enum asmtask_state st;
	char last_error[200];           /* "" when none */
	long long retries;
};

/* CLUSTER MIGRATION STATUS ID <id> (id NULL: ALL) on c into a new array
 * (*v, *n; free() it; an unknown id gives 0 entries).  0, or -1 with e. */
int asmtask_read(struct conn *c, const char *id, struct asmtask **v, int *n, struct sc_err *e);

/* CLUSTER MIGRATION IMPORT a b [a b ...] on the destination c (every range
 * of one source).  0 with the task id in id; 1 when the node refused, its
 * words in why; 2 likewise, but only because it runs another task now
 * (RC_ASM_BUSY: worth trying again); -1 with e (no answer). */
int asmtask_import(struct conn *c, const struct slot_range *r, int nr, char *id, int idlen, char *why, int whylen,
		   struct sc_err *e);

/* CLUSTER MIGRATION CANCEL ID <id> on c (the destination: cancelling on the
 * source does not stop the import, which the destination retries).  The
 * number cancelled (0: it had ended), or -1 with e. */
int asmtask_cancel(struct conn *c, const char *id, struct sc_err *e);

/* Tasks in progress on the node of c: their count, the first described in
 * what (an asm_running_fn, asm_idle.h).  A task in `failed` (an import the
 * node would retry for ever, a migrate that holds its slots against
 * SETSLOT) is cancelled here (the caller plans from the ownership it
 * leaves), and counted until it ends.  Only for Redis >= 8.4 nodes
 * (node_has_command).  -1 with e. */
int asmtask_running(struct conn *c, char *what, int len, struct sc_err *e);

#endif
