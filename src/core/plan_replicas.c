/* plan_replicas.c - which master each listed non-master ends under
 * (plan.h, REPLICAS and EVACUATE_ONLY). */
#include "core/plan_ctx.h"

#include <stdlib.h>
#include <string.h>

/* The lacking master for replica i: another hostkey first, then the most
 * lacking, then choice order.  `count` and `tgt` are per unit. */
static int pick_master(const struct plan_ctx *c, int i, const int *count, const int *tgt)
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
		if (plan_same_host(c, i, m) != plan_same_host(c, i, b)) {
			if (!plan_same_host(c, i, m))
				best = m;
			continue;
		}
		if (tgt ? tgt[m] - count[m] > tgt[b] - count[b] : count[m] < count[b])
			best = m;
	}
	return best;
}

int plan_replicas(struct plan_ctx *c)
{
	int nu = c->nu, S = c->nchosen, R = c->in->replicas, rc = -1;
	int *count = calloc((size_t)nu + 1, sizeof(int));
	int *tgt = calloc((size_t)nu + 1, sizeof(int));
	struct plan_key *keys = malloc(((size_t)nu + 1) * sizeof(*keys));

	if (!count || !tgt || !keys) {
		plan_oom(c->e);
		goto out;
	}
	for (int i = 0; i < nu; i++) {
		struct unit *u = &c->u[i];
		if (!u->listed || u->chosen)
			continue;
		if (u->cur_master >= 0 && c->u[u->cur_master].chosen) {
			u->fin_master = u->cur_master;
			count[u->cur_master]++;
		}
	}
	/* the list holds exactly S*(1+R) nodes (plan_build refuses others) */
	for (int k = 0; k < S; k++)
		tgt[c->chosen[k]] = R;
	for (int k = 0; k < S; k++) {
		int m = c->chosen[k], n = 0;
		if (count[m] <= tgt[m])
			continue;
		/* keep those on another hostkey, then lower ids; release the
		 * rest */
		for (int i = 0; i < nu; i++)
			if (c->u[i].listed && !c->u[i].chosen && c->u[i].fin_master == m)
				keys[n++] = (struct plan_key){ plan_same_host(c, i, m), 0, c->u[i].id, i };
		qsort(keys, (size_t)n, sizeof(*keys), plan_key_cmp);
		for (int j = n - 1; j >= 0 && count[m] > tgt[m]; j--) {
			c->u[keys[j].unit].fin_master = -1;
			count[m]--;
		}
	}
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
	 * swap with another newly placed replica fixes both: try it (with
	 * one hostkey only, nothing can be fixed). */
	for (int i = 0; i < nu && c->nhk > 1; i++) {
		struct unit *u = &c->u[i];
		if (!u->listed || u->chosen || u->fin_master < 0 || u->fin_master == u->cur_master ||
		    !plan_same_host(c, i, u->fin_master))
			continue;
		for (int j = 0; j < nu; j++) {
			struct unit *v = &c->u[j];
			if (j == i || !v->listed || v->chosen || v->fin_master < 0 ||
			    v->fin_master == v->cur_master || v->fin_master == u->fin_master)
				continue;
			if (!plan_same_host(c, i, v->fin_master) && !plan_same_host(c, j, u->fin_master)) {
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
	free(keys);
	return rc;
}

/* Evacuation: listed replicas of departing masters that are not failed over
 * move to a chosen master, fewest listed replicas first. */
int plan_evacuate_replicas(struct plan_ctx *c)
{
	int *count = calloc((size_t)c->nu + 1, sizeof(int));

	if (!count)
		return plan_oom(c->e);
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
