/* fix.c - see fix.h.  The pure half: which slots need repair and what to do
 * with each.  No I/O. */
#include "core/fix_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *fix_kind_name(enum fix_kind k)
{
	static const char *names[] = { "move", "close", "assign", "stop" };
	return names[k];
}

static int is_master(const struct topo *t, int i)
{
	return i >= 0 && (t->m[i].n.flags & NF_MASTER) && !(t->m[i].n.flags & NF_FAIL);
}

int fix_slots_needed(const struct topo *t, int **slots, struct sc_err *e)
{
	char *want = calloc(CLUSTER_SLOTS, 1);
	int n = 0;

	*slots = NULL;
	if (!want)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (t->owner[s] < 0)
			want[s] = 1;
	/* masters' marks only: a replica's (Valkey >= 8 replicates SETSLOT)
	 * mirrors its primary's, and one left behind alone is cleared through
	 * the primary (cluster/marks.h, engine/fix.c) */
	for (int i = 0; i < t->n; i++)
		if (t->m[i].reachable && (t->m[i].n.flags & NF_MASTER))
			for (int o = 0; o < t->m[i].n.nopen; o++)
				if (t->m[i].n.open[o].slot >= 0 && t->m[i].n.open[o].slot < CLUSTER_SLOTS)
					want[t->m[i].n.open[o].slot] = 1;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		n += want[s];
	if (n > 0) {
		*slots = malloc((size_t)n * sizeof(**slots));
		if (!*slots) {
			free(want);
			return err_set(e, ERR_FAIL, "out of memory");
		}
		n = 0;
		for (int s = 0; s < CLUSTER_SLOTS; s++)
			if (want[s])
				(*slots)[n++] = s;
	}
	free(want);
	return n;
}

static long long keys_of(const struct topo *t, const struct fix_keys *k, int idx, int m)
{
	if (m < 0 || !k->keys)
		return -1;
	return k->keys[(size_t)idx * (size_t)t->n + (size_t)m];
}

static void set(struct fix_action *a, enum fix_kind kind, int slot, int src, int dst)
{
	a->kind = kind;
	a->slot = slot;
	a->src = src;
	a->dst = dst;
	a->nokeys = 0;
	a->keys_src = a->keys_dst = 0;
	a->why[0] = '\0';
}

