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
 *
 * Methods.  Two ways of moving slots sit behind the same init / step /
 * progress / finish / run, chosen by the caller in migrate_opts.method from
 * what every node taking part supports (COMMAND INFO cluster|migrateslots,
 * per node, never a version string):
 * - MIGRATE_LEGACY (above; migrate.c's rounds over migrate_slot.c);
 * - MIGRATE_ATOMIC (migrate_atomic.c), the servers' own, of the family
 *   migrate_opts.family names (atomic_ops.h): Valkey >= 9, one CLUSTER
 *   MIGRATESLOTS per source naming every move from it, all sources at
 *   once, regardless of per_node, CLUSTER GETSLOTMIGRATIONS polled on each
 *   source; Redis >= 8.4, one CLUSTER MIGRATION IMPORT per move on its
 *   target, started once neither node of the move is in a task (the
 *   server runs one per node), STATUS ID polled on the target.
 *   The server moves the slot ranges as one stream and hands them over in
 *   one short write pause; clients see MOVED, never ASK.  A job that does
 *   not succeed is re-issued for the slots the source still owns (its
 *   target's own view says which it took), at most 3 attempts;
 *   then those slots are moved by the legacy method, after every atomic job
 *   of the migration has ended (a node refuses legacy SETSLOT while it runs
 *   an atomic job), with a line on o->log saying so.  A slot left open on a
 *   node of the migration (atomic refuses to start there) sends the whole
 *   migration to the legacy method, also said on o->log.
 * Both keep the same job (migrate_job.h): nodes, connections, moves and
 * their slots, counters, sticky error.
 *
 * Stopping (base/stop.h): migrate_run looks at stop_requested() between
 * steps.  Then the legacy method opens no new slot and brings the open ones
 * to an end; the atomic method cancels its jobs (Valkey: CLUSTER
 * CANCELSLOTMIGRATIONS on each source; Redis: CLUSTER MIGRATION CANCEL ID
 * on each target: the targets drop what they had received, the sources
 * keep the slots) and waits for them to end.  Either
 * way the run fails with "interrupted by SIGINT ..." and the cluster is
 * consistent: every slot has one owner, none is left open.
 */
#ifndef SHARDCTL_MIGRATE_H
#define SHARDCTL_MIGRATE_H

#include <stdio.h>

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

enum migrate_method {
	MIGRATE_LEGACY = 0, /* SETSLOT / GETKEYSINSLOT / MIGRATE (every server) */
	MIGRATE_ATOMIC,     /* the servers' own atomic slot migration, of one
			       family on every node (migrate_opts.family) */
};

/* Whose atomic slot migration (MIGRATE_ATOMIC): the commands differ, and no
 * node is ever sent the other family's. */
enum migrate_family {
	ATOMIC_VALKEY = 0,  /* CLUSTER MIGRATESLOTS (Valkey >= 9) */
	ATOMIC_REDIS,       /* CLUSTER MIGRATION (Redis >= 8.4) */
};

struct migrate_opts {
	const struct conn_opts *conn;
	enum migrate_method method; /* default MIGRATE_LEGACY */
	enum migrate_family family; /* MIGRATE_ATOMIC: whose (default Valkey) */
	FILE *log;               /* notes (atomic: a fallback to legacy); NULL */
	int poll_ms;             /* atomic: the jobs' polling period (75) */
	int attempts;            /* atomic: tries per move before legacy (3) */
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
	int setslot_conns;       /* Valkey >= 8: connections per node for
				    SETSLOT, which blocks on the replicas'
				    acknowledgement (default 8; 0: lane 0) */
	int max_latency_us;      /* legacy: the longest a source's clients
				    should wait behind one round of key work
				    (GETKEYSINSLOT, MIGRATE, SETSLOT), kept by
				    sizing the keys per round and per call to
				    the stall measured each round, its mean
				    and deviation (core/latency_budget.h);
				    0: no limit (window calls of batch_keys)
				    (microseconds; default
				    MIGRATE_MAX_LATENCY_US) */
	int setslot_timeout_ms;  /* Valkey >= 8: SETSLOT's TIMEOUT, how long
				    the primary waits for its replicas before
				    NOREPLICAS (default 5000; never sent to
				    Redis, which rejects it) */
};

/* The default of --max-latency, in microseconds and as written in help
 * (docs/ENGINE.md, "Latency budget"; test_options checks they agree). */
#define MIGRATE_MAX_LATENCY_US 1500
#define MIGRATE_MAX_LATENCY_TEXT "1.5"

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

/* How migrate_run reports.  A NULL pointer to it: quiet, 500 ms steps. */
struct migrate_run_opts {
	FILE *log;     /* progress lines and the final line; NULL: quiet */
	int tty;       /* log is a terminal: one line redrawn (base/progress.h) */
	int step_ms;   /* budget of each migrate_step; <= 0: 500 */
};

/* The one loop: step m to its end, reporting slots and keys moved, the rate
 * and the ETA on o->log (base/progress.h), then the final line ("moved N/M
 * slots, K keys in T s (R keys/s)", also after an error), then
 * migrate_finish().  Always releases m (accepts NULL: returns 0).  `last`
 * (may be NULL) gets the final counters.  Returns 0, or -1 with the sticky
 * error in e. */
int migrate_run(struct migrate *m, const struct migrate_run_opts *o, struct migrate_progress *last,
		struct sc_err *e);

#endif
