/* planner.c - the reconcile planner; the contract is in planner.h.
 *
 * Shape: the topo members and the new listed nodes become "units"; the S
 * masters are chosen among them (choose_masters), slots are mapped to their
 * owner after the failovers (own[]), quotas computed, surplus matched with
 * deficits range by range (plan_slots), replicas assigned (plan_replicas),
 * and the steps emitted in the documented order (emit).  Slots are in
 * plan_slots.c, replicas in plan_replicas.c, the shared pieces in
 * plan_ctx.c, the value itself (release, printing) in plan.c.
 */
#include "core/planner.h"

#include <stdlib.h>
#include <string.h>

#include "core/plan_ctx.h"

/* ---- plan nodes and steps: plan_ctx.c ---------------------------------- */

/* The node a reset replica becomes: same address, id unknown until met. */
static int node2_of(struct plan_ctx *c, int i)
{
	struct unit *u = &c->u[i];

	if (u->node2 < 0)
		u->node2 = plan_add_node(c, "", &c->in->want[u->want].addr);
	return u->node2;
}

/* ---- units and validation ---------------------------------------------- */


static int hostkey_number(const struct plan_input *in, int w, int upto)
{
	/* Number hostkeys by first appearance in the list; O(n^2) over the
	 * list is fine for the few thousand nodes a cluster can hold. */
	for (int j = 0; j < upto; j++)
		if (strcmp(in->want[j].hostkey, in->want[w].hostkey) == 0)
			return j;
	return w;
}

static int build_units(struct plan_ctx *c)
{
	const struct topo *t = c->t;
	const struct plan_input *in = c->in;
	char a[300], b[300];
	int nnew = 0;

	for (int w = 0; w < in->nwant; w++)
		if (in->want[w].member < 0 && !in->evacuate_only)
			nnew++;
	c->u = calloc((size_t)(t->n + nnew + 1), sizeof(*c->u));
	c->chosen = calloc((size_t)in->shards + 1, sizeof(int));
	c->dr = calloc((size_t)(t->n + nnew + 1), sizeof(*c->dr));
	if (!c->u || !c->chosen || !c->dr)
		return plan_oom(c->e);
	for (int i = 0; i < t->n; i++) {
		struct unit *u = &c->u[i];
		u->member = i;
		u->want = -1;
		u->id = t->m[i].n.id;
		u->hk = -1;
		u->reachable = t->m[i].reachable;
	}
	c->nu = t->n;
	for (int w = 0; w < in->nwant; w++) {
		const struct want_node *wn = &in->want[w];
		struct unit *u;
		if (wn->member >= t->n)
			return err_set(c->e, ERR_FAIL, "listed node '%s' names member %d of %d",
				       addr_format(&wn->addr, a, sizeof(a)), wn->member, t->n);
		if (wn->member >= 0) {
			u = &c->u[wn->member];
			if (u->listed)
				return err_set(c->e, ERR_REFUSED,
					       "'%s' and '%s' are the same node; list each node once",
					       addr_format(&in->want[u->want].addr, a, sizeof(a)),
					       addr_format(&wn->addr, b, sizeof(b)));
		} else {
			if (wn->reachable && !wn->empty)
				return err_set(c->e, ERR_REFUSED,
					       "listed node '%s' is not empty (it holds keys or knows other "
					       "nodes) and is not a member of this cluster; empty it "
					       "(FLUSHALL, CLUSTER RESET HARD) or remove it from --nodes",
					       addr_format(&wn->addr, a, sizeof(a)));
			if (in->evacuate_only)
				continue;
			if (!wn->reachable) {
				/* refused by validate_topo: a plan that only
				 * finishes open slots does not need it */
				if (c->unreached < 0)
					c->unreached = w;
				continue;
			}
			u = &c->u[c->nu++];
			u->member = -1;
			u->id = wn->id;
			u->reachable = 1;
		}
		u->want = w;
		u->listed = 1;
		u->hk = hostkey_number(in, w, w);
		if (c->nhk <= u->hk)
			c->nhk = u->hk + 1;
	}
	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		u->cur_master = u->promotes = u->promoted_by = u->fin_master = -1;
		u->node = u->node2 = -1;
		u->tier = TIER_NONE;
	}
	return 0;
}

