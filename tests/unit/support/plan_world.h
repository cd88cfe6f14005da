/* plan_world.h - for the planner's unit tests (test_plan.c,
 * test_plan_gen.c): an in-memory model of a cluster (a "world"), the topo
 * and want list it gives the planner, and pw_run_case(), which plans, checks
 * every invariant, carries the plan out on the world step by step (checking
 * each step's preconditions), checks the end state and plans again (a
 * converged cluster must need zero steps).  Test code only:
 * tests/unit/support/plan_world.c, linked into the unit tests. */
#ifndef SHARDCTL_PLAN_WORLD_H
#define SHARDCTL_PLAN_WORLD_H

#include "core/planner.h"

#define MAXW 1400

struct wnode {
	int port;
	char id[NODE_ID_LEN + 1];
	char hk[32];
	int member, master, of; /* of: world index of its master, -1 */
	int reachable;
	int keys;               /* a non-member holding keys */
	int link_down;          /* a replica whose replication link is down */
	struct server_kind server; /* what it runs; all zero: unknown */
};

struct world {
	struct wnode n[MAXW];
	int nn;
	int owner[CLUSTER_SLOTS]; /* world index */
	unsigned idseed;
};

struct input {
	struct topo t;
	struct want_node *want;
	int nwant;
	int map[MAXW]; /* world -> topo index, -1 */
};

/* What the generated cases exercised, and how fragmented the results are. */
struct pw_stats {
	int plans, steps[STEP_FORGET + 1], resets, max_ranges, moved, slots_ranges;
};
extern struct pw_stats pw_stats;

extern unsigned pw_rnd_state;  /* pw_rnd's state: a seed */
extern char pw_why[512];       /* the first violation found, for generated cases */
extern struct world pw_world;  /* big: kept out of the stack */

unsigned pw_rnd(void);
int pw_master(struct world *w, const char *hk);
int pw_replica(struct world *w, int m, const char *hk);
int pw_new(struct world *w, const char *hk);
void pw_assign(struct world *w, int first, int last, int node);
/* Contiguous even split over masters[0..n-1], the first ones one bigger. */
void pw_even(struct world *w, const int *masters, int n);
int pw_find_port(const struct world *w, int port);
void pw_input_release(struct input *in);
/* The topo of the world's members (in world order) and the want list of the
 * listed world nodes. */
void pw_input_build(struct input *in, const struct world *w, const int *list, int nlist);
int pw_build(struct plan *p, struct input *in, int S, int R, int evac, struct sc_err *e);
int pw_of_node(const struct world *w, const struct plan *p, int node);
int pw_count(const struct world *w, int node);
int pw_ranges(const struct world *w, int node);
/* Both outputs; returns whether the JSON one parses. */
int pw_print_both(const struct plan *p);
/* Plan, check every invariant, carry out, check the end state, plan again
 * (must be empty).  Returns 0, or -1 with `pw_why` set.  The world ends in the
 * planned state. */
/* pw_build plans with plan_input.named_cluster set to this (default 0). */
extern int pw_named_cluster;
int pw_run_case(struct world *w, const int *list, int nlist, int S, int R, int evac, struct plan *out);
/* The world's members, in world order, into list; returns how many. */
int pw_list_members(const struct world *w, int *list);
/* S masters with R replicas each, created the way create.h lays them out:
 * masters first, then replicas, alternating between two hosts. */
void pw_cluster(struct world *w, int S, int R, int *masters);
int pw_count_kind(const struct plan *p, enum step_kind k);

/* RUN_OK(...): pw_run_case, which must pass (a unit.h check). */
#define RUN_OK(w, list, n, S, R, evac, out)                                       \
	do {                                                                      \
		int rc_ = pw_run_case((w), (list), (n), (S), (R), (evac), (out));    \
		if (rc_)                                                          \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, pw_why);  \
		CHECK_INT(rc_, 0);                                                \
	} while (0)

#endif