/* An open slot: find the one move its states describe, or explain why not. */
static void plan_open(const struct topo *t, const struct fix_keys *k, int idx, struct fix_action *a)
{
	int s = k->slots[idx], own = t->owner[s], src = -2, dst = -2, mig = 0, imp = 0;
	char b1[300], b2[300], b3[300];
	long long ks, kd;

	set(a, FIX_STOP, s, -1, -1);
	for (int i = 0; i < t->n; i++) {
		if (!t->m[i].reachable || !(t->m[i].n.flags & NF_MASTER))
			continue; /* a replica's marks mirror its primary's */
		for (int o = 0; o < t->m[i].n.nopen; o++) {
			const struct open_slot *op = &t->m[i].n.open[o];
			int peer, os, od;
			if (op->slot != s)
				continue;
			peer = topo_find_id(t, op->peer);
			os = op->kind == OPEN_MIGRATING ? i : peer;
			od = op->kind == OPEN_MIGRATING ? peer : i;
			if ((src != -2 && src != os) || (dst != -2 && dst != od)) {
				snprintf(a->why, sizeof(a->why),
					 "slot %d is open towards more than one node (%s is %s %s); "
					 "decide which move to finish, set it by hand with CLUSTER SETSLOT, "
					 "then run 'shardctl fix' again",
					 s, topo_label(t, i, b1, sizeof(b1)),
					 op->kind == OPEN_MIGRATING ? "migrating to" : "importing from",
					 topo_label(t, peer, b2, sizeof(b2)));
				return;
			}
			src = os;
			dst = od;
			if (op->kind == OPEN_MIGRATING)
				mig = 1;
			else
				imp = 1;
		}
	}
	a->src = src;
	a->dst = dst;
	if (src == dst) {
		snprintf(a->why, sizeof(a->why), "slot %d is open from %s to itself; close it by hand "
			 "(CLUSTER SETSLOT %d STABLE) after checking its keys", s, topo_label(t, src, b1, sizeof(b1)), s);
		return;
	}
	if (dst < 0) {
		/* migrating to a node no member knows: nothing can go there */
		set(a, FIX_CLOSE, s, src, -1);
		snprintf(a->why, sizeof(a->why), "slot %d: %s was migrating it to a node no member knows; "
			 "closed, its keys stay on %s", s, topo_label(t, src, b1, sizeof(b1)), b1);
		return;
	}
	if (!t->m[dst].reachable || (src >= 0 && !t->m[src].reachable)) {
		int down = !t->m[dst].reachable ? dst : src;
		snprintf(a->why, sizeof(a->why), "slot %d is being moved from %s to %s but %s cannot be reached "
			 "(it may hold keys of the slot); bring it back (or fail over to its replica), then run "
			 "'shardctl fix' again", s, topo_label(t, src, b1, sizeof(b1)), topo_label(t, dst, b2, sizeof(b2)),
			 topo_label(t, down, b3, sizeof(b3)));
		return;
	}
	kd = keys_of(t, k, idx, dst);
	if (src < 0) {
		if (kd == 0) {
			set(a, FIX_CLOSE, s, -1, dst);
			snprintf(a->why, sizeof(a->why), "slot %d: %s was importing it from a node no member "
				 "knows and holds none of its keys; closed", s, topo_label(t, dst, b1, sizeof(b1)));
		} else {
			snprintf(a->why, sizeof(a->why), "slot %d: %s is importing it from a node no member knows "
				 "and holds %lld of its keys; decide whether those keys belong to the slot's owner %s, "
				 "move them there (or delete them), then run 'shardctl fix' again",
				 s, topo_label(t, dst, b1, sizeof(b1)), kd, topo_label(t, own, b2, sizeof(b2)));
		}
		return;
	}
	if (!is_master(t, dst) && is_master(t, src) && t->m[dst].master == src) {
		/* Redis turns a master emptied of its last slot into a replica
		 * of the slot's new owner: a run killed while moving slots back
		 * can leave the source migrating towards its own replica.  A
		 * replica holds only its master's data: nothing to move. */
		set(a, FIX_CLOSE, s, src, dst);
		snprintf(a->why, sizeof(a->why), "slot %d: its target %s has become a replica of the source %s, "
			 "so the move cannot go on; closed, its keys stay on %s", s, topo_label(t, dst, b1, sizeof(b1)),
			 topo_label(t, src, b2, sizeof(b2)), b2);
		return;
	}
	if (!is_master(t, dst) || !is_master(t, src)) {
		int r = !is_master(t, dst) ? dst : src;
		snprintf(a->why, sizeof(a->why), "slot %d is being moved from %s to %s but %s is not a master "
			 "any more; close the slot by hand (CLUSTER SETSLOT %d STABLE on each node) once you know "
			 "where its keys must live", s, topo_label(t, src, b1, sizeof(b1)), topo_label(t, dst, b2, sizeof(b2)),
			 topo_label(t, r, b3, sizeof(b3)), s);
		return;
	}
	if (own < 0 || (own != src && own != dst)) {
		snprintf(a->why, sizeof(a->why), "slot %d is being moved from %s to %s but %s%s; decide its "
			 "owner, set it by hand with CLUSTER SETSLOT, then run 'shardctl fix' again",
			 s, topo_label(t, src, b1, sizeof(b1)), topo_label(t, dst, b2, sizeof(b2)),
			 own < 0 ? "no node owns it" : topo_label(t, own, b3, sizeof(b3)), own < 0 ? "" : " owns it");
		return;
	}
	for (int m = 0; m < t->n; m++) {
		long long km;
		if (m == src || m == dst || !is_master(t, m))
			continue;
		km = keys_of(t, k, idx, m);
		if (km != 0) {
			if (km < 0)
				snprintf(a->why, sizeof(a->why), "slot %d is being moved from %s to %s but %s cannot be "
					 "asked whether it holds keys of it; bring it back, then run 'shardctl fix' again",
					 s, topo_label(t, src, b1, sizeof(b1)), topo_label(t, dst, b2, sizeof(b2)), topo_label(t, m, b3, sizeof(b3)));
			else
				snprintf(a->why, sizeof(a->why), "slot %d is being moved from %s to %s but %s also holds "
					 "%lld keys of it; decide which copy is right, delete the others, then run "
					 "'shardctl fix' again", s, topo_label(t, src, b1, sizeof(b1)), topo_label(t, dst, b2, sizeof(b2)),
					 topo_label(t, m, b3, sizeof(b3)), km);
			return;
		}
	}
	ks = keys_of(t, k, idx, src);
	if (ks < 0 || kd < 0) {
		snprintf(a->why, sizeof(a->why), "slot %d: the keys of %s could not be counted", s,
			 topo_label(t, ks < 0 ? src : dst, b1, sizeof(b1)));
		return;
	}
	if (!(mig && imp) && kd == 0 && dst != own) {
		set(a, FIX_CLOSE, s, src, dst);
		snprintf(a->why, sizeof(a->why), "slot %d: only %s was set and %s holds none of its keys: "
			 "nothing was moved; closed, it stays with %s", s,
			 mig ? "MIGRATING on the source" : "IMPORTING on the target", topo_label(t, dst, b1, sizeof(b1)),
			 topo_label(t, own, b2, sizeof(b2)));
		return;
	}
	set(a, FIX_MOVE, s, src, dst);
	a->keys_src = ks;
	a->keys_dst = kd;
	snprintf(a->why, sizeof(a->why), "slot %d: finishing its move from %s to %s (%lld keys left on the "
		 "source, %lld already on the target)", s, topo_label(t, src, b1, sizeof(b1)),
		 topo_label(t, dst, b2, sizeof(b2)), ks, kd);
}