static int validate_topo(struct plan_ctx *c)
{
	const struct topo *t = c->t;
	char a[300];
	int listed = 0;

	if (c->unreached >= 0)
		return err_set(c->e, ERR_REFUSED, "cannot reach listed node '%s'; start it or remove it from --nodes",
			       addr_format(&c->in->want[c->unreached].addr, a, sizeof(a)));
	for (int i = 0; i < t->n; i++)
		listed += c->u[i].listed;
	if (c->in->nwant == 0)
		return err_set(c->e, ERR_REFUSED, "the node list is empty; list the cluster's nodes in --nodes");
	if (!listed && !c->in->named_cluster)
		return err_set(c->e, ERR_REFUSED,
			       "none of the %d listed nodes is a member of the live cluster (which "
			       "includes %s); list the cluster's own nodes in --nodes",
			       c->in->nwant, plan_member_name(c, 0, a, sizeof(a)));
	if (t->nconflicts > 0)
		return err_set(c->e, ERR_REFUSED,
			       "%d slots are claimed by two masters; run `shardctl fix` first",
			       t->nconflicts);
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		if (t->owner[s] < 0 || t->owner[s] >= t->n) {
			int last = s;
			while (last + 1 < CLUSTER_SLOTS &&
			       (t->owner[last + 1] < 0 || t->owner[last + 1] >= t->n))
				last++;
			return err_set(c->e, ERR_REFUSED,
				       "slots %d-%d are not covered by any master; run `shardctl fix` first",
				       s, last);
		}
		c->u[t->owner[s]].held++;
	}
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		if (!m->reachable && c->u[i].held > 0 && c->u[i].listed)
			return err_set(c->e, ERR_REFUSED,
				       "master %s owns %d slots but is unreachable; bring it back or "
				       "let a replica take over, then run again",
				       plan_member_name(c, i, a, sizeof(a)), c->u[i].held);
		if (!m->reachable && c->u[i].held > 0)
			return err_set(c->e, ERR_REFUSED,
				       "departing master %s owns %d slots but is unreachable, so they "
				       "cannot move; start it again (nodes are evacuated with "
				       "--evacuate-only before they are removed) or let a replica take "
				       "over, then run again",
				       plan_member_name(c, i, a, sizeof(a)), c->u[i].held);
	}
	for (int i = 0; i < t->n && !c->in->evacuate_only; i++)
		if (c->u[i].listed && !c->u[i].reachable)
			return err_set(c->e, ERR_REFUSED,
				       "cannot reach listed node %s; start it or remove it from --nodes",
				       plan_member_name(c, i, a, sizeof(a)));
	return 0;
}

/* Roles now: masters, and replicas with their master. */
static void read_roles(struct plan_ctx *c)
{
	const struct topo *t = c->t;

	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		struct unit *u = &c->u[i];
		u->is_master = (m->n.flags & NF_MASTER) || u->held > 0;
		if (!u->is_master && m->master >= 0 && m->master < t->n && m->master != i)
			u->cur_master = m->master;
	}
	for (int i = 0; i < t->n; i++) {
		if (!c->u[i].listed || c->u[i].is_master || c->u[i].cur_master < 0)
			continue;
		for (int j = 0; j < t->n; j++)
			if (c->u[j].listed && !c->u[j].is_master && c->u[j].cur_master == c->u[i].cur_master)
				c->u[i].siblings++;
	}
}

/* ---- masters ------------------------------------------------------------ */

