/* exec.c - see exec.h */
#include "engine/exec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/stop.h"
#include "cluster/await.h"
#include "cluster/drainhold.h"
#include "cluster/fastjoin.h"
#include "cluster/node.h"
#include "cluster/peers.h"
#include "engine/members.h"
#include "engine/replsync.h"

#define POLL_MS 100

/* One run: the plan, its options, and the members as the run changes them. */
struct exec {
	struct plan *p;
	const struct exec_opts *o;
	struct members ms;
};

/* Members from the topo; a plan node's address (the LIST address) wins
 * over the topo's ip for the same id. */
static int members_init(struct exec *x, struct sc_err *e)
{
	if (members_from_topo(&x->ms, x->o->t, e) < 0)
		return -1;
	for (int i = 0; i < x->p->nnodes; i++) {
		int k = members_find(&x->ms, x->p->nodes[i].id);
		if (k >= 0)
			x->ms.m[k].addr = x->p->nodes[i].addr;
	}
	return 0;
}

static struct conn *pconn(struct exec *x, int i, struct sc_err *e)
{
	return conn_open(&x->p->nodes[i].addr, x->o->conn, e);
}

/* Gossip carries a node's role and slots only in that node's own messages,
 * which reach each peer every node_timeout/2 at worst (7.5 s by default).
 * A CLUSTER MEET sent by the node to a peer it already knows makes it send
 * one at once (the transient handshake entry is dropped when the peer
 * answers), so after a join, a REPLICATE or a FAILOVER the node "announces"
 * itself to every member: the waits that follow take a round trip instead
 * of a gossip period.  Best effort: errors are ignored, the wait decides. */
static void announce(struct exec *x, const char *id)
{
	int k = members_find(&x->ms, id);
	struct sc_err ce;
	struct conn *c = k >= 0 ? conn_open(&x->ms.m[k].addr, x->o->conn, &ce) : NULL;
	redisReply *r;
	int sent = 0;

	for (int i = 0; c && i < x->ms.n; i++) {
		if (i == k || x->ms.m[i].gone || x->ms.m[i].dead || !x->ms.m[i].ip[0])
			continue;
		conn_append(c, "CLUSTER MEET %s %d %d", x->ms.m[i].ip, x->ms.m[i].addr.port, x->ms.m[i].cport);
		sent++;
	}
	for (int i = 0; c && i < sent; i++)
		if ((r = conn_read(c)))
			freeReplyObject(r);
	conn_free(c);
}

/* Every member meets the new node too (best effort): it is known to all
 * at once instead of after gossip has carried it around. */
static void meet_fanout(struct exec *x, const struct plan_node *n, const char *ip, int cport)
{
	struct conn **cs = calloc((size_t)x->ms.n + 1, sizeof(*cs));
	redisReply *r;

	for (int i = 0; cs && i < x->ms.n; i++) {
		struct sc_err ce;
		if (x->ms.m[i].gone || x->ms.m[i].dead || !strcmp(x->ms.m[i].id, n->id))
			continue;
		if ((cs[i] = conn_open(&x->ms.m[i].addr, x->o->conn, &ce)))
			conn_append(cs[i], "CLUSTER MEET %s %d %d", ip, n->addr.port, cport);
	}
	for (int i = 0; cs && i < x->ms.n; i++)
		if (cs[i])
			conn_flush(cs[i]);
	for (int i = 0; cs && i < x->ms.n; i++) {
		if (cs[i] && (r = conn_read(cs[i])))
			freeReplyObject(r);
		conn_free(cs[i]);
	}
	free(cs);
}

