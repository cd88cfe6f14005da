/* probe.c - see probe.h */
#include "cluster/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

/* Ids a node knows (first word of each CLUSTER NODES line), "id id ...".
 * Entries still in handshake are left out: their ids are temporary (a MEET
 * in flight, e.g. from a run killed during a join), so they tie the node to
 * no cluster yet. */
struct known {
	char *ids;
	int n;
};

static int knows(const struct known *k, const char *id)
{
	for (int i = 0; i < k->n; i++)
		if (memcmp(k->ids + (size_t)i * (NODE_ID_LEN + 1), id, NODE_ID_LEN) == 0)
			return 1;
	return 0;
}

/* 1 if the flags (third field) of the CLUSTER NODES line at p name a
 * handshake. */
static int line_in_handshake(const char *p)
{
	for (int field = 0; field < 2; field++) {
		p += strcspn(p, " \n");
		if (*p != ' ')
			return 0;
		p++;
	}
	size_t n = strcspn(p, " \n");
	for (const char *f = p; f < p + n; f += strcspn(f, ",") + 1) {
		size_t len = strcspn(f, ", \n");
		if (len == 9 && strncmp(f, "handshake", 9) == 0)
			return 1;
		if (f[len] != ',')
			break;
	}
	return 0;
}

/* Send a command, retrying while the node answers LOADING (it is loading
 * its data set: a replica right after its first sync, a restarted pod),
 * for up to PROBE_LOADING_MS.  NULL on I/O failure, like conn_command. */
#define PROBE_LOADING_MS 60000
static redisReply *command_loaded(struct conn *c, const char *cmd, const char *sub)
{
	long long deadline = clock_now_ms() + PROBE_LOADING_MS;
	const char *argv[2] = { cmd, sub };
	int argc = sub ? 2 : 1;
	redisReply *r;

	while ((r = conn_command_argv(c, argc, argv, NULL)) && reply_class(r) == RC_LOADING &&
	       clock_now_ms() < deadline) {
		freeReplyObject(r);
		clock_sleep_ms(100);
	}
	return r;
}

static int read_known(struct conn *c, struct known *k, struct sc_err *e)
{
	redisReply *r = command_loaded(c, "CLUSTER", "NODES");
	const char *p;
	int rc = -1;

	if (!r) {
		*e = c->err;
		return -1;
	}
	if (r->type != REDIS_REPLY_STRING) {
		err_set(e, ERR_REFUSED, "'%s' is not cluster-enabled (set cluster-enabled yes)", c->name);
		goto out;
	}
	for (p = r->str; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strcspn(p, " \n") != NODE_ID_LEN || line_in_handshake(p))
			continue;
		char *tmp = realloc(k->ids, (size_t)(k->n + 1) * (NODE_ID_LEN + 1));
		if (!tmp) {
			err_set(e, ERR_FAIL, "out of memory");
			goto out;
		}
		k->ids = tmp;
		memcpy(k->ids + (size_t)k->n * (NODE_ID_LEN + 1), p, NODE_ID_LEN);
		k->ids[(size_t)k->n * (NODE_ID_LEN + 1) + NODE_ID_LEN] = '\0';
		k->n++;
	}
	rc = 0;
out:
	freeReplyObject(r);
	return rc;
}

static int probe_one(const struct addr *a, const struct conn_opts *o, struct want_node *w,
		     struct known *k, int *in_cluster, struct sc_err *e)
{
	struct sc_err ce;
	struct conn *c = conn_open(a, o, &ce);
	redisReply *r = NULL;
	long long keys = -1;
	char val[32];
	int rc = -1, assigned = -1;

