/* migrate_job.h - the move job's object: what `struct migrate` holds (its
 * nodes, their connections (lanes) with a queue of awaited replies each, the moves
 * and their slots, the counters and the sticky error) and the few things
 * done to it from more than one file.
 *
 * Internal: included only by engine/migrate*.c.  It sits below both the
 * round driver (migrate.c) and the per-slot commands (migrate_slot.c), which
 * call down into it and never back up; the public migrate.h keeps
 * `struct migrate` opaque.
 */
#ifndef SHARDCTL_MIGRATE_JOB_H
#define SHARDCTL_MIGRATE_JOB_H

#include "cluster/dbs.h"
#include "core/latency_budget.h"
#include "core/slot_machine.h"
#include "engine/migrate.h"

enum move_state { MOVE_PENDING, MOVE_RUNNING, MOVE_DONE, MOVE_FAILED };

struct job_slot {
	int slot;
	enum slot_state st;    /* changed only by migrate_slot.c */
	redisReply *keys;      /* last GETKEYSINSLOT reply (array), or NULL */
	long long retry_at;    /* ms; nothing is sent for this slot before */
	long long first_err;   /* ms of the first retryable error in a row, 0 */
	int busy_diag;         /* BUSYKEY seen: find the key after the round */
	int db;                /* the source's database being drained (a
				  database of its walk, see job_dbs); -1: the
				  all-database COUNT is due */
	int keys_db;           /* the database `keys` were listed in */
	int rescan;            /* the COUNT found keys: walk again after the
				  round */
	int rescans;
	long long left;        /* keys that COUNT found */
};

struct job_move {
	int src, dst;          /* indices into the node array */
	struct job_slot *s;
	int ns;
	int next_new;          /* first slot index not yet in the window */
	int open;              /* slots in the window (IMPORTING..CLOSING) */
	int left;              /* slots not DONE / FAILED */
	enum move_state st;
	int *bcast;            /* slots closed on the source, whose NODE is
				  due on the other masters next round */
	int nb;
	int gen_left;          /* a paced move (migrate.c): slots of the
				  generation being opened not opened yet */
	/* Kept by the legacy driver's slot_enter (migrate_slot.c), counted
	 * afresh as a legacy move starts (migrate_job_recount), so that a
	 * round costs what is in flight, not the whole window: */
	int n_st[SLOT_FAILED + 1]; /* slots in each state */
	int lo;                /* no slot before it is open (DONE / FAILED are
				  final: it only moves forward) */
	int work_lo;           /* no slot before it waits for key work or
				  SETSLOT IMPORTING / MIGRATING (moved back when
				  one enters IMPORTING..MOVING again) */
	int batch;             /* keys per GETKEYSINSLOT / MIGRATE */
	long long keys_total;
};

/* One reply awaited on a connection, in the order the commands were sent. */
struct job_reply {
	int move, si;
	enum slot_op op;
	int n;                 /* keys in a MIGRATE */
	int db;                /* GETKEYS, MIGRATE, SELECT: the database */
};

/* A node's databases, read when a move that involves it starts (see
 * cluster/dbs.h).  The walk is what a slot's keys are drained from, in
 * order: the databases holding keys where the node counts a slot over all
 * of them (CLUSTER SLOT-STATS, and the COUNT then closes the walk), else
 * every database 0 .. bound-1.  With one database: {0}, no COUNT. */
struct job_dbs {
	int read;              /* read at least once */
	struct node_dbs d;
	int *walk;
	int nwalk;
	int count;             /* the walk ends with the all-database COUNT */
};

/* Most connections to one node: lane 0 (everything on Redis; keys and
 * MIGRATE on Valkey) and up to JOB_LANES_MAX - 1 lanes for SETSLOT. */
#define JOB_LANES_MAX 17

/* The fewest keys per MIGRATE the latency budget goes down to: about
 * JOB_BYTES_MIN of values (a source's average value size, read as its move
 * starts), and never fewer than JOB_KEYS_MIN (redis-cli's default batch).
 * Below that a call's own cost (a round trip to the target, the command)
 * dominates.  2 KB (about 20 keys of 100 bytes) lets a tight budget
 * (--max-latency 1) carry one call of a third of a slot a round: measured
 * at 1M keys, client p99 over the moves 2.5-2.9 ms against 2.9-3.8 ms at
 * the default, for moves 1.3-1.6x longer; with a floor of 16 KB (a whole slot
 * a call) a 1 ms budget could not go below the default's rounds.  The
 * default's moves kept their speed (3.3-3.9x redis-cli's rebalance;
 * bench/results/analysis.md). */
#define JOB_KEYS_MIN 10
#define JOB_BYTES_MIN (2 << 10)

/* One connection to a node and the replies awaited on it. */
struct job_lane {
	struct conn *c;        /* NULL until first used, or after a drop */
	struct job_reply *q;
	int qn, qcap;
	/* The selected database: meaningful on lane 0 only, the one lane
	 * that sends SELECT, GETKEYSINSLOT and MIGRATE.  SETSLOT lanes never
	 * SELECT (SETSLOT, like the COUNT by CLUSTER SLOT-STATS, is not
	 * database-scoped) and stay on 0. */
	int db;                /* the database selected on c (as queued): 0
				  on a new connection; -1 unknown (a SELECT
				  failed) */
	int db_fresh;          /* a SELECT was queued on it in this round: no
				  MIGRATE follows it before its reply is read */
};

