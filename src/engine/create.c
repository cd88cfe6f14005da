/* create.c - see create.h.  The placement is layout.c's (pure); this file
 * probes the nodes, refuses before touching anything, then assigns slots,
 * epochs, meets the nodes, waits (await.h) and attaches the replicas. */
#include "engine/create.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/clock.h"
#include "cluster/await.h"
#include "engine/replsync.h"
#include "cluster/fastjoin.h"
#include "core/layout.h"
#include "core/topo.h"

/* What the probe learned about one node. */
struct probed {
	struct conn *c;
	char id[NODE_ID_LEN + 1];
	char ip[64];  /* the address we reached it at, for CLUSTER MEET */
	int cport;    /* its cluster bus port */
	int has_slots, has_epoch; /* left so by an interrupted create */
	struct fastjoin fj;       /* settings lowered for the create */
};


/* The IP the connection reached (CLUSTER MEET wants an address, and a DNS
 * name must not be resolved a second time to something else). */
/* What a lone node says of itself in CLUSTER NODES: its bus port, config
 * epoch and slot ranges.  *nr is -1 when the reply cannot be read. */
struct self_info {
	int cport;
	unsigned long long epoch;
	struct slot_range r;  /* its first range */
	int nr;               /* number of ranges */
};

static void read_self(const char *nodes, int port, struct self_info *si)
{
	struct view v = { 0 };

	memset(si, 0, sizeof(*si));
	si->cport = port + 10000;
	si->nr = -1;
	if (view_parse(&v, nodes, NULL) == 0 && v.self >= 0) {
		const struct node_entry *me = &v.e[v.self];
		if (me->cport > 0 && me->cport < 65536)
			si->cport = me->cport;
		si->epoch = me->config_epoch;
		si->nr = me->nranges;
		if (me->nranges > 0)
			si->r = me->ranges[0];
	}
	view_release(&v);
}

/* Read everything about one node and refuse what cannot be part of a new
 * cluster.  Changes nothing.  `want` (NULL for a replica) and `epoch` are
 * what this create gives the node: a lone node that already has exactly
 * those (a create killed between its first steps and the meet) is taken
 * as it is, so running create again finishes the job. */
