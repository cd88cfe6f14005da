/* plan.c - the reconcile planner; the contract is in plan.h.
 *
 * Shape: the topo members and the new listed nodes become "units"; the S
 * masters are chosen among them (choose_masters), slots are mapped to their
 * owner after the failovers (own[]), quotas computed, surplus matched with
 * deficits range by range (plan_slots), replicas assigned (plan_replicas),
 * and the steps emitted in the documented order (emit).  Printing lives in
 * plan_print.c.
 */
#include "plan.h"

#include <stdlib.h>
#include <string.h>

enum tier { TIER_MASTER, TIER_PROMOTE, TIER_NEW, TIER_CONVERT, TIER_NONE };

struct unit {
	int member, want;    /* topo index / want index, -1 if none */
	const char *id;      /* "" when unknown */
	int hk;              /* hostkey number, -1 when unknown */
	int reachable, listed;
	int is_master;       /* a master now (flagged, or owns slots) */
	int cur_master;      /* unit of its master now, -1 */
	int held;            /* slots owned now (after the failovers, later) */
	int tier;
	int siblings;        /* listed replicas sharing its master */
	int chosen;
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
	int from, to, n;     /* units */
	struct rlist r;
	int round;
};

struct ctx {
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
	struct move *mv;
	int nmv, capmv;
	int nhk;
	int meet_via;        /* unit */
};

static int oom(struct sc_err *e)
{
	return err_set(e, ERR_FAIL, "out of memory while planning");
}

static int rlist_push(struct rlist *l, int first, int last)
{
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 4;
		struct slot_range *tmp = realloc(l->v, (size_t)cap * sizeof(*tmp));
		if (!tmp)
			return -1;
		l->v = tmp;
		l->cap = cap;
	}
	l->v[l->n].first = first;
	l->v[l->n].last = last;
	l->n++;
	return 0;
}