/* An uncovered slot: the one master holding its keys, else the emptiest. */
static void plan_uncovered(const struct topo *t, const struct fix_keys *k, int idx, const int *load,
			   const struct fix_action *prev, struct fix_action *a)
{
	int s = k->slots[idx], holder = -1, nholders = 0, best = -1;
	char b1[300], b2[300];
	size_t off = 0;

	set(a, FIX_STOP, s, -1, -1);
	for (int m = 0; m < t->n; m++) {
		long long km;
		if (!(t->m[m].n.flags & NF_MASTER))
			continue;
		km = t->m[m].reachable ? keys_of(t, k, idx, m) : -1;
		if (km < 0) {
			snprintf(a->why, sizeof(a->why), "slot %d is owned by no node and master %s cannot be asked "
				 "whether it holds its keys; bring it back, then run 'shardctl fix' again",
				 s, topo_label(t, m, b1, sizeof(b1)));
			return;
		}
		if (km > 0) {
			holder = m;
			nholders++;
		}
	}
	if (nholders == 1) {
		set(a, FIX_ASSIGN, s, -1, holder);
		snprintf(a->why, sizeof(a->why), "owned by no node, its keys are on %s only",
			 topo_label(t, holder, b1, sizeof(b1)));
		return;
	}
	if (nholders > 1) {
		int first = 1;
		off = (size_t)snprintf(a->why, sizeof(a->why), "slot %d is owned by no node and its keys are on "
				       "several masters (", s);
		for (int m = 0; m < t->n; m++) {
			long long km = (t->m[m].n.flags & NF_MASTER) ? keys_of(t, k, idx, m) : 0;
			if (km <= 0 || off >= sizeof(a->why))
				continue;
			off += (size_t)snprintf(a->why + off, sizeof(a->why) - off, "%s%s: %lld key%s",
						first ? "" : ", ", topo_label(t, m, b2, sizeof(b2)), km, km == 1 ? "" : "s");
			first = 0;
		}
		if (off < sizeof(a->why))
			snprintf(a->why + off, sizeof(a->why) - off,
				 "); decide which master keeps it, give it the slot (CLUSTER ADDSLOTS %d there), "
				 "then on each other master move or delete those keys (CLUSTER SETSLOT %d IMPORTING "
				 "<keeper id>, ASKING + MIGRATE or DEL, CLUSTER SETSLOT %d STABLE)", s, s, s);
		return;
	}
	/* keys nowhere: a run of such slots goes to one master */
	if (prev && prev->kind == FIX_ASSIGN && prev->slot == s - 1 && prev->nokeys) {
		set(a, FIX_ASSIGN, s, -1, prev->dst);
	} else {
		for (int m = 0; m < t->n; m++)
			if (is_master(t, m) && t->m[m].reachable && (best < 0 || load[m] < load[best]))
				best = m;
		if (best < 0) {
			snprintf(a->why, sizeof(a->why), "slot %d is owned by no node and there is no reachable "
				 "master to give it to", s);
			return;
		}
		set(a, FIX_ASSIGN, s, -1, best);
	}
	a->nokeys = 1;
	snprintf(a->why, sizeof(a->why), "owned by no node, no keys anywhere: given to %s, the master with "
		 "fewest slots", topo_label(t, a->dst, b1, sizeof(b1)));
}

