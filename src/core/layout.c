/* layout.c - see layout.h */
#include "core/layout.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cand {
	long key; /* preference, lower is better */
	int node;
};

/* Working state of one layout computation. */
struct work {
	const struct addr *nodes;
	struct layout *l;
	int *host;      /* [n] host index of each node (first-appearance order) */
	int nhosts;
	int *left;      /* [nhosts] nodes of each host not assigned yet */
	int *taken;     /* [n] node assigned (master or replica) */
	int *cand;      /* [n] scratch: candidates of one shard, best first */
	int *match;     /* [n] node -> shard it is matched to this round, -1 */
	int *seen;      /* [n] visited in the current augmenting search */
	struct cand **order; /* [shards][n] candidates per shard for a round */
	int *norder;    /* [shards] */
};

static int host_index(const struct addr *nodes, int i, const int *host)
{
	for (int j = 0; j < i; j++)
		if (strcasecmp(nodes[j].host, nodes[i].host) == 0)
			return host[j];
	return -1;
}

/* 1 if shard s already has a node on host h (its master and the replicas
 * of earlier rounds are listed in shard_hosts[s], nsh of them). */
static int shard_uses_host(const int *shard_hosts, int nsh, int h)
{
	for (int k = 0; k < nsh; k++)
		if (shard_hosts[k] == h)
			return 1;
	return 0;
}

/* Preference of node c as a replica of a shard: first a host the shard does
 * not use yet, then the host with the most nodes left (it is the hardest to
 * place later), then list order. */
static long pref(const struct work *w, const int *shard_hosts, int nsh, int c)
{
	long spread = shard_uses_host(shard_hosts, nsh, w->host[c]) ? 1 : 0;

	return spread * 1000000000L + (long)(w->l->n - w->left[w->host[c]]) * 100000L + c;
}

static int cmp_cand(const void *a, const void *b)
{
	long ka = ((const struct cand *)a)->key, kb = ((const struct cand *)b)->key;

	return ka < kb ? -1 : ka > kb;
}

/* Kuhn's augmenting path: find a node for shard s, moving other shards of
 * this round to their other candidates when that frees one. */
static int augment(struct work *w, int s, int *shard_node)
{
	for (int k = 0; k < w->norder[s]; k++) {
		int c = w->order[s][k].node;
		if (w->seen[c])
			continue;
		w->seen[c] = 1;
		if (w->match[c] < 0 || augment(w, w->match[c], shard_node)) {
			w->match[c] = s;
			shard_node[s] = c;
			return 1;
		}
	}
	return 0;
}

static void pick_masters(struct work *w)
{
	struct layout *l = w->l;
	int *hosts = w->cand, got = 0;

	/* hosts by node count descending, ties in first-appearance order */
	for (int h = 0; h < w->nhosts; h++)
		hosts[h] = h;
	for (int a = 1; a < w->nhosts; a++)
		for (int b = a; b > 0 && w->left[hosts[b]] > w->left[hosts[b - 1]]; b--) {
			int t = hosts[b];
			hosts[b] = hosts[b - 1];
			hosts[b - 1] = t;
		}
	while (got < l->shards) {
		for (int k = 0; k < w->nhosts && got < l->shards; k++)
			for (int i = 0; i < l->n; i++)
				if (!w->taken[i] && w->host[i] == hosts[k]) {
					w->taken[i] = 1;
					got++;
					break;
				}
	}
	/* shards numbered in the list order of their masters */
	for (int i = 0, s = 0; i < l->n; i++)
		if (w->taken[i]) {
			l->shard_master[s] = i;
			l->shard[i] = s;
			l->master[i] = -1;
			w->left[w->host[i]]--;
			s++;
		}
}

/* One replica for every shard (round r of R): a maximum matching of shards
 * to free nodes off their master's host, tried in preference order. */
static void pick_replicas(struct work *w, int r, int *shard_node, int *shard_hosts)
{
	struct layout *l = w->l;
	int stride = 1 + l->replicas, nsh = 1 + r;

	for (int s = 0; s < l->shards; s++) {
		int mh = w->host[l->shard_master[s]], *sh = shard_hosts + s * stride;
		w->norder[s] = 0;
		for (int c = 0; c < l->n; c++)
			if (!w->taken[c] && w->host[c] != mh) {
				w->order[s][w->norder[s]].node = c;
				w->order[s][w->norder[s]++].key = pref(w, sh, nsh, c);
			}
		qsort(w->order[s], (size_t)w->norder[s], sizeof(struct cand), cmp_cand);
		shard_node[s] = -1;
	}
	for (int c = 0; c < l->n; c++)
		w->match[c] = -1;
	for (int s = 0; s < l->shards; s++) {
		memset(w->seen, 0, sizeof(int) * (size_t)l->n);
		augment(w, s, shard_node);
	}
	/* shards left without a node on another host take the best left over */
	for (int s = 0; s < l->shards; s++) {
		int best = -1, *sh = shard_hosts + s * stride;
		if (shard_node[s] >= 0)
			continue;
		for (int c = 0; c < l->n; c++)
			if (!w->taken[c] && w->match[c] < 0 &&
			    (best < 0 || pref(w, sh, nsh, c) < pref(w, sh, nsh, best)))
				best = c;
		w->match[best] = s; /* exists: exactly S*R nodes were left */
		shard_node[s] = best;
	}
	for (int s = 0; s < l->shards; s++) {
		int c = shard_node[s];
		shard_hosts[s * stride + nsh] = w->host[c];
		w->taken[c] = 1;
		l->shard[c] = s;
		l->master[c] = l->shard_master[s];
		w->left[w->host[c]]--;
	}
}

