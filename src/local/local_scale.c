/* local_scale.c - `shardctl local scale`: the sequence a Helm upgrade runs,
 * on local processes (see local.h). */
#include "base/log.h"
#include "local/local.h"

#include <stdlib.h>
#include <string.h>

#include "engine/reconcile.h"


static int run_reconcile(const struct local_opts *o, const struct addr_list *nodes, int shards,
			 int replicas, int evacuate_only, struct sc_err *e)
{
	struct reconcile_req r;

	memset(&r, 0, sizeof(r));
	r.nodes = nodes;
	r.shards = shards;
	r.replicas = replicas;
	r.evacuate_only = evacuate_only;
	r.conn = o->conn;
	r.wait_ms = o->wait_ms;
	r.out = o->log;
	r.migration = (enum migration_choice)o->migration;
	r.max_latency_us = o->max_latency_us;
	return reconcile_run(&r, e);
}

int local_scale(const struct local_opts *o, struct sc_err *e)
{
	struct local_state st, next;
	struct local_opts lo = *o;
	struct server *v = NULL, *add = NULL, *gone = NULL;
	struct addr_list nodes = { 0 };
	char abs[PATH_MAX];
	int n = 0, nadd = 0, ngone = 0, rc = -1;

	if (!realpath(o->dir, abs))
		return err_set(e, ERR_REFUSED, "cannot use '%s': no local cluster there", o->dir);
	if (local_state_read(abs, &st, e) < 0)
		return -1;
	next = st;
	next.shards = o->shards;
	next.replicas = o->replicas >= 0 ? o->replicas : st.replicas;
	next.nodes = next.shards * (1 + next.replicas);
	/* new nodes run the recorded server, or the one given, recorded */
	if (o->server && local_server_path(o->server, next.server, sizeof(next.server), e) < 0)
		return -1;
	lo.server = next.server[0] ? next.server : NULL;
	if (next.shards < 3)
		return err_set(e, ERR_REFUSED,
			       "too few shards: %d (a cluster needs at least 3 masters; use --shards 3 or more)",
			       next.shards);
	if (local_inspect(o->dir, &st, &v, &n, e) < 0)
		return -1;
	/* every current node must run: the evacuation reads them all */
	for (int i = 0; i < st.nodes; i++) {
		int found = 0;
		for (int k = 0; k < n; k++)
			if (v[k].port == st.port + i && v[k].pid > 0)
				found = 1;
		if (!found) {
			err_set(e, ERR_REFUSED,
				"node %s:%d of the local cluster in '%s' is not running (see 'shardctl local status "
				"--dir %s')",
				st.host, st.port + i, o->dir, o->dir);
			goto out;
		}
	}
	if (next.nodes > st.nodes &&
	    local_check_ports(st.host, st.port + st.nodes, next.nodes - st.nodes, e) < 0)
		goto out;
	nodes.v = calloc((size_t)next.nodes, sizeof(*nodes.v));
	add = calloc((size_t)next.nodes + 1, sizeof(*add));
	gone = calloc((size_t)st.nodes + 1, sizeof(*gone));
	if (!nodes.v || !add || !gone) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	nodes.n = next.nodes;
	for (int i = 0; i < next.nodes; i++) {
		snprintf(nodes.v[i].host, sizeof(nodes.v[i].host), "%s", st.host);
		nodes.v[i].port = st.port + i;
	}
	log_say(o->log, "scaling %s from %d shards x %d replicas (%d nodes) to %d x %d (%d nodes)", o->dir,
	    st.shards, st.replicas, st.nodes, next.shards, next.replicas, next.nodes);
	if (strcmp(st.server, next.server))
		log_say(o->log, "new nodes run %s (until now: %s)", next.server[0] ? next.server : "redis-server",
			st.server[0] ? st.server : "redis-server");

	/* pre-upgrade: the departing nodes still run */
	log_say(o->log, "pre-upgrade: reconcile --evacuate-only with the new node list");
	if (run_reconcile(o, &nodes, next.shards, next.replicas, 1, e) < 0)
		goto out;

	/* the StatefulSet change: departed nodes stop, new ones start */
	for (int k = 0; k < n; k++)
		if (v[k].port >= st.port + next.nodes)
			gone[ngone++] = v[k];
	for (int i = st.nodes; i < next.nodes; i++)
		server_init(&add[nadd++], abs, st.host, st.port + i);
	if (local_state_write(abs, &next, e) < 0)
		goto out;
	if (ngone) {
		if (local_stop(gone, ngone, o->wait_ms, e) < 0)
			goto out;
		for (int k = 0; k < ngone; k++)
			server_remove(&gone[k]);
		log_say(o->log, "stopped %d departed node%s", ngone, ngone == 1 ? "" : "s");
	}
	if (nadd && local_start(add, nadd, &lo, e) < 0)
		goto out;

	/* post-upgrade */
	log_say(o->log, "post-upgrade: reconcile");
	if (run_reconcile(o, &nodes, next.shards, next.replicas, 0, e) < 0)
		goto out;
	rc = 0;
out:
	free(v);
	free(add);
	free(gone);
	free(nodes.v);
	return rc;
}
