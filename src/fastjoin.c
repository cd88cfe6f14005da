/* fastjoin.c - see fastjoin.h */
#include "fastjoin.h"

#include <stdlib.h>
#include <string.h>

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

	memset(f, 0, sizeof(*f));
	v = config_get(c, "cluster-node-timeout");
	if (v > FASTJOIN_NODE_TIMEOUT_MS && config_set(c, "cluster-node-timeout", FASTJOIN_NODE_TIMEOUT_MS) == 0) {
		f->node_timeout = v;
		f->held |= FASTJOIN_TIMEOUT;
	}
	v = config_get(c, "repl-diskless-sync-delay");
	if (v > 0 && config_set(c, "repl-diskless-sync-delay", 0) == 0) {
		f->sync_delay = v;
		f->held |= FASTJOIN_SYNC_DELAY;
	}
}


int fastjoin_restore(struct conn *c, struct fastjoin *f, int what)
{
	int rc = 0;

	if (what & f->held & FASTJOIN_TIMEOUT)
		rc |= config_set(c, "cluster-node-timeout", f->node_timeout);
	if (what & f->held & FASTJOIN_SYNC_DELAY)
		rc |= config_set(c, "repl-diskless-sync-delay", f->sync_delay);
	f->held &= ~what;
	return rc ? -1 : 0;
}

void fastjoin_put_back(const struct addr *a, const struct conn_opts *o, struct fastjoin *f, int what,
		       FILE *log)
{
	struct sc_err e;
	struct conn *c;
	char name[300];
	int rc;

	if (!(f->held & what))
		return;
	c = conn_open(a, o, &e);
	rc = c ? fastjoin_restore(c, f, what) : -1;
	if (rc < 0 && log) {
		fprintf(log, "warning: could not put back cluster-node-timeout / repl-diskless-sync-delay on '%s' "
			"(lowered for its join): it keeps them until it restarts\n", addr_format(a, name, sizeof(name)));
		fflush(log);
	}
	conn_free(c);
}
