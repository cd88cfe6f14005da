/* fix_plan.h - decide how to repair what an interrupted migration left: open
 * slots (MIGRATING / IMPORTING) and uncovered slots (owned by nobody).
 *
 * The rule: keys move only when there is one unambiguous owner-to-be, and
 * two copies of data are never chosen between by guessing (never "the node
 * with most keys", never MIGRATE ... REPLACE).  Where the decision needs a
 * person, the slot is left as it is and the action says exactly what was
 * found and what to decide; the other slots are still repaired.
 *
 * Open slot (per slot s; the target T is the node every open state points
 * to, the source S the node it points away from):
 * - both halves set (S migrating to T, T importing from S): finish the move,
 *   whatever is left on S goes to T, then SETSLOT NODE T (target, source,
 *   other masters - migrate.h);
 * - one half set and T holds no key of s: nothing was moved, the open state
 *   is closed (SETSLOT STABLE) and s stays with its owner;
 * - one half set and T already holds keys of s: the move is finished;
 * - states pointing to several nodes, keys on a node outside the move, an
 *   unreachable node involved, no owner at all: stop, explained.
 * Uncovered slot: keys on exactly one master -> assigned to it; keys nowhere
 * -> to the master with fewest slots (a run of such slots goes to one
 * master, said so); keys on two or more masters -> stop, explained.
 *
 * Pure: fix_plan_build is unit-tested on built topos; engine/fix.h does the
 * I/O.
 */
#ifndef SHARDCTL_CORE_FIX_PLAN_H
#define SHARDCTL_CORE_FIX_PLAN_H

#include <stdio.h>

#include "base/addr.h"
#include "base/err.h"
#include "core/topo.h"

enum fix_kind {
	FIX_MOVE,   /* finish moving slot from src to dst */
	FIX_CLOSE,  /* SETSLOT STABLE wherever the slot is open */
	FIX_ASSIGN, /* ADDSLOTS on dst */
	FIX_STOP,   /* needs a decision: `why` says what and which */
};

struct fix_action {
	enum fix_kind kind;
	int slot;
	int src, dst;   /* member indices in the topo, -1 when not used */
	int nokeys;     /* ASSIGN: no master holds keys of it (fewest-slots choice) */
	long long keys_src, keys_dst; /* MOVE: keys of the slot on each side */
	char why[640];  /* the reason, or for a stop: what was found, what to decide */
};

struct fix_plan {
	struct fix_action *v;
	int n;
	int nstops;
};

/* The slots fix looks at: open on some reachable member, or uncovered.
 * Returns the count (>= 0) and a malloc'ed array in *slots (NULL if none),
 * or -1 (e). */
int fix_slots_needed(const struct topo *t, int **slots, struct sc_err *e);

/* What fix knows about keys: keys[k * t->n + m] is the number of keys of
 * slots[k] on member m, -1 when unknown (member unreachable or not asked). */
struct fix_keys {
	const int *slots;
	int nslots;
	const long long *keys;
};

/* Decide one action per needed slot (in slot order). */
int fix_plan_build(struct fix_plan *p, const struct topo *t, const struct fix_keys *k, struct sc_err *e);
void fix_plan_release(struct fix_plan *p);

/* Keys a master holds in a slot it neither owns nor has open: clients
 * cannot reach them (MOVED sends them to the owner).  Never created by
 * shardctl; found after hand repairs or resets gone wrong. */
struct fix_stray {
	int slot, member;
	long long keys;
};

/* Append a STOP (what was found, what to decide) for each stray whose slot
 * is owned and not open anywhere; others are the plan's business. */
int fix_plan_strays(struct fix_plan *p, const struct topo *t, const struct fix_stray *s, int n,
		    struct sc_err *e);

/* Slots one node's view leaves unassigned while their owner claims them in
 * its own view.  Gossip normally fills such holes at once, but not for a
 * slot the node imports (Redis ignores gossip about those: a node told to
 * import right after it joined never learns the owner, refuses every
 * RESTORE with "Hash slot not served" and stays in cluster_state:fail), nor
 * when its record of the owner already lists the slot (after the slot's
 * previous owner turned replica and its slots were cleared).  Also counted:
 * a slot the view gives to a node it flags failed, while the owner claiming
 * it is another node (the failed owner's replica took over while this node
 * imported the slot: until told, it reports cluster_state:fail and refuses
 * clients for every slot it serves).  Telling such
 * a node the owner (SETSLOT NODE owner) keeps any importing state.  Returns
 * how many slots were written to out (CLUSTER_SLOTS entries). */
int fix_unseen_slots(const struct topo *t, const struct view *v, int *out);

/* Human text of one action (or a run of them) for dry runs and logs. */
const char *fix_kind_name(enum fix_kind k);

#endif
