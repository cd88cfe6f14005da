/* plan_slots.c - which slots move, from whom, to whom, in which round
 * (plan.h, SLOTS).  Donors give their surplus (or everything), receivers
 * get what they lack; slots are handed over range end by range end. */
#include "core/plan_ctx.h"

#include <stdlib.h>
#include <string.h>

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

static int set_amounts(struct plan_ctx *c)
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

static struct move *move_for(struct plan_ctx *c, int from, int to)
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
static int transfer(struct plan_ctx *c, int d, int ri, int low, int k, int r)
{
	struct rlist *l = &c->dr[d];
	struct slot_range *x = &l->v[ri];
	int first = low ? x->first : x->last - k + 1;
	int last = first + k - 1;
	struct move *m = move_for(c, d, r);

	if (!m || rlist_push(&m->r, first, last) < 0)
		return plan_oom(c->e);
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
static int give_adjacent(struct plan_ctx *c, int d)
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
static int give_to(struct plan_ctx *c, int d, int r, int k)
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

/* Rounds: a proper edge colouring of the donor/receiver graph, so that no
 * node appears twice in a round.  The graph is bipartite (a unit either
 * gives or receives), so Delta colours suffice (Koenig): for a move u->v
 * take colour a free at u and b free at v; if a is taken at v, swap a and
 * b along the alternating path from v (it cannot reach u), freeing a at v.
 * The rounds are then ordered by their biggest move, biggest first. */
static int schedule_moves(struct plan_ctx *c)
{
	int *deg = NULL, *at = NULL, *path = NULL, *order = NULL, delta = 0, rc = -1;
	struct plan_key *keys = NULL;

	if (c->nmv == 0)
		return 0;
	qsort(c->mv, (size_t)c->nmv, sizeof(*c->mv), move_size_cmp);
	deg = calloc((size_t)c->nu, sizeof(int));
	path = malloc((size_t)c->nmv * sizeof(int));
	if (!deg || !path)
		goto nomem;
	for (int k = 0; k < c->nmv; k++) {
		int a = ++deg[c->mv[k].from], b = ++deg[c->mv[k].to];
		delta = a > delta ? a : delta;
		delta = b > delta ? b : delta;
	}
	/* at[node * delta + colour]: the move of that colour at node, -1 */
	at = malloc((size_t)c->nu * (size_t)delta * sizeof(int));
	order = malloc((size_t)delta * sizeof(int));
	keys = malloc((size_t)delta * sizeof(*keys));
	if (!at || !order || !keys)
		goto nomem;
	memset(at, 0xff, (size_t)c->nu * (size_t)delta * sizeof(int));
#define AT(node, col) at[(size_t)(node) * (size_t)delta + (size_t)(col)]
	for (int k = 0; k < c->nmv; k++) {
		int u = c->mv[k].from, v = c->mv[k].to, a = 0, b = 0, x, col, n = 0;
		while (AT(u, a) >= 0)
			a++;
		while (AT(v, b) >= 0)
			b++;
		if (AT(v, a) >= 0) {
			for (x = v, col = a; AT(x, col) >= 0; col = col == a ? b : a) {
				struct move *e = &c->mv[AT(x, col)];
				path[n++] = AT(x, col);
				x = e->from == x ? e->to : e->from;
			}
			for (int i = 0; i < n; i++) {
				struct move *e = &c->mv[path[i]];
				AT(e->from, e->round) = AT(e->to, e->round) = -1;
			}
			for (int i = 0; i < n; i++) {
				struct move *e = &c->mv[path[i]];
				e->round = e->round == a ? b : a;
				AT(e->from, e->round) = AT(e->to, e->round) = path[i];
			}
		}
		c->mv[k].round = a;
		AT(u, a) = AT(v, a) = k;
	}
#undef AT
	for (int r = 0; r < delta; r++)
		keys[r] = (struct plan_key){ 0, r, "", r };
	for (int k = 0; k < c->nmv; k++)
		if (-c->mv[k].n < keys[c->mv[k].round].a)
			keys[c->mv[k].round].a = -c->mv[k].n;
	qsort(keys, (size_t)delta, sizeof(*keys), plan_key_cmp);
	for (int r = 0; r < delta; r++)
		order[keys[r].unit] = r;
	for (int k = 0; k < c->nmv; k++)
		c->mv[k].round = order[c->mv[k].round];
	qsort(c->mv, (size_t)c->nmv, sizeof(*c->mv), move_round_cmp);
	rc = 0;
	goto out;
nomem:
	plan_oom(c->e);
out:
	free(deg);
	free(at);
	free(path);
	free(order);
	free(keys);
	return rc;
}

int plan_slots(struct plan_ctx *c)
{
	struct plan_key *keys = NULL;
	int *donors = NULL, *recv = NULL, nd = 0, nr = 0, rc = -1;

	if (set_amounts(c) < 0)
		return -1;
	donors = malloc((size_t)c->nu * sizeof(int) + 1);
	recv = malloc((size_t)c->nu * sizeof(int) + 1);
	keys = malloc((size_t)c->nu * sizeof(*keys) + 1);
	if (!donors || !recv || !keys) {
		plan_oom(c->e);
		goto out;
	}
	for (int s = 0; s < CLUSTER_SLOTS;) {
		int o = c->own[s], last = s;
		while (last + 1 < CLUSTER_SLOTS && c->own[last + 1] == o)
			last++;
		if (c->u[o].give > 0 && rlist_push(&c->dr[o], s, last) < 0) {
			plan_oom(c->e);
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
	/* donors in slot order: consecutive donors giving to one receiver
	 * hand it touching ends (one's high end, the next one's low end) */
	for (int k = 0; k < nd; k++)
		keys[k] = (struct plan_key){ c->dr[donors[k]].v[0].first, 0, "", donors[k] };
	qsort(keys, (size_t)nd, sizeof(*keys), plan_key_cmp);
	for (int k = 0; k < nd; k++)
		donors[k] = keys[k].unit;
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
	free(keys);
	return rc;
}