static void set_tiers(struct plan_ctx *c)
{
	int evac = c->in->evacuate_only;

	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (!u->listed || !u->reachable)
			continue;
		if (u->member < 0) {
			u->tier = TIER_NEW;
		} else if (u->is_master) {
			u->tier = TIER_MASTER;
		} else if (u->cur_master >= 0 && !c->u[u->cur_master].listed &&
			   c->u[u->cur_master].reachable && c->u[u->cur_master].held > 0 &&
			   c->t->m[i].repl_link_up != 0) {
			/* a replica whose link is down could not finish a
			 * manual failover: its master's slots migrate instead */
			u->tier = TIER_PROMOTE;
		} else if (!evac) {
			u->tier = TIER_CONVERT;
		}
	}
}

static int value_of(const struct plan_ctx *c, int i)
{
	const struct unit *u = &c->u[i];
	if (u->tier == TIER_PROMOTE)
		return c->u[u->cur_master].held;
	return u->tier == TIER_MASTER ? u->held : 0;
}

/* Is candidate a better than b (b may be -1)?  See plan.h, CHOOSING. */
static int better(const struct plan_ctx *c, const int *hkcount, int a, int b)
{
	const struct unit *x = &c->u[a], *y;
	int va, vb, ha, hb, cmp;

	if (b < 0)
		return 1;
	y = &c->u[b];
	va = value_of(c, a);
	vb = value_of(c, b);
	if (va != vb)
		return va > vb;
	if (x->tier != y->tier)
		return x->tier < y->tier;
	ha = x->hk >= 0 ? hkcount[x->hk] : 0;
	hb = y->hk >= 0 ? hkcount[y->hk] : 0;
	if (ha != hb)
		return ha < hb;
	if (x->tier == TIER_CONVERT && x->siblings != y->siblings)
		return x->siblings > y->siblings;
	cmp = strcmp(x->id, y->id);
	if (cmp)
		return cmp < 0;
	if (x->want != y->want)
		return x->want < y->want;
	return a < b;
}

static int choose_masters(struct plan_ctx *c)
{
	int S = c->in->shards, rc = -1;
	int *hkcount = calloc((size_t)c->nhk + 1, sizeof(int));

	if (!hkcount)
		return plan_oom(c->e);
	set_tiers(c);
	for (int k = 0; k < S; k++) {
		int best = -1;
		for (int i = 0; i < c->nu; i++) {
			const struct unit *u = &c->u[i];
			if (u->tier == TIER_NONE || u->chosen)
				continue;
			if (better(c, hkcount, i, best))
				best = i;
		}
		if (best < 0)
			break;
		c->u[best].chosen = 1;
		c->chosen[c->nchosen++] = best;
		if (c->u[best].hk >= 0)
			hkcount[c->u[best].hk]++;
		if (c->u[best].tier == TIER_CONVERT) {
			/* its master has one listed replica fewer now: the next
			 * conversion prefers another master's replica */
			for (int i = 0; i < c->nu; i++)
				if (c->u[i].tier == TIER_CONVERT && !c->u[i].chosen &&
				    c->u[i].cur_master == c->u[best].cur_master)
					c->u[i].siblings--;
		}
		if (c->u[best].tier == TIER_PROMOTE) {
			int d = c->u[best].cur_master;
			c->u[best].promotes = d;
			c->u[d].promoted_by = best;
			/* its siblings can no longer take over; they follow it */
			for (int i = 0; i < c->nu; i++)
				if (c->u[i].tier == TIER_PROMOTE && !c->u[i].chosen && c->u[i].cur_master == d)
					c->u[i].tier = c->in->evacuate_only ? TIER_NONE : TIER_CONVERT;
		}
	}
	if (c->nchosen < S && !c->in->evacuate_only) {
		err_set(c->e, ERR_REFUSED,
			"only %d of the listed nodes can become masters, %d shards need %d; add "
			"reachable nodes to --nodes or lower --shards", c->nchosen, S, S);
		goto out;
	}
	rc = 0;
out:
	free(hkcount);
	return rc;
}

/* After the failovers: the promoted replica owns its old master's slots, and
 * the old master's other replicas follow it. */
