/* upgrade_check.c - see upgrade_check.h. */
#include "engine/upgrade_check.h"

#include <string.h>

#include "base/log.h"
#include "cluster/survey.h"
#include "cluster/node.h"
#include "core/server_image.h"

/* The server at `a`: 1 read, 0 unreachable (skipped), -1 e. */
static int read_server(const struct addr *a, const struct conn_opts *o, struct server_kind *k, struct sc_err *e)
{
	struct sc_err ce;
	struct conn *c = conn_open(a, o, &ce);
	int rc;

	if (!c)
		return ce.kind == ERR_IO ? 0 : (*e = ce, -1);
	rc = node_server(c, k, e) < 0 ? -1 : 1;
	conn_free(c);
	return rc;
}

/* Checks one node, whose server is `have` when the survey read it (else
 * it is asked here); 0 fine or skipped, -1 refused / unreadable. */
static int check_node(const struct upgrade_check_req *r, const struct addr *a, const struct server_kind *have,
		      const struct server_kind *to, int known, int *seen, struct sc_err *e)
{
	struct server_kind v;
	char an[300], vb[64], tb[64];
	int got = have ? (v = *have, 1) : read_server(a, r->conn, &v, e), rdb;

	addr_format(a, an, sizeof(an));
	if (got < 0)
		return -1;
	if (got == 0) {
		log_say(r->out, "'%s': not reachable, skipped", an);
		return 0;
	}
	(*seen)++;
	rdb = server_kind_dump_version(&v);
	log_say(r->out, "'%s' runs %s (data format: RDB %d)", an, server_kind_format(&v, vb, sizeof(vb)), rdb);
	if (known && rdb >= 0 && server_kind_accepts(to, rdb) == 0)
		return err_set(e, ERR_REFUSED,
			       "refusing the server image '%s': %s cannot read the data of '%s', which runs %s "
			       "(RDB version %d; %s writes %d); keep a server that reads it (the same or a newer "
			       "version of the same server, or Valkey 9 over Valkey 8 / Redis <= 7.2)",
			       r->image, server_kind_format(to, tb, sizeof(tb)), an, vb, rdb,
			       server_kind_format(to, tb, sizeof(tb)), server_kind_dump_version(to));
	return 0;
}

int upgrade_check_run(const struct upgrade_check_req *r, struct sc_err *e)
{
	struct server_kind to;
	struct topo t;
	struct sc_err se;
	char repo[512], tag[128], tb[64];
	int known, seen = 0, have_topo = 0, rc = -1;

	server_image_split(r->image, repo, sizeof(repo), tag, sizeof(tag));
	known = server_kind_from_image(&to, repo, tag, r->flavor) == 0;
	if (known)
		log_say(r->out, "target: %s (data format: RDB %d) from image '%s'",
			server_kind_format(&to, tb, sizeof(tb)), server_kind_dump_version(&to), r->image);
	else
		log_say(r->out, "warning: cannot tell the server version of image '%s' (flavor %s, tag '%s'): "
			"not checked; make sure it reads the running nodes' data",
			r->image, server_family_name(to.family), tag);
	/* one name resolved before the survey's threads resolve theirs: a
	 * resolver that builds its tables on first use without a lock
	 * (nss_wrapper, which the tests use for pod DNS names) must not be
	 * entered by several threads at once the first time */
	{
		char ip[64];
		struct sc_err ie;
		addr_resolve_ip(r->nodes->v[0].host, ip, sizeof(ip), &ie);
	}
	if (survey_read(&t, r->nodes->v, r->nodes->n, r->conn, 0, &se) == 0) {
		have_topo = 1;
		for (int i = 0; i < t.n; i++) {
			struct addr a;
			if (!t.m[i].n.ip[0])
				continue;
			snprintf(a.host, sizeof(a.host), "%s", t.m[i].n.ip);
			a.port = t.m[i].n.port;
			if (!t.m[i].reachable) {
				char an[300];
				log_say(r->out, "'%s': not reachable, skipped", addr_format(&a, an, sizeof(an)));
				continue;
			}
			if (check_node(r, &a, t.m[i].server.family != SERVER_UNKNOWN ? &t.m[i].server : NULL, &to,
				       known, &seen, e) < 0)
				goto out;
		}
	}
	/* listed nodes outside that cluster (fresh pods) hold data too */
	for (int i = 0; i < r->nodes->n; i++) {
		char ip[64];
		struct sc_err ie;
		if (have_topo && addr_resolve_ip(r->nodes->v[i].host, ip, sizeof(ip), &ie) == 0 &&
		    topo_find_addr(&t, ip, r->nodes->v[i].port) >= 0)
			continue;
		if (have_topo && topo_find_addr(&t, r->nodes->v[i].host, r->nodes->v[i].port) >= 0)
			continue;
		if (check_node(r, &r->nodes->v[i], NULL, &to, known, &seen, e) < 0)
			goto out;
	}
	if (!seen)
		log_say(r->out, "no running node found: nothing to compare");
	else if (known)
		log_say(r->out, "%d node%s checked: %s reads their data", seen, seen == 1 ? "" : "s",
			server_kind_format(&to, tb, sizeof(tb)));
	rc = 0;
out:
	if (have_topo)
		topo_release(&t);
	return rc;
}