int fix_plan_build(struct fix_plan *p, const struct topo *t, const struct fix_keys *k, struct sc_err *e)
{
	int *load = NULL;

	memset(p, 0, sizeof(*p));
	if (k->nslots == 0)
		return 0;
	p->v = calloc((size_t)k->nslots, sizeof(*p->v));
	load = calloc((size_t)t->n + 1, sizeof(*load));
	if (!p->v || !load) {
		free(load);
		fix_plan_release(p);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	for (int i = 0; i < t->n; i++)
		load[i] = t->m[i].nslots;
	for (int idx = 0; idx < k->nslots; idx++) {
		struct fix_action *a = &p->v[p->n];
		int s = k->slots[idx], open = 0;
		for (int i = 0; i < t->n && !open; i++)
			if (t->m[i].reachable)
				for (int o = 0; o < t->m[i].n.nopen; o++)
					open |= t->m[i].n.open[o].slot == s;
		if (open)
			plan_open(t, k, idx, a);
		else if (t->owner[s] < 0)
			plan_uncovered(t, k, idx, load, p->n ? &p->v[p->n - 1] : NULL, a);
		else
			continue;
		if (a->kind == FIX_ASSIGN)
			load[a->dst]++;
		if (a->kind == FIX_STOP)
			p->nstops++;
		p->n++;
	}
	free(load);
	return 0;
}

static int slot_open(const struct topo *t, int s)
{
	for (int i = 0; i < t->n; i++)
		if (t->m[i].reachable)
			for (int o = 0; o < t->m[i].n.nopen; o++)
				if (t->m[i].n.open[o].slot == s)
					return 1;
	return 0;
}

int fix_plan_strays(struct fix_plan *p, const struct topo *t, const struct fix_stray *s, int n,
		    struct sc_err *e)
{
	char b1[300], b2[300];

	for (int k = 0; k < n; k++) {
		int slot = s[k].slot, own, m = s[k].member;
		struct fix_action *a, *tmp;
		if (slot < 0 || slot >= CLUSTER_SLOTS || m < 0 || m >= t->n || s[k].keys <= 0)
			continue;
		own = t->owner[slot];
		if (own < 0 || own == m || slot_open(t, slot))
			continue;
		tmp = realloc(p->v, (size_t)(p->n + 1) * sizeof(*tmp));
		if (!tmp)
			return err_set(e, ERR_FAIL, "out of memory");
		p->v = tmp;
		a = &p->v[p->n++];
		set(a, FIX_STOP, slot, m, own);
		snprintf(a->why, sizeof(a->why),
			 "slot %d: %s holds %lld key%s of it but does not own it (%s does) and the slot is not "
			 "being moved, so clients cannot reach them. Compare them with the owner's copies, then "
			 "move them there (CLUSTER SETSLOT %d IMPORTING <owner id> on %s, then ASKING + MIGRATE "
			 "without REPLACE) or delete them (ASKING + DEL), then CLUSTER SETSLOT %d STABLE",
			 slot, topo_label(t, m, b1, sizeof(b1)), s[k].keys, s[k].keys == 1 ? "" : "s",
			 topo_label(t, own, b2, sizeof(b2)), slot, b1, slot);
		p->nstops++;
	}
	return 0;
}

int fix_unseen_slots(const struct topo *t, const struct view *v, int *out)
{
	char *seen = calloc(CLUSTER_SLOTS, 1);
	int n = 0;

	if (!seen)
		return 0;
	for (int i = 0; i < v->n; i++) {
		const struct node_entry *x = &v->e[i];
		if (x->flags & NF_HANDSHAKE)
			continue;
		for (int r = 0; r < x->nranges; r++)
			for (int s = x->ranges[r].first; s <= x->ranges[r].last && s < CLUSTER_SLOTS; s++) {
				/* given to a failed node that is not the owner: the
				 * owner's replica took over while this node imported
				 * the slot, so it never learned the new owner */
				if (s >= 0 && (!(x->flags & NF_FAIL) || t->owner[s] < 0 ||
					       strcmp(t->m[t->owner[s]].n.id, x->id) == 0))
					seen[s] = 1;
			}
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (!seen[s] && t->owner[s] >= 0 && t->m[t->owner[s]].reachable)
			out[n++] = s;
	free(seen);
	return n;
}

void fix_plan_release(struct fix_plan *p)
{
	if (!p)
		return;
	free(p->v);
	p->v = NULL;
	p->n = p->nstops = 0;
}