static int step_meet(struct exec *x, const struct step *s, struct sc_err *e)
{
	struct plan_node *n = &x->p->nodes[s->node], *peer = &x->p->nodes[s->peer];
	char ip[64], a[300], b[300];
	int cport = peer->addr.port + 10000, rc = -1, k;
	struct conn *c = NULL;
	struct fastjoin fj;
	const struct topo *t = x->o->t;
	int ti = t ? topo_find_id(t, peer->id) : -1;

	if (ti >= 0 && t->m[ti].n.cport > 0)
		cport = t->m[ti].n.cport;
	log_say(x->o->log, "joining %s to the cluster through %s", plan_node_label(x->p, s->node, a, sizeof(a)),
	      plan_node_label(x->p, s->peer, b, sizeof(b)));
	if (addr_resolve_ip(peer->addr.host, ip, sizeof(ip), e) < 0)
		goto out;
	if (!(c = pconn(x, s->node, e)))
		goto out;
	fastjoin_lower(c, &fj);
	if (conn_ok(c, e, "CLUSTER MEET %s %d %d", ip, peer->addr.port, cport) < 0) {
		fastjoin_restore(c, &fj, FASTJOIN_TIMEOUT | FASTJOIN_SYNC_DELAY);
		goto out;
	}
	if (!n->id[0] && node_id(c, n->id, e) < 0)
		goto out;
	if (addr_resolve_ip(n->addr.host, ip, sizeof(ip), e) < 0)
		goto out;
	cport = node_bus_port(c, n->addr.port);
	meet_fanout(x, n, ip, cport);
	if (members_add(&x->ms, n->id, &n->addr, 1, "") < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	members_bus(&x->ms, n->id, ip, cport);
	k = members_find(&x->ms, n->id);
	x->ms.m[k].fj = fj;
	announce(x, n->id);
	rc = 0;
out:
	conn_free(c);
	return rc;
}

/* Put back the settings fastjoin lowered on the nodes this run joined
 * (`what`: fastjoin.h). */
static void fast_restore(struct exec *x, int what)
{
	for (int i = 0; i < x->ms.n; i++)
		fastjoin_put_back(&x->ms.m[i].addr, x->o->conn, &x->ms.m[i].fj, what, x->o->log);
}

/* Put back what hold_drained held on every member. */
static void drain_restore(struct exec *x)
{
	for (int i = 0; i < x->ms.n; i++)
		drainhold_put_back(&x->ms.m[i].addr, x->o->conn, &x->ms.m[i].dh, x->o->log);
}

/* Before moves [first, last): each source they leave without a slot (it
 * owns no more than they take from it) and its replicas hold
 * cluster-allow-replica-migration at no, so the server does not turn it
 * into a replica of a taker, with a full sync, in the middle of the drain
 * (drainhold.h).  Best effort: a node that cannot be asked or told keeps
 * its setting. */
static void hold_drained(struct exec *x, int first, int last)
{
	unsigned char *owned = malloc(CLUSTER_SLOTS);

	for (int k = first; owned && k < last; k++) {
		const char *id = x->p->nodes[x->p->steps[k].node].id;
		int src = members_find(&x->ms, id), moved = 0, have = 0, nopen, held = 0, nrep = 0;
		struct sc_err e;
		struct conn *c;
		char a[300];

		for (int j = first; j < k; j++)
			if (x->p->steps[j].node == x->p->steps[k].node)
				src = -1; /* seen already */
		if (src < 0 || x->ms.m[src].dead)
			continue;
		for (int j = k; j < last; j++)
			if (x->p->steps[j].node == x->p->steps[k].node)
				moved += x->p->steps[j].nslots;
		if (!(c = conn_open(&x->ms.m[src].addr, x->o->conn, &e)))
			continue;
		if (node_self_slots(c, owned, &nopen, NULL, &e) == 0) {
			for (int s = 0; s < CLUSTER_SLOTS; s++)
				have += owned[s];
			if (have <= moved)
				held = drainhold_set(c, &x->ms.m[src].dh);
		}
		conn_free(c);
		if (!held)
			continue;
		for (int i = 0; i < x->ms.n; i++) {
			if (strcmp(x->ms.m[i].master_of, id) != 0 || x->ms.m[i].gone || x->ms.m[i].dead)
				continue;
			if ((c = conn_open(&x->ms.m[i].addr, x->o->conn, &e)))
				nrep += drainhold_set(c, &x->ms.m[i].dh);
			conn_free(c);
		}
		log_say(x->o->log, "%s gives away its last slots: %s held at no on it and %d replica(s), so "
			"that it stays a master until the run ends", plan_node_label(x->p, x->p->steps[k].node, a, sizeof(a)),
			DRAINHOLD_SETTING, nrep);
	}
	free(owned);
}

static int step_wait(struct exec *x, struct sc_err *e)
{
	struct addr *seeds = calloc((size_t)x->ms.n + 1, sizeof(*seeds));
	char (*ids)[NODE_ID_LEN + 1] = calloc((size_t)x->ms.n + 1, sizeof(*ids));
	char (*masters)[NODE_ID_LEN + 1] = calloc((size_t)x->ms.n + 1, sizeof(*masters));
	struct await_req r;
	int n = 0, ns = 0, rc = -1;

	if (!seeds || !ids || !masters) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < x->ms.n; i++) {
		if (x->ms.m[i].gone || x->ms.m[i].dead)
			continue;
		seeds[ns++] = x->ms.m[i].addr;
		if (x->ms.m[i].role_unknown)
			continue;
		memcpy(ids[n], x->ms.m[i].id, NODE_ID_LEN + 1);
		memcpy(masters[n], x->ms.m[i].master_of, NODE_ID_LEN + 1);
		n++;
	}
	memset(&r, 0, sizeof(r));
	r.seeds = seeds;
	r.nseeds = ns;
	r.ids = (const char(*)[NODE_ID_LEN + 1])ids;
	r.nids = n;
	/* the roles too: a replica just attached is known as one by all */
	r.masters = (const char(*)[NODE_ID_LEN + 1])masters;
	r.conn = x->o->conn;
	r.wait_ms = x->ms.wait_ms;
	r.log = x->o->log;
	r.what = "every node to agree";
	log_say(x->o->log, "waiting for every node to agree");
	rc = await_agreement(&r, e);
	if (rc < 0 && e->kind == ERR_FAIL && x->o->unsettled)
		*x->o->unsettled = 1;
out:
	free(seeds);
	free(ids);
	free(masters);
	return rc;
}

