/* heal.c - see heal.h */
#include "engine/heal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/clock.h"
#include "cluster/predecessor.h"

/* ---- the pure half ---------------------------------------------------- */

int heal_view_find(const struct view *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (!(v->e[i].flags & NF_HANDSHAKE) && strcmp(v->e[i].id, id) == 0)
			return i;
	return -1;
}

/* An entry whose link works: the address it holds is good, leave it be. */
static int entry_linked(const struct node_entry *x)
{
	return x->connected && !(x->flags & (NF_PFAIL | NF_FAIL | NF_HANDSHAKE | NF_NOADDR));
}

static int node_is_lone(const struct heal_node *h)
{
	int others = 0;

	for (int i = 0; i < h->view.n; i++)
		if (i != h->view.self && !(h->view.e[i].flags & NF_HANDSHAKE))
			others++;
	return others == 0 && (h->view.self < 0 || h->view.e[h->view.self].nranges == 0);
}

static int node_by_id(const struct heal_node *nodes, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (strcmp(nodes[i].id, id) == 0)
			return i;
	return -1;
}

static int uf_find(int *parent, int i)
{
	while (parent[i] != i) {
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

static int push_int(int **v, int *n, int x)
{
	int *tmp = realloc(*v, (size_t)(*n + 1) * sizeof(**v));

	if (!tmp)
		return -1;
	tmp[(*n)++] = x;
	*v = tmp;
	return 0;
}

int heal_plan_build(struct heal_plan *p, const struct heal_node *nodes, int n, struct sc_err *e)
{
	int *parent = NULL, root = -1, rc = -1;

	memset(p, 0, sizeof(*p));
	parent = malloc((size_t)(n > 0 ? n : 1) * sizeof(*parent));
	if (!parent) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* Two nodes are of one cluster when either one's view holds the other's
	 * id: ids survive restarts, addresses do not. */
	for (int i = 0; i < n; i++)
		parent[i] = i;
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (heal_view_find(&nodes[i].view, nodes[j].id) >= 0 ||
			    heal_view_find(&nodes[j].view, nodes[i].id) >= 0)
				parent[uf_find(parent, i)] = uf_find(parent, j);
	for (int i = 0; i < n; i++) {
		int r = uf_find(parent, i);
		if (node_is_lone(&nodes[i]) && r == i) {
			int alone = 1;
			for (int j = 0; j < n; j++)
				if (j != i && uf_find(parent, j) == r)
					alone = 0;
			if (alone) {
				if (push_int(&p->lone, &p->nlone, i) < 0)
					goto oom;
				continue;
			}
		}
		if (root < 0) {
			root = r;
		} else if (r != root) {
			int a = -1;
			for (int j = 0; j < n && a < 0; j++)
				if (uf_find(parent, j) == root)
					a = j;
			err_set(e, ERR_REFUSED,
				"'%s' and '%s' belong to different clusters (neither knows the other's node "
				"id); heal one cluster at a time: list only its nodes",
				nodes[a].name, nodes[i].name);
			goto out;
		}
	}
	for (int i = 0; i < n; i++)
		if (root >= 0 && uf_find(parent, i) == root && push_int(&p->members, &p->nmembers, i) < 0)
			goto oom;
	for (int k = 0; k < p->nmembers; k++) {
		const struct heal_node *on = &nodes[p->members[k]];
		for (int x = 0; x < on->view.n; x++) {
			const struct node_entry *ent = &on->view.e[x];
			int to;
			if (x == on->view.self || (ent->flags & NF_HANDSHAKE) || entry_linked(ent))
				continue;
			to = node_by_id(nodes, n, ent->id);
			if (to < 0 || to == p->members[k])
				continue; /* not found alive: nothing to meet */
			if (!(ent->flags & NF_NOADDR) && strcmp(ent->ip, nodes[to].ip) == 0 &&
			    ent->port == nodes[to].port)
				continue; /* right address, link down for another reason */
			if (heal_view_find(&nodes[to].view, on->id) < 0) {
				/* Meeting would make `to` learn a node it does not
				 * know (or forgot on purpose): not heal's decision. */
				if (!p->note[0])
					snprintf(p->note, sizeof(p->note),
						 "'%s' knows '%s' but not the other way round "
						 "(a forgotten node?): left alone",
						 on->name, nodes[to].name);
				continue;
			}
			struct heal_meet *tmp = realloc(p->meets, (size_t)(p->nmeets + 1) * sizeof(*tmp));
			if (!tmp)
				goto oom;
			p->meets = tmp;
			p->meets[p->nmeets].on = p->members[k];
			p->meets[p->nmeets].to = to;
			p->nmeets++;
		}
	}
	rc = 0;
	goto out;
oom:
	err_set(e, ERR_FAIL, "out of memory");
out:
	free(parent);
	if (rc < 0)
		heal_plan_release(p);
	return rc;
}

void heal_plan_release(struct heal_plan *p)
{
	if (!p)
		return;
	free(p->meets);
	free(p->lone);
	free(p->members);
	memset(p, 0, sizeof(*p));
}

/* ---- the I/O half ----------------------------------------------------- */

struct alive {
	struct heal_node *v; /* nodes found alive, one per node id */
	struct conn **c;
	struct addr *a;      /* where we reach each one */
	int n, cap;
	long long *down_since; /* replica link seen down since (ms), 0: up */
	long long *last_repl;  /* last CLUSTER REPLICATE sent (ms) */
};

static void alive_release(struct alive *al)
{
	for (int i = 0; i < al->n; i++) {
		view_release(&al->v[i].view);
		conn_free(al->c[i]);
	}
	free(al->v);
	free(al->c);
	free(al->a);
	free(al->down_since);
	free(al->last_repl);
	memset(al, 0, sizeof(*al));
}

static int alive_grow(struct alive *al)
{
	int ncap = al->cap ? al->cap * 2 : 16;
	void *t1, *t2, *t3, *t4, *t5;

	if (al->n < al->cap)
		return 0;
	t1 = realloc(al->v, (size_t)ncap * sizeof(*al->v));
	if (t1)
		al->v = t1;
	t2 = realloc(al->c, (size_t)ncap * sizeof(*al->c));
	if (t2)
		al->c = t2;
	t3 = realloc(al->a, (size_t)ncap * sizeof(*al->a));
	if (t3)
		al->a = t3;
	t4 = realloc(al->down_since, (size_t)ncap * sizeof(*al->down_since));
	if (t4)
		al->down_since = t4;
	t5 = realloc(al->last_repl, (size_t)ncap * sizeof(*al->last_repl));
	if (t5)
		al->last_repl = t5;
	if (!t1 || !t2 || !t3 || !t4 || !t5)
		return -1;
	al->cap = ncap;
	return 0;
}

/* The address at the other end of the connection: where the name resolved
 * to just now. */
/* Read a node's CLUSTER NODES into v (replacing what was there). */
static int read_view(struct conn *c, struct view *v, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER NODES");
	struct view nv;
	char desc[300];
	int rc = -1;

	memset(&nv, 0, sizeof(nv));
	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) {
		err_set(e, ERR_FAIL, "'CLUSTER NODES' on '%s' failed: %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
		goto out;
	}
	if (view_parse(&nv, r->str, e) < 0) {
		err_prefix(e, "cannot read the cluster nodes of '%s'", c->name);
		goto out;
	}
	view_release(v);
	*v = nv;
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

/* INFO SECTION field into out; 0 / -1 (e filled). */
static int info_get(struct conn *c, const char *section, const char *field, char *out, int len,
		    struct sc_err *e)
{
	redisReply *r = conn_command(c, "INFO %s", section);
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type == REDIS_REPLY_STRING && info_field(r->str, field, out, len) == 0)
		rc = 0;
	else
		err_set(e, ERR_FAIL, "'INFO %s' on '%s' has no '%s' field", section, c->name, field);
	freeReplyObject(r);
	return rc;
}

/* Connect to `a` and learn who the node is.  `want_id`: when not NULL, the
 * node must have this id (discovery by hostname or old address).  Returns 1
 * when added, 0 when the node answered but is not wanted, -1 (e) when it
 * could not be read.  A listed node that is not cluster-enabled is refused. */
static int probe(struct alive *al, const struct addr *a, const struct conn_opts *o, int listed,
		 const char *want_id, struct sc_err *e)
{
	struct conn *c = conn_open(a, o, e);
	struct heal_node hn;
	redisReply *r = NULL;
	char buf[64], desc[300];
	int rc = -1, dup;

	memset(&hn, 0, sizeof(hn));
	if (!c)
		return -1;
	if (info_get(c, "cluster", "cluster_enabled", buf, sizeof(buf), e) < 0)
		goto out;
	if (strcmp(buf, "1") != 0) {
		err_set(e, ERR_REFUSED, "'%s' is not cluster-enabled (it needs 'cluster-enabled yes')", c->name);
		goto out;
	}
	r = conn_command(c, "CLUSTER MYID");
	if (!r) {
		*e = c->err;
		goto out;
	}
	if (r->type != REDIS_REPLY_STRING || r->len != NODE_ID_LEN) {
		err_set(e, ERR_FAIL, "'CLUSTER MYID' on '%s' answered %s", c->name,
			reply_describe(r, desc, sizeof(desc)));
		goto out;
	}
	memcpy(hn.id, r->str, NODE_ID_LEN);
	if (want_id && strcmp(want_id, hn.id) != 0) {
		rc = 0; /* another node lives at that address now */
		goto out;
	}
	for (dup = 0; dup < al->n; dup++)
		if (strcmp(al->v[dup].id, hn.id) == 0)
			break;
	if (dup < al->n) { /* the same node under a second name */
		al->v[dup].listed |= listed;
		rc = 0;
		goto out;
	}
	if (read_view(c, &hn.view, e) < 0)
		goto out;
	if (hn.view.self < 0 || strcmp(hn.view.e[hn.view.self].id, hn.id) != 0) {
		err_set(e, ERR_FAIL, "'%s' does not list itself in its cluster nodes", c->name);
		goto out;
	}
	addr_format(a, hn.name, sizeof(hn.name));
	hn.listed = listed;
	/* Where peers must meet it: its announced IP when it sets one, else
	 * the address its name resolved to for this connection. */
	freeReplyObject(r);
	r = conn_command(c, "CONFIG GET cluster-announce-ip");
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[1]->type == REDIS_REPLY_STRING && r->element[1]->len > 0 &&
	    r->element[1]->len < sizeof(hn.ip))
		memcpy(hn.ip, r->element[1]->str, r->element[1]->len);
	else if (conn_peer_ip(c, hn.ip, sizeof(hn.ip)) < 0) {
		err_set(e, ERR_IO, "cannot tell the address of '%s'", c->name);
		goto out;
	}
	hn.port = hn.view.e[hn.view.self].port > 0 ? hn.view.e[hn.view.self].port : a->port;
	hn.cport = hn.view.e[hn.view.self].cport > 0 ? hn.view.e[hn.view.self].cport : hn.port + 10000;
	if (alive_grow(al) < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	al->v[al->n] = hn;
	memset(&hn, 0, sizeof(hn));
	al->c[al->n] = c;
	c = NULL;
	al->a[al->n] = *a;
	al->down_since[al->n] = 0;
	al->last_repl[al->n] = 0;
	al->n++;
	rc = 1;
out:
	if (r)
		freeReplyObject(r);
	view_release(&hn.view);
	conn_free(c);
	return rc;
}

/* Members named in some view but not found alive yet: look for each by its
 * announced hostname (resolved now), else at the address peers remember. */
static int discover(struct alive *al, const struct conn_opts *o, char ***tried, int *ntried,
		    const struct heal_req *r)
{
	int found = 0;

	for (int i = 0; i < al->n; i++) {
		for (int x = 0; x < al->v[i].view.n; x++) {
			const struct node_entry *ent = &al->v[i].view.e[x];
			struct addr a;
			struct sc_err ignore;
			int k, seen = 0;
			char **tmp;

			if ((ent->flags & NF_HANDSHAKE) || node_by_id(al->v, al->n, ent->id) >= 0)
				continue;
			for (k = 0; k < *ntried && !seen; k++)
				seen = strcmp((*tried)[k], ent->id) == 0;
			if (seen)
				continue;
			tmp = realloc(*tried, (size_t)(*ntried + 1) * sizeof(*tmp));
			if (!tmp)
				return -1;
			*tried = tmp;
			if (!(tmp[*ntried] = strdup(ent->id)))
				return -1;
			(*ntried)++;
			memset(&a, 0, sizeof(a));
			if (ent->hostname[0])
				snprintf(a.host, sizeof(a.host), "%s", ent->hostname);
			else if (ent->ip[0])
				snprintf(a.host, sizeof(a.host), "%s", ent->ip);
			else
				continue;
			a.port = ent->port;
			if (a.port <= 0)
				continue;
			if (probe(al, &a, o, 0, ent->id, &ignore) == 1) {
				log_tagged(r->out, "heal", "found member %.8s at '%s' (announced hostname or last address)",
				    ent->id, al->v[al->n - 1].name);
				found++;
			}
		}
	}
	return found;
}

/* Reread every member's view (reconnecting where a link broke).  Nodes that
 * cannot be read keep their last view; returns how many could not. */
static int refresh(struct alive *al, const struct heal_plan *p, const struct conn_opts *o)
{
	int bad = 0;

	for (int k = 0; k < p->nmembers; k++) {
		int i = p->members[k];
		struct sc_err ignore;
		if (al->c[i] && al->c[i]->broken) {
			conn_free(al->c[i]);
			al->c[i] = NULL;
		}
		if (!al->c[i])
			al->c[i] = conn_open(&al->a[i], o, &ignore);
		if (!al->c[i] || read_view(al->c[i], &al->v[i].view, &ignore) < 0)
			bad++;
	}
	return bad;
}

/* What still keeps the cluster from being healed, in `why`; 0 when nothing.
 * `may_reattach`: membership is settled, replicas may be re-pointed. */
static int still_wrong(struct alive *al, const struct heal_plan *p, const struct heal_req *r,
		       int may_reattach, int *reattached, char *why, int len)
{
	long long t = clock_now_ms();
	char buf[64];
	struct sc_err ignore;
	int wrong = 0;

	why[0] = '\0';
	for (int k = 0; k < p->nmembers; k++) {
		const struct heal_node *on = &al->v[p->members[k]];
		for (int q = 0; q < p->nmembers && !wrong; q++) {
			int x = heal_view_find(&on->view, al->v[p->members[q]].id);
			if (q == k || x < 0 || entry_linked(&on->view.e[x]))
				continue;
			snprintf(why, (size_t)len, "'%s' has no working link to '%s' yet", on->name,
				 al->v[p->members[q]].name);
			wrong = 1;
		}
	}
	for (int k = 0; k < p->nmembers; k++) {
		int i = p->members[k];
		const struct node_entry *self = &al->v[i].view.e[al->v[i].view.self];
		struct conn *c = al->c[i];
		if (!c)
			continue;
		if (info_get(c, "cluster", "cluster_slots_assigned", buf, sizeof(buf), &ignore) == 0 &&
		    atoi(buf) == CLUSTER_SLOTS &&
		    info_get(c, "cluster", "cluster_state", buf, sizeof(buf), &ignore) == 0 &&
		    strcmp(buf, "ok") != 0 && !wrong) {
			snprintf(why, (size_t)len, "'%s' reports cluster_state:%s", al->v[i].name, buf);
			wrong = 1;
		}
		if (!(self->flags & NF_REPLICA) || !self->master[0] ||
		    node_by_id(al->v, al->n, self->master) < 0)
			continue;
		if (info_get(c, "replication", "master_link_status", buf, sizeof(buf), &ignore) < 0 ||
		    strcmp(buf, "up") == 0) {
			al->down_since[i] = 0;
			continue;
		}
		if (!al->down_since[i])
			al->down_since[i] = t;
		if (!wrong)
			snprintf(why, (size_t)len, "replica '%s' has its master link down", al->v[i].name);
		wrong = 1;
		/* The cluster re-points a replica by itself when it learns its
		 * master's new address; only when the link stays down (and no
		 * sync is running) is it told again who its master is. */
		if (may_reattach && !r->dry_run && t - al->down_since[i] > 10000 && t - al->last_repl[i] > 10000 &&
		    info_get(c, "replication", "master_sync_in_progress", buf, sizeof(buf), &ignore) == 0 &&
		    strcmp(buf, "0") == 0) {
			struct sc_err e2;
			al->last_repl[i] = t;
			if (conn_ok(c, &e2, "CLUSTER REPLICATE %s", self->master) == 0) {
				(*reattached)++;
				log_tagged(r->out, "heal", "replica '%s': master link down, re-pointed to its master %.8s", al->v[i].name,
				    self->master);
			} else {
				log_tagged(r->out, "heal", "warning: %s", e2.msg);
			}
		}
	}
	return wrong;
}

static int send_meets(struct alive *al, const struct heal_plan *p, const struct heal_req *r,
		      struct heal_result *res)
{
	for (int k = 0; k < p->nmeets; k++) {
		const struct heal_node *on = &al->v[p->meets[k].on], *to = &al->v[p->meets[k].to];
		int x = heal_view_find(&on->view, to->id);
		struct conn *c = al->c[p->meets[k].on];
		struct sc_err e2;

		log_tagged(r->out, "heal", "%s'%s' meets '%s' (%.8s) at %s:%d (it had %s:%d)", r->dry_run ? "would: " : "", on->name,
		    to->name, to->id, to->ip, to->port, x >= 0 ? on->view.e[x].ip : "?", x >= 0 ? on->view.e[x].port : 0);
		if (r->dry_run)
			continue;
		if (!c || conn_ok(c, &e2, "CLUSTER MEET %s %d %d", to->ip, to->port, to->cport) < 0) {
			log_tagged(r->out, "heal", "warning: %s", c ? e2.msg : "no connection");
			continue;
		}
		res->meets++;
	}
	return 0;
}

/* 1 when every member's CLUSTER NODES, read again now, names node `id`. */
static int all_know(struct alive *al, const struct heal_plan *p, const char *id)
{
	for (int m = 0; m < p->nmembers; m++) {
		struct conn *c = al->c[p->members[m]];
		struct sc_err ignore;
		if (!c)
			continue;
		if (read_view(c, &al->v[p->members[m]].view, &ignore) < 0 ||
		    heal_view_find(&al->v[p->members[m]].view, id) < 0)
			return 0;
	}
	return 1;
}

/* Lone nodes that restarted empty in the place of a member (predecessor.h):
 * every member forgets the old id first (so the node never learns it), a
 * member meets the node, and once the node knows the old member's master it
 * becomes its replica.  The wait for its sync is the caller's (a replica's
 * master link).  Returns how many were rejoined. */
static int replace_lone(struct alive *al, const struct heal_plan *p, const struct heal_req *r,
			struct heal_result *res)
{
	int done = 0, wait_ms = r->wait_ms > 0 ? r->wait_ms : 60000;

	for (int k = 0; k < p->nlone; k++) {
		struct heal_node *l = &al->v[p->lone[k]];
		const struct node_entry *self = &l->view.e[l->view.self], *old = NULL;
		char old_id[NODE_ID_LEN + 1], master[NODE_ID_LEN + 1];
		struct conn *lc = al->c[p->lone[k]];
		struct sc_err e2;
		long long deadline;
		int x, met = 0;

		for (int m = 0; m < p->nmembers && !old; m++)
			if ((x = predecessor_find(&al->v[p->members[m]].view, self->hostname, l->id)) >= 0)
				old = &al->v[p->members[m]].view.e[x];
		if (!old)
			continue;
		if (old->nranges > 0) {
			log_tagged(r->out, "heal", "'%s' restarted empty in the place of member %.8s, which still owns "
				   "slots: left alone until a replica has taken them over", l->name, old->id);
			continue;
		}
		snprintf(old_id, sizeof(old_id), "%s", old->id);
		snprintf(master, sizeof(master), "%s", old->master);
		log_tagged(r->out, "heal", "%s'%s' (%.8s) restarted empty in the place of member %.8s: %s%.8s",
			   r->dry_run ? "would: " : "", l->name, l->id, old_id,
			   master[0] ? "rejoining it as a replica of " : "rejoining it", master);
		if (r->dry_run || !lc)
			continue;
		for (int m = 0; m < p->nmembers; m++) {
			struct conn *c = al->c[p->members[m]];
			if (c && heal_view_find(&al->v[p->members[m]].view, old_id) >= 0 &&
			    conn_ok(c, &e2, "CLUSTER FORGET %s", old_id) < 0)
				log_tagged(r->out, "heal", "warning: %s", e2.msg);
		}
		for (int m = 0; m < p->nmembers && !met; m++) {
			struct conn *c = al->c[p->members[m]];
			met = c && conn_ok(c, &e2, "CLUSTER MEET %s %d %d", l->ip, l->port, l->cport) == 0;
		}
		if (!met) {
			log_tagged(r->out, "heal", "warning: no member met '%s'", l->name);
			continue;
		}
		res->meets++;
		/* REPLICATE names a node the new one must know: gossip brings
		 * the master within a few heartbeats */
		deadline = clock_now_ms() + wait_ms;
		while (master[0] && conn_ok(lc, &e2, "CLUSTER REPLICATE %s", master) < 0) {
			if (clock_now_ms() >= deadline || lc->broken) {
				log_tagged(r->out, "heal", "warning: '%s' did not become a replica of %.8s: %s", l->name,
					   master, e2.msg);
				break;
			}
			clock_sleep_ms(200);
		}
		/* every member must know it before this counts as rejoined: a
		 * check right after would see the views differ (seen) */
		while (!all_know(al, p, l->id)) {
			if (clock_now_ms() >= deadline) {
				log_tagged(r->out, "heal", "warning: not every member knows '%s' yet after %d s", l->name,
					   wait_ms / 1000);
				break;
			}
			clock_sleep_ms(100);
		}
		res->replaced++;
		done++;
	}
	return done;
}

int heal_run(const struct heal_req *r, struct heal_result *res, struct sc_err *e)
{
	struct alive al;
	struct heal_plan plan;
	char **tried = NULL, why[600], missing[400];
	int ntried = 0, rc = -1, unreachable = 0, wait_ms = r->wait_ms > 0 ? r->wait_ms : 60000;
	long long deadline, next_meet;

	memset(&al, 0, sizeof(al));
	memset(&plan, 0, sizeof(plan));
	memset(res, 0, sizeof(*res));
	missing[0] = '\0';
	for (int i = 0; i < r->nodes->n; i++) {
		struct sc_err pe;
		err_clear(&pe);
		if (probe(&al, &r->nodes->v[i], r->conn, 1, NULL, &pe) < 0) {
			if (pe.kind == ERR_REFUSED || pe.kind == ERR_FAIL) {
				*e = pe;
				goto out;
			}
			log_tagged(r->out, "heal", "warning: %s", pe.msg);
			if (!missing[0])
				snprintf(missing, sizeof(missing), "%s", pe.msg);
			unreachable++;
		}
	}
	if (al.n == 0) {
		err_set(e, ERR_IO, "no listed node could be reached: %s", missing);
		goto out;
	}
	while (1) {
		int f = discover(&al, r->conn, &tried, &ntried, r);
		if (f < 0) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
		if (f == 0)
			break;
	}
	if (heal_plan_build(&plan, al.v, al.n, e) < 0)
		goto out;
	if (replace_lone(&al, &plan, r, res) > 0) {
		/* the rejoined nodes are members now: plan again on fresh views */
		for (int i = 0; i < al.n; i++) {
			struct sc_err ignore;
			if (al.c[i])
				read_view(al.c[i], &al.v[i].view, &ignore);
		}
		heal_plan_release(&plan);
		if (heal_plan_build(&plan, al.v, al.n, e) < 0)
			goto out;
	}
	res->lone = plan.nlone;
	res->members = plan.nmembers;
	for (int k = 0; k < plan.nlone; k++)
		log_tagged(r->out, "heal", "'%s' knows no other node and owns no slot: not a member, left alone "
		       "(reconcile adds new nodes)", al.v[plan.lone[k]].name);
	if (plan.note[0])
		log_tagged(r->out, "heal", "%s", plan.note);
	if (plan.nmembers == 0) {
		log_tagged(r->out, "heal", "no listed node belongs to a cluster: nothing to heal");
		res->nothing = 1;
		rc = unreachable ? err_set(e, ERR_IO, "%s", missing) : 0;
		goto out;
	}
	log_tagged(r->out, "heal", "%d members alive, %d listed node%s unreachable, %d meet%s needed", plan.nmembers, unreachable,
	    unreachable == 1 ? "" : "s", plan.nmeets, plan.nmeets == 1 ? "" : "s");
	if (plan.nmeets == 0 && !still_wrong(&al, &plan, r, 1, &res->reattached, why, sizeof(why))) {
		res->nothing = 1;
		log_tagged(r->out, "heal", "the cluster is healthy: nothing to heal");
		goto verdict;
	}
	send_meets(&al, &plan, r, res);
	if (r->dry_run) {
		if (plan.nmeets == 0)
			log_tagged(r->out, "heal", "would wait for: %s", why);
		rc = 0;
		goto out;
	}
	log_tagged(r->out, "heal", "waiting up to %d s for every member to link to every other one", wait_ms / 1000);
	deadline = clock_now_ms() + wait_ms;
	next_meet = clock_now_ms() + 2000;
	while (1) {
		clock_sleep_ms(200);
		refresh(&al, &plan, r->conn);
		if (!still_wrong(&al, &plan, r, 1, &res->reattached, why, sizeof(why)))
			break;
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "not healed after %d s: %s", wait_ms / 1000, why);
			goto out;
		}
		if (clock_now_ms() >= next_meet) {
			/* Meets can be lost (a node still starting): redo the
			 * ones still needed on the fresh views. */
			struct heal_plan again;
			struct sc_err ignore;
			if (heal_plan_build(&again, al.v, al.n, &ignore) == 0) {
				send_meets(&al, &again, r, res);
				heal_plan_release(&again);
			}
			next_meet = clock_now_ms() + 2000;
		}
	}
	log_tagged(r->out, "heal", "healed: %d members linked to each other (%d meets, %d replicas re-pointed)", plan.nmembers,
	    res->meets, res->reattached);
verdict:
	rc = 0;
	/* Members that every view names but nobody could find. */
	for (int k = 0; k < plan.nmembers; k++) {
		const struct view *v = &al.v[plan.members[k]].view;
		for (int x = 0; x < v->n; x++)
			if (!(v->e[x].flags & NF_HANDSHAKE) && node_by_id(al.v, al.n, v->e[x].id) < 0) {
				rc = err_set(e, ERR_FAIL,
					     "member %.8s ('%s', last at %s:%d) was not found at its announced "
					     "hostname nor at a listed address",
					     v->e[x].id, v->e[x].hostname[0] ? v->e[x].hostname : "no hostname",
					     v->e[x].ip, v->e[x].port);
				goto out;
			}
	}
	if (unreachable)
		rc = err_set(e, ERR_IO, "healed the members found, but %s", missing);
out:
	for (int i = 0; i < ntried; i++)
		free(tried[i]);
	free(tried);
	heal_plan_release(&plan);
	alive_release(&al);
	return rc;
}
