/* fix_exec.c - fix_run: the I/O half of fix.h.  Reads the cluster, counts
 * the keys of the slots that need repair, plans (fix.c), prints the plan,
 * and carries it out: moves through migrate.h (never REPLACE), closes with
 * SETSLOT STABLE, assigns with ADDSLOTS, then waits until every node agrees.
 * Every key check covers every database of a node (Valkey 9
 * cluster-databases, cluster/dbs.h): a slot counts as empty only when it is
 * empty in all of them.
 */
#include "engine/fix.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/clock.h"
#include "core/fix_plan.h"
#include "cluster/dbs.h"
#include "cluster/lock.h"
#include "engine/migrate.h"
#include "engine/migration_method.h"
#include "cluster/owners.h"
#include "cluster/survey.h"
#include "cluster/marks.h"

/* One connection per member, opened on first use. */
struct conns {
	struct conn **c;
	struct node_dbs *dbs;  /* read on first use (dbs_read) */
	char *dbs_read;
	int n;
};

static struct conn *conn_of(struct conns *cs, const struct topo *t, int i, const struct conn_opts *o,
			    struct sc_err *e)
{
	struct addr a;

	if (cs->c[i] && cs->c[i]->broken) {
		conn_free(cs->c[i]);
		cs->c[i] = NULL;
	}
	if (!cs->c[i]) {
		snprintf(a.host, sizeof(a.host), "%s", t->m[i].n.ip);
		a.port = t->m[i].n.port;
		cs->c[i] = conn_open(&a, o, e);
	}
	return cs->c[i];
}

/* Member i's databases, read once; NULL (e) when it cannot be reached. */
static const struct node_dbs *dbs_of(struct conns *cs, const struct topo *t, int i, const struct conn_opts *o,
				     struct sc_err *e)
{
	struct conn *c = conn_of(cs, t, i, o, e);

	if (!c)
		return NULL;
	if (!cs->dbs_read[i]) {
		if (node_dbs_read(c, &cs->dbs[i], e) < 0)
			return NULL;
		cs->dbs_read[i] = 1;
	}
	return &cs->dbs[i];
}

/* COUNTKEYSINSLOT of slots[0..n-1] (NULL: slot k for k < n) on c, summed
 * over every database of d holding keys: one pipeline per database, SELECT
 * before each but 0, and SELECT 0 at the end.  out[k]: the sum, -1 where a
 * count is missing.  0, or -1 when the connection broke. */
static int count_slots(struct conn *c, const struct node_dbs *d, const int *slots, int n, long long *out)
{
	struct sc_err e;
	redisReply *r;

	for (int k = 0; k < n; k++)
		out[k] = 0;
	for (int i = 0; i < d->nused; i++) {
		int db = d->used[i], selected = 1;
		if (db != 0)
			conn_append(c, "SELECT %d", db);
		for (int k = 0; k < n; k++)
			conn_append(c, "CLUSTER COUNTKEYSINSLOT %d", slots ? slots[k] : k);
		if (db != 0) {
			if (!(r = conn_read(c)))
				return -1;
			selected = reply_is_status(r, "OK");
			freeReplyObject(r);
		}
		for (int k = 0; k < n; k++) {
			if (!(r = conn_read(c)))
				return -1;
			if (selected && out[k] >= 0 && r->type == REDIS_REPLY_INTEGER && r->integer >= 0)
				out[k] += r->integer;
			else
				out[k] = -1; /* not counted, or counted in another database */
			freeReplyObject(r);
		}
	}
	if (d->nused > 1 || d->used[0] != 0)
		return conn_ok(c, &e, "SELECT 0");
	return 0;
}

/* keys[k * t->n + m]: COUNTKEYSINSLOT of every needed slot on every reachable
 * master, pipelined; -1 where unknown, 0 for replicas (copies, not owners). */
