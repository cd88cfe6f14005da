/* heal_gate.c - see heal_gate.h. */
#include "engine/heal_gate.h"

#include <stdio.h>
#include <string.h>

#include "cluster/predecessor.h"

int heal_gate_judge(const struct view *v, const char *cluster_info, char *why, int len)
{
	char state[16] = "";

	if (predecessor_fresh(v))
		return HEAL_GATE_FRESH;
	if (v->n < 2)
		return 0;
	info_field(cluster_info, "cluster_state", state, sizeof(state));
	if (strcmp(state, "ok") != 0) {
		snprintf(why, (size_t)len, "cluster_state:%s", state[0] ? state : "?");
		return 1;
	}
	for (int i = 0; i < v->n; i++) {
		const struct node_entry *n = &v->e[i];
		if (i == v->self || (n->flags & NF_HANDSHAKE))
			continue;
		if (n->flags & (NF_FAIL | NF_PFAIL | NF_NOADDR) || !n->connected) {
			snprintf(why, (size_t)len, "peer %.40s at '%s:%d' is %s", n->id, n->ip, n->port,
				 n->flags & NF_NOADDR ? "without address" : !n->connected ? "disconnected" : "failing");
			return 1;
		}
	}
	return 0;
}

int heal_gate_probe(const struct addr *a, const struct conn_opts *o, char *why, int len, struct sc_err *e)
{
	struct conn *c = conn_open(a, o, e);
	redisReply *nodes = NULL, *info = NULL;
	struct view v = { 0 };
	char d[200];
	int rc = -1;

	if (!c)
		return -1;
	if (!(nodes = conn_command(c, "CLUSTER NODES")) || !(info = conn_command(c, "CLUSTER INFO"))) {
		*e = c->err;
		goto out;
	}
	if (nodes->type != REDIS_REPLY_STRING || info->type != REDIS_REPLY_STRING) {
		err_set(e, ERR_FAIL, "'CLUSTER NODES' / 'CLUSTER INFO' on '%s' answered %s", c->name,
			reply_describe(nodes->type != REDIS_REPLY_STRING ? nodes : info, d, sizeof(d)));
		goto out;
	}
	if (view_parse(&v, nodes->str, e) < 0)
		goto out;
	rc = heal_gate_judge(&v, info->str, why, len);
out:
	if (nodes)
		freeReplyObject(nodes);
	if (info)
		freeReplyObject(info);
	view_release(&v);
	conn_free(c);
	return rc;
}