static void apply_failovers(struct plan_ctx *c)
{
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		int o = c->t->owner[s];
		c->own[s] = c->u[o].promoted_by >= 0 ? c->u[o].promoted_by : o;
		c->fin[s] = c->own[s];
	}
	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (u->promotes >= 0) {
			u->held = c->u[u->promotes].held;
			c->u[u->promotes].held = 0;
			u->cur_master = -1;
			u->is_master = 1;
		}
	}
	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (u->cur_master >= 0 && c->u[u->cur_master].promoted_by >= 0)
			u->cur_master = c->u[u->cur_master].promoted_by;
	}
}

static int set_quotas(struct plan_ctx *c)
{
	int S = c->in->shards, base = CLUSTER_SLOTS / S, extra = CLUSTER_SLOTS % S;
	struct plan_key *keys = malloc((size_t)c->nchosen * sizeof(*keys) + 1);

	if (!keys)
		return plan_oom(c->e);
	/* ceil quotas to those keeping the most: fewest slots move */
	for (int k = 0; k < c->nchosen; k++) {
		const struct unit *u = &c->u[c->chosen[k]];
		keys[k] = (struct plan_key){ -u->held, u->want, u->id, c->chosen[k] };
	}
	qsort(keys, (size_t)c->nchosen, sizeof(*keys), plan_key_cmp);
	for (int k = 0; k < c->nchosen; k++)
		c->u[keys[k].unit].quota = base + (k < extra);
	free(keys);
	return 0;
}

/* ---- steps -------------------------------------------------------------- */

/* The plan node that stands for unit i from the MEET steps on. */
static int live_node(struct plan_ctx *c, int i)
{
	if (c->u[i].chosen && c->u[i].tier == TIER_CONVERT)
		return node2_of(c, i);
	return plan_node_of(c, i);
}

static int emit_moves(struct plan_ctx *c)
{
	for (int k = 0; k < c->nmv; k++) {
		struct move *m = &c->mv[k];
		struct step *s;
		if (plan_add_step(c, STEP_MOVE, plan_node_of(c, m->from), live_node(c, m->to)) < 0)
			return plan_oom(c->e);
		s = &c->p->steps[c->p->nsteps - 1];
		if (s->peer < 0)
			return plan_oom(c->e);
		s->ranges = m->r.v;
		s->nranges = m->r.n;
		s->nslots = m->n;
		s->round = m->round;
		m->r.v = NULL;
		c->p->moved_slots += m->n;
	}
	return 0;
}

static int emit_replicates(struct plan_ctx *c, int *n)
{
	*n = 0;
	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (u->fin_master < 0 || (u->fin_master == u->cur_master && !u->is_master && u->member >= 0))
			continue;
		if (plan_add_step(c, STEP_REPLICATE, live_node(c, i), live_node(c, u->fin_master)) < 0)
			return plan_oom(c->e);
		(*n)++;
	}
	return 0;
}

static int failovers(struct plan_ctx *c)
{
	int n = 0;

	for (int k = 0; k < c->nchosen; k++) {
		struct unit *u = &c->u[c->chosen[k]];
		if (u->promotes < 0)
			continue;
		if (plan_add_step(c, STEP_FAILOVER, plan_node_of(c, c->chosen[k]), plan_node_of(c, u->promotes)) < 0)
			return plan_oom(c->e);
		n++;
	}
	if (n && plan_add_step(c, STEP_WAIT, -1, -1) < 0)
		return plan_oom(c->e);
	return 0;
}

static int meet_via(struct plan_ctx *c)
{
	for (int k = 0; k < c->nchosen; k++)
		if (c->u[c->chosen[k]].tier == TIER_MASTER)
			return c->chosen[k];
	for (int i = 0; i < c->t->n; i++)
		if (c->u[i].listed && c->u[i].reachable && c->u[i].tier != TIER_CONVERT)
			return i;
	for (int i = 0; i < c->t->n; i++)
		if (c->u[i].reachable && !c->u[i].listed)
			return i;
	return -1;
}