static int step_failover(struct exec *x, const struct step *s, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->ms.wait_ms;
	int refused;
	struct conn *c = NULL;
	char a[300], b[300];
	const char *old, *nid;
	int rc = -1, k;

	log_say(x->o->log, "failing over: %s takes over from %s", plan_node_label(x->p, s->node, a, sizeof(a)),
	      plan_node_label(x->p, s->peer, b, sizeof(b)));
	/* a replica still syncing would be promoted without the data */
	if ((k = members_find(&x->ms, x->p->nodes[s->node].id)) >= 0 && replsync_wait(&x->ms, &k, 1, e) < 0)
		goto out;
	if (!(c = pconn(x, s->node, e)))
		goto out;
	if ((k = node_promote(c, deadline, 0, &refused, e)) != 0) {
		if (k == 1)
			err_set(e, ERR_FAIL, "failover of %s did not complete within %d s%s", a, x->ms.wait_ms / 1000,
				refused ? ": it kept seeing its master down" : "");
		goto out;
	}
	/* the old master and its other replicas follow the new master */
	old = s->peer >= 0 ? x->p->nodes[s->peer].id : "-";
	nid = x->p->nodes[s->node].id;
	for (k = 0; k < x->ms.n; k++) {
		if (strcmp(x->ms.m[k].id, nid) == 0) {
			x->ms.m[k].master = 1;
			x->ms.m[k].role_unknown = 0;
			x->ms.m[k].master_of[0] = '\0';
		} else if (strcmp(x->ms.m[k].id, old) == 0 || strcmp(x->ms.m[k].master_of, old) == 0) {
			x->ms.m[k].master = 0;
			x->ms.m[k].role_unknown = 0;
			snprintf(x->ms.m[k].master_of, sizeof(x->ms.m[k].master_of), "%s", nid);
		}
	}
	announce(x, nid);
	rc = 0;
out:
	conn_free(c);
	return rc;
}

