/* fastjoin.c - see fastjoin.h */
#include "fastjoin.h"

#include <stdlib.h>

/* CONFIG GET NAME -> its integer value, or -1 (refused, unknown, odd). */
static long long config_get(struct conn *c, const char *name)
{
	redisReply *r = conn_command(c, "CONFIG GET %s", name);
	long long v = -1;
	char *end;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_STRING) {
		v = strtoll(r->element[1]->str, &end, 10);
		if (*end || v < 0)
			v = -1;
	}
	if (r)
		freeReplyObject(r);
	return v;
}

static int config_set(struct conn *c, const char *name, long long v)
{
	redisReply *r = conn_command(c, "CONFIG SET %s %lld", name, v);
	int ok = reply_is_status(r, "OK");

	if (r)
		freeReplyObject(r);
	return ok ? 0 : -1;
}

void fastjoin_lower(struct conn *c, struct fastjoin *f)
{
	long long v;

	f->node_timeout = 0;
	f->sync_delay = -1;
	v = config_get(c, "cluster-node-timeout");
	if (v > FASTJOIN_NODE_TIMEOUT_MS && config_set(c, "cluster-node-timeout", FASTJOIN_NODE_TIMEOUT_MS) == 0)
		f->node_timeout = v;
	v = config_get(c, "repl-diskless-sync-delay");
	if (v > 0 && config_set(c, "repl-diskless-sync-delay", 0) == 0)
		f->sync_delay = v;
}

int fastjoin_pending(const struct fastjoin *f, int what)
{
	return ((what & FASTJOIN_TIMEOUT) && f->node_timeout > 0) ||
	       ((what & FASTJOIN_SYNC_DELAY) && f->sync_delay >= 0);
}

int fastjoin_restore(struct conn *c, struct fastjoin *f, int what)
{
	int rc = 0;

	if ((what & FASTJOIN_TIMEOUT) && f->node_timeout > 0) {
		rc |= config_set(c, "cluster-node-timeout", f->node_timeout);
		f->node_timeout = 0;
	}
	if ((what & FASTJOIN_SYNC_DELAY) && f->sync_delay >= 0) {
		rc |= config_set(c, "repl-diskless-sync-delay", f->sync_delay);
		f->sync_delay = -1;
	}
	return rc ? -1 : 0;
}
