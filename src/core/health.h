/* health.h - the rules of a healthy cluster, judged on a topo.  Pure: no
 * I/O, no printing; `shardctl check` prints what this finds.
 *
 * Healthy means: every slot owned by exactly one master, no open
 * (migrating/importing) slot, all reachable nodes agree on the member set and
 * the slot map, no node failed (fail/pfail) or unreachable, no handshake or
 * noaddr leftover, every node that reports cluster_state says ok, every
 * replica that reports its link says master_link_status:up, and, when
 * asked, exactly `shards` masters owning slots, each with exactly `replicas`
 * working replicas (a replica whose link is down is not working).
 */
#ifndef SHARDCTL_HEALTH_H
#define SHARDCTL_HEALTH_H

#include "base/err.h"
#include "core/topo.h"

struct health_opts {
	int shards;   /* expected masters owning slots; -1: not checked */
	int replicas; /* expected replicas per master; -1: not checked */
};

/* Stable names of the problem kinds (for --json and tests). */
enum problem_kind {
	PK_UNCOVERED,   /* slots no master owns */
	PK_CONFLICT,    /* slots two masters claim as their own */
	PK_OPEN_SLOT,   /* migrating / importing slot */
	PK_DISAGREE,    /* views differ on members or slot map */
	PK_FAIL,        /* marked fail by its peers */
	PK_PFAIL,       /* suspected failing by a peer */
	PK_UNREACHABLE, /* we could not read it */
	PK_HANDSHAKE,   /* a handshake never completed */
	PK_NOADDR,      /* a member without address */
	PK_STATE,       /* a node reports cluster_state:fail */
	PK_REPL_DOWN,   /* a replica whose link to its master is down */
	PK_SHARDS,      /* not the expected number of masters */
	PK_REPLICAS,    /* a master without the expected replicas */
};

struct problem {
	enum problem_kind kind;
	char msg[320];
};

struct health {
	struct problem *p;
	int n;
};

const char *problem_kind_name(enum problem_kind k);

/* Judge t.  Fills h (caller releases) with every problem found, in a fixed
 * order (slots, agreement, nodes, shape); h->n == 0 means healthy.  Fails
 * only when out of memory. */
int health_check(const struct topo *t, const struct health_opts *o, struct health *h,
		 struct sc_err *e);
void health_release(struct health *h);

#endif