static int probe_node(const struct addr *a, struct probed *p, const struct conn_opts *o,
		      const struct slot_range *want, int epoch, struct sc_err *e)
{
	char name[ADDR_HOST_MAX + 16], val[64], desc[300];
	struct self_info si;
	redisReply *rep[4] = { 0 };
	int rc = -1;

	addr_format(a, name, sizeof(name));
	p->c = conn_open(a, o, e);
	if (!p->c) {
		if (e->kind == ERR_IO)
			e->kind = ERR_REFUSED;
		snprintf(desc, sizeof(desc), "%s", e->msg);
		return err_set(e, e->kind, "%s (start the node or leave it out of --nodes)", desc);
	}
	rep[0] = conn_command(p->c, "INFO cluster");
	if (!rep[0]) {
		*e = p->c->err;
		goto out;
	}
	if (rep[0]->type != REDIS_REPLY_STRING ||
	    info_field(rep[0]->str, "cluster_enabled", val, sizeof(val)) < 0) {
		err_set(e, ERR_FAIL, "unexpected INFO reply from '%s': %s", name,
			reply_describe(rep[0], desc, sizeof(desc)));
		goto out;
	}
	if (strcmp(val, "1") != 0) {
		err_set(e, ERR_REFUSED,
			"'%s' is not cluster-enabled (start it with 'cluster-enabled yes')", name);
		goto out;
	}
	if (conn_append(p->c, "CLUSTER INFO") < 0 || conn_append(p->c, "CLUSTER MYID") < 0 ||
	    conn_append(p->c, "DBSIZE") < 0 || conn_append(p->c, "CLUSTER NODES") < 0)
		goto io;
	for (int i = 0; i < 4; i++) {
		if (rep[i])
			freeReplyObject(rep[i]);
		if (!(rep[i] = conn_read(p->c)))
			goto io;
	}
	if (rep[0]->type != REDIS_REPLY_STRING || rep[1]->type != REDIS_REPLY_STRING ||
	    rep[1]->len != NODE_ID_LEN || rep[2]->type != REDIS_REPLY_INTEGER ||
	    rep[3]->type != REDIS_REPLY_STRING) {
		err_set(e, ERR_FAIL, "unexpected reply from '%s' while probing it", name);
		goto out;
	}
	memcpy(p->id, rep[1]->str, NODE_ID_LEN);
	p->id[NODE_ID_LEN] = '\0';
	if (rep[2]->integer > 0) {
		err_set(e, ERR_REFUSED,
			"'%s' holds %lld key%s (a new cluster needs empty nodes: flush it or use another node)",
			name, rep[2]->integer, rep[2]->integer == 1 ? "" : "s");
		goto out;
	}
	if (info_field(rep[0]->str, "cluster_known_nodes", val, sizeof(val)) < 0 || atoi(val) < 1) {
		err_set(e, ERR_FAIL, "unexpected CLUSTER INFO reply from '%s'", name);
		goto out;
	}
	if (atoi(val) > 1) {
		err_set(e, ERR_REFUSED,
			"'%s' already knows %d other node%s (it belongs to a cluster: use 'shardctl reconcile' "
			"for that cluster, or CLUSTER RESET the node)",
			name, atoi(val) - 1, atoi(val) == 2 ? "" : "s");
		goto out;
	}
	read_self(rep[3]->str, a->port, &si);
	if (info_field(rep[0]->str, "cluster_slots_assigned", val, sizeof(val)) == 0 && atoi(val) > 0) {
		p->has_slots = want && si.nr == 1 && si.r.first == want->first && si.r.last == want->last;
		if (!p->has_slots) {
			err_set(e, ERR_REFUSED,
				"'%s' already owns %d slot%s (it belongs to a cluster: use 'shardctl reconcile' "
				"for that cluster, or CLUSTER RESET the node)",
				name, atoi(val), atoi(val) == 1 ? "" : "s");
			goto out;
		}
	}
	if (si.epoch != 0) {
		p->has_epoch = si.epoch == (unsigned long long)epoch;
		if (!p->has_epoch) {
			err_set(e, ERR_REFUSED,
				"'%s' has config epoch %llu (it was part of a cluster: CLUSTER RESET HARD the node)",
				name, si.epoch);
			goto out;
		}
	}
	if (conn_peer_ip(p->c, p->ip, sizeof(p->ip)) < 0) {
		err_set(e, ERR_FAIL, "cannot tell the address of '%s'", name);
		goto out;
	}
	p->cport = si.cport;
	rc = 0;
	goto out;
io:
	*e = p->c->err;
out:
	for (int i = 0; i < 4; i++)
		if (rep[i])
			freeReplyObject(rep[i]);
	return rc;
}

/* Read `count` pipelined replies from c, each must be +OK. */
static int read_oks(struct conn *c, int count, const char *what, struct sc_err *e)
{
	char desc[300];
	int rc = 0;

	for (int i = 0; i < count; i++) {
		redisReply *rep = conn_read(c);
		if (!rep) {
			*e = c->err;
			return -1;
		}
		if (!reply_is_status(rep, "OK") && rc == 0)
			rc = err_set(e, ERR_FAIL, "'%s' on '%s' failed: %s", what, c->name,
				     reply_describe(rep, desc, sizeof(desc)));
		freeReplyObject(rep);
	}
	return rc;
}

/* Pipelined on every node at once: masters take their slots; every node
 * gets a distinct config epoch (no collision to resolve after the meet). */