static int range_cmp(const void *a, const void *b)
{
	const struct slot_range *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

/* Sort and merge touching ranges; returns the slot count. */
static int rlist_condense(struct rlist *l)
{
	int n = 0, total = 0;

	qsort(l->v, (size_t)l->n, sizeof(*l->v), range_cmp);
	for (int i = 0; i < l->n; i++) {
		if (n && l->v[n - 1].last + 1 == l->v[i].first)
			l->v[n - 1].last = l->v[i].last;
		else
			l->v[n++] = l->v[i];
	}
	l->n = n;
	for (int i = 0; i < n; i++)
		total += l->v[i].last - l->v[i].first + 1;
	return total;
}

/* ---- plan nodes and steps ---------------------------------------------- */

static void topo_addr(const struct member *m, struct addr *a)
{
	const char *host = m->n.ip[0] ? m->n.ip : m->n.hostname;
	snprintf(a->host, sizeof(a->host), "%s", host);
	a->port = m->n.port;
}

static int add_node(struct ctx *c, const char *id, const struct addr *a)
{
	struct plan *p = c->p;
	struct plan_node *tmp = realloc(p->nodes, (size_t)(p->nnodes + 1) * sizeof(*tmp));

	if (!tmp)
		return -1;
	p->nodes = tmp;
	memset(&p->nodes[p->nnodes], 0, sizeof(p->nodes[0]));
	snprintf(p->nodes[p->nnodes].id, sizeof(p->nodes[0].id), "%s", id);
	p->nodes[p->nnodes].addr = *a;
	return p->nnodes++;
}

/* Plan node of unit i, created on first use; -1 when out of memory. */
static int node_of(struct ctx *c, int i)
{
	struct unit *u = &c->u[i];
	struct addr a;

	if (u->node >= 0)
		return u->node;
	if (u->want >= 0)
		a = c->in->want[u->want].addr;
	else
		topo_addr(&c->t->m[u->member], &a);
	u->node = add_node(c, u->id, &a);
	return u->node;
}

/* The node a reset replica becomes: same address, id unknown until met. */
static int node2_of(struct ctx *c, int i)
{
	struct unit *u = &c->u[i];

	if (u->node2 < 0)
		u->node2 = add_node(c, "", &c->in->want[u->want].addr);
	return u->node2;
}

static int add_step(struct ctx *c, enum step_kind kind, int node, int peer)
{
	struct plan *p = c->p;
	struct step *tmp;

	if (node < 0)
		return -1;
	tmp = realloc(p->steps, (size_t)(p->nsteps + 1) * sizeof(*tmp));
	if (!tmp)
		return -1;
	p->steps = tmp;
	memset(&p->steps[p->nsteps], 0, sizeof(p->steps[0]));
	p->steps[p->nsteps].kind = kind;
	p->steps[p->nsteps].node = node;
	p->steps[p->nsteps].peer = peer;
	p->steps[p->nsteps].round = -1;
	p->nsteps++;
	return 0;
}

/* ---- units and validation ---------------------------------------------- */

static const char *member_name(const struct ctx *c, int i, char *buf, int len)
{
	struct addr a;

	if (c->u[i].want >= 0)
		return addr_format(&c->in->want[c->u[i].want].addr, buf, len);
	topo_addr(&c->t->m[i], &a);
	return addr_format(&a, buf, len);
}

static int hostkey_number(const struct plan_input *in, int w, int upto)
{
	/* Number hostkeys by first appearance in the list; O(n^2) over the
	 * list is fine for the few thousand nodes a cluster can hold. */
	for (int j = 0; j < upto; j++)
		if (strcmp(in->want[j].hostkey, in->want[w].hostkey) == 0)
			return j;
	return w;
}

static int build_units(struct ctx *c)
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
		return oom(c->e);
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
			if (!wn->reachable)
				return err_set(c->e, ERR_REFUSED,
					       "cannot reach listed node '%s'; start it or remove it from --nodes",
					       addr_format(&wn->addr, a, sizeof(a)));
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

static int validate_topo(struct ctx *c)
{
	const struct topo *t = c->t;
	char a[300];
	int listed = 0;

	for (int i = 0; i < t->n; i++)
		listed += c->u[i].listed;
	if (!listed)
		return err_set(c->e, ERR_REFUSED,
			       "none of the %d listed nodes is a member of the live cluster (which "
			       "includes '%s'); list the cluster's own nodes in --nodes",
			       c->in->nwant, member_name(c, 0, a, sizeof(a)));
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
		if (m->reachable && m->n.nopen > 0)
			return err_set(c->e, ERR_REFUSED,
				       "slot %d is open (%s) on '%s'; run `shardctl fix` first",
				       m->n.open[0].slot,
				       m->n.open[0].kind == OPEN_MIGRATING ? "migrating" : "importing",
				       member_name(c, i, a, sizeof(a)));
		if (!m->reachable && c->u[i].held > 0)
			return err_set(c->e, ERR_REFUSED,
				       "master '%s' owns %d slots but is unreachable; bring it back or "
				       "let a replica take over, then run again",
				       member_name(c, i, a, sizeof(a)), c->u[i].held);
	}
	for (int i = 0; i < t->n && !c->in->evacuate_only; i++)
		if (c->u[i].listed && !c->u[i].reachable)
			return err_set(c->e, ERR_REFUSED,
				       "cannot reach listed node '%s'; start it or remove it from --nodes",
				       member_name(c, i, a, sizeof(a)));
	return 0;
}

/* Roles now: masters, and replicas with their master. */
static void read_roles(struct ctx *c)
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

static void set_tiers(struct ctx *c)
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
			   c->u[u->cur_master].reachable && c->u[u->cur_master].held > 0) {
			u->tier = TIER_PROMOTE;
		} else if (!evac) {
			u->tier = TIER_CONVERT;
		}
	}
}

static int value_of(const struct ctx *c, int i)
{
	const struct unit *u = &c->u[i];
	if (u->tier == TIER_PROMOTE)
		return c->u[u->cur_master].held;
	return u->tier == TIER_MASTER ? u->held : 0;
}

