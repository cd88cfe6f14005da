/* handoff.c - see handoff.h. */
#include "engine/handoff.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/await.h"
#include "cluster/node.h"

#define POLL_MS 100
/* A manual failover the server gives up on (its own limit is 5 s, plus an
 * election) is asked for again after this long. */
#define RETRY_MS 12000
#define MAX_REPLICAS 64

enum handoff_need handoff_need(const struct view *v)
{
	const struct node_entry *me;

	if (v->self < 0)
		return HANDOFF_NONE_EMPTY;
	me = &v->e[v->self];
	if (me->flags & NF_REPLICA)
		return HANDOFF_NONE_REPLICA;
	return me->nranges > 0 ? HANDOFF_NEEDED : HANDOFF_NONE_EMPTY;
}

int handoff_pick(const struct handoff_cand *c, int n)
{
	int best = -1;

	for (int i = 0; i < n; i++) {
		if (!c[i].usable || !c[i].synced)
			continue;
		if (best < 0 || c[i].offset > c[best].offset ||
		    (c[i].offset == c[best].offset && strcmp(c[i].id, c[best].id) < 0))
			best = i;
	}
	return best;
}

static int slot_count(const struct node_entry *n)
{
	int s = 0;

	for (int i = 0; i < n->nranges; i++)
		s += n->ranges[i].last - n->ranges[i].first + 1;
	return s;
}

/* The replication offset a replica reports (INFO replication), -1 unknown. */
static long long repl_offset(struct conn *c)
{
	redisReply *r = conn_command(c, "INFO replication");
	char v[32];
	long long off = -1;

	if (r && r->type == REDIS_REPLY_STRING && info_field(r->str, "slave_repl_offset", v, sizeof(v)) == 0)
		off = strtoll(v, NULL, 10);
	if (r)
		freeReplyObject(r);
	return off;
}

/* Judges one replica entry of the master's view; why says what is wrong. */
static void judge(const struct node_entry *n, const struct conn_opts *o, struct handoff_cand *c,
		  struct addr *at, char *why, int len)
{
	struct sc_err ce;
	struct conn *rc = NULL;

	memset(c, 0, sizeof(*c));
	memcpy(c->id, n->id, sizeof(c->id));
	c->offset = -1;
	snprintf(at->host, sizeof(at->host), "%s", n->ip);
	at->port = n->port;
	if (n->flags & (NF_FAIL | NF_PFAIL | NF_NOADDR | NF_HANDSHAKE) || !n->ip[0]) {
		snprintf(why, (size_t)len, "failing or without address");
		return;
	}
	if (n->flags & NF_NOFAILOVER) {
		snprintf(why, (size_t)len, "flagged nofailover");
		return;
	}
	if (!(rc = conn_open(at, o, &ce))) {
		snprintf(why, (size_t)len, "unreachable: %s", ce.msg);
		return;
	}
	c->usable = 1;
	c->synced = node_repl_synced(rc, why, len) == 1;
	c->offset = repl_offset(rc);
	if (c->synced)
		snprintf(why, (size_t)len, "in sync, offset %lld", c->offset);
	conn_free(rc);
}

/* CLUSTER FAILOVER on the replica, again every RETRY_MS (each second while
 * it sees its master down), until it says it is a master or the deadline
 * passes. */
static int promote(const struct addr *at, const char *name, const struct conn_opts *o, long long deadline,
		   struct sc_err *e)
{
	struct conn *c = conn_open(at, o, e);
	int rc, refused;

	if (!c)
		return -1;
	if ((rc = node_promote(c, deadline, RETRY_MS, &refused, e)) == 1)
		err_set(e, ERR_FAIL, "'%s' was not promoted before the deadline", name);
	conn_free(c);
	return rc == 0 ? 0 : -1;
}

/* Until the old master itself says it is a replica (it learns of the
 * promotion from the new master's messages). */
static int demoted(const struct handoff_req *r, const char *name, long long deadline, struct sc_err *e)
{
	struct conn *c = conn_open(&r->node, r->conn, e);
	int rc = -1;

	if (!c)
		return -1;
	while (node_is_master(c)) {
		if (c->broken) {
			*e = c->err;
			goto out;
		}
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "'%s' still says it is a master at the deadline", name);
			goto out;
		}
		clock_sleep_ms(POLL_MS);
	}
	rc = 0;
