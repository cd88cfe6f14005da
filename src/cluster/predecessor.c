/* predecessor.c - see predecessor.h. */
#include "cluster/predecessor.h"

#include <stdio.h>
#include <string.h>

int predecessor_fresh(const struct view *v)
{
	if (v->self < 0 || v->e[v->self].nranges > 0)
		return 0;
	for (int i = 0; i < v->n; i++)
		if (i != v->self && !(v->e[i].flags & NF_HANDSHAKE))
			return 0;
	return 1;
}

int predecessor_find(const struct view *v, const char *hostname, const char *self_id)
{
	if (!hostname[0])
		return -1;
	for (int i = 0; i < v->n; i++)
		if (!(v->e[i].flags & NF_HANDSHAKE) && strcmp(v->e[i].id, self_id) != 0 &&
		    strcmp(v->e[i].hostname, hostname) == 0)
			return i;
	return -1;
}

/* CLUSTER NODES of the node at a, parsed into v; 0 / -1 (e). */
static int read_nodes(const struct addr *a, const struct conn_opts *o, struct view *v, struct sc_err *e)
{
	struct conn *c = conn_open(a, o, e);
	redisReply *r;
	char d[200];
	int rc = -1;

	if (!c)
		return -1;
	if (!(r = conn_command(c, "CLUSTER NODES"))) {
		*e = c->err;
		goto out;
	}
	if (r->type == REDIS_REPLY_STRING)
		rc = view_parse(v, r->str, e);
	else
		err_set(e, ERR_FAIL, "'CLUSTER NODES' on '%s' answered %s", c->name, reply_describe(r, d, sizeof(d)));
	freeReplyObject(r);
out:
	conn_free(c);
	return rc;
}

int predecessor_lookup(const struct addr *self, const struct addr_list *nodes, const struct conn_opts *o,
		       struct node_entry *pred, char *why, int len, struct sc_err *e)
{
	struct view me = { 0 }, v = { 0 };
	const struct node_entry *s;
	int rc = -1, x;

	if (read_nodes(self, o, &me, e) < 0)
		goto out;
	rc = 0;
	if (!predecessor_fresh(&me) || !me.e[me.self].hostname[0])
		goto out;
	s = &me.e[me.self];
	for (int i = 0; i < nodes->n; i++) {
		struct sc_err ignore;
		view_release(&v);
		memset(&v, 0, sizeof(v));
		/* a listed node that cannot be read, or that is itself no
		 * member (this very node under its pod name, another fresh
		 * pod), cannot tell */
		if (read_nodes(&nodes->v[i], o, &v, &ignore) < 0 || predecessor_fresh(&v))
			continue;
		if ((x = predecessor_find(&v, s->hostname, s->id)) >= 0) {
			if (node_entry_copy(pred, &v.e[x]) < 0) {
				rc = err_set(e, ERR_FAIL, "out of memory");
				goto out;
			}
			snprintf(why, (size_t)len, "restarted empty in the place of member %.8s ('%s'), not rejoined yet",
				 pred->id, s->hostname);
			rc = 1;
		}
		break; /* the first member that answers speaks for the cluster */
	}
out:
	view_release(&v);
	view_release(&me);
	return rc;
}