/* Is candidate a better than b (b may be -1)?  See plan.h, CHOOSING. */
static int better(const struct ctx *c, const int *hkcount, int a, int b)
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

static int choose_masters(struct ctx *c)
{
	int S = c->in->shards, rc = -1;
	int *hkcount = calloc((size_t)c->nhk + 1, sizeof(int));

	if (!hkcount)
		return oom(c->e);
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
static void apply_failovers(struct ctx *c)
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

static const struct ctx *sort_ctx; /* qsort has no context argument; only
				      set and used inside set_quotas */

static int quota_cmp(const void *a, const void *b)
{
	const struct unit *x = &sort_ctx->u[*(const int *)a], *y = &sort_ctx->u[*(const int *)b];
	int cmp;

	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	cmp = strcmp(x->id, y->id);
	if (cmp)
		return cmp;
	if (x->want != y->want)
		return x->want < y->want ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static int set_quotas(struct ctx *c)
{
	int S = c->in->shards, base = CLUSTER_SLOTS / S, extra = CLUSTER_SLOTS % S;
	int *order = malloc((size_t)c->nchosen * sizeof(int) + 1);

	if (!order)
		return oom(c->e);
	memcpy(order, c->chosen, (size_t)c->nchosen * sizeof(int));
	sort_ctx = c;
	qsort(order, (size_t)c->nchosen, sizeof(int), quota_cmp);
	sort_ctx = NULL;
	for (int k = 0; k < c->nchosen; k++)
		c->u[order[k]].quota = base + (k < extra);
	free(order);
	return 0;
}

/* ---- slots -------------------------------------------------------------- */

static int set_amounts(struct ctx *c)
{
	int evac = c->in->evacuate_only, spare = 0;

	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (u->chosen) {
			if (!evac && u->held > u->quota)
				u->give = u->held - u->quota;
			if (!evac && u->held < u->quota)
				u->need = u->quota - u->held;
		} else if (u->held > 0 && (!evac || !u->listed)) {
			u->give = u->held;
			spare += u->held;
		}
	}
	if (!evac || spare == 0)
		return 0;
	if (c->nchosen == 0)
		return err_set(c->e, ERR_REFUSED,
			       "no listed master can take the %d slots of the departing masters; "
			       "list at least one current master in --nodes", spare);
	/* Evacuation: fill the chosen masters toward their quota, most lacking
	 * first, then spread the rest evenly (the later reconcile hands that
	 * excess to the new nodes). */
	for (; spare > 0; spare--) {
		int best = -1, bgap = 0;
		for (int k = 0; k < c->nchosen; k++) {
			struct unit *u = &c->u[c->chosen[k]];
			int gap = u->quota - u->held - u->need;
			if (gap > bgap) {
				best = c->chosen[k];
				bgap = gap;
			}
		}
		if (best < 0) {
			int low = 0;
			for (int k = 0; k < c->nchosen; k++) {
				struct unit *u = &c->u[c->chosen[k]];
				if (best < 0 || u->held + u->need < low) {
					best = c->chosen[k];
					low = u->held + u->need;
				}
			}
		}
		c->u[best].need++;
	}
	return 0;
}

static struct move *move_for(struct ctx *c, int from, int to)
{
	for (int k = c->nmv - 1; k >= 0; k--)
		if (c->mv[k].from == from && c->mv[k].to == to)
			return &c->mv[k];
	if (c->nmv == c->capmv) {
		int cap = c->capmv ? c->capmv * 2 : 16;
		struct move *tmp = realloc(c->mv, (size_t)cap * sizeof(*tmp));
		if (!tmp)
			return NULL;
		c->mv = tmp;
		c->capmv = cap;
	}
	memset(&c->mv[c->nmv], 0, sizeof(c->mv[0]));
	c->mv[c->nmv].from = from;
	c->mv[c->nmv].to = to;
	return &c->mv[c->nmv++];
}

static int rlen(const struct slot_range *x)
{
	return x->last - x->first + 1;
}

/* Hand k slots of donor d's range ri, from its low or high end, to r. */
static int transfer(struct ctx *c, int d, int ri, int low, int k, int r)
{
	struct rlist *l = &c->dr[d];
	struct slot_range *x = &l->v[ri];
	int first = low ? x->first : x->last - k + 1;
	int last = first + k - 1;
	struct move *m = move_for(c, d, r);

	if (!m || rlist_push(&m->r, first, last) < 0)
		return oom(c->e);
	m->n += k;
	if (low)
		x->first += k;
	else
		x->last -= k;
	if (x->first > x->last) {
		memmove(&l->v[ri], &l->v[ri + 1], (size_t)(l->n - ri - 1) * sizeof(*x));
		l->n--;
	}
	for (int s = first; s <= last; s++)
		c->fin[s] = r;
	c->u[d].give -= k;
	c->u[r].need -= k;
	return 0;
}

/* Phase A: donors hand the ends of their ranges to an adjacent receiver, so
 * the receiver's range grows instead of gaining a new one. */
static int give_adjacent(struct ctx *c, int d)
{
	struct rlist *l = &c->dr[d];

	for (int i = 0; i < l->n && c->u[d].give > 0;) {
		int n = l->n;
		for (int side = 0; side < 2 && l->n == n && c->u[d].give > 0; side++) {
			struct slot_range *x = &l->v[i];
			int nb = side == 0 ? x->first - 1 : x->last + 1, r, k;
			if (nb < 0 || nb >= CLUSTER_SLOTS)
				continue;
			r = c->fin[nb];
			if (r == d || c->u[r].need <= 0)
				continue;
			k = c->u[d].give < c->u[r].need ? c->u[d].give : c->u[r].need;
			if (k > rlen(x))
				k = rlen(x);
			if (transfer(c, d, i, side == 0, k, r) < 0)
				return -1;
		}
		if (l->n == n)
			i++;
	}
	return 0;
}

/* Phase B: donor d hands k slots to r: first an end adjacent to r's slots,
 * then the largest whole range that fits, else the high end of the
 * smallest range (leaving the donor's big ranges whole). */
static int give_to(struct ctx *c, int d, int r, int k)
{
	struct rlist *l = &c->dr[d];

	while (k > 0) {
		int ri = -1, low = 0, n;
		for (int i = 0; i < l->n && ri < 0; i++) {
			if (l->v[i].first > 0 && c->fin[l->v[i].first - 1] == r) {
				ri = i;
				low = 1;
			} else if (l->v[i].last < CLUSTER_SLOTS - 1 && c->fin[l->v[i].last + 1] == r) {
				ri = i;
			}
		}
		if (ri < 0) {
			int best = -1;
			for (int i = 0; i < l->n; i++)
				if (rlen(&l->v[i]) <= k && (best < 0 || rlen(&l->v[i]) > rlen(&l->v[best])))
					best = i;
			ri = best;
			low = 1;
		}
		if (ri < 0) {
			for (int i = 0; i < l->n; i++)
				if (ri < 0 || rlen(&l->v[i]) < rlen(&l->v[ri]))
					ri = i;
			low = 0;
		}
		if (ri < 0)
			return err_set(c->e, ERR_FAIL, "planner bug: donor has no slots left");
		n = rlen(&l->v[ri]) < k ? rlen(&l->v[ri]) : k;
		if (transfer(c, d, ri, low, n, r) < 0)
			return -1;
		k -= n;
	}
	return 0;
}

static int first_slot_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	const struct rlist *lx = &sort_ctx->dr[x], *ly = &sort_ctx->dr[y];
	int fx = lx->n ? lx->v[0].first : CLUSTER_SLOTS, fy = ly->n ? ly->v[0].first : CLUSTER_SLOTS;

	if (fx != fy)
		return fx - fy;
	return x - y;
}