/* A master emptied by this run's moves gets a fresh view of the cluster
 * before it becomes a replica: CLUSTER RESET SOFT (it holds no slot and no
 * key; it keeps its id and epochs) and a MEET to every member, after which
 * it learns every slot owner again from the owners' own messages.  Why:
 * Redis 7.0 (up to 7.2.3; redis/redis#12564, fixed in 7.2.4) keeps a
 * per-slot "owner not claiming" mark that a SETSLOT NODE followed by an
 * older message of the new owner can leave set for good on the source.
 * Once that node is a replica and is promoted (shards kept, replicas
 * lowered: the next reconcile fails over to it; or any failover), the old
 * master's last messages take such a slot back, Redis drops the slot's
 * keys on the new master as "dirty" and leaves the slot unassigned there:
 * measured here, in 3 of 12 runs of 4x1 -> 3x1 -> 3x0 with 16 slots open
 * per move.  A reset node relearns every slot as unassigned -> owner,
 * which clears the marks.  Its data is none (empty master) or a replica's
 * copy (Redis may have made it a replica already), so nothing is lost;
 * REPLICATE then syncs it in full. */
static int fresh_view(struct exec *x, struct conn *c, const char *id, const char *name, struct sc_err *e)
{
	log_say(x->o->log, "resetting the cluster view of %s (emptied by the moves) before it becomes a replica", name);
	if (conn_ok(c, e, "CLUSTER RESET SOFT") < 0)
		return -1;
	announce(x, id);
	return 0;
}

static int step_replicate(struct exec *x, const struct step *s, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->ms.wait_ms;
	const char *master = x->p->nodes[s->peer].id;
	struct conn *c = NULL;
	redisReply *r = NULL;
	char a[300], b[300], desc[300];
	int rc = -1, k;

	log_say(x->o->log, "making %s a replica of %s", plan_node_label(x->p, s->node, a, sizeof(a)), plan_node_label(x->p, s->peer, b, sizeof(b)));
	if (!(c = pconn(x, s->node, e)))
		goto out;
	if ((k = members_find(&x->ms, x->p->nodes[s->node].id)) >= 0 && x->ms.m[k].was_source &&
	    fresh_view(x, c, x->p->nodes[s->node].id, a, e) < 0)
		goto out;
	for (;;) {
		if (!(r = conn_command(c, "CLUSTER REPLICATE %s", master))) {
			*e = c->err;
			goto out;
		}
		if (reply_is_status(r, "OK"))
			break;
		/* right after a MEET the node may not know the master yet */
		if (reply_class(r) != RC_UNKNOWN_NODE || clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "'CLUSTER REPLICATE' on %s failed: %s", a,
				reply_describe(r, desc, sizeof(desc)));
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
		clock_sleep_ms(POLL_MS);
	}
	if ((k = members_find(&x->ms, x->p->nodes[s->node].id)) >= 0) {
		x->ms.m[k].master = 0;
		x->ms.m[k].role_unknown = 0;
		snprintf(x->ms.m[k].master_of, sizeof(x->ms.m[k].master_of), "%s", master);
	}
	announce(x, x->p->nodes[s->node].id);
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return rc;
}

/* CLUSTER RESET HARD on a node leaving the cluster.  A replica (or a
 * master Redis turned into one) may be loading a full sync at that moment:
 * it answers LOADING until the load ends, so that is waited out (measured
 * on Redis 8.0: a node removed right after its sync began). */
static int reset_hard(struct exec *x, struct conn *c, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->ms.wait_ms;
	char desc[300];
	redisReply *r;

	for (;;) {
		if (!(r = conn_command(c, "CLUSTER RESET HARD"))) {
			*e = c->err;
			return -1;
		}
		if (reply_is_status(r, "OK"))
			break;
		if (reply_class(r) != RC_LOADING || clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "'CLUSTER RESET HARD' on '%s' failed: %s", c->name,
				reply_describe(r, desc, sizeof(desc)));
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
		clock_sleep_ms(POLL_MS);
	}
	freeReplyObject(r);
	return 0;
}

