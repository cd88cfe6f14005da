/* peers.c - see peers.h. */
#include "cluster/peers.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"

#define PEERS_POLL_MS 100
#define PEERS_LOG_MS 2000
#define PEERS_MEET_AFTER_MS 1000
#define PEERS_MEET_EVERY_MS 1000

struct peers_state {
	struct conn *c;     /* opened on first use, kept */
	struct view v;      /* this poll's view; v.e NULL: not read */
	int used;
};

/* The entry of id in v, or NULL. */
static const struct node_entry *entry_of(const struct view *v, const char *id)
{
	for (int i = 0; i < v->n; i++)
		if (!strcmp(v->e[i].id, id))
			return &v->e[i];
	return NULL;
}

/* v lists id as a node it talks to: an address, no handshake. */
static int knows(const struct view *v, const char *id)
{
	const struct node_entry *ne = entry_of(v, id);

	return ne && ne->ip[0] && ne->port > 0 && !(ne->flags & (NF_HANDSHAKE | NF_NOADDR));
}

/* s's view read afresh; v.e stays NULL when it cannot be read (a pair
 * with that node is not waited for: the move says what is wrong). */
static void read_view(struct peers_state *s, const struct peer_node *p, const struct conn_opts *o)
{
	struct sc_err e;
	redisReply *r;

	view_release(&s->v);
	memset(&s->v, 0, sizeof(s->v));
	if (!s->c && !(s->c = conn_open(&p->addr, o, &e)))
		return;
	if (!(r = conn_command(s->c, "CLUSTER NODES"))) {
		conn_free(s->c);
		s->c = NULL;
		return;
	}
	if (r->type != REDIS_REPLY_STRING || view_parse(&s->v, r->str, &e) < 0)
		memset(&s->v, 0, sizeof(s->v));
	freeReplyObject(r);
}

/* Have node `to` (which does not know `peer`) MEET `peer` at the address
 * `peer` announces for itself.  Best effort: a failure is left to the next
 * poll. */
static void meet(struct peers_state *to, const struct peers_state *peer)
{
	const struct node_entry *self;
	redisReply *r;

	if (!to->c || !peer->v.e || peer->v.self < 0)
		return;
	self = &peer->v.e[peer->v.self];
	if (!self->ip[0] || self->port <= 0 || self->cport <= 0)
		return;
	if ((r = conn_command(to->c, "CLUSTER MEET %s %d %d", self->ip, self->port, self->cport)))
		freeReplyObject(r);
}

int peers_await(const struct peer_node *nodes, int n, const int (*pairs)[2], int npairs,
		const struct conn_opts *o, int wait_ms, FILE *log, struct sc_err *e)
{
	struct peers_state *st = calloc((size_t)n + 1, sizeof(*st));
	long long start = clock_now_ms(), deadline = start + wait_ms, next_log = start;
	long long next_meet = start + PEERS_MEET_AFTER_MS;
	int rc = -1, waited = 0;
	char why[700] = "";

	if (!st)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int k = 0; k < npairs; k++)
		st[pairs[k][0]].used = st[pairs[k][1]].used = 1;
	for (;;) {
		long long now;
		int ok = 1, push;

		for (int i = 0; i < n; i++)
			if (st[i].used)
				read_view(&st[i], &nodes[i], o);
		push = clock_now_ms() >= next_meet;
		for (int k = 0; k < npairs; k++)
			for (int d = 0; d < 2; d++) {
				int a = pairs[k][d], b = pairs[k][1 - d];
				if (!st[a].v.e || !st[b].v.e || knows(&st[a].v, nodes[b].id))
					continue;
				if (ok)
					snprintf(why, sizeof(why), "%s does not know %s (%.8s) yet", nodes[a].name,
						 nodes[b].name, nodes[b].id);
				ok = 0;
				if (push)
					meet(&st[a], &st[b]);
			}
		if (push)
			next_meet = clock_now_ms() + PEERS_MEET_EVERY_MS;
		/* a node that cannot be read is not waited for: the move
		 * itself says what is wrong with it, at once */
		if (ok) {
			rc = waited;
			break;
		}
		waited = 1;
		now = clock_now_ms();
		if (now >= deadline) {
			err_set(e, ERR_FAIL, "the nodes of a move do not know each other after %d ms: %s; "
				"'shardctl status' shows how each node sees the cluster", wait_ms, why);
			break;
		}
		if (now >= next_log) {
			log_say(log, "waiting for the nodes of the moves to know each other: %s", why);
			next_log = now + PEERS_LOG_MS;
		}
		clock_sleep_ms(PEERS_POLL_MS);
	}
	for (int i = 0; i < n; i++) {
		view_release(&st[i].v);
		conn_free(st[i].c);
	}
	free(st);
	return rc;
}