static long long *count_keys(const struct topo *t, struct conns *cs, const int *slots, int n,
			     const struct conn_opts *o, struct sc_err *e)
{
	long long *keys = malloc((size_t)n * (size_t)t->n * sizeof(*keys) + 1);
	long long *one = malloc((size_t)n * sizeof(*one) + 1);
	const struct node_dbs *d;

	if (!keys || !one) {
		err_set(e, ERR_FAIL, "out of memory");
		free(keys);
		free(one);
		return NULL;
	}
	for (int m = 0; m < t->n; m++) {
		struct conn *c;
		int master = (t->m[m].n.flags & NF_MASTER) != 0;
		for (int k = 0; k < n; k++)
			keys[(size_t)k * (size_t)t->n + (size_t)m] = master ? -1 : 0;
		if (!master || !t->m[m].reachable || !(d = dbs_of(cs, t, m, o, e)) || !(c = conn_of(cs, t, m, o, e)))
			continue;
		if (count_slots(c, d, slots, n, one) < 0)
			continue; /* unknown: -1 */
		for (int k = 0; k < n; k++)
			keys[(size_t)k * (size_t)t->n + (size_t)m] = one[k];
	}
	free(one);
	err_clear(e);
	return keys;
}

#define STOPS_SHOWN 20 /* a wrecked cluster can stop thousands of slots */

/* "3277-3281,3290" for the slots of actions i..j (in slot order). */
static void slot_ranges(const struct fix_plan *p, int i, int j, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int k = i; k <= j && off + 24 < len; k++) {
		int first = p->v[k].slot;
		while (k < j && p->v[k + 1].slot == p->v[k].slot + 1)
			k++;
		if (p->v[k].slot == first)
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", first);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%d-%d", off ? "," : "", first, p->v[k].slot);
		if (off + 24 >= len && k < j)
			snprintf(buf + off, len - off, ",...");
	}
}

/* The reason without its leading "slot N: ". */
static const char *reason(const struct fix_action *a)
{
	const char *c = strstr(a->why, ": ");

	return c && strncmp(a->why, "slot ", 5) == 0 ? c + 2 : a->why;
}

/* One line per action, except that runs of the same kind between the same
 * nodes (a killed migration leaves hundreds of slots alike) share a line. */
/* Every master's keys per slot (every database), where it does not own
 * the slot: one pipeline of 16384 COUNTKEYSINSLOT per master and database
 * holding keys (milliseconds). */
static int find_strays(const struct topo *t, struct conns *cs, const struct conn_opts *o, struct fix_stray **out,
		       int *nout, struct sc_err *e)
{
	long long *n = malloc(sizeof(*n) * CLUSTER_SLOTS);
	const struct node_dbs *d;

	*out = NULL;
	*nout = 0;
	if (!n)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int m = 0; m < t->n; m++) {
		struct conn *c;
		if (!(t->m[m].n.flags & NF_MASTER) || !t->m[m].reachable || !(d = dbs_of(cs, t, m, o, e)) ||
		    !(c = conn_of(cs, t, m, o, e)))
			continue;
		if (count_slots(c, d, NULL, CLUSTER_SLOTS, n) < 0)
			continue;
		for (int s = 0; s < CLUSTER_SLOTS; s++) {
			if (n[s] > 0 && t->owner[s] >= 0 && t->owner[s] != m) {
				struct fix_stray *tmp = realloc(*out, (size_t)(*nout + 1) * sizeof(*tmp));
				if (!tmp) {
					free(n);
					return err_set(e, ERR_FAIL, "out of memory");
				}
				*out = tmp;
				tmp[*nout].slot = s;
				tmp[*nout].member = m;
				tmp[*nout].keys = n[s];
				(*nout)++;
			}
		}
	}
	free(n);
	err_clear(e);
	return 0;
}