static int assign_slots_and_epochs(const struct layout *l, struct probed *p, struct sc_err *e)
{
	for (int i = 0; i < l->n; i++) {
		const struct slot_range *s = &l->slots[l->shard[i]];
		if ((l->master[i] < 0 && !p[i].has_slots &&
		     conn_append(p[i].c, "CLUSTER ADDSLOTSRANGE %d %d", s->first, s->last) < 0) ||
		    (!p[i].has_epoch && conn_append(p[i].c, "CLUSTER SET-CONFIG-EPOCH %d", i + 1) < 0)) {
			*e = p[i].c->err;
			return -1;
		}
	}
	for (int i = 0; i < l->n; i++) {
		if (l->master[i] < 0 && !p[i].has_slots &&
		    read_oks(p[i].c, 1, "CLUSTER ADDSLOTSRANGE", e) < 0)
			return -1;
		if (!p[i].has_epoch && read_oks(p[i].c, 1, "CLUSTER SET-CONFIG-EPOCH", e) < 0)
			return -1;
	}
	return 0;
}

/* Small clusters: every node meets every other (pipelined, one round trip
 * per node), so nobody waits for gossip to introduce its peers, which takes
 * seconds.  Large ones: every node meets the first, and gossip does the rest
 * (n*n handshakes would cost more than they save).  Measured on loopback:
 * 36 nodes: 11 s with a star, 3 s with the mesh; 99 nodes (mesh): 8.6 s. */
#define MESH_MAX 100

static int meet_all(const struct layout *l, struct probed *p, FILE *log, struct sc_err *e)
{
	int mesh = l->n <= MESH_MAX;

	for (int i = 0; i < l->n; i++)
		for (int j = mesh ? 0 : 1; j < l->n; j++) {
			int from = mesh ? i : 0;
			if (j == from || (!mesh && i > 0))
				continue;
			if (conn_append(p[from].c, "CLUSTER MEET %s %d %d", p[j].ip, p[j].c->addr.port,
					p[j].cport) < 0) {
				*e = p[from].c->err;
				return -1;
			}
		}
	for (int i = 0; i < (mesh ? l->n : 1); i++)
		if (read_oks(p[i].c, l->n - 1, "CLUSTER MEET", e) < 0)
			return -1;
	log_say(log, "%s: %d nodes", mesh ? "every node met every other" : "every node met the first", l->n);
	return 0;
}

static int attach_replicas(const struct layout *l, struct probed *p, struct sc_err *e)
{
	for (int i = 0; i < l->n; i++)
		if (l->master[i] >= 0 && conn_append(p[i].c, "CLUSTER REPLICATE %s", p[l->master[i]].id) < 0) {
			*e = p[i].c->err;
			return -1;
		}
	for (int i = 0; i < l->n; i++)
		if (l->master[i] >= 0 && read_oks(p[i].c, 1, "CLUSTER REPLICATE", e) < 0)
			return -1;
	return 0;
}

/* Make every node learn the replicas' new role now.  A node learns a peer's
 * role only from a PING/PONG/MEET that peer sends itself (gossip about third
 * nodes carries no roles), and peers ping each other only every
 * cluster-node-timeout/2 or so: seconds.  A MEET from the replica to a node
 * it already knows reaches that node at once, carrying the replica's header
 * (role and master); the replica's temporary handshake entry is dropped when
 * the PONG shows the node is known.  Small clusters only (see MESH_MAX). */
static int announce_replicas(const struct layout *l, struct probed *p, struct sc_err *e)
{
	if (l->n > MESH_MAX)
		return 0;
	for (int i = 0; i < l->n; i++)
		for (int j = 0; l->master[i] >= 0 && j < l->n; j++)
			if (j != i && conn_append(p[i].c, "CLUSTER MEET %s %d %d", p[j].ip,
						  p[j].c->addr.port, p[j].cport) < 0) {
				*e = p[i].c->err;
				return -1;
			}
	for (int i = 0; i < l->n; i++)
		if (l->master[i] >= 0 && read_oks(p[i].c, l->n - 1, "CLUSTER MEET", e) < 0)
			return -1;
	return 0;
}

static void put_back(const struct create_req *r, const struct layout *l, struct probed *p, int what)
{
	for (int i = 0; i < l->n; i++)
		fastjoin_put_back(&r->nodes[i], r->conn, &p[i].fj, what, r->log);
}