static int joined_here(const struct plan *p, int node)
{
	for (int i = 0; i < p->nsteps; i++)
		if (p->steps[i].kind == STEP_MEET && p->steps[i].node == node)
			return 1;
	return 0;
}

/* A REPLICATE whose replica and master both join in this plan comes right
 * after the joins, before the agreement wait that follows them and before
 * any MOVE: attaching a replica to an empty master costs nothing, while
 * attaching it after the moves costs a full sync of everything moved (and
 * a wait for it).  Before the wait, not after: the replica's sync (and the
 * master's diskless-sync delay, fastjoin.h) then overlaps the new master's
 * rejoin delay instead of following it; REPLICATE needs only that the
 * replica knows the master ("Unknown node" is retried), and the wait then
 * covers the replica's new role too.  Everything else keeps the order
 * emit() gave. */
static void attach_early(struct plan *p)
{
	int wait = -1, move = -1;

	for (int i = 0; i < p->nsteps; i++) {
		if (p->steps[i].kind == STEP_MEET)
			wait = -2;
		else if (p->steps[i].kind == STEP_WAIT && wait == -2)
			wait = i;
		else if (p->steps[i].kind == STEP_MOVE && move < 0)
			move = i;
	}
	if (wait < 0 || move < 0 || move < wait)
		return;
	for (int i = move + 1, at = wait; i < p->nsteps; i++) {
		struct step st = p->steps[i];
		if (st.kind != STEP_REPLICATE || !joined_here(p, st.node) || !joined_here(p, st.peer))
			continue;
		memmove(&p->steps[at + 1], &p->steps[at], sizeof(st) * (size_t)(i - at));
		p->steps[at++] = st;
	}
}

