/* exec.c - see exec.h */
#include "engine/exec.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/clock.h"
#include "cluster/await.h"
#include "engine/exec_int.h"
#include "cluster/fastjoin.h"
#include "base/progress.h"

void exec_log(struct exec *x, const char *fmt, ...)
{
	va_list ap;

	if (!x->o->log)
		return;
	va_start(ap, fmt);
	vfprintf(x->o->log, fmt, ap);
	va_end(ap);
	fputc('\n', x->o->log);
	fflush(x->o->log);
}

int exec_member_find(const struct exec *x, const char *id)
{
	for (int i = 0; id[0] && i < x->n; i++)
		if (!x->m[i].gone && strcmp(x->m[i].id, id) == 0)
			return i;
	return -1;
}

static int member_add(struct exec *x, const char *id, const struct addr *a, int master,
		      const char *master_of)
{
	int i = exec_member_find(x, id);

	if (i >= 0) {
		x->m[i].addr = *a;
		x->m[i].master = master;
		x->m[i].role_unknown = 0;
		snprintf(x->m[i].master_of, sizeof(x->m[i].master_of), "%s", master_of);
		return 0;
	}
	if (x->n == x->cap) {
		int cap = x->cap ? x->cap * 2 : 16;
		struct xmember *tmp = realloc(x->m, sizeof(*tmp) * (size_t)cap);
		if (!tmp)
			return -1;
		x->m = tmp;
		x->cap = cap;
	}
	memset(&x->m[x->n], 0, sizeof(x->m[x->n]));
	snprintf(x->m[x->n].id, sizeof(x->m[x->n].id), "%s", id);
	x->m[x->n].addr = *a;
	x->m[x->n].master = master;
	snprintf(x->m[x->n].master_of, sizeof(x->m[x->n].master_of), "%s", master_of);
	x->n++;
	return 0;
}

static void member_bus(struct exec *x, const char *id, const char *ip, int cport)
{
	int k = exec_member_find(x, id);

	if (k >= 0) {
		snprintf(x->m[k].ip, sizeof(x->m[k].ip), "%s", ip);
		x->m[k].cport = cport;
	}
}

/* Members from the topo; a plan node's address (the LIST address) wins
 * over the topo's ip for the same id. */
int exec_members_init(struct exec *x, struct sc_err *e)
{
	const struct topo *t = x->o->t;

	for (int i = 0; t && i < t->n; i++) {
		const struct node_entry *n = &t->m[i].n;
		struct addr a;
		if (!n->ip[0] || (n->flags & NF_NOADDR))
			continue;
		snprintf(a.host, sizeof(a.host), "%s", n->ip);
		a.port = n->port;
		if (member_add(x, n->id, &a, (n->flags & NF_MASTER) != 0,
			       (n->flags & NF_REPLICA) ? n->master : "") < 0)
			return err_set(e, ERR_FAIL, "out of memory");
		member_bus(x, n->id, n->ip, n->cport > 0 ? n->cport : n->port + 10000);
		if (!t->m[i].reachable || (n->flags & (NF_FAIL | NF_PFAIL | NF_HANDSHAKE)))
			x->m[exec_member_find(x, n->id)].dead = 1;
	}
	for (int i = 0; i < x->p->nnodes; i++) {
		int k = exec_member_find(x, x->p->nodes[i].id);
		if (k >= 0)
			x->m[k].addr = x->p->nodes[i].addr;
	}
	return 0;
}

static const char *pname(struct exec *x, int i, char *buf, int len)
{
	if (i < 0 || i >= x->p->nnodes)
		return "?";
	return addr_format(&x->p->nodes[i].addr, buf, len);
}

static struct conn *pconn(struct exec *x, int i, struct sc_err *e)
{
	return conn_open(&x->p->nodes[i].addr, x->o->conn, e);
}

/* CLUSTER MEET wants an IP: resolve the peer's address now. */
static int resolve_ip(const char *host, char *out, int len, struct sc_err *e)
{
	struct addrinfo hints, *res = NULL;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0 || !res)
		return err_set(e, ERR_IO, "cannot resolve '%s': %s", host, gai_strerror(rc));
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, out, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return rc == 0 ? 0 : err_set(e, ERR_IO, "cannot resolve '%s'", host);
}

