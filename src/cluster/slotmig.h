/* slotmig.h - Valkey 9's atomic slot migration log, as a node tells it
 * (CLUSTER GETSLOTMIGRATIONS), read and judged in one place.
 *
 * Each entry is one job: an EXPORT on the source primary, an IMPORT on the
 * target (and a tracking entry on the target's replicas, which has no
 * target_node / source_node).  The reply is a list of flat key/value arrays
 * (RESP2); fields are looked up by name, so their order and any field
 * added later do not matter.  States: `success`, `failed` and `cancelled`
 * are terminal; every other value (connecting ... failover-granted,
 * waiting-for-ack ... cleaning-up, occurring-on-primary, unknown) means the
 * job is still in progress (research/server-generations.md C2).
 * The log lives in the server's memory only: a restart empties it.
 */
#ifndef SHARDCTL_SLOTMIG_H
#define SHARDCTL_SLOTMIG_H

#include "base/addr.h"
#include "base/err.h"
#include "cluster/conn.h"
#include "core/topo.h"

enum slotmig_state { SLOTMIG_RUNNING, SLOTMIG_SUCCESS, SLOTMIG_FAILED, SLOTMIG_CANCELLED };

struct slotmig {
	char name[48];                  /* the job's name (40 hex) */
	int export;                     /* 1: EXPORT (this node is the source) */
	char ranges[256];               /* slot_ranges, "a-b c-d" (cut if longer:
					   `ranges_cut` is then 1) */
	int ranges_cut;
	char target[NODE_ID_LEN + 1];   /* "" on a tracking entry */
	char source[NODE_ID_LEN + 1];
	long long create_time;          /* unix seconds, server clock */
	char state[32];                 /* as the server words it */
	enum slotmig_state st;
	char message[200];              /* "" when none */
};

/* CLUSTER GETSLOTMIGRATIONS on c into a new array (*v, *n; free() it).
 * 0, or -1 with e (no answer, or a reply of another shape). */
int slotmig_read(struct conn *c, struct slotmig **v, int *n, struct sc_err *e);

/* Format slot ranges the way the server echoes them in slot_ranges: "a-b"
 * for each range (a single slot too), separated by one space.  Returns the
 * length, or -1 when it does not fit in len. */
int slotmig_format_ranges(const struct slot_range *r, int nr, char *out, int len);

/* Jobs in progress on the node of c: their count, the first described in
 * what (an asm_running_fn, asm_idle.h).  Only for Valkey >= 9 nodes (the
 * caller checked with node_has_command).  -1 with e. */
int slotmig_running(struct conn *c, char *what, int len, struct sc_err *e);

#endif