static void print_plan(const struct fix_req *r, const struct topo *t, const struct fix_plan *p)
{
	char b[300], b2[300], ranges[200];
	const char *would = r->dry_run ? "would " : "";

	int stops = 0;

	for (int i = 0; i < p->n; i++) {
		const struct fix_action *a = &p->v[i];
		long long ks = a->keys_src, kd = a->keys_dst;
		int j = i;
		if (a->kind == FIX_STOP) {
			if (stops++ < STOPS_SHOWN)
				log_tagged(r->out, "fix", "STOP %s", a->why);
			else if (stops == p->nstops)
				log_tagged(r->out, "fix", "... and %d more STOP%s like these (not listed)", stops - STOPS_SHOWN,
				    stops - STOPS_SHOWN == 1 ? "" : "s");
			continue;
		}
		while (j + 1 < p->n && p->v[j + 1].kind == a->kind && p->v[j + 1].src == a->src &&
		       p->v[j + 1].dst == a->dst && p->v[j + 1].nokeys == a->nokeys &&
		       (a->kind != FIX_ASSIGN || p->v[j + 1].slot == p->v[j].slot + 1) &&
		       (a->kind != FIX_CLOSE || strcmp(reason(&p->v[j + 1]), reason(a)) == 0)) {
			j++;
			ks += p->v[j].keys_src;
			kd += p->v[j].keys_dst;
		}
		if (j == i) {
			if (a->kind == FIX_ASSIGN)
				log_tagged(r->out, "fix", "%sassign slot %d to %s: %s", would, a->slot, topo_label(t, a->dst, b, sizeof(b)), a->why);
			else
				log_tagged(r->out, "fix", "%s%s %s", would, fix_kind_name(a->kind), a->why);
			continue;
		}
		slot_ranges(p, i, j, ranges, sizeof(ranges));
		if (a->kind == FIX_ASSIGN)
			log_tagged(r->out, "fix", "%sassign slots %s (%d slots) to %s: %s", would, ranges, j - i + 1,
			    topo_label(t, a->dst, b, sizeof(b)), a->why);
		else if (a->kind == FIX_MOVE)
			log_tagged(r->out, "fix", "%smove slots %s (%d slots): finishing their move from %s to %s (%lld keys left on the "
			       "source, %lld already on the target)", would, ranges, j - i + 1, topo_label(t, a->src, b, sizeof(b)),
			    topo_label(t, a->dst, b2, sizeof(b2)), ks, kd);
		else
			log_tagged(r->out, "fix", "%sclose slots %s (%d slots): %s", would, ranges, j - i + 1, reason(a));
		i = j;
	}
}

/* dedupe in database db, on connections already on it (where: "" or
 * " in database N", for messages). */