static int move_size_cmp(const void *a, const void *b)
{
	const struct move *x = a, *y = b;

	if (x->n != y->n)
		return y->n - x->n;
	if (x->from != y->from)
		return x->from - y->from;
	return x->to - y->to;
}

static int move_round_cmp(const void *a, const void *b)
{
	const struct move *x = a, *y = b;

	if (x->round != y->round)
		return x->round - y->round;
	return move_size_cmp(a, b);
}

/* Rounds: earliest round in which neither node is busy (greedy edge
 * colouring), biggest moves first. */
static int schedule_moves(struct ctx *c)
{
	unsigned char *busy = NULL;
	int nrounds = 0;

	if (c->nmv == 0)
		return 0;
	qsort(c->mv, (size_t)c->nmv, sizeof(*c->mv), move_size_cmp);
	for (int k = 0; k < c->nmv; k++) {
		struct move *m = &c->mv[k];
		int r = 0;
		while (r < nrounds && (busy[(size_t)r * c->nu + m->from] || busy[(size_t)r * c->nu + m->to]))
			r++;
		if (r == nrounds) {
			unsigned char *tmp = realloc(busy, (size_t)(nrounds + 1) * c->nu);
			if (!tmp) {
				free(busy);
				return oom(c->e);
			}
			busy = tmp;
			memset(busy + (size_t)nrounds * c->nu, 0, (size_t)c->nu);
			nrounds++;
		}
		busy[(size_t)r * c->nu + m->from] = busy[(size_t)r * c->nu + m->to] = 1;
		m->round = r;
	}
	free(busy);
	qsort(c->mv, (size_t)c->nmv, sizeof(*c->mv), move_round_cmp);
	return 0;
}

