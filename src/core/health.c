/* health.c - see health.h */
#include "core/health.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
	[PK_UNCOVERED] = "uncovered",	[PK_CONFLICT] = "conflict",
	[PK_OPEN_SLOT] = "open_slot",	[PK_DISAGREE] = "disagree",
	[PK_FAIL] = "fail",		[PK_PFAIL] = "pfail",
	[PK_UNREACHABLE] = "unreachable", [PK_HANDSHAKE] = "handshake",
	[PK_NOADDR] = "noaddr",		[PK_STATE] = "state",
	[PK_SHARDS] = "shards",		[PK_REPLICAS] = "replicas",
	[PK_REPL_DOWN] = "repl-down",
};

const char *problem_kind_name(enum problem_kind k)
{
	if ((int)k < 0 || (size_t)k >= sizeof(kind_names) / sizeof(kind_names[0]) || !kind_names[k])
		return "unknown";
	return kind_names[k];
}

void health_release(struct health *h)
{
	if (!h)
		return;
	free(h->p);
	h->p = NULL;
	h->n = 0;
}

struct acc {
	struct health *h;
	int cap;
	int oom;
};

static void add(struct acc *a, enum problem_kind k, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct acc *a, enum problem_kind k, const char *fmt, ...)
{
	va_list ap;

	if (a->oom)
		return;
	if (a->h->n == a->cap) {
		int ncap = a->cap ? a->cap * 2 : 16;
		struct problem *tmp = realloc(a->h->p, (size_t)ncap * sizeof(*tmp));
		if (!tmp) {
			a->oom = 1;
			return;
		}
		a->h->p = tmp;
		a->cap = ncap;
	}
	a->h->p[a->h->n].kind = k;
	va_start(ap, fmt);
	vsnprintf(a->h->p[a->h->n].msg, sizeof(a->h->p[a->h->n].msg), fmt, ap);
	va_end(ap);
	a->h->n++;
}

static const char *name_by_id(const struct topo *t, const char *id, char *buf, size_t size)
{
	int i = topo_find_id(t, id);

	if (i < 0) {
		snprintf(buf, size, "unknown node %.8s", id);
		return buf;
	}
	return member_label(&t->m[i], buf, size);
}

static void check_slots(const struct topo *t, struct acc *a)
{
	char list[160];
	size_t o = 0;
	int missing = 0, shown = 0;

	list[0] = '\0';
	for (int s = 0; s < CLUSTER_SLOTS; s++) {
		int first = s;
		if (t->owner[s] >= 0)
			continue;
		while (s + 1 < CLUSTER_SLOTS && t->owner[s + 1] < 0)
			s++;
		missing += s - first + 1;
		if (shown < 8 && o + 24 < sizeof(list)) {
			if (first == s)
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%d", shown ? " " : "", s);
			else
				o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%d-%d", shown ? " " : "",
						      first, s);
			shown++;
		} else if (shown == 8 && o + 5 < sizeof(list)) {
			o += (size_t)snprintf(list + o, sizeof(list) - o, " ...");
			shown++;
		}
	}
	if (missing)
		add(a, PK_UNCOVERED, "%d slot%s not covered by any master: %s", missing,
		    missing == 1 ? " is" : "s are", list);
	if (t->nconflicts)
		add(a, PK_CONFLICT, "%d slot%s claimed by two masters", t->nconflicts,
		    t->nconflicts == 1 ? " is" : "s are");
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		char me[128], peer[128], which[64];
		struct open_run *runs;
		int nruns;

		if (m->n.nopen == 0)
			continue;
		runs = malloc((size_t)m->n.nopen * sizeof(*runs));
		nruns = runs ? node_entry_open_runs(&m->n, runs) : -1;
		if (nruns < 0) {
			a->oom = 1;
			free(runs);
			return;
		}
		/* one problem per run of slots: a killed migration leaves many */
		for (int k = 0; k < nruns; k++) {
			const struct open_run *r = &runs[k];
			if (r->first == r->last)
				snprintf(which, sizeof(which), "slot %d is", r->first);
			else
				snprintf(which, sizeof(which), "slots %d-%d (%d) are", r->first, r->last,
					 r->last - r->first + 1);
			if (r->kind == OPEN_MIGRATING)
				add(a, PK_OPEN_SLOT, "%s open: migrating from %s to %s", which,
				    member_label(m, me, sizeof(me)), name_by_id(t, r->peer, peer, sizeof(peer)));
			else
				add(a, PK_OPEN_SLOT, "%s open: importing into %s from %s", which,
				    member_label(m, me, sizeof(me)), name_by_id(t, r->peer, peer, sizeof(peer)));
		}
		free(runs);
	}
}

