/* survey.c - see survey.h.
 *
 * One connection per node, opened once: CLUSTER NODES and INFO server (and,
 * with stats, INFO keyspace, INFO memory, CLUSTER INFO and INFO replication) are
 * pipelined on it, then it is closed, so a 1000-node survey never holds 1000
 * descriptors.  INFO server is read by every survey: the planner judges
 * moves by the servers' DUMP formats (server_kind.h).
 *
 * Which nodes are followed: every entry of every view that has an address,
 * except handshake and noaddr entries (a handshake may point at a stranger,
 * and a noaddr entry has no address).  A node found at an address under a
 * different id than the one it was named by is not taken as that node (its
 * address was reused); the named node is then unreachable.
 */
#include "cluster/survey.h"

#include "cluster/dbs.h"
#include "base/vec.h"

#include <pthread.h>
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
	struct server_kind server;
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
	return vec_grow(v, cap, need, size, 16);
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

	info = reply_text(r[0]); /* INFO keyspace: every database (cluster/dbs.h) */
	st->keys = info ? node_dbs_info_keys(info) : -1;
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

/* What reading one node gave: a view (parsed, with stats), or why not. */
struct fetched {
	struct view v;   /* v.n == 0: none */
	struct stats st;
	char name[ADDR_HOST_MAX + 16];
	char why[160];   /* unreachable, or answered CLUSTER NODES with an error */
	struct sc_err bad; /* a failure other than I/O (fatal for a seed) */
	int malformed;     /* the reply did not parse: fatal for any node */
};

/* Read one node: connect, pipeline CLUSTER NODES (and the stats commands),
 * parse.  Touches no shared state, so batches of these run in parallel. */
static void fetch(const struct target *tg, const struct conn_opts *o, int stats, struct fetched *f)
{
	struct sc_err ce = { 0 };
	struct conn *c = conn_open(&tg->a, o, &ce);
	/* CLUSTER NODES, INFO server, then the stats commands */
	redisReply *r[6] = { NULL, NULL, NULL, NULL, NULL, NULL };
	int nr = stats ? 6 : 2;
	const char *text;
	char desc[160];

	memset(f, 0, sizeof(*f));
	f->v.self = -1;
	f->st = (struct stats){ "", -1, -1, -1, -1, -1, { 0 } };
	addr_format(&tg->a, f->name, sizeof(f->name));
	if (!c) {
		if (ce.kind != ERR_IO)
			f->bad = ce;
		snprintf(f->why, sizeof(f->why), "%s", ce.msg);
		goto out;
	}
	if (conn_append(c, "CLUSTER NODES") < 0 || conn_append(c, "INFO server") < 0 ||
	    (stats && (conn_append(c, "INFO keyspace") < 0 || conn_append(c, "INFO memory") < 0 ||
		       conn_append(c, "CLUSTER INFO") < 0 || conn_append(c, "INFO replication") < 0)))
		goto lost;
	for (int i = 0; i < nr; i++)
		if (!(r[i] = conn_read(c)))
			goto lost;
	text = reply_text(r[0]);
	if (!text) {
		snprintf(f->why, sizeof(f->why), "cannot read cluster nodes from '%s': %s", c->name,
			 reply_describe(r[0], desc, sizeof(desc)));
		err_set(&f->bad, ERR_FAIL, "%s", f->why);
		goto out;
	}
	if (view_parse(&f->v, text, &ce) < 0 || f->v.self < 0) {
		if (f->v.self < 0 && !ce.msg[0])
			snprintf(ce.msg, sizeof(ce.msg), "no 'myself' line");
		err_set(&f->bad, ERR_FAIL, "cannot read cluster nodes from '%s': %s", c->name, ce.msg);
		f->malformed = 1;
		view_release(&f->v);
		goto out;
	}
	/* a server that does not say (an error reply, a proxy) stays unknown */
	server_kind_parse(&f->st.server, reply_text(r[1]));
	if (stats)
		parse_stats(&f->st, r + 2);
	memcpy(f->st.id, f->v.e[f->v.self].id, sizeof(f->st.id));
	goto out;
lost:
	if (c->err.kind != ERR_IO)
		f->bad = c->err;
	snprintf(f->why, sizeof(f->why), "%s", c->err.msg);
out:
	for (int i = 0; i < 6; i++)
		if (r[i])
			freeReplyObject(r[i]);
	conn_free(c);
}