int layout_build(struct layout *l, const struct addr *nodes, int nnodes, int shards,
		 int replicas, struct sc_err *e)
{
	struct work w = { 0 };
	int *shard_node = NULL, *shard_hosts = NULL, rc = -1;

	memset(l, 0, sizeof(*l));
	if (shards < 3)
		return err_set(e, ERR_REFUSED,
			       "too few shards: %d (a cluster needs at least 3 masters; use --shards 3 or more)",
			       shards);
	if (replicas < 0)
		return err_set(e, ERR_REFUSED, "replicas per shard must be 0 or more, not %d", replicas);
	if ((long)shards * (1 + replicas) > nnodes)
		return err_set(e, ERR_REFUSED,
			       "too few nodes: %d shards with %d replica%s each need %d nodes, %d given",
			       shards, replicas, replicas == 1 ? "" : "s", shards * (1 + replicas), nnodes);
	l->n = shards * (1 + replicas);
	l->shards = shards;
	l->replicas = replicas;
	w.nodes = nodes;
	w.l = l;
	l->shard = calloc((size_t)l->n, sizeof(int));
	l->master = calloc((size_t)l->n, sizeof(int));
	l->shard_master = calloc((size_t)shards, sizeof(int));
	l->slots = calloc((size_t)shards, sizeof(*l->slots));
	w.host = calloc((size_t)l->n, sizeof(int));
	w.left = calloc((size_t)l->n, sizeof(int));
	w.taken = calloc((size_t)l->n, sizeof(int));
	w.cand = calloc((size_t)l->n, sizeof(int));
	w.match = calloc((size_t)l->n, sizeof(int));
	w.seen = calloc((size_t)l->n, sizeof(int));
	w.order = calloc((size_t)shards, sizeof(int *));
	w.norder = calloc((size_t)shards, sizeof(int));
	shard_node = calloc((size_t)shards, sizeof(int));
	shard_hosts = calloc((size_t)l->n, sizeof(int));
	if (!shard_hosts || !l->shard || !l->master || !l->shard_master || !l->slots || !w.host || !w.left ||
	    !w.taken || !w.cand || !w.match || !w.seen || !w.order || !w.norder || !shard_node) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int s = 0; s < shards; s++)
		if (!(w.order[s] = calloc((size_t)l->n, sizeof(struct cand)))) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
	for (int i = 0; i < l->n; i++) {
		int h = host_index(nodes, i, w.host);
		w.host[i] = h >= 0 ? h : w.nhosts++;
		w.left[w.host[i]]++;
	}
	pick_masters(&w);
	for (int s = 0; s < shards; s++)
		shard_hosts[s * (1 + replicas)] = w.host[l->shard_master[s]];
	for (int r = 0; r < replicas; r++)
		pick_replicas(&w, r, shard_node, shard_hosts);
	for (int s = 0; s < shards; s++) {
		l->slots[s].first = (int)((long)s * CLUSTER_SLOTS / shards);
		l->slots[s].last = (int)((long)(s + 1) * CLUSTER_SLOTS / shards) - 1;
	}
	rc = 0;
out:
	if (w.order)
		for (int s = 0; s < shards; s++)
			free(w.order[s]);
	free(w.order);
	free(w.norder);
	free(w.host);
	free(w.left);
	free(w.taken);
	free(w.cand);
	free(w.match);
	free(w.seen);
	free(shard_node);
	free(shard_hosts);
	if (rc < 0)
		layout_release(l);
	return rc;
}

void layout_release(struct layout *l)
{
	if (!l)
		return;
	free(l->shard);
	free(l->master);
	free(l->shard_master);
	free(l->slots);
	memset(l, 0, sizeof(*l));
}

int layout_same_host_replicas(const struct layout *l, const struct addr *nodes)
{
	int bad = 0;

	for (int i = 0; i < l->n; i++)
		if (l->master[i] >= 0 && strcasecmp(nodes[i].host, nodes[l->master[i]].host) == 0)
			bad++;
	return bad;
}