static int node_id_read(struct conn *c, char *id, struct sc_err *e)
{
	redisReply *r = conn_command(c, "CLUSTER MYID");
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type == REDIS_REPLY_STRING && r->len == NODE_ID_LEN) {
		memcpy(id, r->str, NODE_ID_LEN + 1);
		rc = 0;
	} else {
		err_set(e, ERR_FAIL, "'%s' did not give its node id", c->name);
	}
	freeReplyObject(r);
	return rc;
}

/* The cluster bus port a node announces (from its own CLUSTER NODES
 * "myself" line), or port + 10000. */
static int bus_port(struct conn *c, int port)
{
	redisReply *r = conn_command(c, "CLUSTER NODES");
	const char *line, *at;
	int cport = port + 10000;

	if (r && r->type == REDIS_REPLY_STRING) {
		for (line = r->str; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			const char *end = strchr(line, '\n'), *me = strstr(line, "myself");
			if (!me || (end && me > end))
				continue;
			at = strchr(line, '@');
			if (at && (!end || at < end) && atoi(at + 1) > 0)
				cport = atoi(at + 1);
			break;
		}
	}
	if (r)
		freeReplyObject(r);
	return cport;
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
	int k = exec_member_find(x, id);
	struct sc_err ce;
	struct conn *c = k >= 0 ? conn_open(&x->m[k].addr, x->o->conn, &ce) : NULL;
	redisReply *r;
	int sent = 0;

	for (int i = 0; c && i < x->n; i++) {
		if (i == k || x->m[i].gone || x->m[i].dead || !x->m[i].ip[0])
			continue;
		conn_append(c, "CLUSTER MEET %s %d %d", x->m[i].ip, x->m[i].addr.port, x->m[i].cport);
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
	struct conn **cs = calloc((size_t)x->n + 1, sizeof(*cs));
	redisReply *r;

	for (int i = 0; cs && i < x->n; i++) {
		struct sc_err ce;
		if (x->m[i].gone || x->m[i].dead || !strcmp(x->m[i].id, n->id))
			continue;
		if ((cs[i] = conn_open(&x->m[i].addr, x->o->conn, &ce)))
			conn_append(cs[i], "CLUSTER MEET %s %d %d", ip, n->addr.port, cport);
	}
	for (int i = 0; cs && i < x->n; i++)
		if (cs[i])
			conn_flush(cs[i]);
	for (int i = 0; cs && i < x->n; i++) {
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
	exec_log(x, "joining '%s' to the cluster through '%s'", pname(x, s->node, a, sizeof(a)),
	      pname(x, s->peer, b, sizeof(b)));
	if (resolve_ip(peer->addr.host, ip, sizeof(ip), e) < 0)
		goto out;
	if (!(c = pconn(x, s->node, e)))
		goto out;
	fastjoin_lower(c, &fj);
	if (conn_ok(c, e, "CLUSTER MEET %s %d %d", ip, peer->addr.port, cport) < 0) {
		fastjoin_restore(c, &fj, FASTJOIN_TIMEOUT | FASTJOIN_SYNC_DELAY);
		goto out;
	}
	if (!n->id[0] && node_id_read(c, n->id, e) < 0)
		goto out;
	if (resolve_ip(n->addr.host, ip, sizeof(ip), e) < 0)
		goto out;
	cport = bus_port(c, n->addr.port);
	meet_fanout(x, n, ip, cport);
	if (member_add(x, n->id, &n->addr, 1, "") < 0) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	member_bus(x, n->id, ip, cport);
	k = exec_member_find(x, n->id);
	x->m[k].fj = fj;
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
	for (int i = 0; i < x->n; i++)
		fastjoin_put_back(&x->m[i].addr, x->o->conn, &x->m[i].fj, what, x->o->log);
}

static int step_wait(struct exec *x, struct sc_err *e)
{
	struct addr *seeds = calloc((size_t)x->n + 1, sizeof(*seeds));
	char (*ids)[NODE_ID_LEN + 1] = calloc((size_t)x->n + 1, sizeof(*ids));
	char (*masters)[NODE_ID_LEN + 1] = calloc((size_t)x->n + 1, sizeof(*masters));
	struct await_req r;
	int n = 0, ns = 0, rc = -1;

	if (!seeds || !ids || !masters) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < x->n; i++) {
		if (x->m[i].gone || x->m[i].dead)
			continue;
		seeds[ns++] = x->m[i].addr;
		if (x->m[i].role_unknown)
			continue;
		memcpy(ids[n], x->m[i].id, NODE_ID_LEN + 1);
		memcpy(masters[n], x->m[i].master_of, NODE_ID_LEN + 1);
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
	r.wait_ms = x->wait_ms;
	r.log = x->o->log;
	r.what = "every node to agree";
	exec_log(x, "waiting for every node to agree");
	rc = await_agreement(&r, e);
out:
	free(seeds);
	free(ids);
	free(masters);
	return rc;
}

static int step_failover(struct exec *x, const struct step *s, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->wait_ms;
	struct conn *c = NULL;
	char a[300], b[300];
	const char *old, *nid;
	int rc = -1, k;

	exec_log(x, "failing over: '%s' takes over from '%s'", pname(x, s->node, a, sizeof(a)),
	      pname(x, s->peer, b, sizeof(b)));
	/* a replica still syncing would be promoted without the data */
	if ((k = exec_member_find(x, x->p->nodes[s->node].id)) >= 0 && exec_sync_wait(x, &k, 1, e) < 0)
		goto out;
	if (!(c = pconn(x, s->node, e)))
		goto out;
	if (!exec_role_is_master(c) && conn_ok(c, e, "CLUSTER FAILOVER") < 0)
		goto out;
	while (!exec_role_is_master(c)) {
		if (c->broken) {
			*e = c->err;
			goto out;
		}
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "failover of '%s' did not complete within %d s", a, x->wait_ms / 1000);
			goto out;
		}
		clock_sleep_ms(POLL_MS);
	}
	/* the old master and its other replicas follow the new master */
	old = s->peer >= 0 ? x->p->nodes[s->peer].id : "-";
	nid = x->p->nodes[s->node].id;
	for (k = 0; k < x->n; k++) {
		if (strcmp(x->m[k].id, nid) == 0) {
			x->m[k].master = 1;
			x->m[k].role_unknown = 0;
			x->m[k].master_of[0] = '\0';
		} else if (strcmp(x->m[k].id, old) == 0 || strcmp(x->m[k].master_of, old) == 0) {
			x->m[k].master = 0;
			x->m[k].role_unknown = 0;
			snprintf(x->m[k].master_of, sizeof(x->m[k].master_of), "%s", nid);
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
	exec_log(x, "resetting the cluster view of '%s' (emptied by the moves) before it becomes a replica", name);
	if (conn_ok(c, e, "CLUSTER RESET SOFT") < 0)
		return -1;
	announce(x, id);
	return 0;
}

static int step_replicate(struct exec *x, const struct step *s, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->wait_ms;
	const char *master = x->p->nodes[s->peer].id;
	struct conn *c = NULL;
	redisReply *r = NULL;
	char a[300], b[300], desc[300];
	int rc = -1, k;

	exec_log(x, "making '%s' a replica of '%s'", pname(x, s->node, a, sizeof(a)), pname(x, s->peer, b, sizeof(b)));
	if (!(c = pconn(x, s->node, e)))
		goto out;
	if ((k = exec_member_find(x, x->p->nodes[s->node].id)) >= 0 && x->m[k].was_source &&
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
		if (r->type != REDIS_REPLY_ERROR || !strstr(r->str, "Unknown node") ||
		    clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "'CLUSTER REPLICATE' on '%s' failed: %s", a,
				reply_describe(r, desc, sizeof(desc)));
			goto out;
		}
		freeReplyObject(r);
		r = NULL;
		clock_sleep_ms(POLL_MS);
	}
	if ((k = exec_member_find(x, x->p->nodes[s->node].id)) >= 0) {
		x->m[k].master = 0;
		x->m[k].role_unknown = 0;
		snprintf(x->m[k].master_of, sizeof(x->m[k].master_of), "%s", master);
	}
	announce(x, x->p->nodes[s->node].id);
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return rc;
}

static int step_forget(struct exec *x, const struct step *s, struct sc_err *e)
{
	const char *id = x->p->nodes[s->node].id;
	struct conn **cs = calloc((size_t)x->n + 1, sizeof(*cs));
	struct conn *self = NULL;
	char a[300], desc[300];
	redisReply *r;
	int rc = -1, k;

	exec_log(x, "removing '%s' (%.8s) from the cluster", pname(x, s->node, a, sizeof(a)), id);
	if (!cs) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* connect first, then send every FORGET at once: the forget ban (60 s)
	 * must cover the whole fan-out, or gossip brings the node back */
	for (int i = 0; i < x->n; i++) {
		struct sc_err ce;
		if (x->m[i].gone || x->m[i].dead || strcmp(x->m[i].id, id) == 0)
			continue;
		if ((cs[i] = conn_open(&x->m[i].addr, x->o->conn, &ce)))
			conn_append(cs[i], "CLUSTER FORGET %s", id);
		else
			exec_log(x, "warning: %s", ce.msg);
	}
	for (int i = 0; i < x->n; i++)
		if (cs[i])
			conn_flush(cs[i]);
	for (int i = 0; i < x->n; i++) {
		if (!cs[i])
			continue;
		if (!(r = conn_read(cs[i]))) {
			exec_log(x, "warning: %s", cs[i]->err.msg);
			continue;
		}
		if (!reply_is_status(r, "OK") && !(r->type == REDIS_REPLY_ERROR && strstr(r->str, "Unknown node"))) {
			err_set(e, ERR_FAIL, "'CLUSTER FORGET' on '%s' failed: %s", cs[i]->name,
				reply_describe(r, desc, sizeof(desc)));
			freeReplyObject(r);
			goto out;
		}
		freeReplyObject(r);
	}
	if ((k = exec_member_find(x, id)) >= 0)
		x->m[k].gone = 1;
	/* the node itself forgets the cluster, so it cannot gossip its way
	 * back, and is empty and free for a later join */
	struct sc_err ce;
	if ((self = pconn(x, s->node, &ce))) {
		if (conn_ok(self, e, "CLUSTER RESET HARD") < 0)
			goto out;
	} else {
		exec_log(x, "note: '%s' does not answer; it was not reset", a);
	}
	rc = 0;
out:
	for (int i = 0; cs && i < x->n; i++)
		conn_free(cs[i]);
	free(cs);
	conn_free(self);
	return rc;
}

/* Steps [first, last) are MOVE steps: one migration job. */
static int step_moves(struct exec *x, int first, int last, struct sc_err *e)
{
	struct migrate_node *nodes = calloc((size_t)x->n + 1, sizeof(*nodes));
	struct migrate_move *mv = calloc((size_t)(last - first) + 1, sizeof(*mv));
	int *slots = calloc(CLUSTER_SLOTS, sizeof(*slots));
	struct migrate_opts mo;
	struct migrate_run_opts run;
	struct migrate *m = NULL;
	int nn = 0, used = 0, rc = -1, nslots = 0;
	int *map = calloc((size_t)x->n + 1, sizeof(*map));
	char a[300], b[300];

	if (!nodes || !mv || !slots || !map) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < x->n; i++) {
		map[i] = -1;
		if (x->m[i].gone)
			continue;
		nodes[nn].addr = x->m[i].addr;
		snprintf(nodes[nn].ip, sizeof(nodes[nn].ip), "%s", x->m[i].ip);
		memcpy(nodes[nn].id, x->m[i].id, NODE_ID_LEN + 1);
		nodes[nn].master = x->m[i].master && !x->m[i].dead;
		map[i] = nn++;
	}
	for (int k = first; k < last; k++) {
		const struct step *s = &x->p->steps[k];
		int si = exec_member_find(x, x->p->nodes[s->node].id), di = exec_member_find(x, x->p->nodes[s->peer].id);
		if (si < 0 || di < 0) {
			err_set(e, ERR_FAIL, "cannot move slots from '%s' to '%s': not both members",
				pname(x, s->node, a, sizeof(a)), pname(x, s->peer, b, sizeof(b)));
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
		exec_log(x, "moving %d slots from '%s' to '%s'", mv[k - first].nslots, pname(x, s->node, a, sizeof(a)),
		      pname(x, s->peer, b, sizeof(b)));
	}
	if (x->o->mig)
		mo = *x->o->mig;
	else
		migrate_opts_init(&mo, x->o->conn);
	mo.conn = x->o->conn;
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
		snprintf(e->msg + len, sizeof(e->msg) - len, "; the slots it was moving are left open: run "
			 "reconcile again once the node is back or its replica has taken over");
	}
	(void)nslots;
	/* sources may have lost every slot: their role, and their replicas',
	 * is Redis's to change now (see struct xmember) */
	for (int k = first; k < last; k++) {
		const char *src = x->p->nodes[x->p->steps[k].node].id;
		for (int i = 0; i < x->n; i++) {
			if (strcmp(x->m[i].id, src) == 0 || strcmp(x->m[i].master_of, src) == 0)
				x->m[i].role_unknown = 1;
			if (strcmp(x->m[i].id, src) == 0)
				x->m[i].was_source = 1;
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
	int first, last;
};

static int replica_of_target(const struct exec *x, const struct xmember *r, void *arg)
{
	const struct move_span *sp = arg;

	for (int k = sp->first; k < sp->last; k++)
		if (strcmp(r->master_of, x->p->nodes[x->p->steps[k].peer].id) == 0)
			return 1;
	return 0;
}

static int sync_targets(struct exec *x, int first, int last, struct sc_err *e)
{
	struct move_span sp = { first, last };

	return exec_sync_where(x, replica_of_target, &sp, e);
}

static int joined_here(const struct plan *p, int node)
{
	for (int i = 0; i < p->nsteps; i++)
		if (p->steps[i].kind == STEP_MEET && p->steps[i].node == node)
			return 1;
	return 0;
}

/* A REPLICATE whose replica and master both join in this plan runs right
 * after the joins, before the agreement wait that follows them and before
 * any MOVE: attaching a replica to an empty master costs nothing, while
 * attaching it after the moves costs a full sync of everything moved (and
 * a wait for it).  Before the wait, not after: the replica's sync (and the
 * master's diskless-sync delay, fastjoin.h) then overlaps the new master's
 * rejoin delay instead of following it; REPLICATE needs only that the
 * replica knows the master ("Unknown node" is retried), and the wait then
 * covers the replica's new role too.  Everything else keeps the planner's
 * order. */
static void hoist_replicates(struct plan *p)
{
	int wait = -1, move = -1;

	for (int i = 0; i < p->nsteps; i++) {
		if (p->steps[i].kind == STEP_MEET)
			wait = -2;
		else if (p->steps[i].kind == STEP_WAIT && wait == -2)
			wait = i;
		else if (p->steps[i].kind == STEP_MOVE && move < 0)
			move = i;
	}
	if (wait < 0 || move < 0 || move < wait)
		return;
	for (int i = move + 1, at = wait; i < p->nsteps; i++) {
		struct step st = p->steps[i];
		if (st.kind != STEP_REPLICATE || !joined_here(p, st.node) || !joined_here(p, st.peer))
			continue;
		memmove(&p->steps[at + 1], &p->steps[at], sizeof(st) * (size_t)(i - at));
		p->steps[at++] = st;
	}
}

int exec_run(struct plan *p, const struct exec_opts *o, struct sc_err *e)
{
	struct exec x;
	int rc = -1, i = 0, j;

	memset(&x, 0, sizeof(x));
	x.p = p;
	x.o = o;
	x.wait_ms = o->wait_ms > 0 ? o->wait_ms : 60000;
	if (exec_members_init(&x, e) < 0)
		goto out;
	hoist_replicates(p);
	while (i < p->nsteps) {
		const struct step *s = &p->steps[i];
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
			for (j = i; j < p->nsteps && p->steps[j].kind == STEP_MOVE; j++)
				;
			if ((rc = sync_targets(&x, i, j, e)) == 0)
				rc = step_moves(&x, i, j, e);
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
	rc = exec_sync_replicas(&x, e);
out:
	fast_restore(&x, FASTJOIN_TIMEOUT | FASTJOIN_SYNC_DELAY);
	free(x.m);
	return rc;
}
