/* exec_sync.c - the executor's waits for replicas to be in sync with their
 * masters (see exec.h: exec_sync, and the sync before a FAILOVER and at the
 * end of a run). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/exec_int.h"

int exec_role_is_master(struct conn *c)
{
	redisReply *r = conn_command(c, "ROLE");
	int yes = r && r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
		  r->element[0]->type == REDIS_REPLY_STRING && strcmp(r->element[0]->str, "master") == 0;

	if (r)
		freeReplyObject(r);
	return yes;
}

/* A replica's link to its master, from its INFO replication: 1 in sync
 * (role master - nothing to sync -, or master_link_status:up and no sync
 * in progress), 0 not yet (why says which), -1 no answer. */
static int repl_synced(struct conn *c, char *why, int len)
{
	redisReply *r = conn_command(c, "INFO replication");
	int rc = -1;

	if (!r || r->type != REDIS_REPLY_STRING) {
		snprintf(why, (size_t)len, "%s", r ? "no INFO replication" : c->err.msg);
		goto out;
	}
	if (strstr(r->str, "role:master")) {
		rc = 1;
	} else if (!strstr(r->str, "master_link_status:up")) {
		snprintf(why, (size_t)len, "master_link_status:down");
		rc = 0;
	} else if (strstr(r->str, "master_sync_in_progress:1")) {
		snprintf(why, (size_t)len, "master_sync_in_progress:1");
		rc = 0;
	} else {
		rc = 1;
	}
out:
	if (r)
		freeReplyObject(r);
	return rc;
}

/* Wait until the members idx[0..n) are in sync with their masters: a
 * replica still loading its master's data would lose the shard if a
 * failover promoted it now.  Deadline: the run's wait. */
int exec_sync_wait(struct exec *x, const int *idx, int n, struct sc_err *e)
{
	long long deadline = clock_now_ms() + x->wait_ms;
	struct conn **cs = calloc((size_t)n + 1, sizeof(*cs));
	int *done = calloc((size_t)n + 1, sizeof(*done));
	char why[256] = "", a[300];
	int rc = -1, left = n, last = -1;

	if (!cs || !done) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int round = 0;; round++) {
		for (int i = 0; i < n; i++) {
			struct sc_err ce;
			int st;
			if (done[i])
				continue;
			if (cs[i] && cs[i]->broken) {
				conn_free(cs[i]);
				cs[i] = NULL;
			}
			if (!cs[i] && !(cs[i] = conn_open(&x->m[idx[i]].addr, x->o->conn, &ce))) {
				snprintf(why, sizeof(why), "%s", ce.msg);
				last = i;
				continue;
			}
			if ((st = repl_synced(cs[i], why, sizeof(why))) == 1) {
				done[i] = 1;
				left--;
			} else {
				last = i;
			}
		}
		if (left == 0)
			break;
		/* said only when there is something to wait for */
		if (round == 0 && left > 1)
			exec_log(x, "waiting for %d replicas to sync", left);
		else if (round == 0)
			exec_log(x, "waiting for replica '%s' to sync", addr_format(&x->m[idx[last]].addr, a, sizeof(a)));
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "replica '%s' is not in sync with its master after %d s (%s); "
				"run again to continue", addr_format(&x->m[idx[last]].addr, a, sizeof(a)),
				x->wait_ms / 1000, why);
			goto out;
		}
		clock_sleep_ms(POLL_MS);
	}
	rc = 0;
out:
	for (int i = 0; cs && i < n; i++)
		conn_free(cs[i]);
	free(cs);
	free(done);
	return rc;
}

int exec_sync_where(struct exec *x, int (*want)(const struct exec *x, const struct xmember *r, void *arg),
		    void *arg, struct sc_err *e)
{
	int *idx = calloc((size_t)x->n + 1, sizeof(*idx));
	int n = 0, rc;

	if (!idx)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < x->n; i++)
		if (!x->m[i].gone && !x->m[i].dead && x->m[i].master_of[0] && want(x, &x->m[i], arg))
			idx[n++] = i;
	rc = n ? exec_sync_wait(x, idx, n, e) : 0;
	free(idx);
	return rc;
}

static int master_alive(const struct exec *x, const struct xmember *r, void *arg)
{
	int m = exec_member_find(x, r->master_of);

	(void)arg;
	return m >= 0 && !x->m[m].dead;
}

int exec_sync_replicas(struct exec *x, struct sc_err *e)
{
	return exec_sync_where(x, master_alive, NULL, e);
}

/* An executor with no plan and no member yet, for the waits alone. */
static void bare_exec(struct exec *x, struct plan *none, const struct exec_opts *o)
{
	memset(none, 0, sizeof(*none));
	memset(x, 0, sizeof(*x));
	x->p = none;
	x->o = o;
	x->wait_ms = o->wait_ms > 0 ? o->wait_ms : 60000;
}

int exec_sync(const struct exec_opts *o, struct sc_err *e)
{
	struct plan none;
	struct exec x;
	int rc = -1;

	bare_exec(&x, &none, o);
	if (exec_members_init(&x, e) < 0)
		goto out;
	rc = exec_sync_replicas(&x, e);
out:
	free(x.m);
	return rc;
}

int exec_sync_nodes(const struct exec_opts *o, const struct addr *nodes, int n, struct sc_err *e)
{
	struct plan none;
	struct exec x;
	int *idx = calloc((size_t)n + 1, sizeof(*idx));
	int rc = -1;

	bare_exec(&x, &none, o);
	x.m = calloc((size_t)n + 1, sizeof(*x.m));
	if (!x.m || !idx) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		x.m[i].addr = nodes[i];
		idx[i] = i;
	}
	x.n = n;
	rc = n ? exec_sync_wait(&x, idx, n, e) : 0;
out:
	free(x.m);
	free(idx);
	return rc;
}
