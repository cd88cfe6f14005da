/* await.c - see await.h */
#include "cluster/await.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "cluster/survey.h"

#define AWAIT_POLL_MS 100
#define AWAIT_LOG_MS 2000
#define AWAIT_PUSH_MS 500 /* at most one round of role MEETs per interval */

static int listed(const struct await_req *r, const char *id)
{
	for (int i = 0; i < r->nids; i++)
		if (!strcmp(r->ids[i], id))
			return 1;
	return 0;
}

/* A member that may be absent: it cannot be reached, owns no slot, and
 * either `ids` were given and it is not one of them, or the cluster has
 * already marked it failed (a departed node not forgotten yet, e.g. a pod
 * the StatefulSet deleted: waiting for it would never end). */
static int tolerated(const struct await_req *r, const struct member *m)
{
	if (m->reachable || m->nslots > 0)
		return 0;
	return (m->n.flags & NF_FAIL) || (r->nids > 0 && !listed(r, m->n.id));
}

int await_check(const struct await_req *r, const struct topo *t, char *why, int len)
{
	char name[300];

	for (int i = 0; i < r->nids; i++)
		if (topo_find_id(t, r->ids[i]) < 0) {
			snprintf(why, (size_t)len, "node %.8s is not known yet", r->ids[i]);
			return 0;
		}
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		member_label(m, name, sizeof(name));
		if (m->n.flags & NF_HANDSHAKE) {
			snprintf(why, (size_t)len, "%s is in handshake state", name);
			return 0;
		}
		if (tolerated(r, m))
			continue;
		if (!m->reachable) {
			snprintf(why, (size_t)len, "%s does not answer", name);
			return 0;
		}
		if (m->n.flags & (NF_NOADDR | NF_PFAIL | NF_FAIL)) {
			snprintf(why, (size_t)len, "%s is in %s state", name,
				 m->n.flags & NF_NOADDR ? "noaddr" :
				 m->n.flags & NF_FAIL ? "fail" : "pfail");
			return 0;
		}
	}
	if (!t->agree || t->nconflicts) {
		snprintf(why, (size_t)len, "nodes disagree: %s",
			 t->disagreement[0] ? t->disagreement : "slot claimed twice");
		return 0;
	}
	for (int i = 0; i < t->n; i++) {
		const struct member *m = &t->m[i];
		if (!m->reachable)
			continue;
		member_label(m, name, sizeof(name));
		if (m->known_nodes != t->n) {
			snprintf(why, (size_t)len, "%s knows %d of %d nodes", name, m->known_nodes, t->n);
			return 0;
		}
		if (m->state_ok != 1) {
			snprintf(why, (size_t)len, "%s does not report cluster_state:ok yet", name);
			return 0;
		}
	}
	return 1;
}

/* Have member `from` send member `to` a CLUSTER MEET: `to` already knows
 * it, so membership does not change, but the MEET's header carries `from`'s
 * current role and master, which `to` takes at once (gossip about third
 * nodes carries no roles; `from` itself pings `to` only every
 * cluster-node-timeout/2 or so).  Best effort: failures are ignored. */
static void nudge(const struct await_req *r, const struct member *from, const struct member *to)
{
	struct addr a;
	struct conn *c;
	struct sc_err e;
	redisReply *rep;

	if (!from->reachable || !from->n.ip[0] || !to->n.ip[0] || to->n.cport <= 0)
		return;
	snprintf(a.host, sizeof(a.host), "%s", from->n.ip);
	a.port = from->n.port;
	if (!(c = conn_open(&a, r->conn, &e)))
		return;
	rep = conn_command(c, "CLUSTER MEET %s %d %d", to->n.ip, to->n.port, to->n.cport);
	if (rep)
		freeReplyObject(rep);
	conn_free(c);
}

/* Every member's own view shows the expected roles.  With `push`, each
 * member that does not yet see a node's role is sent that node's MEET. */
static int roles_settled(const struct await_req *r, const struct topo *t, int push, char *why, int len)
{
	char name[300];
	int ok = 1;

	for (int i = 0; i < t->n && (ok || push); i++) {
		struct addr a;
		struct conn *c;
		struct view v = { 0 };
		redisReply *rep = NULL;
		struct sc_err e;
		int readable = 1;

		if (!t->m[i].reachable)
			continue; /* tolerated (await_check() checked the others) */
		member_label(&t->m[i], name, sizeof(name));
		snprintf(a.host, sizeof(a.host), "%s", t->m[i].n.ip);
		a.port = t->m[i].n.port;
		c = conn_open(&a, r->conn, &e);
		rep = c ? conn_command(c, "CLUSTER NODES") : NULL;
		if (!rep || rep->type != REDIS_REPLY_STRING || view_parse(&v, rep->str, &e) < 0) {
			if (ok)
				snprintf(why, (size_t)len, "cannot read the view of %s", name);
			ok = readable = 0;
		}
		for (int k = 0; readable && k < r->nids; k++) {
			const struct node_entry *ne = NULL;
			int who;
			for (int j = 0; j < v.n; j++)
				if (!strcmp(v.e[j].id, r->ids[k]))
					ne = &v.e[j];
			if (ne && !strcmp(ne->master, r->masters[k]) &&
			    (!r->masters[k][0] || (ne->flags & NF_REPLICA)))
				continue;
			if (ok)
				snprintf(why, (size_t)len, "%s does not see node %.8s as %s%.8s yet", name,
					 r->ids[k], r->masters[k][0] ? "a replica of " : "a master",
					 r->masters[k]);
			ok = 0;
			/* only between expected members: a departing node is
			 * not worth a MEET (it may be reset next) */
			if (push && ne && listed(r, t->m[i].n.id) &&
			    (who = topo_find_id(t, r->ids[k])) >= 0 && who != i)
				nudge(r, &t->m[who], &t->m[i]);
		}
		view_release(&v);
		if (rep)
			freeReplyObject(rep);
		conn_free(c);
	}
	return ok;
}

int await_agreement(const struct await_req *r, struct sc_err *e)
{
	long long start = clock_now_ms(), next_log = start + AWAIT_LOG_MS, next_push = start;
	long long deadline = start + (r->wait_ms > 0 ? r->wait_ms : 60000);
	const char *what = r->what ? r->what : "the cluster";
	char why[400] = "nothing read yet";
	int rc = -1, read_once = 0;
	struct sc_err last = { 0 };

	for (;;) {
		struct topo t = { 0 };
		long long now;
		int done = 0;

		if (survey_read(&t, r->seeds, r->nseeds, r->conn, 1, &last) == 0) {
			read_once = 1;
			int push = clock_now_ms() >= next_push;
			done = await_check(r, &t, why, sizeof(why)) &&
			       (!r->masters || roles_settled(r, &t, push, why, sizeof(why)));
			if (push)
				next_push = clock_now_ms() + AWAIT_PUSH_MS;
		} else {
			snprintf(why, sizeof(why), "%s", last.msg);
		}
		topo_release(&t);
		if (done) {
			rc = 0;
			break;
		}
		now = clock_now_ms();
		if (now >= deadline) {
			if (!read_once && last.kind == ERR_IO)
				err_set(e, ERR_IO, "waiting for %s: %s", what, last.msg);
			else
				err_set(e, ERR_FAIL, "%s did not settle within %lld ms: %s", what,
					deadline - start, why);
			break;
		}
		if (r->log && now >= next_log) {
			fprintf(r->log, "waiting for %s: %s\n", what, why);
			fflush(r->log);
			next_log = now + AWAIT_LOG_MS;
		}
		clock_sleep_ms(AWAIT_POLL_MS);
	}
	return rc;
}
