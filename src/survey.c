/* survey.c - see survey.h.
 *
 * One connection per node, opened once: CLUSTER NODES (and, with stats,
 * DBSIZE, INFO memory and CLUSTER INFO) are pipelined on it, then it is
 * closed, so a 1000-node survey never holds 1000 descriptors.
 *
 * Which nodes are followed: every entry of every view that has an address,
 * except handshake and noaddr entries (a handshake may point at a stranger,
 * and a noaddr entry has no address).  A node found at an address under a
 * different id than the one it was named by is not taken as that node (its
 * address was reused); the named node is then unreachable.
 */
#include "survey.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A set of strings (node ids, "host:port"), open addressing. */
struct strset {
	char **v;
	size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Adds s; returns 1 if added, 0 if present, -1 out of memory. */
static int strset_add(struct strset *s, const char *key)
{
	size_t h;

	if ((s->n + 1) * 2 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 64;
		char **nv = calloc(ncap, sizeof(*nv));
		if (!nv)
			return -1;
		for (size_t i = 0; i < s->cap; i++)
			if (s->v[i]) {
				size_t k = (size_t)str_hash(s->v[i]) & (ncap - 1);
				while (nv[k])
					k = (k + 1) & (ncap - 1);
				nv[k] = s->v[i];
			}
		free(s->v);
		s->v = nv;
		s->cap = ncap;
	}
	h = (size_t)str_hash(key) & (s->cap - 1);
	while (s->v[h]) {
		if (!strcmp(s->v[h], key))
			return 0;
		h = (h + 1) & (s->cap - 1);
	}
	s->v[h] = strdup(key);
	if (!s->v[h])
		return -1;
	s->n++;
	return 1;
}

static void strset_release(struct strset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->cap = s->n = 0;
}

/* A node to visit: its address and, unless a seed, the id it was named by. */
struct target {
	struct addr a;
	char id[NODE_ID_LEN + 1];
	int seed;
	char why[160]; /* after the visit: why it could not be read, or "" */
};

/* What one reachable node told us beyond its view. */
struct stats {
	char id[NODE_ID_LEN + 1];
	long long keys, used_memory;
	int state_ok, known_nodes, repl_link_up;
};

struct survey {
	struct target *q;
	int nq, capq;
	struct topo_builder *b; /* each view is added, then released */
	struct stats *stats;
	int nviews, capstats;
	struct strset addrs, ids; /* addresses queued, ids read */
};

static int grow(void **v, int *cap, int need, size_t size)
{
	void *tmp;
	int ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	tmp = realloc(*v, (size_t)ncap * size);
	if (!tmp)
		return -1;
	*v = tmp;
	*cap = ncap;
	return 0;
}

/* Queue an address unless already queued.  0 / -1 (out of memory). */
static int enqueue(struct survey *s, const struct addr *a, const char *id, int seed)
{
	char key[ADDR_HOST_MAX + 16];
	int added;

	addr_format(a, key, sizeof(key));
	added = strset_add(&s->addrs, key);
	if (added <= 0)
		return added;
	if (grow((void **)&s->q, &s->capq, s->nq + 1, sizeof(*s->q)) < 0)
		return -1;
	s->q[s->nq].a = *a;
	snprintf(s->q[s->nq].id, sizeof(s->q[s->nq].id), "%s", id ? id : "");
	s->q[s->nq].seed = seed;
	s->nq++;
	return 0;
}

static long long reply_ll(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
}

static const char *reply_text(const redisReply *r)
{
	if (r && (r->type == REDIS_REPLY_STRING))
		return r->str;
	return NULL;
}

static void parse_stats(struct stats *st, redisReply **r)
{
	char buf[64];
	const char *info;

	st->keys = reply_ll(r[0]);
	info = reply_text(r[1]);
	if (info && info_field(info, "used_memory", buf, sizeof(buf)) == 0)
		st->used_memory = strtoll(buf, NULL, 10);
	info = reply_text(r[2]);
	if (info && info_field(info, "cluster_state", buf, sizeof(buf)) == 0)
		st->state_ok = !strcmp(buf, "ok");
	if (info && info_field(info, "cluster_known_nodes", buf, sizeof(buf)) == 0)
		st->known_nodes = atoi(buf);
	info = reply_text(r[3]);
	if (info && info_field(info, "role", buf, sizeof(buf)) == 0 && !strcmp(buf, "slave") &&
	    info_field(info, "master_link_status", buf, sizeof(buf)) == 0)
		st->repl_link_up = !strcmp(buf, "up");
}

/* Read one node.  Returns 0 (a view added, or `miss` says why the node
 * could not be read), or -1 when the survey must stop (e filled). */
static int visit(struct survey *s, const struct target *tg, const struct conn_opts *o, int stats,
		 char *miss, size_t misslen, struct sc_err *e)
{
	struct sc_err ce = { 0 };
	struct conn *c = conn_open(&tg->a, o, &ce);
	redisReply *r[5] = { NULL, NULL, NULL, NULL, NULL };
	int nr = stats ? 5 : 1, rc = -1;
	struct view v = { NULL, 0, -1 };
	struct stats st = { "", -1, -1, -1, -1, -1 };
	const char *text;
	char desc[160], why[160];

	if (!c) {
		if (tg->seed && ce.kind != ERR_IO) {
			*e = ce;
			goto out;
		}
		snprintf(miss, misslen, "%s", ce.msg);
		rc = 0;
		goto out;
	}
	if (conn_append(c, "CLUSTER NODES") < 0 ||
	    (stats && (conn_append(c, "DBSIZE") < 0 || conn_append(c, "INFO memory") < 0 ||
		       conn_append(c, "CLUSTER INFO") < 0 || conn_append(c, "INFO replication") < 0)))
		goto lost;
	for (int i = 0; i < nr; i++)
		if (!(r[i] = conn_read(c)))
			goto lost;
	text = reply_text(r[0]);
	if (!text) {
		snprintf(why, sizeof(why), "cannot read cluster nodes from '%s': %s", c->name,
			 reply_describe(r[0], desc, sizeof(desc)));
		if (tg->seed) {
			err_set(e, ERR_FAIL, "%s", why);
			goto out;
		}
		snprintf(miss, misslen, "%s", why);
		rc = 0;
		goto out;
	}
	if (view_parse(&v, text, &ce) < 0 || v.self < 0) {
		if (v.self < 0 && !ce.msg[0])
			snprintf(ce.msg, sizeof(ce.msg), "no 'myself' line");
		err_set(e, ERR_FAIL, "cannot read cluster nodes from '%s': %s", c->name, ce.msg);
		goto out;
	}
	if (tg->id[0] && strcmp(v.e[v.self].id, tg->id)) {
		snprintf(why, sizeof(why), "'%s' now answers as node %.8s", c->name, v.e[v.self].id);
		snprintf(miss, misslen, "%s", why);
		rc = 0;
		goto out;
	}
	if (strset_add(&s->ids, v.e[v.self].id) == 0) {
		rc = 0; /* the same node under a second address */
		goto out;
	}
	if (stats)
		parse_stats(&st, r + 1);
	memcpy(st.id, v.e[v.self].id, sizeof(st.id));
	if (grow((void **)&s->stats, &s->capstats, s->nviews + 1, sizeof(*s->stats)) < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	if (topo_builder_add(s->b, &v, e) < 0)
		goto out;
	s->stats[s->nviews++] = st;
	for (int i = 0; i < v.n; i++) {
		const struct node_entry *n = &v.e[i];
		struct addr a;
		if (i == v.self || !n->ip[0] || n->port <= 0 ||
		    (n->flags & (NF_HANDSHAKE | NF_NOADDR)) || strlen(n->ip) >= sizeof(a.host))
			continue;
		snprintf(a.host, sizeof(a.host), "%s", n->ip);
		a.port = n->port;
		if (enqueue(s, &a, n->id, 0) < 0) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
	}
	rc = 0;
	goto out;
lost:
	if (tg->seed && c->err.kind != ERR_IO) {
		*e = c->err;
		goto out;
	}
	snprintf(miss, misslen, "%s", c->err.msg);
	rc = 0;
out:
	for (int i = 0; i < 5; i++)
		if (r[i])
			freeReplyObject(r[i]);
	view_release(&v);
	conn_free(c);
	return rc;
}

static void survey_release(struct survey *s)
{
	topo_builder_free(s->b);
	free(s->stats);
	free(s->q);
	strset_release(&s->addrs);
	strset_release(&s->ids);
}

int survey_read(struct topo *t, const struct addr *seeds, int nseeds, const struct conn_opts *o,
		int stats, struct sc_err *e)
{
	struct survey s;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	memset(t, 0, sizeof(*t));
	s.b = topo_builder_new();
	if (!s.b) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < nseeds; i++)
		if (enqueue(&s, &seeds[i], NULL, 1) < 0) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
	for (int i = 0; i < s.nq; i++) {
		struct target tg = s.q[i]; /* s.q may move while visiting */
		char why[160] = "";
		if (visit(&s, &tg, o, stats, why, sizeof(why), e) < 0)
			goto out;
		snprintf(s.q[i].why, sizeof(s.q[i].why), "%s", why);
	}
	if (s.nviews == 0) {
		/* every seed failed with an I/O error: the first one says why */
		if (nseeds == 0)
			err_set(e, ERR_REFUSED, "no seed address given");
		else
			err_set(e, ERR_IO, "%s", s.q[0].why[0] ? s.q[0].why : "no seed could be read");
		goto out;
	}
	if (topo_builder_finish(s.b, t, e) < 0)
		goto out;
	for (int v = 0; v < s.nviews; v++) {
		int i = topo_find_id(t, s.stats[v].id);
		if (i < 0)
			continue;
		t->m[i].keys = s.stats[v].keys;
		t->m[i].used_memory = s.stats[v].used_memory;
		t->m[i].state_ok = s.stats[v].state_ok;
		t->m[i].known_nodes = s.stats[v].known_nodes;
		t->m[i].repl_link_up = s.stats[v].repl_link_up;
	}
	/* why each unreachable member was: the visit of the id it was named
	 * by, else of its address (it may have been a seed) */
	for (int k = 0; k < s.nq; k++) {
		const struct target *q = &s.q[k];
		int i = q->id[0] ? topo_find_id(t, q->id) : topo_find_addr(t, q->a.host, q->a.port);
		if (q->why[0] && i >= 0 && !t->m[i].reachable && !t->m[i].error[0])
			snprintf(t->m[i].error, sizeof(t->m[i].error), "%s", q->why);
	}
	for (int i = 0; i < t->n; i++)
		if (!t->m[i].reachable && !t->m[i].error[0])
			snprintf(t->m[i].error, sizeof(t->m[i].error), "%s",
				 t->m[i].n.flags & NF_NOADDR	 ? "no known address (noaddr)"
				 : t->m[i].n.flags & NF_HANDSHAKE ? "in handshake, not contacted"
								 : "not contacted");
	rc = 0;
out:
	survey_release(&s);
	return rc;
}
