/* marks.c - see marks.h */
#include "cluster/marks.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/node.h"

#define POLL_MS 50

static int has_open(const struct node_entry *n, int slot)
{
	for (int k = 0; k < n->nopen; k++)
		if (n->open[k].slot == slot)
			return 1;
	return 0;
}

static struct conn *open_member(const struct member *m, const struct conn_opts *o, struct sc_err *e)
{
	struct addr a;

	snprintf(a.host, sizeof(a.host), "%s", m->n.ip);
	a.port = m->n.port;
	return conn_open(&a, o, e);
}

/* The marks still on the replica behind c among slots[0..n): how many, or
 * -1 when its view cannot be read. */
static int marks_left(struct conn *c, const int *slots, int n)
{
	redisReply *r = conn_command(c, "CLUSTER NODES");
	struct view v = { 0 };
	struct sc_err e;
	int left = -1;

	if (r && r->type == REDIS_REPLY_STRING && view_parse(&v, r->str, &e) == 0 && v.self >= 0) {
		left = 0;
		for (int i = 0; i < n; i++)
			left += has_open(&v.e[v.self], slots[i]);
	}
	view_release(&v);
	if (r)
		freeReplyObject(r);
	return left;
}

/* Repair replica i of t: the slots it marks that its primary p does not. */
static int clear_one(const struct topo *t, int i, int p, const struct conn_opts *o, int wait_ms, FILE *log,
		     struct sc_err *e)
{
	const struct node_entry *rn = &t->m[i].n, *pn = &t->m[p].n;
	int *slots = calloc((size_t)rn->nopen + 1, sizeof(*slots));
	struct conn *pc = NULL, *rc = NULL;
	int n = 0, tmo, rcode = -1, left = -1;
	long long deadline = clock_now_ms() + wait_ms;

	if (!slots)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int k = 0; k < rn->nopen; k++)
		if (!has_open(pn, rn->open[k].slot))
			slots[n++] = rn->open[k].slot;
	if (n == 0) {
		rcode = 0;
		goto out;
	}
	if (!(pc = open_member(&t->m[p], o, e)) || !(rc = open_member(&t->m[i], o, e)))
		goto out;
	log_say(log, "clearing %d stale importing/migrating mark(s) (the first: slot %d) on replica '%s' "
		"through its primary '%s'", n, slots[0], rc->name, pc->name);
	tmo = node_setslot_timeout(pc) ? 5000 : 0;
	for (int k = 0; k < n; k++) {
		if (tmo)
			conn_append(pc, "CLUSTER SETSLOT %d STABLE TIMEOUT %d", slots[k], tmo);
		else
			conn_append(pc, "CLUSTER SETSLOT %d STABLE", slots[k]);
	}
	for (int k = 0; k < n; k++) {
		redisReply *r = conn_read(pc);
		char desc[300];
		if (!r) {
			*e = pc->err;
			goto out;
		}
		/* NOREPLICAS: the replicas have it, the primary waited too
		 * long for their acknowledgement; the wait below decides */
		if (!reply_is_status(r, "OK") && reply_class(r) != RC_NOREPLICAS) {
			err_set(e, ERR_FAIL, "'CLUSTER SETSLOT %d STABLE' on '%s' failed: %s", slots[k], pc->name,
				reply_describe(r, desc, sizeof(desc)));
			freeReplyObject(r);
			goto out;
		}
		freeReplyObject(r);
	}
	while ((left = marks_left(rc, slots, n)) != 0 && clock_now_ms() < deadline)
		clock_sleep_ms(POLL_MS);
	if (left != 0) {
		err_set(e, ERR_FAIL, "replica '%s' still marks slot %d open after 'CLUSTER SETSLOT %d STABLE' on "
			"its primary '%s' (is it in sync?)", rc->name, slots[0], slots[0], pc->name);
		goto out;
	}
	rcode = 1;
out:
	conn_free(pc);
	conn_free(rc);
	free(slots);
	return rcode;
}

int marks_clear(const struct topo *t, const struct conn_opts *o, int wait_ms, FILE *log, struct sc_err *e)
{
	int cleared = 0;

	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		int p = m->master, rc;

		if (!m->reachable || m->n.nopen == 0 || !(m->n.flags & NF_REPLICA) || p < 0 ||
		    !t->m[p].reachable || !(t->m[p].n.flags & NF_MASTER) || !m->n.ip[0])
			continue;
		if ((rc = clear_one(t, i, p, o, wait_ms > 0 ? wait_ms : 60000, log, e)) < 0)
			return -1;
		cleared += rc;
	}
	return cleared;
}
