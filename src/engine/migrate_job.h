/* migrate_job.h - the move job's object: what `struct migrate` holds (its
 * nodes, one connection and one queue of awaited replies per node, the moves
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

struct job_conn {
	struct conn *c;        /* NULL until first used, or after a drop */
	int timeout_ms;        /* command timeout to set on (re)connect; 0:
				  the conn_opts one */
	int dead;              /* an "other" master that stopped answering */
	struct job_reply *q;
	int qn, qcap;
	int busy;              /* moves this node takes part in */
	int db;                /* the database selected on c (as queued): 0
				  on a new connection; -1 unknown (a SELECT
				  failed) */
	int db_fresh;          /* a SELECT was queued in this round: no MIGRATE
				  follows it before its reply is read */
};

struct migrate {
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
/* Node i's connection, opened on first use (and again after a drop); NULL
 * (e) when it cannot be opened or broke. */
struct conn *migrate_job_conn(struct migrate *m, int i, struct sc_err *e);
/* Close node i's connection: the server closed it (UNBLOCKED).  The next
 * migrate_job_conn() opens a new one.  Its reply queue must be empty. */
void migrate_job_conn_drop(struct migrate *m, int i);
/* Await one more reply on node i's connection.  0 / -1 (out of memory). */
int migrate_job_expect(struct migrate *m, int node, int mi, int si, enum slot_op op, int n, int db);

/* (Re)read node i's databases (m->dbs[i]) on its connection.  Between
 * rounds only (no reply pending on it).  0, or -1 (e). */
int migrate_job_read_dbs(struct migrate *m, int i, struct sc_err *e);
/* The database after `db` in node i's walk; -1 for "the COUNT" where the
 * walk ends with it; -2 when none is left. */
int migrate_job_next_db(const struct migrate *m, int i, int db);

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