	if (!c)
		return 0; /* unreachable: reported by the planner when it matters */
	if (!(r = command_loaded(c, "CLUSTER", "MYID")))
		goto io;
	if (reply_class(r) == RC_NOAUTH) {
		err_set(e, ERR_FAIL, "'%s' refused us: %s (give the password with REDISCLI_AUTH or "
			"--password-file, and --user for an ACL user)", c->name, r->str);
		goto out;
	}
	if (r->type != REDIS_REPLY_STRING || r->len != NODE_ID_LEN) {
		char desc[300];
		if (reply_class(r) == RC_NO_CLUSTER)
			err_set(e, ERR_REFUSED, "'%s' is not cluster-enabled (set cluster-enabled yes)", c->name);
		else
			err_set(e, ERR_FAIL, "'CLUSTER MYID' on '%s' failed: %s", c->name,
				reply_describe(r, desc, sizeof(desc)));
		goto out;
	}
	memcpy(w->id, r->str, NODE_ID_LEN);
	w->id[NODE_ID_LEN] = '\0';
	freeReplyObject(r);
	if (!(r = command_loaded(c, "DBSIZE", NULL)))
		goto io;
	if (r->type == REDIS_REPLY_INTEGER)
		keys = r->integer;
	freeReplyObject(r);
	if (!(r = command_loaded(c, "CLUSTER", "INFO")))
		goto io;
	if (r->type == REDIS_REPLY_STRING) {
		if (info_field(r->str, "cluster_slots_assigned", val, sizeof(val)) == 0)
			assigned = atoi(val);
	}
	freeReplyObject(r);
	if (!(r = command_loaded(c, "INFO", "server")))
		goto io;
	/* the planner judges moves by it; a node that does not say stays
	 * unknown (not judged) */
	if (r->type == REDIS_REPLY_STRING)
		server_kind_parse(&w->server, r->str);
	if (read_known(c, k, e) < 0)
		goto out;
	w->reachable = 1;
	/* k->n: nodes it knows by a settled id (itself included) */
	w->empty = keys == 0 && assigned == 0 && k->n == 1;
	*in_cluster = assigned > 0 || k->n > 1;
	rc = 0;
	goto out;
io:
	/* it answered the connection and then broke: treat as unreachable */
	rc = 0;
out:
	if (r)
		freeReplyObject(r);
	conn_free(c);
	return rc;
}

int probe_nodes(const struct addr_list *l, const struct conn_opts *o, struct want_node *want,
		int *in_cluster, struct sc_err *e)
{
	struct known *k = calloc((size_t)l->n + 1, sizeof(*k));
	int *group = calloc((size_t)l->n + 1, sizeof(*group));
	int *inc = calloc((size_t)l->n + 1, sizeof(*inc));
	int rc = -1;

	if (!k || !group || !inc) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < l->n; i++) {
		struct want_node *w = &want[i];
		struct sc_err ignored;
		memset(w, 0, sizeof(*w));
		w->addr = l->v[i];
		w->member = -1;
		/* the failure domain is the IP the name resolves to now; the
		 * host itself when it does not resolve */
		if (addr_resolve_ip(l->v[i].host, w->hostkey, sizeof(w->hostkey), &ignored) < 0)
			snprintf(w->hostkey, sizeof(w->hostkey), "%s", l->v[i].host);
		if (probe_one(&l->v[i], o, w, &k[i], &inc[i], e) < 0)
			goto out;
	}
	/* group the non-empty nodes by "knows": union of i and j when either
	 * knows the other's id */
	for (int i = 0; i < l->n; i++)
		group[i] = i;
	for (int i = 0; i < l->n; i++) {
		if (!inc[i])
			continue;
		for (int j = 0; j < l->n; j++) {
			if (j == i || !inc[j])
				continue;
			if (knows(&k[i], want[j].id) || knows(&k[j], want[i].id)) {
				int gi = group[i], gj = group[j];
				for (int x = 0; x < l->n; x++)
					if (group[x] == gj)
						group[x] = gi;
			}
		}
	}
	for (int i = 0; i < l->n; i++) {
		for (int j = i + 1; j < l->n; j++) {
			char a[300], b[300];
			if (!inc[i] || !inc[j] || group[i] == group[j])
				continue;
			err_set(e, ERR_REFUSED, "'%s' and '%s' belong to different clusters; list the nodes "
				"of one cluster (and empty nodes to add)", addr_format(&l->v[i], a, sizeof(a)),
				addr_format(&l->v[j], b, sizeof(b)));
			goto out;
		}
	}
	if (in_cluster)
		memcpy(in_cluster, inc, sizeof(*inc) * (size_t)l->n);
	rc = 0;
out:
	for (int i = 0; k && i < l->n; i++)
		free(k[i].ids);
	free(k);
	free(group);
	free(inc);
	return rc;
}