static int step_forget(struct exec *x, const struct step *s, struct sc_err *e)
{
	const char *id = x->p->nodes[s->node].id;
	struct conn **cs = calloc((size_t)x->ms.n + 1, sizeof(*cs));
	struct conn *self = NULL;
	char a[300], desc[300];
	redisReply *r;
	int rc = -1, k;

	log_say(x->o->log, "removing %s (%.8s) from the cluster", plan_node_label(x->p, s->node, a, sizeof(a)), id);
	if (!cs) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* connect first, then send every FORGET at once: the forget ban (60 s)
	 * must cover the whole fan-out, or gossip brings the node back */
	for (int i = 0; i < x->ms.n; i++) {
		struct sc_err ce;
		if (x->ms.m[i].gone || x->ms.m[i].dead || strcmp(x->ms.m[i].id, id) == 0)
			continue;
		if ((cs[i] = conn_open(&x->ms.m[i].addr, x->o->conn, &ce)))
			conn_append(cs[i], "CLUSTER FORGET %s", id);
		else
			log_say(x->o->log, "warning: %s", ce.msg);
	}
	for (int i = 0; i < x->ms.n; i++)
		if (cs[i])
			conn_flush(cs[i]);
	for (int i = 0; i < x->ms.n; i++) {
		if (!cs[i])
			continue;
		if (!(r = conn_read(cs[i]))) {
			log_say(x->o->log, "warning: %s", cs[i]->err.msg);
			continue;
		}
		if (!reply_is_status(r, "OK") && reply_class(r) != RC_UNKNOWN_NODE) {
			err_set(e, ERR_FAIL, "'CLUSTER FORGET' on '%s' failed: %s", cs[i]->name,
				reply_describe(r, desc, sizeof(desc)));
			freeReplyObject(r);
			goto out;
		}
		freeReplyObject(r);
	}
	if ((k = members_find(&x->ms, id)) >= 0)
		x->ms.m[k].gone = 1;
	/* the node itself forgets the cluster, so it cannot gossip its way
	 * back, and is empty and free for a later join */
	struct sc_err ce;
	if ((self = pconn(x, s->node, &ce))) {
		if (reset_hard(x, self, e) < 0)
			goto out;
	} else {
		log_say(x->o->log, "note: %s does not answer; it was not reset", a);
	}
	rc = 0;
out:
	for (int i = 0; cs && i < x->ms.n; i++)
		conn_free(cs[i]);
	free(cs);
	conn_free(self);
	return rc;
}

/* Before a migration job: the two nodes of each move know each other
 * (cluster/peers.h: a lagging node refuses the move half way). */
static int moves_await_peers(struct exec *x, const struct migrate_node *nodes, int nn,
			     const struct migrate_move *mv, int nmv, struct sc_err *e)
{
	struct peer_node *pn = calloc((size_t)nn + 1, sizeof(*pn));
	int (*pairs)[2] = calloc((size_t)nmv + 1, sizeof(*pairs));
	int rc = -1;

	if (!pn || !pairs) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < nn; i++) {
		char a[280];
		pn[i].addr = nodes[i].addr;
		memcpy(pn[i].id, nodes[i].id, NODE_ID_LEN + 1);
		snprintf(pn[i].name, sizeof(pn[i].name), "'%s'", addr_format(&nodes[i].addr, a, sizeof(a)));
	}
	for (int k = 0; k < nmv; k++) {
		pairs[k][0] = mv[k].src;
		pairs[k][1] = mv[k].dst;
	}
	rc = peers_await(pn, nn, (const int (*)[2])pairs, nmv, x->o->conn, x->ms.wait_ms, x->o->log, e);
out:
	free(pn);
	free(pairs);
	return rc;
}