static int dedupe_db(const struct fix_req *r, const struct topo *t, struct conns *cs, struct fix_action *a,
		     long long *removed, const char *where)
{
	struct sc_err e;
	struct conn *src = conn_of(cs, t, a->src, r->conn, &e), *dst = src ? conn_of(cs, t, a->dst, r->conn, &e) : NULL;
	redisReply *keys = NULL, *x = NULL;
	long long *exists = NULL;
	char b1[300], b2[300], desc[300] = "";
	int rc = -1, own = t->owner[a->slot], importing = 0;

	if (!src || !dst) {
		snprintf(a->why, sizeof(a->why), "slot %d: %s", a->slot, e.msg);
		goto out;
	}
	for (int o = 0; o < t->m[a->dst].n.nopen; o++)
		importing |= t->m[a->dst].n.open[o].slot == a->slot && t->m[a->dst].n.open[o].kind == OPEN_IMPORTING;
	/* A target that began importing before it learned the slot's owner
	 * (a run killed right after a join) never learns it by gossip, which
	 * Redis ignores for importing slots, and refuses every RESTORE with
	 * "CLUSTERDOWN Hash slot not served".  Telling it the owner, as the
	 * owner itself says, changes nothing else (it keeps importing). */
	if (own == a->src && conn_ok(dst, &e, "CLUSTER SETSLOT %d NODE %s", a->slot, t->m[a->src].n.id) < 0) {
		snprintf(a->why, sizeof(a->why), "slot %d: %s", a->slot, e.msg);
		goto out;
	}
	/* the target answers for keys of the slot only once it imports it */
	if (own != a->dst && !importing &&
	    conn_ok(dst, &e, "CLUSTER SETSLOT %d IMPORTING %s", a->slot, t->m[a->src].n.id) < 0) {
		snprintf(a->why, sizeof(a->why), "slot %d: %s", a->slot, e.msg);
		goto out;
	}
	keys = conn_command(src, "CLUSTER GETKEYSINSLOT %d %d", a->slot, 1000000);
	if (!keys || keys->type != REDIS_REPLY_ARRAY) {
		snprintf(a->why, sizeof(a->why), "slot %d: cannot list its keys on %s: %s", a->slot,
			 topo_label(t, a->src, b1, sizeof(b1)), keys ? reply_describe(keys, desc, sizeof(desc)) : src->err.msg);
		goto out;
	}
	if (!(exists = calloc(keys->elements + 1, sizeof(*exists)))) {
		snprintf(a->why, sizeof(a->why), "slot %d: out of memory", a->slot);
		goto out;
	}
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		conn_append(dst, "ASKING");
		conn_append(dst, "EXISTS %b", k->str, k->len);
	}
	for (size_t i = 0; i < keys->elements; i++) {
		exists[i] = -1;
		if (keys->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if ((x = conn_read(dst)))
			freeReplyObject(x);
		if ((x = conn_read(dst))) {
			exists[i] = x->type == REDIS_REPLY_INTEGER ? x->integer : -1;
			if (exists[i] < 0 && !desc[0])
				reply_describe(x, desc, sizeof(desc));
			freeReplyObject(x);
		} else if (!desc[0]) {
			snprintf(desc, sizeof(desc), "%s", dst->err.msg);
		}
		x = NULL;
	}
	for (size_t i = 0; i < keys->elements; i++) {
		const redisReply *k = keys->element[i];
		redisReply *d1 = NULL, *d2 = NULL, *t1 = NULL, *t2 = NULL;
		int same;
		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (exists[i] < 0) {
			snprintf(a->why, sizeof(a->why), "slot %d: cannot tell whether %s holds key '%.*s'%s (%s)", a->slot,
				 topo_label(t, a->dst, b1, sizeof(b1)), (int)(k->len > 80 ? 80 : k->len), k->str, where,
				 desc[0] ? desc : "no reply");
			goto drain;
		}
		if (exists[i] == 0)
			continue;
		d1 = conn_command(src, "DUMP %b", k->str, k->len);
		t1 = conn_command(src, "PTTL %b", k->str, k->len);
		conn_append(dst, "ASKING");
		conn_append(dst, "DUMP %b", k->str, k->len);
		conn_append(dst, "ASKING");
		conn_append(dst, "PTTL %b", k->str, k->len);
		if ((x = conn_read(dst)))
			freeReplyObject(x);
		d2 = conn_read(dst);
		if ((x = conn_read(dst)))
			freeReplyObject(x);
		t2 = conn_read(dst);
		x = NULL;
		same = d1 && d2 && t1 && t2 && d1->type == REDIS_REPLY_STRING && d2->type == REDIS_REPLY_STRING &&
		       d1->len == d2->len && memcmp(d1->str, d2->str, d1->len) == 0 &&
		       t1->type == REDIS_REPLY_INTEGER && t2->type == REDIS_REPLY_INTEGER &&
		       (t1->integer == -1) == (t2->integer == -1);
		if (d1)
			freeReplyObject(d1);
		if (d2)
			freeReplyObject(d2);
		if (t1)
			freeReplyObject(t1);
		if (t2)
			freeReplyObject(t2);
		if (!same) {
			snprintf(a->why, sizeof(a->why),
				 "slot %d: key '%.*s'%s exists on both %s (source) and %s (target) with different "
				 "contents; nothing was overwritten and the slot is left open. Decide which copy is "
				 "right, delete the other (on the target: ASKING then DEL), then run 'shardctl fix' again",
				 a->slot, (int)(k->len > 80 ? 80 : k->len), k->str, where, topo_label(t, a->src, b1, sizeof(b1)),
				 topo_label(t, a->dst, b2, sizeof(b2)));
			goto drain;
		}
		x = conn_command(src, "DEL %b", k->str, k->len);
		if (!x || x->type != REDIS_REPLY_INTEGER) {
			snprintf(a->why, sizeof(a->why), "slot %d: cannot remove the identical copy of '%.*s'%s from %s",
				 a->slot, (int)(k->len > 80 ? 80 : k->len), k->str, where, topo_label(t, a->src, b1, sizeof(b1)));
			goto drain;
		}
		freeReplyObject(x);
		x = NULL;
		(*removed)++;
		log_tagged(r->out, "fix", "slot %d: key '%.*s'%s was on both %s and %s with the same contents: removed from the source",
		    a->slot, (int)(k->len > 80 ? 80 : k->len), k->str, where, topo_label(t, a->src, b1, sizeof(b1)),
		    topo_label(t, a->dst, b2, sizeof(b2)));
	}
	rc = 0;
	goto out;
drain:
	/* replies may still be queued on the target: drop the connection */
	conn_free(cs->c[a->dst]);
	cs->c[a->dst] = NULL;
out:
	free(exists);
	if (x)
		freeReplyObject(x);
	if (keys)
		freeReplyObject(keys);
	if (rc < 0)
		a->kind = FIX_STOP;
	return rc;
}