static int plan_slots(struct ctx *c)
{
	int *donors = NULL, *recv = NULL, nd = 0, nr = 0, rc = -1;

	if (set_amounts(c) < 0)
		return -1;
	donors = malloc((size_t)c->nu * sizeof(int) + 1);
	recv = malloc((size_t)c->nu * sizeof(int) + 1);
	if (!donors || !recv) {
		oom(c->e);
		goto out;
	}
	for (int s = 0; s < CLUSTER_SLOTS;) {
		int o = c->own[s], last = s;
		while (last + 1 < CLUSTER_SLOTS && c->own[last + 1] == o)
			last++;
		if (c->u[o].give > 0 && rlist_push(&c->dr[o], s, last) < 0) {
			oom(c->e);
			goto out;
		}
		s = last + 1;
	}
	for (int i = 0; i < c->nu; i++) {
		if (c->u[i].give > 0)
			donors[nd++] = i;
		if (c->u[i].need > 0)
			recv[nr++] = i;
	}
	sort_ctx = c;
	qsort(donors, (size_t)nd, sizeof(int), first_slot_cmp);
	sort_ctx = NULL;
	for (int k = 0; k < nd; k++)
		if (give_adjacent(c, donors[k]) < 0)
			goto out;
	for (int a = 0, b = 0; a < nd && b < nr;) {
		int d = donors[a], r = recv[b];
		int k = c->u[d].give < c->u[r].need ? c->u[d].give : c->u[r].need;
		if (k > 0 && give_to(c, d, r, k) < 0)
			goto out;
		if (c->u[d].give == 0)
			a++;
		if (c->u[r].need == 0)
			b++;
	}
	for (int k = 0; k < c->nmv; k++)
		c->mv[k].n = rlist_condense(&c->mv[k].r);
	if (schedule_moves(c) < 0)
		goto out;
	rc = 0;
out:
	free(donors);
	free(recv);
	return rc;
}

/* ---- replicas ----------------------------------------------------------- */

static int same_host(const struct ctx *c, int a, int b)
{
	return c->u[a].hk >= 0 && c->u[a].hk == c->u[b].hk;
}