/* Steps [first, last) are MOVE steps: one migration job. */
static int step_moves(struct exec *x, int first, int last, struct sc_err *e)
{
	struct migrate_node *nodes = calloc((size_t)x->ms.n + 1, sizeof(*nodes));
	struct migrate_move *mv = calloc((size_t)(last - first) + 1, sizeof(*mv));
	int *slots = calloc(CLUSTER_SLOTS, sizeof(*slots));
	struct migrate_opts mo;
	struct migrate_run_opts run;
	struct migrate *m = NULL;
	int nn = 0, used = 0, rc = -1, nslots = 0;
	int *map = calloc((size_t)x->ms.n + 1, sizeof(*map));
	char a[300], b[300];

	if (!nodes || !mv || !slots || !map) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < x->ms.n; i++) {
		map[i] = -1;
		if (x->ms.m[i].gone)
			continue;
		nodes[nn].addr = x->ms.m[i].addr;
		snprintf(nodes[nn].ip, sizeof(nodes[nn].ip), "%s", x->ms.m[i].ip);
		memcpy(nodes[nn].id, x->ms.m[i].id, NODE_ID_LEN + 1);
		nodes[nn].master = x->ms.m[i].master && !x->ms.m[i].dead;
		map[i] = nn++;
	}
	for (int k = first; k < last; k++) {
		const struct step *s = &x->p->steps[k];
		int si = members_find(&x->ms, x->p->nodes[s->node].id), di = members_find(&x->ms, x->p->nodes[s->peer].id);
		if (si < 0 || di < 0) {
			err_set(e, ERR_FAIL, "cannot move slots from %s to %s: not both members",
				plan_node_label(x->p, s->node, a, sizeof(a)), plan_node_label(x->p, s->peer, b, sizeof(b)));
			goto out;
		}
		nodes[map[si]].master = nodes[map[di]].master = 1;
		mv[k - first].src = map[si];
		mv[k - first].dst = map[di];
		mv[k - first].slots = slots + used;
		for (int r = 0; r < s->nranges; r++)
			for (int sl = s->ranges[r].first; sl <= s->ranges[r].last && used < CLUSTER_SLOTS; sl++)
				slots[used++] = sl;
		mv[k - first].nslots = (int)(slots + used - mv[k - first].slots);
		nslots += mv[k - first].nslots;
		if (s->kind == STEP_FINISH && s->successor)
			log_say(x->o->log, "%d slot(s) (the first %d) were left open by a move one of whose nodes "
				"failed over; finishing them from %s to %s", s->nslots, s->ranges[0].first,
				plan_node_label(x->p, s->node, a, sizeof(a)), plan_node_label(x->p, s->peer, b, sizeof(b)));
		else if (s->kind == STEP_MOVE)
			log_say(x->o->log, "moving %d slots from %s to %s%s", mv[k - first].nslots,
				plan_node_label(x->p, s->node, a, sizeof(a)), plan_node_label(x->p, s->peer, b, sizeof(b)),
				x->o->mig && x->o->mig->method == MIGRATE_ATOMIC ? " (atomic)" : "");
	}
	if (x->o->mig)
		mo = *x->o->mig;
	else
		migrate_opts_init(&mo, x->o->conn);
	mo.conn = x->o->conn;
	mo.log = x->o->log;
	if (x->p->steps[first].kind == STEP_FINISH)
		mo.method = MIGRATE_LEGACY; /* open slots: atomic cannot start there */
	if (moves_await_peers(x, nodes, nn, mv, last - first, e) < 0)
		goto out;
	if (!(m = migrate_init(nodes, nn, mv, last - first, &mo, e)))
		goto out;
	run = (struct migrate_run_opts){ x->o->log, x->o->tty, 500 };
	rc = migrate_run(m, &run, NULL, e);
	m = NULL;
	if (rc < 0 && e->kind == ERR_IO) {
		/* a node of a move died or hung: say what is left and when to
		 * go on (reconcile finishes open slots with the node back, or
		 * with the replica that took over from it) */
		size_t len = strlen(e->msg);
		snprintf(e->msg + len, sizeof(e->msg) - len, "; %s: run reconcile again once the node is back or its "
			 "replica has taken over", mo.method == MIGRATE_ATOMIC ? "atomic jobs leave no slot open, "
			 "the slots not moved stay with their sources" : "the slots it was moving are left open");
	}
	(void)nslots;
	/* sources may have lost every slot: their role, and their replicas',
	 * is Redis's to change now (see struct run_member) */
	for (int k = first; k < last; k++) {
		const char *src = x->p->nodes[x->p->steps[k].node].id;
		for (int i = 0; i < x->ms.n; i++) {
			if (strcmp(x->ms.m[i].id, src) == 0 || strcmp(x->ms.m[i].master_of, src) == 0)
				x->ms.m[i].role_unknown = 1;
			if (strcmp(x->ms.m[i].id, src) == 0)
				x->ms.m[i].was_source = 1;
		}
	}
