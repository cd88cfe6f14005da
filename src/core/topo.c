/* topo.c - merging views into a topo (see topo.h); the parser is view.c.
 *
 * The merge is incremental (topo_builder) so that a survey of N nodes keeps
 * only a compact summary of each view, not N full views of N entries: for
 * each view, the ids it lists and its slot map as runs of (first, last,
 * owner).  topo_build is the same builder fed from an array.
 */
#include "core/topo.h"
#include "base/addr.h"
#include "base/vec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A member while building: the entry chosen for it so far. */
struct cand {
	struct node_entry e; /* own copy */
	int reachable;       /* e comes from its own view */
	unsigned peer_flags;
	int peers_disconnected;
};

struct run {
	int first, last, who; /* who: cand index */
};

/* What one view says, compactly. */
struct vsum {
	int self; /* cand index */
	int *ids; /* cand indexes it lists, each once */
	int nids;
	struct run *runs;
	int nruns;
};

struct topo_builder {
	struct cand *c;
	int nc, capc;
	int *table; /* open addressing, cand index + 1; 0 empty */
	size_t mask;
	struct vsum *v;
	int nv, capv;
	int *mark; /* per cand scratch */
	int capmark;
	int vowner[CLUSTER_SLOTS]; /* scratch */
};

static int grow(void **v, int *cap, int need, size_t size)
{
	return vec_grow(v, cap, need, size, 16);
}