/* The lacking master for replica i: another hostkey first, then the most
 * lacking, then choice order.  `count` and `tgt` are per unit. */
static int pick_master(const struct ctx *c, int i, const int *count, const int *tgt)
{
	int best = -1;

	for (int k = 0; k < c->nchosen; k++) {
		int m = c->chosen[k], b = best;
		if (tgt && count[m] >= tgt[m])
			continue;
		if (b < 0) {
			best = m;
			continue;
		}
		if (same_host(c, i, m) != same_host(c, i, b)) {
			if (!same_host(c, i, m))
				best = m;
			continue;
		}
		if (tgt ? tgt[m] - count[m] > tgt[b] - count[b] : count[m] < count[b])
			best = m;
	}
	return best;
}

static const int *rank_kept;

static int kept_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	int cmp;

	if (rank_kept[x] != rank_kept[y])
		return rank_kept[x] > rank_kept[y] ? -1 : 1;
	cmp = strcmp(sort_ctx->u[x].id, sort_ctx->u[y].id);
	return cmp ? cmp : x - y;
}

/* Replicas of master m to release first: on m's hostkey, then higher ids. */
static int release_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b, m = sort_ctx->u[x].fin_master;
	int sx = same_host(sort_ctx, x, m), sy = same_host(sort_ctx, y, m), cmp;

	if (sx != sy)
		return sy - sx;
	cmp = strcmp(sort_ctx->u[y].id, sort_ctx->u[x].id);
	return cmp ? cmp : y - x;
}

static int plan_replicas(struct ctx *c)
{
	int nu = c->nu, S = c->nchosen, R = c->in->replicas, npool = 0, rc = -1;
	int *count = calloc((size_t)nu + 1, sizeof(int));
	int *tgt = calloc((size_t)nu + 1, sizeof(int));
	int *list = malloc(((size_t)nu + 1) * sizeof(int));
	int *order = malloc(((size_t)S + 1) * sizeof(int));
	long long extras;

	if (!count || !tgt || !list || !order) {
		oom(c->e);
		goto out;
	}
	for (int i = 0; i < nu; i++) {
		struct unit *u = &c->u[i];
		if (!u->listed || u->chosen)
			continue;
		npool++;
		if (u->cur_master >= 0 && c->u[u->cur_master].chosen) {
			u->fin_master = u->cur_master;
			count[u->cur_master]++;
		}
	}
	extras = npool - (long long)S * R;
	if (extras < 0)
		extras = 0;
	memcpy(order, c->chosen, (size_t)S * sizeof(int));
	sort_ctx = c;
	rank_kept = count;
	qsort(order, (size_t)S, sizeof(int), kept_cmp);
	for (int k = 0; k < S; k++)
		tgt[order[k]] = R + (int)(extras / S) + (k < extras % S);
	for (int k = 0; k < S; k++) {
		int m = c->chosen[k], n = 0;
		if (count[m] <= tgt[m])
			continue;
		for (int i = 0; i < nu; i++)
			if (c->u[i].listed && !c->u[i].chosen && c->u[i].fin_master == m)
				list[n++] = i;
		qsort(list, (size_t)n, sizeof(int), release_cmp);
		for (int j = 0; j < n && count[m] > tgt[m]; j++) {
			c->u[list[j]].fin_master = -1;
			count[m]--;
		}
	}
	sort_ctx = NULL;
	rank_kept = NULL;
	for (int i = 0; i < nu; i++) {
		struct unit *u = &c->u[i];
		int m;
		if (!u->listed || u->chosen || u->fin_master >= 0)
			continue;
		m = pick_master(c, i, count, tgt);
		if (m < 0)
			break; /* fewer pool nodes than S*R: refused earlier */
		u->fin_master = m;
		count[m]++;
	}
	/* Greedy placement can leave a replica on its master's hostkey while a
	 * swap with another newly placed replica fixes both: try it. */
	for (int i = 0; i < nu; i++) {
		struct unit *u = &c->u[i];
		if (!u->listed || u->chosen || u->fin_master < 0 || u->fin_master == u->cur_master ||
		    !same_host(c, i, u->fin_master))
			continue;
		for (int j = 0; j < nu; j++) {
			struct unit *v = &c->u[j];
			if (j == i || !v->listed || v->chosen || v->fin_master < 0 ||
			    v->fin_master == v->cur_master || v->fin_master == u->fin_master)
				continue;
			if (!same_host(c, i, v->fin_master) && !same_host(c, j, u->fin_master)) {
				int m = u->fin_master;
				u->fin_master = v->fin_master;
				v->fin_master = m;
				break;
			}
		}
	}
	rc = 0;
out:
	free(count);
	free(tgt);
	free(list);
	free(order);
	return rc;
}

