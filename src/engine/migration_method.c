/* migration_method.c - see migration_method.h. */
#include "engine/migration_method.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/dbs.h"
#include "cluster/node.h"
#include "cluster/slotmig.h"

int method_choose(const struct method_req *r, enum migrate_method *method, int **capable, struct sc_err *e)
{
	int *cap = calloc((size_t)r->n + 1, sizeof(*cap));
	int lacking = -1, redis_asm = 0, noauth = -1, multidb = -1, rc = -1;
	char name[300];

	*method = MIGRATE_LEGACY;
	if (!cap)
		return err_set(e, ERR_FAIL, "out of memory");
	if (r->want == 2)
		goto done;
	for (int i = 0; i < r->n; i++) {
		struct conn *c = conn_open(&r->nodes[i], r->conn, e);
		char pa[512];
		int k;

		if (!c)
			goto out;
		k = node_has_command(c, "cluster|migrateslots", e);
		if (k == 0 && node_has_command(c, "cluster|migration", e) == 1)
			redis_asm = 1;
		if (k == 1 && multidb < 0) {
			struct node_dbs d = { 0 };
			if (node_dbs_read(c, &d, e) < 0)
				k = -1;
			else if (d.nused > 1)
				multidb = i;
			node_dbs_release(&d);
		}
		if (k == 1 && r->conn && r->conn->password && noauth < 0) {
			if (node_config_get(c, "primaryauth", pa, sizeof(pa), e) < 0)
				k = -1;
			else if (!pa[0])
				noauth = i;
		}
		conn_free(c);
		if (k < 0)
			goto out;
		cap[i] = k;
		if (!k && lacking < 0)
			lacking = i;
	}
	if (lacking >= 0) {
		addr_format(&r->nodes[lacking], name, sizeof(name));
		if (r->want == 1) {
			err_set(e, ERR_REFUSED, "'--migration atomic' needs CLUSTER MIGRATESLOTS (Valkey 9.0 or later) on "
				"every node taking part, and '%s' has none%s; use '--migration auto' or 'legacy'", name,
				redis_asm ? " (Redis's CLUSTER MIGRATION is not driven by shardctl yet)" : "");
			goto out;
		}
		if (lacking > 0 || r->n > 1)
			for (int i = 0; i < r->n; i++)
				if (cap[i]) {
					log_say(r->log, "slots move the legacy way: '%s' has no atomic slot migration "
						"(CLUSTER MIGRATESLOTS)", name);
					break;
				}
		goto done;
	}
	if (noauth >= 0) {
		addr_format(&r->nodes[noauth], name, sizeof(name));
		if (r->want == 1) {
			err_set(e, ERR_REFUSED, "atomic slot migration with a password needs 'primaryauth' (and, for an "
				"ACL user, 'primaryuser') set on every node, so that a source can authenticate to its "
				"target, and '%s' has none; set it (CONFIG SET primaryauth, or masterauth in the "
				"config) or use '--migration legacy'", name);
			goto out;
		}
		log_say(r->log, "slots move the legacy way: '%s' has no 'primaryauth', which atomic slot migration "
			"needs with a password (set primaryauth on every node to use it)", name);
		goto done;
	}
	if (multidb >= 0 && r->want != 1) {
		/* Valkey 9.1's export stream can apply a write made during the
		 * move in the wrong database on the target (a server fault:
		 * docs/ENGINE.md "Databases", tests/integration/
		 * asm_multidb_server.sh), so auto keeps several databases on
		 * the legacy path */
		addr_format(&r->nodes[multidb], name, sizeof(name));
		log_say(r->log, "slots move the legacy way: '%s' holds keys in several databases, where Valkey's "
			"atomic slot migration can put a write made during the move into another database "
			"(--migration atomic uses it all the same)", name);
		goto done;
	}
	if (multidb >= 0) {
		addr_format(&r->nodes[multidb], name, sizeof(name));
		log_say(r->log, "warning: '%s' holds keys in several databases: with atomic slot migration a write "
			"made during the move can land in another database on the target (a Valkey fault)", name);
	}
	*method = MIGRATE_ATOMIC;
done:
	rc = 0;
out:
	if (rc == 0 && capable) {
		*capable = cap;
		cap = NULL;
	}
	free(cap);
	return rc;
}

int method_await_jobs(const struct method_req *r, const int *capable, int wait_ms, struct sc_err *e)
{
	struct addr *a = calloc((size_t)r->n + 1, sizeof(*a));
	int n = 0, rc;

	if (!a)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < r->n; i++)
		if (capable && capable[i])
			a[n++] = r->nodes[i];
	rc = n ? slotmig_await_idle(a, n, r->conn, wait_ms, r->log, e) : 0;
	free(a);
	return rc;
}
