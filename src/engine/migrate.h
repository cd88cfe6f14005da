/* migrate.h - move hash slots online between masters (Redis 7.0 protocol:
 * SETSLOT IMPORTING/MIGRATING, GETKEYSINSLOT, MIGRATE ... KEYS, SETSLOT NODE).
 *
 * Shaped like SQLite's backup API: migrate_init() prepares a set of moves,
 * migrate_step() does a bounded amount of work and may be called until it
 * reports completion, migrate_progress() reads the counters, and
 * migrate_finish() always releases everything and returns the sticky error.
 *
 * Guarantees:
 * - No key is lost or overwritten: MIGRATE is never given REPLACE (nor
 *   COPY).  A key already present on the target (BUSYKEY) stops that slot,
 *   which is left open (migrating/importing) for `shardctl fix`, and the
 *   error names the slot, the key and both nodes.
 * - Per slot, in the order the cluster specification requires: IMPORTING on
 *   the target before MIGRATING on the source; the keys are moved; then
 *   SETSLOT NODE on the target first, then on the source, then on the other
 *   masters (see migrate.c for the reasons).
 * - Several moves run at once when they share no node (a node is in at most
 *   `per_node` moves at a time); the per-slot commands of a move are
 *   pipelined across many slots.
 * - Resumable: re-issuing IMPORTING/MIGRATING for the same source/target pair
 *   is harmless, so a slot left open by a killed run *for the same move* is
 *   simply continued; a slot whose target already owns it is just closed.
 *   Contract for callers: a slot of a move must not be open towards a
 *   different node (reconcile completes or refuses such slots first).
 *
 * Files: migrate.c drives rounds and runs the job (this header);
 * migrate_slot.c sends one slot's commands and applies each reply through
 * the pure machine core/slot_machine.h; migrate_job.c owns the object
 * (nodes, connections, moves, counters, sticky error).  `struct migrate`
 * stays opaque here.
 */
#ifndef SHARDCTL_MIGRATE_H
#define SHARDCTL_MIGRATE_H

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"
#include "core/topo.h"

struct migrate_node {
	struct addr addr;          /* where shardctl connects */
	char ip[64];               /* the host given to MIGRATE, as the cluster
				      announces it (the source must reach it,
				      and may not resolve names shardctl
				      resolves); "": addr.host */
	char id[NODE_ID_LEN + 1];  /* node id (required) */
	int master;                /* 1: told SETSLOT NODE after every slot */
};

struct migrate_move {
	int src, dst;      /* indices into the node array */
	const int *slots;  /* copied by migrate_init */
	int nslots;
};

struct migrate_opts {
	const struct conn_opts *conn;
	int batch_keys;          /* most keys in one MIGRATE (default 1000) */
	long long batch_bytes;   /* aimed-at payload of one MIGRATE (default 4 MB);
				    keys per batch = batch_bytes / average value
				    size on the source, within [1, batch_keys] */
	int window;              /* slots open at once per move (default 16:
				    bounds the stall of the source's clients,
				    docs/ENGINE.md) */
	int key_cap;             /* most keys fetched in flight per move (20000) */
	int migrate_timeout_ms;  /* MIGRATE's own I/O timeout (default 10000) */
	int retry_ms;            /* how long one slot may keep meeting retryable
				    errors (TRYAGAIN, CLUSTERDOWN, LOADING, ASK,
				    IOERR, unknown node) (default 60000) */
	int per_node;            /* moves a node may be part of at once (1) */
};

void migrate_opts_init(struct migrate_opts *o, const struct conn_opts *conn);

struct migrate_progress {
	int moves_total, moves_done, moves_running;
	int slots_total, slots_done;
	long long keys_total;    /* counted when each move starts (grows) */
	int keys_known;          /* every move has started: keys_total is it */
	long long keys_moved;
};

struct migrate;

/* Copies what it needs.  Connects lazily.  NULL on bad arguments (e). */
struct migrate *migrate_init(const struct migrate_node *nodes, int nnodes,
			     const struct migrate_move *moves, int nmoves,
			     const struct migrate_opts *o, struct sc_err *e);

/* Work for about `budget_ms` (at least one round of pipelined commands).
 * Returns 1 when every move is finished, 0 when there is more to do, -1 once
 * an error has stopped the job (sticky: every later call returns -1).  After
 * an error no new slot is opened, but slots already being moved are brought
 * to a clean end where their nodes still answer. */
int migrate_step(struct migrate *m, int budget_ms);

void migrate_progress(const struct migrate *m, struct migrate_progress *p);

/* Release everything.  Returns 0 if every slot was moved, else -1 with the
 * sticky error (or "migration not finished").  Accepts NULL (returns 0). */
int migrate_finish(struct migrate *m, struct sc_err *e);

#endif
