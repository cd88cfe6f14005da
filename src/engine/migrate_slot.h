/* migrate_slot.h - internals shared by migrate.c (the round driver) and
 * migrate_slot.c (the per-slot state machine).  Not a public contract: only
 * those two files include it. */
#ifndef SHARDCTL_MIGRATE_SLOT_H
#define SHARDCTL_MIGRATE_SLOT_H

#include "engine/migrate.h"

enum sstate { S_NEW, S_IMP, S_MIG, S_ACT, S_DRN, S_CLO, S_DONE, S_FAILED };

enum op { OP_IMPORTING, OP_MIGRATING, OP_GETKEYS, OP_MIGRATE, OP_NODE_DST, OP_NODE_SRC, OP_NODE_OTHER };

enum mstate { M_PENDING, M_RUNNING, M_DONE, M_FAILED };

struct mslot {
	int slot;
	enum sstate st;
	redisReply *keys;      /* last GETKEYSINSLOT reply (array), or NULL */
	long long retry_at;    /* ms; nothing is sent for this slot before */
	long long first_err;   /* ms of the first retryable error in a row, 0 */
	int busy_diag;         /* BUSYKEY seen: find the key after the round */
};

struct mmove {
	int src, dst;
	struct mslot *s;
	int ns;
	int next_new;          /* first slot index not yet in the window */
	int open;              /* slots in the window (IMP..CLO) */
	int left;              /* slots not DONE / FAILED */
	enum mstate st;
	int *bcast;            /* slots closed on the source, whose NODE is
				  due on the other masters next round */
	int nb;
	int batch;             /* keys per GETKEYSINSLOT / MIGRATE */
	long long keys_total;
};

struct pend {
	int move, si;
	enum op op;
	int n;                 /* keys in a MIGRATE */
};

struct mconn {
	struct conn *c;
	int dead;              /* an "other" master that stopped answering */
	struct pend *q;
	int qn, qcap;
	int busy;              /* moves this node takes part in */
};

struct migrate {
	struct migrate_node *nodes;
	int nnodes;
	struct mconn *conns;   /* one per node */
	struct mmove *mv;
	int nmv;
	struct migrate_opts o;
	struct sc_err err;     /* sticky */
	int failed;
	long long keys_moved;
	int slots_done;
	int slots_total;
};

/* migrate.c: shared by the driver and the state machine */
/* The first error wins; later ones only stop more work. */
void migrate_fail(struct migrate *m, const struct sc_err *e);
/* Node i's connection, opened on first use; NULL (e) when broken. */
struct conn *migrate_conn(struct migrate *m, int i, struct sc_err *e);
/* Move mi stops with e (prefixed with its nodes), its nodes freed. */
void migrate_move_lost(struct migrate *m, int mi, const struct sc_err *e);
const char *migrate_node_name(struct migrate *m, int i, char *buf, int len);

/* migrate_slot.c: queue one command of slot si of move mi (0, or -1 when
 * it could not be queued: the move or the node is then marked lost) */
int migrate_slot_setslot(struct migrate *m, int node, int mi, int si, enum op op,
			 const char *how, const char *id);
int migrate_slot_getkeys(struct migrate *m, int mi, int si, int count);
int migrate_slot_migrate(struct migrate *m, int mi, int si);
/* One reply read from node `node`, for the command `p` describes.  A
 * GETKEYSINSLOT array may be kept (s->keys == r): the caller frees r only
 * when it was not. */
void migrate_slot_handle(struct migrate *m, int node, const struct pend *p, redisReply *r);
/* After a BUSYKEY: name a key present on both nodes and fail the slot.
 * Between rounds only (no reply pending on any connection). */
void migrate_slot_busykey(struct migrate *m, int mi, struct mslot *s);

#endif