static uint64_t id_hash(const char *id)
{
	uint64_t h = 1469598103934665603ULL;

	for (int i = 0; i < NODE_ID_LEN; i++) {
		h ^= (unsigned char)id[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static int find(const struct topo_builder *b, const char *id)
{
	size_t h;

	if (!b->table)
		return -1;
	h = (size_t)id_hash(id) & b->mask;
	while (b->table[h]) {
		int i = b->table[h] - 1;
		if (!memcmp(b->c[i].e.id, id, NODE_ID_LEN))
			return i;
		h = (h + 1) & b->mask;
	}
	return -1;
}

static void table_put(int *table, size_t mask, const char *id, int i)
{
	size_t h = (size_t)id_hash(id) & mask;

	while (table[h])
		h = (h + 1) & mask;
	table[h] = i + 1;
}

/* Add a candidate copied from n; returns its index or -1 (out of memory). */
static int add_cand(struct topo_builder *b, const struct node_entry *n, int reachable)
{
	struct cand *c;

	if ((size_t)(b->nc + 1) * 2 > b->mask + 1 || !b->table) {
		size_t size = b->table ? (b->mask + 1) * 2 : 64;
		int *nt = calloc(size, sizeof(*nt));
		if (!nt)
			return -1;
		for (int i = 0; i < b->nc; i++)
			table_put(nt, size - 1, b->c[i].e.id, i);
		free(b->table);
		b->table = nt;
		b->mask = size - 1;
	}
	if (grow((void **)&b->c, &b->capc, b->nc + 1, sizeof(*b->c)) < 0 ||
	    grow((void **)&b->mark, &b->capmark, b->nc + 1, sizeof(*b->mark)) < 0)
		return -1;
	c = &b->c[b->nc];
	memset(c, 0, sizeof(*c));
	if (node_entry_copy(&c->e, n) < 0)
		return -1;
	c->reachable = reachable;
	b->mark[b->nc] = 0;
	table_put(b->table, b->mask, n->id, b->nc);
	return b->nc++;
}

static int replace_cand(struct cand *c, const struct node_entry *n, int reachable)
{
	struct node_entry copy;

	if (node_entry_copy(&copy, n) < 0)
		return -1;
	node_entry_release(&c->e);
	c->e = copy;
	c->reachable = reachable;
	return 0;
}

/* A better second-hand description of an unreachable node: one with an
 * address beats noaddr, then the higher config epoch. */
static int better_hearsay(const struct node_entry *a, const struct node_entry *b)
{
	int aa = a->ip[0] && !(a->flags & NF_NOADDR), ba = b->ip[0] && !(b->flags & NF_NOADDR);

	if (aa != ba)
		return aa > ba;
	return a->config_epoch > b->config_epoch;
}

struct topo_builder *topo_builder_new(void)
{
	return calloc(1, sizeof(struct topo_builder));
}

void topo_builder_free(struct topo_builder *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nc; i++)
		node_entry_release(&b->c[i].e);
	for (int i = 0; i < b->nv; i++) {
		free(b->v[i].ids);
		free(b->v[i].runs);
	}
	free(b->c);
	free(b->table);
	free(b->v);
	free(b->mark);
	free(b);
}

int topo_builder_add(struct topo_builder *b, const struct view *v, struct sc_err *e)
{
	struct vsum *sum;
	int capruns = 0;

	if (v->self < 0 || v->self >= v->n)
		return err_set(e, ERR_FAIL, "CLUSTER NODES reply %d has no 'myself' line", b->nv + 1);
	if (grow((void **)&b->v, &b->capv, b->nv + 1, sizeof(*b->v)) < 0)
		goto oom;
	sum = &b->v[b->nv];
	memset(sum, 0, sizeof(*sum));
	b->nv++; /* from here on, sum is released with the builder */
	sum->ids = malloc((size_t)v->n * sizeof(*sum->ids));
	if (!sum->ids)
		goto oom;
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		b->vowner[s] = -1;
	for (int k = 0; k < v->n; k++) {
		const struct node_entry *n = &v->e[k];
		int i = find(b, n->id);

		if (i < 0) {
			if ((i = add_cand(b, n, k == v->self)) < 0)
				goto oom;
		} else if (k == v->self) {
			/* its own word beats hearsay; of two own views, the first */
			if (!b->c[i].reachable && replace_cand(&b->c[i], n, 1) < 0)
				goto oom;
		} else if (!b->c[i].reachable && better_hearsay(n, &b->c[i].e)) {
			if (replace_cand(&b->c[i], n, 0) < 0)
				goto oom;
		}
		if (k == v->self) {
			sum->self = i;
		} else {
			b->c[i].peer_flags |= n->flags & (NF_PFAIL | NF_FAIL | NF_HANDSHAKE | NF_NOADDR);
			if (!n->connected)
				b->c[i].peers_disconnected++;
		}
		if (b->mark[i] != b->nv) {
			b->mark[i] = b->nv;
			sum->ids[sum->nids++] = i;
		}
		for (int r = 0; r < n->nranges; r++)
			for (int s = n->ranges[r].first; s <= n->ranges[r].last; s++)
				b->vowner[s] = i;
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		int first = s, who = b->vowner[s];
		while (s + 1 < CLUSTER_SLOTS && b->vowner[s + 1] == who)
			s++;
		if (who < 0)
			continue;
		if (grow((void **)&sum->runs, &capruns, sum->nruns + 1, sizeof(*sum->runs)) < 0)
			goto oom;
		sum->runs[sum->nruns++] = (struct run){ first, s, who };
	}
	return 0;
oom:
	return err_set(e, ERR_FAIL, "out of memory merging views");
}

void topo_release(struct topo *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		node_entry_release(&t->m[i].n);
	free(t->m);
	t->m = NULL;
	t->n = 0;
}

int topo_find_id(const struct topo *t, const char *id)
{
	int lo = 0, hi = t->n - 1;

	if (!id || strlen(id) != NODE_ID_LEN)
		return -1;
	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;
		int c = memcmp(t->m[mid].n.id, id, NODE_ID_LEN);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

int topo_find_addr(const struct topo *t, const char *host, int port)
{
	for (int i = 0; i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		if (n->port == port && n->ip[0] && !strcmp(n->ip, host))
			return i;
	}
	for (int i = 0; i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		if (n->port == port && n->hostname[0] && !strcmp(n->hostname, host))
			return i;
	}
	return -1;
}

int topo_member_ranges(const struct topo *t, int i, struct slot_range *out, int max)
{
	int count = 0;

	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		int first;
		if (t->owner[s] != i)
			continue;
		first = s;
		while (s + 1 < CLUSTER_SLOTS && t->owner[s + 1] == i)
			s++;
		if (count < max) {
			out[count].first = first;
			out[count].last = s;
		}
		count++;
	}
	return count;
}

int topo_count_masters(const struct topo *t)
{
	int count = 0;

	for (int i = 0; i < t->n; i++)
		if (t->m[i].nslots > 0)
			count++;
	return count;
}

static int first_slot(const struct topo *t, int i)
{
	const struct node_entry *n = &t->m[i].n;
	int best = CLUSTER_SLOTS;

	for (int r = 0; r < n->nranges; r++)
		for (int s = n->ranges[r].first; s <= n->ranges[r].last && s < best; s++)
			if (t->owner[s] == i)
				best = s;
	if (best == CLUSTER_SLOTS) /* owns slots only by hearsay merging */
		for (int s = 0; s < CLUSTER_SLOTS; s++)
			if (t->owner[s] == i)
				return s;
	return best;
}

struct mkey {
	int idx, first;
	const struct node_entry *n;
};

static int cmp_mkey(const void *a, const void *b)
{
	const struct mkey *x = a, *y = b;
	const struct node_entry *nx = x->n, *ny = y->n;
	int c;

	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	c = strcmp(nx->ip, ny->ip);
	if (c)
		return c;
	if (nx->port != ny->port)
		return nx->port < ny->port ? -1 : 1;
	return memcmp(nx->id, ny->id, NODE_ID_LEN);
}

int topo_masters(const struct topo *t, int *out, int max)
{
	struct mkey *k = malloc(((size_t)t->n + 1) * sizeof(*k));
	int n = 0;

	if (!k)
		return 0;
	for (int i = 0; i < t->n; i++) {
		if (t->m[i].nslots > 0)
			k[n++] = (struct mkey){ i, first_slot(t, i), &t->m[i].n };
		else if (t->m[i].n.flags & NF_MASTER)
			k[n++] = (struct mkey){ i, CLUSTER_SLOTS, &t->m[i].n };
	}
	qsort(k, (size_t)n, sizeof(*k), cmp_mkey);
	for (int i = 0; i < n && i < max; i++)
		out[i] = k[i].idx;
	free(k);
	return n;
}

const char *member_label(const struct member *m, char *buf, size_t size)
{
	struct addr a;

	if (!m) {
		snprintf(buf, size, "an unknown node");
	} else if (m->n.ip[0] && !(m->n.flags & NF_NOADDR)) {
		snprintf(a.host, sizeof(a.host), "%s", m->n.ip);
		a.port = m->n.port;
		addr_label(&a, buf, (int)size);
	} else if (m->n.hostname[0]) {
		snprintf(buf, size, "node %.8s ('%s')", m->n.id, m->n.hostname);
	} else {
		snprintf(buf, size, "node %.8s", m->n.id);
	}
	return buf;
}

const char *topo_label(const struct topo *t, int i, char *buf, size_t size)
{
	return member_label(i >= 0 && i < t->n ? &t->m[i] : NULL, buf, size);
}

/* Claim the slots of `n` for member `who` in owner[]; counts slots already
 * held by another member as conflicts, resolved for the higher epoch. */
static void claim(struct topo *t, const struct node_entry *n, int who, char *conflicted)
{
	for (int r = 0; r < n->nranges; r++)
		for (int s = n->ranges[r].first; s <= n->ranges[r].last; s++) {
			int cur = t->owner[s];
			if (cur == who)
				continue;
			if (cur >= 0) {
				if (!conflicted[s]) {
					conflicted[s] = 1;
					t->nconflicts++;
				}
				if (t->m[cur].n.config_epoch >= n->config_epoch)
					continue;
			}
			t->owner[s] = who;
		}
}

/* Compare one view summary (cand indexes mapped to members by `inv`) with
 * the merged model.  Returns 0 when the same, 1 when it only lacks
 * handshake members, 2 when it differs otherwise; the first difference is
 * described in msg.  `seen` and `vowner` are scratch. */
static int view_differs(const struct topo *t, const struct vsum *v, const int *inv, char *seen,
			int *vowner, char *msg, size_t size)
{
	char a[96], b[96], c[96];
	const struct member *me = &t->m[inv[v->self]];
	int hs = 0;

	if (v->nids != t->n) {
		memset(seen, 0, (size_t)t->n);
		for (int k = 0; k < v->nids; k++)
			seen[inv[v->ids[k]]] = 1;
		for (int i = 0; i < t->n; i++) {
			int handshake = ((t->m[i].n.flags | t->m[i].peer_flags) & NF_HANDSHAKE) != 0;
			if (seen[i] || (handshake && hs))
				continue;
			snprintf(msg, size, "%s does not know node %.8s (%s)%s",
				 member_label(me, a, sizeof(a)), t->m[i].n.id,
				 member_label(&t->m[i], b, sizeof(b)), handshake ? ", in handshake" : "");
			if (!handshake)
				return 2;
			hs = 1;
		}
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		vowner[s] = -1;
	for (int r = 0; r < v->nruns; r++)
		for (int s = v->runs[r].first; s <= v->runs[r].last; s++)
			vowner[s] = inv[v->runs[r].who];
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		if (vowner[s] == t->owner[s])
			continue;
		if (vowner[s] < 0)
			snprintf(msg, size, "%s sees slot %d unassigned, its owner is %s",
				 member_label(me, a, sizeof(a)), s,
				 member_label(&t->m[t->owner[s]], b, sizeof(b)));
		else if (t->owner[s] < 0)
			snprintf(msg, size, "%s sees slot %d at %s, no node claims it",
				 member_label(me, a, sizeof(a)), s,
				 member_label(&t->m[vowner[s]], b, sizeof(b)));
		else
			snprintf(msg, size, "%s sees slot %d at %s, its owner is %s",
				 member_label(me, a, sizeof(a)), s,
				 member_label(&t->m[vowner[s]], b, sizeof(b)),
				 member_label(&t->m[t->owner[s]], c, sizeof(c)));
		return 2;
	}
	return hs;
}

static int cmp_cand_ptr(const void *a, const void *b)
{
	const struct cand *x = *(const struct cand *const *)a, *y = *(const struct cand *const *)b;
	return memcmp(x->e.id, y->e.id, NODE_ID_LEN);
}

int topo_builder_finish(struct topo_builder *b, struct topo *t, struct sc_err *e)
{
	struct cand **order = NULL;
	int *inv = NULL, *vowner = NULL, rc = -1;
	char *conflicted = NULL, *seen = NULL;

	memset(t, 0, sizeof(*t));
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		t->owner[s] = -1;
	t->agree = 1;
	order = malloc(((size_t)b->nc + 1) * sizeof(*order));
	inv = malloc(((size_t)b->nc + 1) * sizeof(*inv));
	t->m = calloc((size_t)b->nc + 1, sizeof(*t->m));
	conflicted = calloc(CLUSTER_SLOTS, 1);
	seen = malloc((size_t)b->nc + 1);
	vowner = malloc(CLUSTER_SLOTS * sizeof(*vowner));
	if (!order || !inv || !t->m || !conflicted || !seen || !vowner) {
		err_set(e, ERR_FAIL, "out of memory merging views");
		goto out;
	}
	/* members sorted by id; their entries move out of the builder */
	for (int i = 0; i < b->nc; i++)
		order[i] = &b->c[i];
	qsort(order, (size_t)b->nc, sizeof(*order), cmp_cand_ptr);
	for (int i = 0; i < b->nc; i++) {
		struct member *m = &t->m[i];
		struct cand *c = order[i];
		inv[c - b->c] = i;
		m->n = c->e;
		memset(&c->e, 0, sizeof(c->e));
		m->n.flags &= ~(unsigned)NF_MYSELF;
		m->reachable = c->reachable;
		m->peer_flags = c->peer_flags;
		m->peers_disconnected = c->peers_disconnected;
		m->master = -1;
		m->keys = -1;
		m->used_memory = -1;
		m->state_ok = -1;
		m->known_nodes = -1;
		m->repl_link_up = -1;
	}
	t->n = b->nc;
	for (int i = 0; i < t->n; i++)
		if (t->m[i].n.master[0])
			t->m[i].master = topo_find_id(t, t->m[i].n.master);

	/* slot owners: each reachable owner's own word; the slots nobody
	 * reachable claims go to unreachable nodes as their peers describe them */
	for (int i = 0; i < t->n; i++)
		if (t->m[i].reachable)
			claim(t, &t->m[i].n, i, conflicted);
	for (int i = 0; i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		if (t->m[i].reachable)
			continue;
		for (int r = 0; r < n->nranges; r++)
			for (int s = n->ranges[r].first; s <= n->ranges[r].last; s++)
				if (t->owner[s] < 0)
					t->owner[s] = i;
	}
	for (int s = 0; s < CLUSTER_SLOTS; s++)
		if (t->owner[s] >= 0)
			t->m[t->owner[s]].nslots++;

	/* agreement, in view order, so the first difference is reproducible */
	{
		char msg[sizeof(t->disagreement)], first_hs[sizeof(t->disagreement)] = "";
		for (int v = 0; v < b->nv && t->agree; v++) {
			int d = view_differs(t, &b->v[v], inv, seen, vowner, msg, sizeof(msg));
			if (d == 2) {
				t->agree = 0;
				memcpy(t->disagreement, msg, sizeof(msg));
			} else if (d == 1 && !first_hs[0]) {
				memcpy(first_hs, msg, sizeof(msg));
			}
		}
		if (t->agree && first_hs[0]) {
			t->agree = 0;
			t->handshake_only = 1;
			memcpy(t->disagreement, first_hs, sizeof(first_hs));
		}
	}
	rc = 0;
out:
	if (rc < 0)
		topo_release(t);
	free(order);
	free(inv);
	free(conflicted);
	free(seen);
	free(vowner);
	return rc;
}

int topo_build(struct topo *t, const struct view *views, int nviews, struct sc_err *e)
{
	struct topo_builder *b = topo_builder_new();
	int rc = -1;

	memset(t, 0, sizeof(*t));
	if (!b)
		return err_set(e, ERR_FAIL, "out of memory merging views");
	for (int v = 0; v < nviews; v++)
		if (topo_builder_add(b, &views[v], e) < 0)
			goto out;
	rc = topo_builder_finish(b, t, e);
out:
	topo_builder_free(b);
	return rc;
}