/* Node i's connection on database db (SELECT when db is not 0); NULL (e). */
static struct conn *conn_on_db(struct conns *cs, const struct topo *t, int i, int db, const struct conn_opts *o,
			       struct sc_err *e)
{
	struct conn *c = conn_of(cs, t, i, o, e);

	return c && (db == 0 || conn_ok(c, e, "SELECT %d", db) == 0) ? c : NULL;
}

/* Before a move: keys present on both sides, in every database of the
 * source holding keys.  An identical copy (same DUMP payload, both with or
 * both without a TTL) is removed from the source, so nothing is lost; a
 * different copy turns the action into a stop naming the key (and its
 * database).  Returns 0, or -1 when the slot could not be scanned (a stop
 * too).  Leaves both connections on database 0. */
static int dedupe(const struct fix_req *r, const struct topo *t, struct conns *cs, struct fix_action *a,
		  long long *removed)
{
	struct sc_err e;
	const struct node_dbs *d = dbs_of(cs, t, a->src, r->conn, &e);
	char where[40] = "";
	int rc = 0;

	if (!d) {
		snprintf(a->why, sizeof(a->why), "slot %d: %s", a->slot, e.msg);
		a->kind = FIX_STOP;
		return -1;
	}
	for (int i = 0; i < d->nused && rc == 0; i++) {
		int db = d->used[i];
		if (db != 0) {
			snprintf(where, sizeof(where), " in database %d", db);
			if (!conn_on_db(cs, t, a->src, db, r->conn, &e) || !conn_on_db(cs, t, a->dst, db, r->conn, &e)) {
				snprintf(a->why, sizeof(a->why), "slot %d: %s", a->slot, e.msg);
				a->kind = FIX_STOP;
				rc = -1;
			}
		}
		if (rc == 0)
			rc = dedupe_db(r, t, cs, a, removed, where);
		if (db != 0) {
			/* back to 0 where the connection is still open */
			for (int k = 0; k < 2; k++) {
				int m = k ? a->dst : a->src;
				if (cs->c[m] && !cs->c[m]->broken)
					conn_ok(cs->c[m], &e, "SELECT 0");
			}
		}
	}
	return rc;
}

/* Carry the moves out with the migrator, grouped by (source, target). */
static int run_moves(const struct fix_req *r, const struct topo *t, struct fix_plan *p, struct fix_result *res,
		     struct sc_err *e)
{
	struct migrate_node *nodes = calloc((size_t)t->n + 1, sizeof(*nodes));
	struct migrate_move *mv = calloc((size_t)p->n + 1, sizeof(*mv));
	int *idx = calloc((size_t)t->n + 1, sizeof(*idx)), *slots = calloc((size_t)p->n + 1, sizeof(*slots));
	int nn = 0, nm = 0, ns = 0, rc = -1;
	struct migrate_opts mo;
	struct migrate_run_opts run;
	struct migrate *m = NULL;
	struct migrate_progress pr;