/* Evacuation: listed replicas of departing masters that are not failed over
 * move to a chosen master, fewest listed replicas first. */
static int evacuate_replicas(struct ctx *c)
{
	int *count = calloc((size_t)c->nu + 1, sizeof(int));

	if (!count)
		return oom(c->e);
	for (int i = 0; i < c->nu; i++)
		if (c->u[i].listed && !c->u[i].chosen && c->u[i].cur_master >= 0)
			count[c->u[i].cur_master]++;
	for (int i = 0; i < c->nu && c->nchosen > 0; i++) {
		struct unit *u = &c->u[i];
		int m;
		if (!u->listed || !u->reachable || u->chosen || u->is_master || u->cur_master < 0 ||
		    c->u[u->cur_master].listed)
			continue;
		m = pick_master(c, i, count, NULL);
		u->fin_master = m;
		count[m]++;
	}
	free(count);
	return 0;
}

/* ---- steps -------------------------------------------------------------- */

/* The plan node that stands for unit i from the MEET steps on. */
static int live_node(struct ctx *c, int i)
{
	if (c->u[i].chosen && c->u[i].tier == TIER_CONVERT)
		return node2_of(c, i);
	return node_of(c, i);
}

static int emit_moves(struct ctx *c)
{
	for (int k = 0; k < c->nmv; k++) {
		struct move *m = &c->mv[k];
		struct step *s;
		if (add_step(c, STEP_MOVE, node_of(c, m->from), live_node(c, m->to)) < 0)
			return oom(c->e);
		s = &c->p->steps[c->p->nsteps - 1];
		if (s->peer < 0)
			return oom(c->e);
		s->ranges = m->r.v;
		s->nranges = m->r.n;
		s->nslots = m->n;
		s->round = m->round;
		m->r.v = NULL;
		c->p->moved_slots += m->n;
	}
	return 0;
}

static int emit_replicates(struct ctx *c, int *n)
{
	*n = 0;
	for (int i = 0; i < c->nu; i++) {
		struct unit *u = &c->u[i];
		if (u->fin_master < 0 || (u->fin_master == u->cur_master && !u->is_master && u->member >= 0))
			continue;
		if (add_step(c, STEP_REPLICATE, live_node(c, i), live_node(c, u->fin_master)) < 0)
			return oom(c->e);
		(*n)++;
	}
	return 0;
}

static int failovers(struct ctx *c)
{
	int n = 0;

	for (int k = 0; k < c->nchosen; k++) {
		struct unit *u = &c->u[c->chosen[k]];
		if (u->promotes < 0)
			continue;
		if (add_step(c, STEP_FAILOVER, node_of(c, c->chosen[k]), node_of(c, u->promotes)) < 0)
			return oom(c->e);
		n++;
	}
	if (n && add_step(c, STEP_WAIT, 0, -1) < 0)
		return oom(c->e);
	return 0;
}

static int meet_via(struct ctx *c)
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

