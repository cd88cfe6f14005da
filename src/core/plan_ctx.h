/* plan_ctx.h - planner internals shared by planner.c, plan_slots.c and
 * plan_replicas.c (defined in plan_ctx.c).  Not a contract: only the
 * planner includes it. */
#ifndef SHARDCTL_PLAN_CTX_H
#define SHARDCTL_PLAN_CTX_H

#include "core/planner.h"

/* Candidate classes for the S masters, best first (plan.h, CHOOSING). */
enum tier { TIER_MASTER, TIER_PROMOTE, TIER_NEW, TIER_CONVERT, TIER_NONE };

/* A topo member (units 0..t->n-1, same index) or a new listed node. */
struct unit {
	int member, want;    /* topo index / want index, -1 if none */
	const char *id;      /* "" when unknown */
	int hk;              /* hostkey number, -1 when unknown */
	int reachable, listed;
	int is_master;       /* a master now (flagged, or owns slots) */
	int cur_master;      /* unit of its master now (after the failovers,
				once apply_failovers ran), -1 */
	int held;            /* slots owned now (idem) */
	int tier;
	int siblings;        /* listed replicas sharing its master */
	int chosen;          /* one of the S masters */
	int promotes;        /* departing master this replica takes over, -1 */
	int promoted_by;     /* replica taking over this master, -1 */
	int quota;
	int give, need;      /* slots still to hand over / to receive */
	int fin_master;      /* replicas: the master they end under, -1 */
	int node, node2;     /* plan node indices, -1; node2: after a reset */
};

struct rlist {
	struct slot_range *v;
	int n, cap;
};

struct move {
	int from, to, n;     /* units; n slots */
	struct rlist r;
	int round;
};

struct plan_ctx {
	const struct plan_input *in;
	const struct topo *t;
	struct plan *p;
	struct sc_err *e;
	struct unit *u;
	int nu;
	int *chosen;         /* units, in choice order */
	int nchosen;
	int own[CLUSTER_SLOTS];  /* owner unit after the failovers */
	int fin[CLUSTER_SLOTS];  /* final owner unit */
	struct rlist *dr;    /* donor ranges, per unit */
	struct move *mv;     /* one per donor/receiver pair */
	int nmv, capmv;
	int nhk;             /* hostkeys are numbered 0..nhk-1 */
	int unreached;       /* a listed non-member that cannot be reached
				(want index), -1: refused after RESUMING */
};

/* A sort key: ascending by a, then id, then b, then unit (negate a or b
 * for descending).  qsort has no context argument, so callers sort keys. */
struct plan_key {
	int a, b;
	const char *id;
	int unit;
};
int plan_key_cmp(const void *x, const void *y);

int plan_oom(struct sc_err *e);
/* A node appended to the plan (its index, -1 out of memory); a step
 * appended (0 / -1 out of memory; node < 0 fails except for WAIT); the plan
 * node of unit i (added on first use); how messages name member i. */
int plan_add_node(struct plan_ctx *c, const char *id, const struct addr *a);
int plan_add_step(struct plan_ctx *c, enum step_kind kind, int node, int peer);
int plan_node_of(struct plan_ctx *c, int i);
const char *plan_member_name(const struct plan_ctx *c, int i, char *buf, int len);
int plan_same_host(const struct plan_ctx *c, int a, int b);

/* Slot amounts, the donor/receiver matching and the move rounds: fills
 * c->mv (ranges condensed, sorted by round).  Needs quotas and own[]. */
int plan_slots(struct plan_ctx *c);
/* fin_master for every listed non-master (normal mode). */
int plan_replicas(struct plan_ctx *c);
/* fin_master for listed replicas of departing masters (evacuate mode). */
int plan_evacuate_replicas(struct plan_ctx *c);
/* plan_formats.c: refuse (-1, ERR_REFUSED in c->e) a plan with a MOVE or
 * FINISH step whose target cannot read its source's DUMP format, or a
 * REPLICATE step whose replica cannot read its master's; 0 when
 * every such step is fine (or not judged: a server unknown). */
int plan_check_formats(struct plan_ctx *c);
/* plan_resume.c: when a reachable member has open slots, the FINISH steps
 * that close them (1), or a refusal (-1, c->e); 0 when nothing is open. */
int plan_resume(struct plan_ctx *c);

#endif