static int sync_replicas(const struct create_req *r, const struct layout *l, struct sc_err *e)
{
	struct addr *a = calloc((size_t)l->n + 1, sizeof(*a));
	int n = 0, rc;

	if (!a)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < l->n; i++)
		if (l->master[i] >= 0)
			a[n++] = r->nodes[i];
	rc = replsync_nodes(a, n, r->conn, r->wait_ms, r->log, e);
	free(a);
	return rc;
}

static void log_layout(const struct create_req *r, const struct layout *l)
{
	char a[ADDR_HOST_MAX + 16], b[ADDR_HOST_MAX + 16];

	if (!r->log)
		return;
	log_say(r->log, "creating a cluster of %d shards with %d replica%s each on %d nodes", l->shards,
	      l->replicas, l->replicas == 1 ? "" : "s", l->n);
	for (int s = 0; s < l->shards; s++) {
		int m = l->shard_master[s];
		log_say(r->log, "shard %d: master %s, slots %d-%d (%d)", s,
		      addr_format(&r->nodes[m], a, sizeof(a)), l->slots[s].first, l->slots[s].last,
		      l->slots[s].last - l->slots[s].first + 1);
		for (int i = 0; i < l->n; i++)
			if (l->master[i] == m)
				log_say(r->log, "shard %d: replica %s", s, addr_format(&r->nodes[i], b, sizeof(b)));
	}
}

/* Step 1 of a create: probe every node the layout uses, refusing before
 * anything changes (probe_node), and distinct ids.  ids[i] gets node i's. */
static int probe_all(const struct create_req *r, const struct layout *l, struct probed *p,
		     char (*ids)[NODE_ID_LEN + 1], struct sc_err *e)
{
	char a[ADDR_HOST_MAX + 16], b[ADDR_HOST_MAX + 16];

	for (int i = 0; i < l->n; i++) {
		if (probe_node(&r->nodes[i], &p[i], r->conn, l->master[i] < 0 ? &l->slots[l->shard[i]] : NULL,
			       i + 1, e) < 0)
			return -1;
		for (int j = 0; j < i; j++)
			if (!strcmp(p[i].id, p[j].id))
				return err_set(e, ERR_REFUSED, "'%s' and '%s' are the same node (id %.8s)",
					       addr_format(&r->nodes[j], a, sizeof(a)),
					       addr_format(&r->nodes[i], b, sizeof(b)), p[i].id);
		memcpy(ids[i], p[i].id, sizeof(ids[i]));
	}
	return 0;
}

int create_interrupted(const struct create_req *r, struct sc_err *e)
{
	struct layout l = { 0 };
	struct probed *p = NULL, extra;
	char (*ids)[NODE_ID_LEN + 1] = NULL;
	int rc = -1, slotted = 0;

	memset(&extra, 0, sizeof(extra));
	if (layout_build(&l, r->nodes, r->nnodes, r->shards, r->replicas, e) < 0)
		return -1;
	p = calloc((size_t)l.n, sizeof(*p));
	ids = calloc((size_t)l.n, sizeof(*ids));
	if (!p || !ids) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	if (probe_all(r, &l, p, ids, e) < 0)
		goto out;
	for (int i = 0; i < l.n; i++)
		slotted += p[i].has_slots;
	if (slotted == 0) {
		err_set(e, ERR_REFUSED, "no node has slots from an interrupted create");
		goto out;
	}
	/* a listed node the layout leaves out must not be part of anything
	 * either: no slots, no epoch, no peer, no key */
	for (int i = l.n; i < r->nnodes; i++) {
		int bad = probe_node(&r->nodes[i], &extra, r->conn, NULL, 0, e) < 0;
		conn_free(extra.c);
		memset(&extra, 0, sizeof(extra));
		if (bad)
			goto out;
	}
	rc = 0;
out:
	if (p)
		for (int i = 0; i < l.n; i++)
			conn_free(p[i].c);
	free(p);
	free(ids);
	layout_release(&l);
	return rc;
}

