/* replsync.c - see replsync.h. */
#include "engine/replsync.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/node.h"

#define POLL_MS 100

int replsync_wait(const struct members *ms, const int *idx, int n, struct sc_err *e)
{
	int wait_ms = ms->wait_ms > 0 ? ms->wait_ms : 60000;
	long long deadline = clock_now_ms() + wait_ms;
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
			if (done[i])
				continue;
			if (cs[i] && cs[i]->broken) {
				conn_free(cs[i]);
				cs[i] = NULL;
			}
			if (!cs[i] && !(cs[i] = conn_open(&ms->m[idx[i]].addr, ms->conn, &ce))) {
				snprintf(why, sizeof(why), "%s", ce.msg);
				last = i;
				continue;
			}
			if (node_repl_synced(cs[i], why, sizeof(why)) == 1) {
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
			log_say(ms->log, "waiting for %d replicas to sync", left);
		else if (round == 0)
			log_say(ms->log, "waiting for replica '%s' to sync",
				addr_format(&ms->m[idx[last]].addr, a, sizeof(a)));
		if (clock_now_ms() >= deadline) {
			err_set(e, ERR_FAIL, "replica '%s' is not in sync with its master after %d s (%s); "
				"run again to continue", addr_format(&ms->m[idx[last]].addr, a, sizeof(a)),
				wait_ms / 1000, why);
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

int replsync_where(const struct members *ms,
		   int (*want)(const struct members *ms, const struct run_member *r, void *arg), void *arg,
		   struct sc_err *e)
{
	int *idx = calloc((size_t)ms->n + 1, sizeof(*idx));
	int n = 0, rc;

	if (!idx)
		return err_set(e, ERR_FAIL, "out of memory");
	for (int i = 0; i < ms->n; i++)
		if (!ms->m[i].gone && !ms->m[i].dead && ms->m[i].master_of[0] && want(ms, &ms->m[i], arg))
			idx[n++] = i;
	rc = n ? replsync_wait(ms, idx, n, e) : 0;
	free(idx);
	return rc;
}

static int master_alive(const struct members *ms, const struct run_member *r, void *arg)
{
	int m = members_find(ms, r->master_of);

	(void)arg;
	return m >= 0 && !ms->m[m].dead;
}

int replsync_replicas(const struct members *ms, struct sc_err *e)
{
	return replsync_where(ms, master_alive, NULL, e);
}

int replsync_topo(const struct topo *t, const struct conn_opts *conn, int wait_ms, FILE *log, struct sc_err *e)
{
	struct members ms = { .conn = conn, .wait_ms = wait_ms, .log = log };
	int rc = -1;

	if (members_from_topo(&ms, t, e) == 0)
		rc = replsync_replicas(&ms, e);
	members_release(&ms);
	return rc;
}

int replsync_nodes(const struct addr *nodes, int n, const struct conn_opts *conn, int wait_ms, FILE *log,
		   struct sc_err *e)
{
	struct members ms = { .conn = conn, .wait_ms = wait_ms, .log = log };
	int *idx = calloc((size_t)n + 1, sizeof(*idx));
	int rc = -1;

	ms.m = calloc((size_t)n + 1, sizeof(*ms.m));
	if (!ms.m || !idx) {
		err_set(e, ERR_FAIL, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		ms.m[i].addr = nodes[i];
		idx[i] = i;
	}
	ms.n = n;
	rc = n ? replsync_wait(&ms, idx, n, e) : 0;
out:
	members_release(&ms);
	free(idx);
	return rc;
}