	if (!nodes || !mv || !idx || !slots) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < t->n; i++) {
		idx[i] = -1;
		if (!(t->m[i].n.flags & NF_MASTER) || !t->m[i].reachable)
			continue;
		snprintf(nodes[nn].addr.host, sizeof(nodes[nn].addr.host), "%s", t->m[i].n.ip);
		nodes[nn].addr.port = t->m[i].n.port;
		memcpy(nodes[nn].id, t->m[i].n.id, sizeof(nodes[nn].id));
		nodes[nn].master = 1;
		idx[i] = nn++;
	}
	/* slots of one (source, target) pair are contiguous in `slots` */
	for (int i = 0; i < p->n; i++) {
		int src = p->v[i].src, dst = p->v[i].dst, first = ns;
		if (p->v[i].kind != FIX_MOVE || p->v[i].slot < 0)
			continue;
		for (int j = i; j < p->n; j++)
			if (p->v[j].kind == FIX_MOVE && p->v[j].src == src && p->v[j].dst == dst && p->v[j].slot >= 0) {
				slots[ns++] = p->v[j].slot;
				p->v[j].slot = -1 - p->v[j].slot; /* taken; restored below */
			}
		mv[nm].src = idx[src];
		mv[nm].dst = idx[dst];
		mv[nm].slots = slots + first;
		mv[nm].nslots = ns - first;
		nm++;
	}
	for (int i = 0; i < p->n; i++)
		if (p->v[i].kind == FIX_MOVE && p->v[i].slot < 0)
			p->v[i].slot = -1 - p->v[i].slot;
	if (nm == 0) {
		rc = 0;
		goto out;
	}
	migrate_opts_init(&mo, r->conn);
	mo.max_latency_us = r->max_latency_us;
	if (!(m = migrate_init(nodes, nn, mv, nm, &mo, e)))
		goto out;
	run = (struct migrate_run_opts){ r->out, 0, 500 };
	rc = migrate_run(m, &run, &pr, e);
	m = NULL;
	res->moved = pr.slots_done;
out:
	migrate_finish(m, NULL);
	free(nodes);
	free(mv);
	free(idx);
	free(slots);
	return rc;
}

static int run_closes_and_assigns(const struct fix_req *r, const struct topo *t, struct conns *cs,
				  const struct fix_plan *p, struct fix_result *res, struct sc_err *e)
{
	char b[300];

	for (int i = 0; i < p->n; i++) {
		const struct fix_action *a = &p->v[i];
		if (a->kind != FIX_CLOSE)
			continue;
		for (int m = 0; m < t->n; m++) {
			int open = 0;
			struct conn *c;
			for (int o = 0; o < t->m[m].n.nopen; o++)
				open |= t->m[m].n.open[o].slot == a->slot;
			if (!open || !t->m[m].reachable || !(t->m[m].n.flags & NF_MASTER))
				continue; /* replicas refuse SETSLOT; they follow their master */
			if (!(c = conn_of(cs, t, m, r->conn, e)) ||
			    conn_ok(c, e, "CLUSTER SETSLOT %d STABLE", a->slot) < 0)
				return -1;
			log_tagged(r->out, "fix", "slot %d closed on %s", a->slot, topo_label(t, m, b, sizeof(b)));
		}
		res->closed++;
	}
	for (int i = 0; i < p->n; i++) {
		const struct fix_action *a = &p->v[i];
		struct conn *c;
		int j = i;
		if (a->kind != FIX_ASSIGN)
			continue;
		while (j + 1 < p->n && p->v[j + 1].kind == FIX_ASSIGN && p->v[j + 1].dst == a->dst &&
		       p->v[j + 1].slot == p->v[j].slot + 1)
			j++;
		/* ADDSLOTSRANGE (Redis >= 7.0) claims a free range at once; the
		 * other nodes accept a claim on an unowned slot from gossip */
		if (!(c = conn_of(cs, t, a->dst, r->conn, e)) ||
		    conn_ok(c, e, "CLUSTER ADDSLOTSRANGE %d %d", a->slot, p->v[j].slot) < 0)
			return -1;
		log_tagged(r->out, "fix", "slots %d-%d assigned to %s", a->slot, p->v[j].slot, topo_label(t, a->dst, b, sizeof(b)));
		res->assigned += j - i + 1;
		i = j;
	}
	return 0;
}

/* 1 when the cluster agrees and only the stopped slots are still open or
 * uncovered; `why` says what is still wrong otherwise. */