/* Take what fetch gave for target tg into the survey, in queue order (so
 * the result does not depend on timing).  Returns 0 (a view added, or
 * tg->why says why the node could not be read), or -1 when the survey must
 * stop (e filled): a seed that fails other than by I/O, a malformed reply. */
static int absorb(struct survey *s, struct target *tg, struct fetched *f, struct sc_err *e)
{
	const struct view *v = &f->v;

	/* a malformed reply stops the survey; so does a seed refusing us
	 * (not cluster-enabled, authentication); a member that does is only
	 * unreachable */
	if (f->malformed || (tg->seed && f->bad.kind != ERR_NONE)) {
		*e = f->bad;
		return -1;
	}
	if (v->n == 0) {
		snprintf(tg->why, sizeof(tg->why), "%s", f->why);
		return 0;
	}
	if (tg->id[0] && strcmp(v->e[v->self].id, tg->id)) {
		snprintf(tg->why, sizeof(tg->why), "'%s' now answers as node %.8s", f->name,
			 v->e[v->self].id);
		return 0;
	}
	if (strset_add(&s->ids, v->e[v->self].id) == 0)
		return 0; /* the same node under a second address */
	/* a node that never met another does not know its own address: it is
	 * the one we reached it at */
	if (!v->e[v->self].ip[0] && v->e[v->self].port == tg->a.port &&
	    strlen(tg->a.host) < sizeof(v->e[v->self].ip))
		snprintf(f->v.e[f->v.self].ip, sizeof(f->v.e[f->v.self].ip), "%s", tg->a.host);
	if (grow((void **)&s->stats, &s->capstats, s->nviews + 1, sizeof(*s->stats)) < 0)
		return err_set(e, ERR_FAIL, "out of memory");
	if (topo_builder_add(s->b, v, e) < 0)
		return -1;
	s->stats[s->nviews++] = f->st;
	for (int i = 0; i < v->n; i++) {
		const struct node_entry *n = &v->e[i];
		struct addr a;
		if (i == v->self || !n->ip[0] || n->port <= 0 ||
		    (n->flags & (NF_HANDSHAKE | NF_NOADDR)) || strlen(n->ip) >= sizeof(a.host))
			continue;
		snprintf(a.host, sizeof(a.host), "%s", n->ip);
		a.port = n->port;
		if (enqueue(s, &a, n->id, 0) < 0)
			return err_set(e, ERR_FAIL, "out of memory");
	}
	return 0;
}

/* Nodes read at once: bounds both the wait for unreachable nodes (their
 * connect timeouts overlap) and the views held in memory at a time. */
#define SURVEY_PARALLEL 16

struct job {
	pthread_t th;
	int started;
	const struct target *tg;
	const struct conn_opts *o;
	int stats;
	struct fetched f;
};

static void *job_run(void *arg)
{
	struct job *j = arg;

	fetch(j->tg, j->o, j->stats, &j->f);
	return NULL;
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
	struct target batch[SURVEY_PARALLEL];
	struct job jobs[SURVEY_PARALLEL];
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
	/* breadth first, a batch at a time: targets found while absorbing a
	 * batch join the queue behind it */
	for (int i = 0; i < s.nq;) {
		int n = s.nq - i < SURVEY_PARALLEL ? s.nq - i : SURVEY_PARALLEL, k, stop = 0;
		for (k = 0; k < n; k++) {
			jobs[k] = (struct job){ .tg = &batch[k], .o = o, .stats = stats };
			batch[k] = s.q[i + k]; /* s.q may move while absorbing */
		}
		for (k = 0; k < n; k++)
			jobs[k].started = n > 1 && pthread_create(&jobs[k].th, NULL, job_run, &jobs[k]) == 0;
		for (k = 0; k < n; k++) {
			if (jobs[k].started)
				pthread_join(jobs[k].th, NULL);
			else
				job_run(&jobs[k]);
		}
		for (k = 0; k < n; k++) {
			if (!stop && absorb(&s, &batch[k], &jobs[k].f, e) < 0)
				stop = 1;
			s.q[i + k] = batch[k];
			view_release(&jobs[k].f.v);
		}
		if (stop)
			goto out;
		i += n;
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
		t->m[i].server = s.stats[v].server;
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
