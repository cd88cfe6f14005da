/* plan_resume.c - the first plan after a killed run: finish the moves it
 * left open (plan_ctx.h, plan_resume; planner.h, RESUMING).
 *
 * The pair of an open slot is its owner and the node the owner migrates it
 * to, or the node importing it from the owner.  Re-running the same move is
 * safe (IMPORTING/MIGRATING for the same pair are idempotent, MIGRATE never
 * overwrites).  A source still MIGRATING a slot its target already owns
 * (killed between SETSLOT NODE on the target and on the source) only needs
 * closing, provided it holds no key of the slot.  A node of the pair that
 * died and whose replica took over is replaced by that replica:
 * - the target died and its replica took over (the old target, back, is
 *   that replica's replica): the promoted replica holds what the target
 *   received and had replicated, so the move goes on to it;
 * - the source died and its replica took over: the slot's owner is now
 *   that replica, holding what the source had not moved yet, so the move
 *   goes on from it.
 * Neither can overwrite a key: MIGRATE without REPLACE stops the slot on a
 * key present on both sides (BUSYKEY).  A node of the pair that is down
 * with nobody in its place is named: nothing can be done for that slot
 * until it is back.  Anything else (two targets, an owner that is neither
 * side, keys left behind on a source whose target owns the slot) is left
 * to `shardctl fix`.
 */
#include <stdlib.h>
#include <string.h>

#include "core/plan_ctx.h"

/* The member with that id, or -1 (a linear scan: the planner's topos need
 * not be sorted by id). */
static int member_by_id(const struct topo *t, const char *id)
{
	for (int i = 0; id[0] && i < t->n; i++)
		if (strcmp(t->m[i].n.id, id) == 0)
			return i;
	return -1;
}

static int live_master(const struct topo *t, int i)
{
	return i >= 0 && t->m[i].reachable && (t->m[i].n.flags & NF_MASTER) && !(t->m[i].n.flags & NF_FAIL);
}

/* The move the open state o of reachable member i belongs to (*src, *to).
 * 1: as recorded; 2: a node replaced by its successor; 0: not a move
 * reconcile finishes (fix); -1 (c->e): a node of it is down. */
static int open_pair(struct plan_ctx *c, int i, const struct open_slot *o, int *src, int *to)
{
	const struct topo *t = c->t;
	int peer = member_by_id(t, o->peer), own = t->owner[o->slot], rc = 1;
	char a[300], b[300];

	if (peer < 0)
		return 0;
	if (o->kind == OPEN_MIGRATING) {
		*src = i;
		*to = peer;
		if (!t->m[peer].reachable)
			return err_set(c->e, ERR_FAIL, "slot %d is left open: %s is migrating it to %s, which "
				       "cannot be reached; bring %s back (if its replica took over, it comes back "
				       "as that replica's replica), then run again", o->slot,
				       plan_member_name(c, i, a, sizeof(a)), plan_member_name(c, peer, b, sizeof(b)), b);
		if (!live_master(t, peer) && t->m[peer].master >= 0 && t->m[peer].master != i &&
		    live_master(t, t->m[peer].master)) {
			*to = t->m[peer].master;
			rc = 2;
		}
		return own == i || own == *to ? rc : 0;
	}
	*src = peer;
	*to = i;
	if (own >= 0 && own != peer && own != i && !t->m[own].reachable)
		return err_set(c->e, ERR_FAIL, "slot %d is left open: %s is importing it, and its owner %s "
			       "cannot be reached; bring %s back or let its replica take over, then run again",
			       o->slot, plan_member_name(c, i, a, sizeof(a)), plan_member_name(c, own, b, sizeof(b)), b);
	if (own == peer && !t->m[peer].reachable)
		return err_set(c->e, ERR_FAIL, "slot %d is left open: %s is importing it from %s, which "
			       "cannot be reached; bring %s back or let its replica take over, then run again",
			       o->slot, plan_member_name(c, i, a, sizeof(a)), plan_member_name(c, peer, b, sizeof(b)), b);
	if (own != peer && own != i && live_master(t, own) && !live_master(t, peer)) {
		*src = own;
		rc = 2;
	}
	return own == *src ? rc : 0;
}

/* One FINISH step for the slots of pair (src, to): ranges merged. */
static int emit_pair(struct plan_ctx *c, int src, int to, const int *srcof, const int *dst, const char *succ)
{
	struct step *s;
	int n = 0, nr = 0, cap = 0;
	struct slot_range *r = NULL, *tmp;

	for (int slot = 0; slot < CLUSTER_SLOTS; slot++) {
		if (dst[slot] != to || srcof[slot] != src)
			continue;
		n++;
		if (nr && r[nr - 1].last == slot - 1) {
			r[nr - 1].last = slot;
			continue;
		}
		if (nr == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(tmp = realloc(r, sizeof(*r) * (size_t)cap))) {
				free(r);
				return plan_oom(c->e);
			}
			r = tmp;
		}
		r[nr].first = r[nr].last = slot;
		nr++;
	}
	if (plan_add_step(c, STEP_FINISH, plan_node_of(c, src), plan_node_of(c, to)) < 0) {
		free(r);
		return plan_oom(c->e);
	}
	s = &c->p->steps[c->p->nsteps - 1];
	s->ranges = r;
	s->nranges = nr;
	s->nslots = n;
	s->successor = succ[r[0].first];
	c->p->finish_slots += n;
	return 0;
}

int plan_resume(struct plan_ctx *c)
{
	const struct topo *t = c->t;
	int *dst = malloc(sizeof(int) * CLUSTER_SLOTS), *srcof = malloc(sizeof(int) * CLUSTER_SLOTS);
	char *succ = calloc(CLUSTER_SLOTS, 1);
	int rc = -1, open = 0;

	if (!dst || !srcof || !succ) {
		plan_oom(c->e);
		goto out;
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		dst[s] = srcof[s] = -1;
	for (int i = 0; i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		/* a replica's marks mirror its primary's (Valkey >= 8
		 * replicates SETSLOT): the primary's are the move's; stale
		 * ones are cleared before planning (cluster/marks.h) */
		if (!t->m[i].reachable || (n->flags & NF_REPLICA))
			continue;
		for (int k = 0; k < n->nopen; k++) {
			const struct open_slot *o = &n->open[k];
			int src = -1, to = -1, how = open_pair(c, i, o, &src, &to);
			long long left = c->in->closing_keys ? c->in->closing_keys[o->slot] : 0;
			if (how < 0)
				goto out;
			if (how == 0 || (dst[o->slot] >= 0 && (dst[o->slot] != to || srcof[o->slot] != src)) ||
			    (t->owner[o->slot] == to && left != 0)) {
				err_set(c->e, ERR_FAIL, "slot %d is left open in a way reconcile cannot finish safely; "
					"run 'shardctl fix' first", o->slot);
				goto out;
			}
			open += dst[o->slot] < 0;
			succ[o->slot] |= how == 2;
			dst[o->slot] = to;
			srcof[o->slot] = src;
		}
	}
	if (!open) {
		rc = 0;
		goto out;
	}
	/* one step per (source, target) pair, in member order: same input,
	 * same plan */
	for (int a = 0; a < t->n; a++)
		for (int b = 0; b < t->n; b++) {
			int any = 0;
			for (int s = 0; s < CLUSTER_SLOTS && !any; s++)
				any = dst[s] == b && srcof[s] == a;
			if (any && emit_pair(c, a, b, srcof, dst, succ) < 0)
				goto out;
		}
	c->p->then_replan = 1;
	rc = 1;
out:
	free(dst);
	free(srcof);
	free(succ);
	return rc;
}