out:
	conn_free(c);
	return rc;
}

int handoff_run(const struct handoff_req *r, struct sc_err *e)
{
	long long start = clock_now_ms(), deadline = start + (r->wait_ms > 0 ? r->wait_ms : 60000);
	struct handoff_cand cand[MAX_REPLICAS];
	struct addr at[MAX_REPLICAS];
	char why[MAX_REPLICAS][160], name[300], rname[300], seen[1024] = "";
	char ids[2][NODE_ID_LEN + 1], masters[2][NODE_ID_LEN + 1];
	struct view v = { 0 };
	struct conn *c = NULL;
	struct await_req aw;
	redisReply *reply = NULL;
	const struct node_entry *me;
	int n = 0, best, rc = -1, slots;

	memset(cand, 0, sizeof(cand));
	addr_format(&r->node, name, sizeof(name));
	if (!(c = conn_open(&r->node, r->conn, e)))
		goto out;
	if (!(reply = conn_command(c, "CLUSTER NODES"))) {
		*e = c->err;
		goto out;
	}
	if (reply->type != REDIS_REPLY_STRING) {
		char d[200];
		err_set(e, ERR_FAIL, "'CLUSTER NODES' on '%s' answered %s", name, reply_describe(reply, d, sizeof(d)));
		goto out;
	}
	if (view_parse(&v, reply->str, e) < 0)
		goto out;
	switch (handoff_need(&v)) {
	case HANDOFF_NONE_REPLICA:
		log_say(r->out, "'%s' is a replica: nothing to hand off", name);
		rc = 0;
		goto out;
	case HANDOFF_NONE_EMPTY:
		log_say(r->out, "'%s' owns no slot: nothing to hand off", name);
		rc = 0;
		goto out;
	case HANDOFF_NEEDED:
		break;
	}
	me = &v.e[v.self];
	slots = slot_count(me);
	for (int i = 0; i < v.n && n < MAX_REPLICAS; i++) {
		size_t used = strlen(seen);
		if (i == v.self || !(v.e[i].flags & NF_REPLICA) || strcmp(v.e[i].master, me->id) != 0)
			continue;
		judge(&v.e[i], r->conn, &cand[n], &at[n], why[n], sizeof(why[n]));
		snprintf(seen + used, sizeof(seen) - used, "%s'%s:%d' %s", used ? "; " : "", v.e[i].ip,
			 v.e[i].port, why[n]);
		n++;
	}
	if ((best = handoff_pick(cand, n)) < 0) {
		err_set(e, ERR_FAIL,
			"no in-sync replica can take over from '%s' (a master of %d slots): %s; stopping it now "
			"leaves those slots unserved until it is back",
			name, slots, n ? seen : "it has no replica");
		goto out;
	}
	addr_format(&at[best], rname, sizeof(rname));
	log_say(r->out, "handing off '%s' (%d slots) to its replica '%s' (%s)", name, slots, rname, why[best]);
	if (promote(&at[best], rname, r->conn, deadline, e) < 0 || demoted(r, name, deadline, e) < 0)
		goto out;
	/* every member sees the new roles: clients are sent to the new master */
	memcpy(ids[0], cand[best].id, sizeof(ids[0]));
	memcpy(ids[1], me->id, sizeof(ids[1]));
	masters[0][0] = '\0';
	memcpy(masters[1], cand[best].id, sizeof(masters[1]));
	memset(&aw, 0, sizeof(aw));
	aw.seeds = at + best;
	aw.nseeds = 1;
	aw.ids = (const char(*)[NODE_ID_LEN + 1])ids;
	aw.nids = 2;
	aw.masters = (const char(*)[NODE_ID_LEN + 1])masters;
	aw.conn = r->conn;
	aw.wait_ms = (int)(deadline - clock_now_ms());
	if (aw.wait_ms < 1000)
		aw.wait_ms = 1000;
	aw.log = r->out;
	aw.what = "every node to see the new master";
	if (await_agreement(&aw, e) < 0)
		goto out;
	log_say(r->out, "handed off: '%s' is the master of %d slots, '%s' replicates it (%.1f s)", rname, slots,
		name, (double)(clock_now_ms() - start) / 1000.0);
	rc = 0;
out:
	if (reply)
		freeReplyObject(reply);
	view_release(&v);
	conn_free(c);
	return rc;
}