/* One problem per troubled node, the worst thing about it. */
static void check_nodes(const struct topo *t, struct acc *a)
{
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		unsigned f = m->n.flags | m->peer_flags;
		char me[128];

		member_label(m, me, sizeof(me));
		if (f & NF_HANDSHAKE)
			add(a, PK_HANDSHAKE, "%s is a handshake that has not completed (node %.8s)", me,
			    m->n.id);
		else if (f & NF_NOADDR)
			add(a, PK_NOADDR, "%s has no known address (noaddr)%s", me,
			    f & NF_FAIL ? " and is marked failed" : "");
		else if (!m->reachable)
			add(a, PK_UNREACHABLE, "%s (%.8s, %s) is unreachable%s%s%s", me, m->n.id,
			    f & NF_REPLICA ? "replica" : "master", m->error[0] ? ": " : "", m->error,
			    f & NF_FAIL ? "; its peers mark it failed" : "");
		else if (f & NF_FAIL)
			add(a, PK_FAIL, "%s (%.8s) is marked failed by its peers", me, m->n.id);
		else if (f & NF_PFAIL)
			add(a, PK_PFAIL, "%s (%.8s) is suspected failing (pfail) by a peer", me, m->n.id);
		else if (m->state_ok == 0)
			add(a, PK_STATE, "%s reports cluster_state:fail", me);
		else if ((f & NF_REPLICA) && m->repl_link_up == 0)
			add(a, PK_REPL_DOWN, "replica %s is not linked to its master (master_link_status:down)", me);
	}
}

static int working(const struct member *m)
{
	unsigned f = m->n.flags | m->peer_flags;

	return m->reachable && !(f & (NF_FAIL | NF_PFAIL | NF_NOADDR | NF_HANDSHAKE)) &&
	       !((f & NF_REPLICA) && m->repl_link_up == 0);
}

static void check_shape(const struct topo *t, const struct health_opts *o, struct acc *a)
{
	char me[128], other[128];

	if (o->shards >= 0) {
		int masters = topo_count_masters(t);
		if (masters != o->shards)
			add(a, PK_SHARDS, "%d master%s own%s slots, expected %d", masters,
			    masters == 1 ? "" : "s", masters == 1 ? "s" : "", o->shards);
		for (int i = 0; i < t->n; i++) {
			const struct member *m = &t->m[i];
			if ((m->n.flags & NF_MASTER) && m->nslots == 0 && working(m))
				add(a, PK_SHARDS, "master %s owns no slot", member_label(m, me, sizeof(me)));
		}
	}
	if (o->replicas >= 0) {
		for (int i = 0; i < t->n; i++) {
			const struct member *m = &t->m[i];
			int n = 0;
			if (m->nslots == 0)
				continue;
			for (int j = 0; j < t->n; j++)
				if (t->m[j].master == i && working(&t->m[j]))
					n++;
			if (n != o->replicas)
				add(a, PK_REPLICAS, "master %s has %d working replica%s, expected %d",
				    member_label(m, me, sizeof(me)), n, n == 1 ? "" : "s", o->replicas);
		}
		for (int j = 0; j < t->n; j++) {
			const struct member *r = &t->m[j];
			if (!(r->n.flags & NF_REPLICA) || !working(r))
				continue;
			if (r->master < 0)
				add(a, PK_REPLICAS, "replica %s follows unknown node %.8s",
				    member_label(r, me, sizeof(me)), r->n.master);
			else if (t->m[r->master].nslots == 0)
				add(a, PK_REPLICAS, "replica %s follows %s, which owns no slot",
				    member_label(r, me, sizeof(me)), member_label(&t->m[r->master], other, sizeof(other)));
		}
	}
}

int health_check(const struct topo *t, const struct health_opts *o, struct health *h,
		 struct sc_err *e)
{
	struct acc a = { h, 0, 0 };

	h->p = NULL;
	h->n = 0;
	check_slots(t, &a);
	/* a view lacking a handshake the meeting node lists is the handshake's
	 * problem, reported with the node */
	if (!t->agree && !t->handshake_only)
		add(&a, PK_DISAGREE, "nodes disagree on the cluster layout: %s", t->disagreement);
	check_nodes(t, &a);
	check_shape(t, o, &a);
	if (a.oom) {
		health_release(h);
		return err_set(e, ERR_FAIL, "out of memory checking health");
	}
	return 0;
}