static int emit(struct plan_ctx *c)
{
	struct plan *p = c->p;
	int nmeet = 0, nrep = 0, nforget = 0, via = -1, rc = -1;
	struct plan_key *leave = NULL;

	if (!c->in->evacuate_only) {
		for (int k = 0; k < c->nchosen; k++)
			if (c->u[c->chosen[k]].tier == TIER_CONVERT &&
			    plan_add_step(c, STEP_FORGET, plan_node_of(c, c->chosen[k]), -1) < 0)
				goto nomem;
		for (int i = 0; i < c->nu; i++) {
			int convert = c->u[i].chosen && c->u[i].tier == TIER_CONVERT;
			if (c->u[i].member >= 0 && !convert)
				continue;
			if (via < 0 && (via = meet_via(c)) < 0) {
				err_set(c->e, ERR_REFUSED, "no reachable member to join new nodes through");
				goto out;
			}
			if (plan_add_step(c, STEP_MEET, live_node(c, i), plan_node_of(c, via)) < 0)
				goto nomem;
			nmeet++;
		}
		if (nmeet && plan_add_step(c, STEP_WAIT, -1, -1) < 0)
			goto nomem;
	}
	if (failovers(c) < 0 || emit_moves(c) < 0 || emit_replicates(c, &nrep) < 0)
		goto out;
	if (!c->in->evacuate_only) {
		leave = malloc(((size_t)c->t->n + 1) * sizeof(*leave));
		if (!leave)
			goto nomem;
		/* departing replicas first (a failed-over master is one), then
		 * masters, each by id */
		for (int i = 0; i < c->t->n; i++) {
			int replica = !c->u[i].is_master || c->u[i].promoted_by >= 0;
			/* a node still in handshake has a made-up id and times
			 * out by itself: nothing to forget */
			if (c->u[i].listed || (c->t->m[i].n.flags & NF_HANDSHAKE))
				continue;
			leave[nforget++] = (struct plan_key){ !replica, 0, c->u[i].id, i };
		}
		qsort(leave, (size_t)nforget, sizeof(*leave), plan_key_cmp);
		if ((nrep || (nforget && p->nsteps)) && p->steps[p->nsteps - 1].kind != STEP_WAIT &&
		    plan_add_step(c, STEP_WAIT, -1, -1) < 0)
			goto nomem;
		for (int k = 0; k < nforget; k++)
			if (plan_add_step(c, STEP_FORGET, plan_node_of(c, leave[k].unit), -1) < 0)
				goto nomem;
	}
	attach_early(p);
	rc = 0;
	goto out;
nomem:
	plan_oom(c->e);
out:
	free(leave);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

static void ctx_free(struct plan_ctx *c)
{
	if (!c)
		return;
	for (int i = 0; c->dr && i < c->nu; i++)
		free(c->dr[i].v);
	for (int k = 0; k < c->nmv; k++)
		free(c->mv[k].r.v);
	free(c->dr);
	free(c->mv);
	free(c->u);
	free(c->chosen);
	free(c);
}

int plan_build(struct plan *p, const struct plan_input *in, struct sc_err *e)
{
	struct plan_ctx *c = NULL;
	long long need;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	p->shards = in->shards;
	p->replicas = in->replicas;
	if (in->shards < 3)
		return err_set(e, ERR_REFUSED,
			       "%d shards is too few: Redis Cluster needs at least 3 masters; use --shards 3 or more",
			       in->shards);
	if (in->shards > CLUSTER_SLOTS)
		return err_set(e, ERR_REFUSED, "%d shards is too many: there are only %d slots",
			       in->shards, CLUSTER_SLOTS);
	if (in->replicas < 0)
		return err_set(e, ERR_REFUSED, "%d replicas per shard is invalid; use --replicas 0 or more",
			       in->replicas);
	if (!in->t || in->t->n == 0) {
		p->no_cluster = 1;
		return 0;
	}
	if (in->nwant < 0 || (in->nwant > 0 && !in->want))
		return err_set(e, ERR_FAIL, "planner called with a bad node list");
	need = (long long)in->shards * (1 + (long long)in->replicas);
	c = calloc(1, sizeof(*c));
	if (!c)
		return plan_oom(e);
	c->in = in;
	c->t = in->t;
	c->p = p;
	c->e = e;
	c->unreached = -1;
	if (build_units(c) < 0)
		goto out;
	/* a killed run left slots open: the plan is to finish them, and the
	 * rest is planned on the cluster that leaves (plan.then_replan) */
	if ((rc = plan_resume(c)) != 0) {
		rc = rc < 0 ? -1 : plan_check_formats(c);
		goto out;
	}
	rc = -1;
	if (validate_topo(c) < 0)
		goto out;
	if (!in->evacuate_only && in->nwant < need) {
		err_set(e, ERR_REFUSED,
			"--nodes lists %d nodes but --shards %d --replicas %d need %lld; add nodes "
			"or lower --shards or --replicas", in->nwant, in->shards, in->replicas, need);
		goto out;
	}
	/* every listed node is a member afterwards, and each master has
	 * exactly R replicas (what `check --replicas R` verifies): the list
	 * must hold exactly S*(1+R) nodes */
	if (!in->evacuate_only && in->nwant > need) {
		err_set(e, ERR_REFUSED,
			"--nodes lists %d nodes but --shards %d --replicas %d use exactly %lld; "
			"remove %lld nodes from --nodes or raise --shards or --replicas", in->nwant,
			in->shards, in->replicas, need, in->nwant - need);
		goto out;
	}
	read_roles(c);
	if (choose_masters(c) < 0)
		goto out;
	apply_failovers(c);
	if (set_quotas(c) < 0 || plan_slots(c) < 0)
		goto out;
	if ((in->evacuate_only ? plan_evacuate_replicas(c) : plan_replicas(c)) < 0)
		goto out;
	rc = emit(c);
	if (rc == 0)
		rc = plan_check_formats(c);
out:
	ctx_free(c);
	if (rc < 0) {
		plan_release(p);
		p->shards = in->shards;
		p->replicas = in->replicas;
	}
	return rc;
}