static int settled(const struct fix_req *r, const struct fix_plan *p, char *why, size_t len)
{
	struct topo t;
	struct sc_err e;
	int *need = NULL, n, ok = 0;

	why[0] = '\0';
	if (survey_read(&t, &r->seed, 1, r->conn, 0, &e) < 0) {
		snprintf(why, len, "%s", e.msg);
		return 0;
	}
	n = fix_slots_needed(&t, &need, &e);
	for (int k = 0; k < n; k++) {
		int stopped = 0;
		for (int i = 0; i < p->n && !stopped; i++)
			stopped = p->v[i].kind == FIX_STOP && p->v[i].slot == need[k];
		if (!stopped) {
			snprintf(why, len, "slot %d is still open or uncovered", need[k]);
			goto out;
		}
	}
	if (!t.agree) {
		snprintf(why, len, "the nodes do not agree yet: %s", t.disagreement);
		goto out;
	}
	ok = 1;
out:
	free(need);
	topo_release(&t);
	return ok;
}

/* The addresses of t's reachable masters into *out (caller frees): how
 * many, or -1. */
static int masters_of(const struct topo *t, struct addr **out, struct sc_err *e)
{
	struct addr *ms = calloc((size_t)t->n + 1, sizeof(*ms));
	int nm = 0;

	if (!(*out = ms))
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < t->n; i++)
		if (t->m[i].reachable && (t->m[i].n.flags & NF_MASTER)) {
			snprintf(ms[nm].host, sizeof(ms[nm].host), "%s", t->m[i].n.ip);
			ms[nm++].port = t->m[i].n.port;
		}
	return nm;
}

/* Wait for the atomic jobs in progress on t's masters; when there were
 * some, t is read again (they changed the owners). */
static int await_atomic_jobs(const struct fix_req *r, struct topo *t, struct sc_err *e)
{
	struct addr *ms;
	struct method_req mr;
	int nm = masters_of(t, &ms, e), n;

	if (nm < 0)
		return -1;
	memset(&mr, 0, sizeof(mr));
	mr.nodes = ms;
	mr.n = nm;
	mr.conn = r->conn;
	mr.log = r->out;
	n = method_await_jobs(&mr, NULL, r->wait_ms > 0 ? r->wait_ms : 60000, e);
	free(ms);
	if (n <= 0)
		return n;
	topo_release(t);
	return survey_read(t, &r->seed, 1, r->conn, 0, e);
}

