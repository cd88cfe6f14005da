/* migration_method.c - see migration_method.h. */
#include "engine/migration_method.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/asm_idle.h"
#include "cluster/asmtask.h"
#include "cluster/dbs.h"
#include "cluster/node.h"
#include "cluster/slotmig.h"

/* Which family node c runs: CAP_VALKEY, CAP_REDIS or CAP_NONE, asking
 * COMMAND INFO (every generation answers it) of Valkey's command first,
 * then of Redis's; -1 with e. */
static int family_of(struct conn *c, struct sc_err *e)
{
	int k = node_has_command(c, "cluster|migrateslots", e);

	if (k != 0)
		return k < 0 ? -1 : CAP_VALKEY;
	k = node_has_command(c, "cluster|migration", e);
	return k < 0 ? -1 : k ? CAP_REDIS : CAP_NONE;
}

int method_choose(const struct method_req *r, enum migrate_method *method, enum migrate_family *family,
		  int **capable, struct sc_err *e)
{
	int *cap = calloc((size_t)r->n + 1, sizeof(*cap));
	int lacking = -1, valkey = -1, redis = -1, noauth = -1, multidb = -1, rc = -1;
	char name[300], other[300];

	*method = MIGRATE_LEGACY;
	*family = ATOMIC_VALKEY;
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
		k = family_of(c, e);
		/* Valkey only: its jobs carry every database, and the source
		 * authenticates to the target with primaryauth; Redis's run in
		 * one database, on the cluster's internal secret */
		if (k == CAP_VALKEY && multidb < 0) {
			struct node_dbs d = { 0 };
			if (node_dbs_read(c, &d, e) < 0)
				k = -1;
			else if (d.nused > 1)
				multidb = i;
			node_dbs_release(&d);
		}
		if (k == CAP_VALKEY && r->conn && r->conn->password && noauth < 0) {
			if (node_config_get(c, "primaryauth", pa, sizeof(pa), e) < 0)
				k = -1;
			else if (!pa[0])
				noauth = i;
		}
		conn_free(c);
		if (k < 0)
			goto out;
		cap[i] = k;
		if (k == CAP_NONE && lacking < 0)
			lacking = i;
		if (k == CAP_VALKEY && valkey < 0)
			valkey = i;
		if (k == CAP_REDIS && redis < 0)
			redis = i;
	}
	if (lacking >= 0) {
		addr_format(&r->nodes[lacking], name, sizeof(name));
		if (r->want == 1) {
			err_set(e, ERR_REFUSED, "'--migration atomic' needs atomic slot migration on every node taking "
				"part (CLUSTER MIGRATESLOTS, Valkey 9.0 or later, or CLUSTER MIGRATION, Redis 8.4 or "
				"later), and '%s' has neither; use '--migration auto' or 'legacy'", name);
			goto out;
		}
		if (valkey >= 0 || redis >= 0)
			log_say(r->log, "slots move the legacy way: '%s' has no atomic slot migration "
				"(CLUSTER MIGRATESLOTS or CLUSTER MIGRATION)", name);
		goto done;
	}
	if (valkey >= 0 && redis >= 0) {
		addr_format(&r->nodes[valkey], name, sizeof(name));
		addr_format(&r->nodes[redis], other, sizeof(other));
		if (r->want == 1) {
			err_set(e, ERR_REFUSED, "'--migration atomic' needs one family of atomic slot migration on every "
				"node taking part, and '%s' has Valkey's (CLUSTER MIGRATESLOTS) while '%s' has Redis's "
				"(CLUSTER MIGRATION), which cannot move slots between each other; use '--migration "
				"auto' or 'legacy'", name, other);
			goto out;
		}
		log_say(r->log, "slots move the legacy way: '%s' has Valkey's atomic slot migration (CLUSTER "
			"MIGRATESLOTS) and '%s' Redis's (CLUSTER MIGRATION), which do not work together", name, other);
		goto done;
	}
	if (redis >= 0) {
		*family = ATOMIC_REDIS;
		*method = MIGRATE_ATOMIC;
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
	asm_running_fn *fn = calloc((size_t)r->n + 1, sizeof(*fn));
	int n = 0, rc;

	if (!a || !fn) {
		free(a);
		free(fn);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	for (int i = 0; i < r->n; i++) {
		int k = capable ? capable[i] : CAP_NONE;
		if (!capable) {
			struct conn *c = conn_open(&r->nodes[i], r->conn, e);
			k = c ? family_of(c, e) : -1;
			conn_free(c);
			if (k < 0) {
				free(a);
				free(fn);
				return -1;
			}
		}
		if (k != CAP_NONE) {
			fn[n] = k == CAP_REDIS ? asmtask_running : slotmig_running;
			a[n++] = r->nodes[i];
		}
	}
	rc = n ? asm_await_idle(a, fn, n, r->conn, wait_ms, r->log, e) : 0;
	free(a);
	free(fn);
	return rc;
}