int create_cluster(const struct create_req *r, struct sc_err *e)
{
	struct layout l = { 0 };
	struct probed *p = NULL;
	char (*ids)[NODE_ID_LEN + 1] = NULL, (*masters)[NODE_ID_LEN + 1] = NULL;
	char a[ADDR_HOST_MAX + 16];
	struct await_req w;
	long long t0 = clock_now_ms();
	int rc = -1;

	if (layout_build(&l, r->nodes, r->nnodes, r->shards, r->replicas, e) < 0)
		return -1;
	p = calloc((size_t)l.n, sizeof(*p));
	ids = calloc((size_t)l.n, sizeof(*ids));
	masters = calloc((size_t)l.n, sizeof(*masters));
	if (!p || !ids || !masters) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	/* 1. probe every node; refuse before changing anything */
	if (probe_all(r, &l, p, ids, e) < 0)
		goto out;
	log_layout(r, &l);
	for (int i = 0; i < l.n; i++)
		if (p[i].has_slots || p[i].has_epoch)
			log_say(r->log, "'%s' already has its %s from an interrupted create: resuming",
			      addr_format(&r->nodes[i], a, sizeof(a)),
			      p[i].has_slots && p[i].has_epoch ? "slots and config epoch" :
			      p[i].has_slots ? "slots" : "config epoch");
	/* settings that make the nodes join faster (fastjoin.h): the masters
	 * get their slots before they meet, so each counts as rejoining from
	 * a minority and waits Redis's rejoin delay */
	for (int i = 0; i < l.n; i++)
		fastjoin_lower(p[i].c, &p[i].fj);
	/* 2. slots and distinct epochs, before the meet */
	if (assign_slots_and_epochs(&l, p, e) < 0)
		goto out;
	log_say(r->log, "slots and config epochs assigned");
	if (meet_all(&l, p, r->log, e) < 0)
		goto out;
	/* 3. wait until every node knows all others and agrees: REPLICATE
	 * right after a meet fails with "Unknown node".  The masters report
	 * cluster_state:ok only min(cluster-node-timeout, 5 s) after they got
	 * their slots (Redis's rejoin delay: a master that saw no slot-owning
	 * majority counts as coming back from a minority partition), except in
	 * the first 2 s after they started (local up): that is most of the
	 * time a create takes. */
	memset(&w, 0, sizeof(w));
	w.seeds = r->nodes;
	w.nseeds = l.n;
	w.ids = (const char (*)[NODE_ID_LEN + 1])ids;
	w.nids = l.n;
	w.conn = r->conn;
	w.wait_ms = r->wait_ms;
	w.log = r->log;
	w.what = "the nodes to meet";
	if (await_agreement(&w, e) < 0)
		goto out;
	log_say(r->log, "all %d nodes know each other and agree, cluster_state:ok (%.1f s)", l.n,
	      (clock_now_ms() - t0) / 1000.0);
	put_back(r, &l, p, FASTJOIN_TIMEOUT);
	if (l.replicas == 0) {
		rc = 0;
		goto out;
	}
	/* 4. replicas, then wait until every node sees them */
	if (attach_replicas(&l, p, e) < 0 || announce_replicas(&l, p, e) < 0)
		goto out;
	for (int i = 0; i < l.n; i++)
		if (l.master[i] >= 0)
			memcpy(masters[i], p[l.master[i]].id, sizeof(masters[i]));
	w.masters = (const char (*)[NODE_ID_LEN + 1])masters;
	w.what = "the replicas to be known";
	if (await_agreement(&w, e) < 0)
		goto out;
	log_say(r->log, "%d replicas attached and known to every node (%.1f s)", l.n - l.shards,
	      (clock_now_ms() - t0) / 1000.0);
	/* 5. the replicas loaded their (empty) masters' data: done means a
	 * failover would not lose a shard */
	if (sync_replicas(r, &l, e) < 0)
		goto out;
	rc = 0;
out:
	if (p)
		put_back(r, &l, p, FASTJOIN_TIMEOUT | FASTJOIN_SYNC_DELAY);
	if (p)
		for (int i = 0; i < l.n; i++)
			conn_free(p[i].c);
	free(p);
	free(ids);
	free(masters);
	layout_release(&l);
	return rc;
}