static int emit(struct ctx *c)
{
	struct plan *p = c->p;
	int nmeet = 0, nrep = 0, nforget = 0, via = -1;
	int *leave = NULL, rc = -1;

	if (!c->in->evacuate_only) {
		for (int k = 0; k < c->nchosen; k++)
			if (c->u[c->chosen[k]].tier == TIER_CONVERT &&
			    add_step(c, STEP_FORGET, node_of(c, c->chosen[k]), -1) < 0)
				goto nomem;
		for (int i = 0; i < c->nu; i++) {
			int convert = c->u[i].chosen && c->u[i].tier == TIER_CONVERT;
			if (c->u[i].member >= 0 && !convert)
				continue;
			if (via < 0 && (via = meet_via(c)) < 0) {
				err_set(c->e, ERR_REFUSED, "no reachable member to join new nodes through");
				goto out;
			}
			if (add_step(c, STEP_MEET, live_node(c, i), node_of(c, via)) < 0)
				goto nomem;
			nmeet++;
		}
		if (nmeet && add_step(c, STEP_WAIT, 0, -1) < 0)
			goto nomem;
	}
	if (failovers(c) < 0 || emit_moves(c) < 0 || emit_replicates(c, &nrep) < 0)
		goto out;
	if (!c->in->evacuate_only) {
		leave = malloc(((size_t)c->t->n + 1) * sizeof(int));
		if (!leave)
			goto nomem;
		/* departing replicas first (a failed-over master is one), then
		 * masters, each by id */
		for (int pass = 0; pass < 2; pass++) {
			int first = nforget;
			for (int i = 0; i < c->t->n; i++) {
				int replica = !c->u[i].is_master || c->u[i].promoted_by >= 0;
				if (!c->u[i].listed && replica == !pass)
					leave[nforget++] = i;
			}
			for (int a = first + 1; a < nforget; a++)
				for (int b = a; b > first && strcmp(c->u[leave[b - 1]].id, c->u[leave[b]].id) > 0; b--) {
					int x = leave[b];
					leave[b] = leave[b - 1];
					leave[b - 1] = x;
				}
		}
		if ((nrep || (nforget && p->nsteps)) && p->steps[p->nsteps - 1].kind != STEP_WAIT &&
		    add_step(c, STEP_WAIT, 0, -1) < 0)
			goto nomem;
		for (int k = 0; k < nforget; k++)
			if (add_step(c, STEP_FORGET, node_of(c, leave[k]), -1) < 0)
				goto nomem;
	}
	for (int k = 0; k < p->nsteps; k++)
		if (p->steps[k].kind == STEP_WAIT)
			p->steps[k].node = -1;
	rc = 0;
	goto out;
nomem:
	oom(c->e);
out:
	free(leave);
	return rc;
}

/* ---- entry points ------------------------------------------------------- */

static void ctx_free(struct ctx *c)
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
	struct ctx *c = NULL;
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
		return oom(e);
	c->in = in;
	c->t = in->t;
	c->p = p;
	c->e = e;
	if (build_units(c) < 0 || validate_topo(c) < 0)
		goto out;
	if (!in->evacuate_only && in->nwant < need) {
		err_set(e, ERR_REFUSED,
			"--nodes lists %d nodes but %d shards with %d replicas each need %lld; add nodes "
			"or lower --shards or --replicas", in->nwant, in->shards, in->replicas, need);
		goto out;
	}
	read_roles(c);
	if (choose_masters(c) < 0)
		goto out;
	apply_failovers(c);
	if (set_quotas(c) < 0 || plan_slots(c) < 0)
		goto out;
	if ((in->evacuate_only ? evacuate_replicas(c) : plan_replicas(c)) < 0)
		goto out;
	rc = emit(c);
out:
	ctx_free(c);
	if (rc < 0) {
		plan_release(p);
		p->shards = in->shards;
		p->replicas = in->replicas;
	}
	return rc;
}

void plan_release(struct plan *p)
{
	if (!p)
		return;
	for (int k = 0; k < p->nsteps; k++)
		free(p->steps[k].ranges);
	free(p->steps);
	free(p->nodes);
	memset(p, 0, sizeof(*p));
}