int fix_run(const struct fix_req *r, struct fix_result *res, struct sc_err *e)
{
	struct topo t, t2;
	struct conns cs = { NULL, NULL, NULL, 0 };
	struct fix_plan p;
	struct fix_keys fk;
	int *slots = NULL, n, rc = -1, wait_ms = r->wait_ms > 0 ? r->wait_ms : 60000, nstrays = 0;
	struct fix_stray *strays = NULL;
	struct cluster_lock *lock = NULL;
	int taught = 0, marks = 0;
	long long *keys = NULL, deadline;
	char why[600];

	memset(res, 0, sizeof(*res));
	memset(&p, 0, sizeof(p));
	if (survey_read(&t, &r->seed, 1, r->conn, 0, e) < 0)
		return -1;
	/* atomic slot migration jobs of a killed run go on by themselves on
	 * the servers: a source keeps the keys of slots its target already
	 * owns until it learns of the hand-over, so they would look stray */
	if (await_atomic_jobs(r, &t, e) < 0) {
		topo_release(&t);
		return -1;
	}
	cs.dbs = calloc((size_t)t.n + 1, sizeof(*cs.dbs));
	cs.dbs_read = calloc((size_t)t.n + 1, 1);
	if (!(cs.c = calloc((size_t)t.n + 1, sizeof(*cs.c))) || !cs.dbs || !cs.dbs_read) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	cs.n = t.n;
	if (!r->dry_run) {
		/* never repair under a running reconcile (or another fix) */
		struct addr *ms;
		int nm = masters_of(&t, &ms, e);
		if (nm < 0)
			goto out;
		lock = nm ? lock_acquire(ms, nm, r->conn, wait_ms, e) : NULL;
		free(ms);
		if (nm && !lock)
			goto out;
	}
	/* marks a replica kept when its primary has nothing open (Valkey >= 8:
	 * a NOREPLICAS, or a replica not online when the slot closed) */
	if (!r->dry_run && (marks = marks_clear(&t, r->conn, wait_ms, r->out, e)) < 0)
		goto out;
	if (t.nconflicts)
		log_tagged(r->out, "fix", "warning: %d slots are claimed by two masters; Redis settles those by config epoch, "
		       "fix leaves them alone", t.nconflicts);
	if ((n = fix_slots_needed(&t, &slots, e)) < 0)
		goto out;
	if (find_strays(&t, &cs, r->conn, &strays, &nstrays, e) < 0)
		goto out;
	{
		/* a node importing a slot whose owner it never learned (owners.h) */
		struct owners_req ow = { &t, r->conn, r->dry_run, r->out, "fix: " };
		if ((taught = owners_teach(&ow, e)) < 0)
			goto out;
	}
	if (n == 0 && nstrays == 0 && taught == 0) {
		if (marks > 0) {
			log_tagged(r->out, "fix", "done: stale marks cleared on %d replica(s); nothing else to fix", marks);
			rc = 0;
			goto out;
		}
		log_tagged(r->out, "fix", "nothing to fix: no open and no uncovered slot, no key outside its slot's owner (%d members)",
		    t.n);
		rc = 0;
		goto out;
	}
	if (!(keys = count_keys(&t, &cs, slots, n, r->conn, e)))
		goto out;
	fk.slots = slots;
	fk.nslots = n;
	fk.keys = keys;
	if (fix_plan_build(&p, &t, &fk, e) < 0 || fix_plan_strays(&p, &t, strays, nstrays, e) < 0)
		goto out;
	print_plan(r, &t, &p);
	if (r->dry_run) {
		log_tagged(r->out, "fix", "dry run: nothing changed");
		rc = 0;
		goto out;
	}
	for (int i = 0; i < p.n; i++)
		if (p.v[i].kind == FIX_MOVE && dedupe(r, &t, &cs, &p.v[i], &res->dup_removed) < 0) {
			p.nstops++;
			log_tagged(r->out, "fix", "STOP %s", p.v[i].why);
		}
	/* the migrator opens its own connections: leave the nodes quiet */
	if (run_moves(r, &t, &p, res, e) < 0)
		goto out;
	if (run_closes_and_assigns(r, &t, &cs, &p, res, e) < 0)
		goto out;
	deadline = clock_now_ms() + wait_ms;
	while (!settled(r, &p, why, sizeof(why))) {
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "repairs sent but the cluster has not settled after %d s: %s",
				wait_ms / 1000, why);
			goto out;
		}
		clock_sleep_ms(300);
	}
	/* the replicas of the nodes just repaired, where one was not online
	 * when its primary closed a slot */
	if (survey_read(&t2, &r->seed, 1, r->conn, 0, e) < 0)
		goto out;
	marks = marks_clear(&t2, r->conn, wait_ms, r->out, e);
	topo_release(&t2);
	if (marks < 0)
		goto out;
	res->stops = p.nstops;
	log_tagged(r->out, "fix", "done: %d slots moved, %d closed, %d assigned, %d owners told, %lld identical copies removed, "
	       "%d need a decision", res->moved, res->closed, res->assigned, taught, res->dup_removed, p.nstops);
	if (p.nstops) {
		int shown = 0;
		for (int i = 0; i < p.n; i++)
			if (p.v[i].kind == FIX_STOP && shown++ < STOPS_SHOWN)
				log_tagged(r->out, "fix", "STOP %s", p.v[i].why);
		if (shown > STOPS_SHOWN)
			log_tagged(r->out, "fix", "... and %d more STOPs (not listed)", shown - STOPS_SHOWN);
		err_set(e, ERR_FAIL, "%d slot%s need%s a decision (see the STOP lines); nothing was done to %s",
			p.nstops, p.nstops == 1 ? "" : "s", p.nstops == 1 ? "s" : "", p.nstops == 1 ? "it" : "them");
		goto out;
	}
	rc = 0;
out:
	lock_release(lock);
	for (int i = 0; i < cs.n; i++) {
		conn_free(cs.c[i]);
		if (cs.dbs)
			node_dbs_release(&cs.dbs[i]);
	}
	free(cs.c);
	free(cs.dbs);
	free(cs.dbs_read);
	free(slots);
	free(keys);
	free(strays);
	fix_plan_release(&p);
	topo_release(&t);
	return rc;
}