/* A node's connections.  Valkey >= 8 replicates every SETSLOT to the
 * primary's replicas before applying it and blocks the caller until they
 * acknowledge (research/server-generations.md A1): pipelined on one
 * connection those waits add up (~1-2.5 ms each), while blocked clients of
 * one primary are all released by the same acknowledgement, so SETSLOTs are
 * spread over `setslot_conns` lanes of their own there (A6: 8 connections
 * 3-6x faster).  On Redis everything stays on lane 0, pipelined. */
struct job_conn {
	struct job_lane lane[JOB_LANES_MAX];
	int nlanes;            /* lanes in use: 1, or 1 + setslot_conns */
	int next;              /* the SETSLOT lane used last (round robin) */
	int probed;            /* replicated_setslot is known */
	int replicated_setslot; /* Valkey >= 8 (node_setslot_timeout): SETSLOT
				  takes TIMEOUT and blocks on the replicas */
	int timeout_ms;        /* command timeout of lane 0 on (re)connect; 0:
				  the conn_opts one */
	/* As a source: its latency budget, and what this round gives it */
	struct latency_budget lat;
	int round_calls;       /* MIGRATEs queued on lane 0 this round */
	long long round_keys;  /* their keys */
	/* As a target: SETSLOT NODE goes to it this round (under a latency
	 * budget no MIGRATE into it then: see nodes_due in migrate.c) */
	int round_nodes;
	int round_setslots;    /* SETSLOTs queued to it this round (any lane) */
	redisReply **held;     /* lane 0's replies read ahead (timed), in
				  order, handled with the rest of the round */
	int nheld, heldcap;
	int dead;              /* an "other" master that stopped answering */
	int busy;              /* moves this node takes part in */
};

struct atomic;  /* migrate_atomic.c's state, NULL until it runs */

struct migrate {
	enum migrate_method method; /* running now: starts as o.method; an
				       atomic job whose slots fall back turns
				       MIGRATE_LEGACY */
	struct atomic *atom;
	int stopping;          /* a stop was requested and passed on */
	struct migrate_node *nodes;
	int nnodes;
	struct job_conn *conns;   /* one per node */
	struct job_dbs *dbs;      /* one per node */
	struct job_move *mv;
	int nmv;
	struct migrate_opts o;
	struct sc_err err;     /* sticky */
	int failed;
	long long keys_moved;
	int slots_done;
	int slots_total;
};

/* Copy the nodes, moves and options (normalised) into a new job, every move
 * MOVE_PENDING and every slot SLOT_QUEUED.  NULL (e) on bad arguments. */
struct migrate *migrate_job_new(const struct migrate_node *nodes, int nnodes,
				const struct migrate_move *moves, int nmoves,
				const struct migrate_opts *o, struct sc_err *e);
/* Close every connection and free everything.  Accepts NULL. */
void migrate_job_free(struct migrate *m);

/* The first error wins; later ones only stop more work. */
void migrate_job_fail(struct migrate *m, const struct sc_err *e);
/* Node i's lane 0, opened on first use (and again after a drop), the
 * node's SETSLOT flavour probed at the first open; NULL (e) when it cannot
 * be opened or broke. */
struct conn *migrate_job_conn(struct migrate *m, int i, struct sc_err *e);
/* The same for lane `lane` of node i. */
struct conn *migrate_job_lane_conn(struct migrate *m, int i, int lane, struct sc_err *e);
/* The lane op goes on: SETSLOTs to a Valkey >= 8 node round robin over its
 * SETSLOT lanes, everything else lane 0.  Call after migrate_job_conn. */
int migrate_job_lane(struct migrate *m, int i, enum slot_op op);
/* The TIMEOUT (ms) to give a SETSLOT on node i: 0 when the node does not
 * take one (Redis), or cannot be reached (probing it on first use). */
int migrate_job_setslot_timeout(struct migrate *m, int i);
/* Close lane `lane` of node i: the server closed it (UNBLOCKED).  It is
 * opened anew when next used.  Its reply queue must be empty. */
void migrate_job_conn_drop(struct migrate *m, int i, int lane);
/* Await one more reply on that lane of node i (db: the database of a
 * GETKEYS, MIGRATE or SELECT, all on lane 0).  0 / -1 (out of memory). */
int migrate_job_expect(struct migrate *m, int node, int lane, int mi, int si, enum slot_op op, int n, int db);

/* (Re)read node i's databases (m->dbs[i]) on its lane 0.  Between
 * rounds only (no reply pending on it).  0, or -1 (e). */
int migrate_job_read_dbs(struct migrate *m, int i, struct sc_err *e);
/* The database after `db` in node i's walk; -1 for "the COUNT" where the
 * walk ends with it; -2 when none is left. */
int migrate_job_next_db(const struct migrate *m, int i, int db);

/* Count move v's slots by state again and reset its cursors (the atomic
 * method sets states of its own). */
void migrate_job_recount(struct job_move *v);

/* Move mi starts (MOVE_RUNNING): its two nodes count it against per_node. */
void migrate_job_move_start(struct migrate *m, int mi);
/* Move mi ends (MOVE_DONE or MOVE_FAILED), its nodes freed for other moves.
 * Only a running move ends; otherwise nothing happens. */
void migrate_job_move_end(struct migrate *m, int mi, enum move_state how);
/* Move mi stops with e (prefixed with its nodes): the job fails with it. */
void migrate_job_move_lost(struct migrate *m, int mi, const struct sc_err *e);

/* Node i as people read it ("host:port", IPv6 bracketed). */
const char *migrate_job_node_name(const struct migrate *m, int i, char *buf, int len);

#endif
