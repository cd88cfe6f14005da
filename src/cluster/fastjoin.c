/* fastjoin.c - see fastjoin.h */
#include "cluster/fastjoin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/node.h"

/* The settings lowered for a join, in struct fastjoin's `before` order. */
static const struct setting {
	const char *name;
	long long low;  /* the value during a join */
	int bit;        /* FASTJOIN_* */
} settings[2] = {
	{ "cluster-node-timeout", FASTJOIN_NODE_TIMEOUT_MS, FASTJOIN_TIMEOUT },
	{ "repl-diskless-sync-delay", 0, FASTJOIN_SYNC_DELAY },
};

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
	char value[32];

	snprintf(value, sizeof(value), "%lld", v);
	return node_config_set(c, name, value);
}

void fastjoin_lower(struct conn *c, struct fastjoin *f)
{
	memset(f, 0, sizeof(*f));
	for (int k = 0; k < 2; k++) {
		long long v = config_get(c, settings[k].name);
		if (v > settings[k].low && config_set(c, settings[k].name, settings[k].low) == 0) {
			f->before[k] = v;
			f->held |= settings[k].bit;
		}
	}
}

int fastjoin_restore(struct conn *c, struct fastjoin *f, int what)
{
	int rc = 0;

	for (int k = 0; k < 2; k++)
		if (what & f->held & settings[k].bit)
			rc |= config_set(c, settings[k].name, f->before[k]);
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
	if (rc < 0)
		log_say(log, "warning: could not put back cluster-node-timeout / repl-diskless-sync-delay on '%s' "
			     "(lowered for its join): it keeps them until it restarts or the next reconcile",
			     addr_format(a, name, sizeof(name)));
	conn_free(c);
}

/* The one value every member not at `low` agrees on, or -1 (none, or they
 * differ: then nothing is known to put back). */
static long long agreed_value(const long long *v, int n, long long low)
{
	long long ref = -1;

	for (int i = 0; i < n; i++) {
		if (v[i] < 0 || v[i] == low)
			continue;
		if (ref >= 0 && v[i] != ref)
			return -1;
		ref = v[i];
	}
	return ref;
}

int fastjoin_repair(const struct topo *t, const struct conn_opts *o, FILE *log)
{
	long long *v = calloc((size_t)t->n + 1, sizeof(*v));
	struct conn **c = calloc((size_t)t->n + 1, sizeof(*c));
	int fixed = 0;

	for (int i = 0; v && c && i < t->n; i++) {
		const struct member *m = &t->m[i];
		struct addr a;
		struct sc_err e;

		if (!m->reachable || !m->n.ip[0] || (m->n.flags & (NF_NOADDR | NF_HANDSHAKE)))
			continue;
		snprintf(a.host, sizeof(a.host), "%s", m->n.ip);
		a.port = m->n.port;
		c[i] = conn_open(&a, o, &e);
	}
	for (int k = 0; v && c && k < 2; k++) {
		const struct setting *s = &settings[k];
		long long ref;

		for (int i = 0; i < t->n; i++)
			v[i] = c[i] ? config_get(c[i], s->name) : -1;
		if ((ref = agreed_value(v, t->n, s->low)) < 0)
			continue;
		for (int i = 0; i < t->n; i++) {
			if (v[i] != s->low || config_set(c[i], s->name, ref) < 0)
				continue;
			fixed++;
			log_say(log, "putting back %s %lld on '%s' (left at %lld by an interrupted join, "
				     "like no other member)", s->name, ref, c[i]->name, s->low);
		}
	}
	for (int i = 0; c && i < t->n; i++)
		conn_free(c[i]);
	free(c);
	free(v);
	return fixed;
}