out:
	migrate_finish(m, NULL);
	free(nodes);
	free(mv);
	free(slots);
	free(map);
	return rc;
}

/* Before keys flow to the targets of moves [first, last): their replicas
 * are in sync.  A replica attached by this run (a new shard's) may still be
 * in its first sync when the moves begin; the keys its master receives
 * meanwhile reach it only after that sync, so a failover onto it then
 * loses every key moved so far (measured: tens of keys, with the target
 * killed a few ms into its first move).  The first sync of an empty
 * master takes milliseconds. */
struct move_span {
	const struct plan *p;
	int first, last;
};

static int replica_of_target(const struct members *ms, const struct run_member *r, void *arg)
{
	const struct move_span *sp = arg;

	(void)ms;
	/* the sources' replicas too: Valkey >= 8 applies every SETSLOT on the
	 * replicas online at that moment only, and one still syncing keeps
	 * the marks of the sync for good (research A4, A7.1) */
	for (int k = sp->first; k < sp->last; k++)
		if (strcmp(r->master_of, sp->p->nodes[sp->p->steps[k].peer].id) == 0 ||
		    strcmp(r->master_of, sp->p->nodes[sp->p->steps[k].node].id) == 0)
			return 1;
	return 0;
}

static int sync_targets(struct exec *x, int first, int last, struct sc_err *e)
{
	struct move_span sp = { x->p, first, last };

	return replsync_where(&x->ms, replica_of_target, &sp, e);
}

int exec_run(struct plan *p, const struct exec_opts *o, struct sc_err *e)
{
	struct exec x;
	int rc = -1, i = 0, j;

	memset(&x, 0, sizeof(x));
	x.p = p;
	x.o = o;
	x.ms.conn = o->conn;
	x.ms.log = o->log;
	x.ms.wait_ms = o->wait_ms > 0 ? o->wait_ms : 60000;
	if (members_init(&x, e) < 0)
		goto out;
	while (i < p->nsteps) {
		const struct step *s = &p->steps[i];
		if (stop_requested()) {
			rc = err_set(e, ERR_FAIL, "interrupted by %s before step %d of %d; run again to continue",
				     stop_name(stop_requested()), i + 1, p->nsteps);
			goto out;
		}
		switch (s->kind) {
		case STEP_MEET:
			rc = step_meet(&x, s, e);
			break;
		case STEP_WAIT:
			if ((rc = step_wait(&x, e)) == 0)
				fast_restore(&x, FASTJOIN_TIMEOUT); /* joins are over */
			break;
		case STEP_FAILOVER:
			rc = step_failover(&x, s, e);
			break;
		case STEP_REPLICATE:
			rc = step_replicate(&x, s, e);
			break;
		case STEP_FORGET:
			rc = step_forget(&x, s, e);
			break;
		case STEP_MOVE:
		case STEP_FINISH:
			/* consecutive moves (or finishes) are one migration job */
			for (j = i; j < p->nsteps && p->steps[j].kind == s->kind; j++)
				;
			if (s->kind == STEP_FINISH)
				log_say(o->log, "finishing %d slot(s) left open by an interrupted run", p->finish_slots);
			if ((rc = sync_targets(&x, i, j, e)) == 0) {
				hold_drained(&x, i, j);
				rc = step_moves(&x, i, j, e);
			}
			i = j - 1;
			break;
		default:
			rc = err_set(e, ERR_FAIL, "step %d: unknown kind %d", i, (int)s->kind);
		}
		if (rc < 0)
			goto out;
		i++;
	}
	/* done means every replica is in sync, not only those attached now: a
	 * replica still loading (e.g. since the create) would lose its shard
	 * on a failover */
	rc = replsync_replicas(&x.ms, e);
out:
	fast_restore(&x, FASTJOIN_TIMEOUT | FASTJOIN_SYNC_DELAY);
	drain_restore(&x);
	members_release(&x.ms);
	return rc;
}
