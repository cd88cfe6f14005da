/* heal.h - rejoin cluster members whose address changed.
 *
 * The case it exists for: every pod of a StatefulSet restarted at once, each
 * kept its nodes.conf (same node id, same slots) but got a new IP, so every
 * node still looks for its peers at their old addresses and the cluster
 * cannot form again by itself.  heal finds each member where it is now (the
 * names of the node list, resolved again, and the hostnames the members
 * announce through cluster-announce-hostname), identifies it by CLUSTER MYID
 * (never by address: an old IP may belong to another pod now), and has each
 * node that lost a peer CLUSTER MEET it at its new address; the cluster bus
 * then replaces the old address of that known id.  It waits (deadline) until
 * every member sees every other one connected, and re-points replicas whose
 * master link stays down.
 *
 * One node it does add: a node that restarted empty in the place of a member
 * (no persistence; cluster/predecessor.h).  Every member forgets the old id,
 * the node is met and made a replica of the old member's master (a member
 * that still owns slots is not replaced: its replica must take over first).
 *
 * What it never does: move or assign slots, add any other node that is not
 * already a member (a new node knowing only itself is left alone: that is
 * reconcile's job),
 * re-create a cluster, or introduce two nodes that do not both know each
 * other's id (a forgotten node stays forgotten).  A node list reaching two
 * different clusters is refused before anything changes.
 *
 * The planning half (heal_plan_build) is pure and unit-tested; heal_run does
 * the I/O around it.
 */
#ifndef SHARDCTL_HEAL_H
#define SHARDCTL_HEAL_H

#include <stdio.h>

#include "base/addr.h"
#include "cluster/conn.h"
#include "base/err.h"
#include "core/topo.h"

/* One node found alive: who it is, where it is now, what it believes. */
struct heal_node {
	char id[NODE_ID_LEN + 1];
	char name[ADDR_HOST_MAX + 16]; /* "host:port" as listed or discovered */
	char ip[64];                   /* where peers must meet it now */
	int port, cport;
	int listed;                    /* named in the node list */
	struct view view;              /* its CLUSTER NODES */
};

struct heal_meet {
	int on, to; /* indices into the node array: run MEET on `on` for `to` */
};

struct heal_plan {
	struct heal_meet *meets;
	int nmeets;
	int *lone;      /* nodes that know only themselves and own no slot */
	int nlone;
	int *members;   /* nodes of the one cluster, in node order */
	int nmembers;
	char note[512]; /* one-way knowledge left alone, "" if none */
};

/* Decide, from what the live nodes say, which meets restore membership.
 * A pair (on, to) is met when `on`'s view holds `to`'s id at an address
 * other than `to`'s current one and that entry is not linked (disconnected,
 * pfail or fail), and `to`'s view holds `on`'s id too.  Refuses (ERR_REFUSED)
 * nodes of two different clusters, naming one node of each. */
int heal_plan_build(struct heal_plan *p, const struct heal_node *nodes, int n, struct sc_err *e);
void heal_plan_release(struct heal_plan *p);

/* Index of the entry with this id in a view, or -1. */
int heal_view_find(const struct view *v, const char *id);

struct heal_req {
	const struct addr_list *nodes;
	const struct conn_opts *conn;
	int wait_ms;   /* deadline of the wait for agreement; 0: 60 s */
	int dry_run;   /* say what would be met, change nothing */
	FILE *out;     /* progress lines; NULL: quiet */
};

struct heal_result {
	int members;     /* members found alive */
	int meets;       /* CLUSTER MEET commands sent */
	int reattached;  /* replicas re-pointed with CLUSTER REPLICATE */
	int lone;        /* listed nodes left alone (not members) */
	int replaced;    /* nodes rejoined in the place of a member */
	int nothing;     /* 1: the cluster was healthy, nothing was changed */
};

/* 0 when every member found is linked to every other one, the replicas'
 * master links are up and (if all slots are assigned) every node reports
 * cluster_state:ok; -1 otherwise: ERR_REFUSED before any change (bad node,
 * two clusters), ERR_FAIL/ERR_IO when members are missing or the deadline
 * passed (the message says what is still wrong). */
int heal_run(const struct heal_req *r, struct heal_result *res, struct sc_err *e);

#endif
