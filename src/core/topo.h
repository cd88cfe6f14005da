/* topo.h - the cluster topology model.  Pure: no I/O (survey.h does the
 * reading).
 *
 * A `view` is what ONE node says (its CLUSTER NODES reply, parsed).  A `topo`
 * merges the views of every reachable node into one model: the members, who
 * replicates whom, which member owns each slot (according to the owner's own
 * view, the authoritative one), open (migrating/importing) slots, and whether
 * all views agree.
 */
#ifndef SHARDCTL_TOPO_H
#define SHARDCTL_TOPO_H

#include "base/err.h"
#include "base/keyslot.h"
#include "core/server_kind.h"

#define NODE_ID_LEN 40

enum node_flag {
	NF_MYSELF = 1 << 0,
	NF_MASTER = 1 << 1,
	NF_REPLICA = 1 << 2,
	NF_PFAIL = 1 << 3,
	NF_FAIL = 1 << 4,
	NF_HANDSHAKE = 1 << 5,
	NF_NOADDR = 1 << 6,
	NF_NOFAILOVER = 1 << 7,
};

struct slot_range {
	int first, last; /* inclusive */
};

enum open_kind { OPEN_MIGRATING, OPEN_IMPORTING };

struct open_slot {
	int slot;
	enum open_kind kind;
	char peer[NODE_ID_LEN + 1]; /* migrating to / importing from */
};

/* One line of CLUSTER NODES. */
struct node_entry {
	char id[NODE_ID_LEN + 1];
	char ip[64];        /* "" when noaddr / unknown */
	int port, cport;
	char hostname[256]; /* announced hostname, "" when none */
	unsigned flags;     /* enum node_flag */
	char master[NODE_ID_LEN + 1]; /* "" unless a replica */
	unsigned long long config_epoch;
	int connected;      /* link-state */
	struct slot_range *ranges;
	int nranges;
	struct open_slot *open;
	int nopen;
};

/* One node's CLUSTER NODES reply. */
struct view {
	struct node_entry *e;
	int n;
	int self; /* index of the "myself" entry, -1 if none */
};

/* Parse a CLUSTER NODES reply.  Distrusts its input: a malformed line is an
 * error (ERR_FAIL, naming the line), never a crash.  (view.c) */
int view_parse(struct view *v, const char *text, struct sc_err *e);
void view_release(struct view *v);

/* The open slots of an entry as runs of consecutive slots with the same
 * kind and peer, sorted by kind, peer, slot (for messages: a killed
 * migration leaves hundreds).  out needs room for n->nopen runs; returns
 * the count, or -1 when out of memory. */
struct open_run {
	int first, last;
	enum open_kind kind;
	char peer[NODE_ID_LEN + 1];
};
int node_entry_open_runs(const struct node_entry *n, struct open_run *out);

/* Deep copy (ranges, open slots) and release of one entry. */
int node_entry_copy(struct node_entry *dst, const struct node_entry *src);
void node_entry_release(struct node_entry *n);

struct member {
	struct node_entry n; /* from its own view when reachable, else a peer's */
	int reachable;       /* we read its own view */
	int master;          /* index of its master in topo, -1 if none/unknown */
	int nslots;          /* slots it owns */
	/* filled by survey when asked for stats, -1 when unknown */
	long long keys;
	long long used_memory;
	int state_ok;        /* cluster_state:ok reported by this node; -1 unknown */
	int known_nodes;     /* cluster_known_nodes it reports; -1 unknown */
	char error[160];     /* survey: why it could not be read, "" if unknown */
	int repl_link_up;    /* survey stats, replicas: master_link_status up 1,
				down 0; -1 unknown or not a replica */
	struct server_kind server; /* survey: its INFO server (every survey,
				stats or not); unknown when unreachable */
	/* what the OTHER reachable views say of it (a node never sees itself
	 * failing): the union of their NF_PFAIL, NF_FAIL, NF_HANDSHAKE and
	 * NF_NOADDR flags, and how many of them have their link to it down */
	unsigned peer_flags;
	int peers_disconnected;
};

struct topo {
	struct member *m;
	int n;
	int owner[CLUSTER_SLOTS]; /* member index owning each slot, -1: uncovered */
	int nconflicts;           /* slots claimed by two members' own views */
	int agree;                /* every reachable member's view gives the same
				     member set and the same slot -> owner map */
	char disagreement[256];   /* the first disagreement found, "" if none */
	int handshake_only;       /* agree is 0 only because some views do not
				     list a node in handshake (being met) */
};

/* Merge views (views[i] read from a reachable node; all nodes any view names
 * become members).  Deterministic: members sorted by node id. */
int topo_build(struct topo *t, const struct view *views, int nviews, struct sc_err *e);
void topo_release(struct topo *t);

/* The same merge, one view at a time, keeping only a compact summary of each
 * (for surveys of many nodes: the views need not all be kept).  Views are
 * taken in the order added; add copies what it needs.  finish fills t (the
 * builder must still be freed); free accepts NULL. */
struct topo_builder;
struct topo_builder *topo_builder_new(void);
int topo_builder_add(struct topo_builder *b, const struct view *v, struct sc_err *e);
int topo_builder_finish(struct topo_builder *b, struct topo *t, struct sc_err *e);
void topo_builder_free(struct topo_builder *b);

/* How every message names a member: 'ip:port' ('[ip]:port' for IPv6), else
 * node ID8 ('hostname'), or node ID8 when it has neither; NULL: "an unknown
 * node".  topo_label does the same for member i of t, any i. */
const char *member_label(const struct member *m, char *buf, size_t size);
const char *topo_label(const struct topo *t, int i, char *buf, size_t size);

int topo_find_id(const struct topo *t, const char *id);
/* Member by "ip:port" (or announced hostname + port); -1 if none. */
int topo_find_addr(const struct topo *t, const char *host, int port);
/* Ranges of slots owned by member i, merged; returns the count, fills at most
 * max entries of out. */
int topo_member_ranges(const struct topo *t, int i, struct slot_range *out, int max);
/* Number of masters that own at least one slot. */
int topo_count_masters(const struct topo *t);
/* The shards' masters in display order: members owning slots, by their
 * first slot, then members flagged master that own none, by address.  Fills
 * at most max entries of out with member indexes; returns the count. */
int topo_masters(const struct topo *t, int *out, int max);

#endif
