/* atomic_redis.c - Redis >= 8.4's atomic slot migration for the core of
 * migrate_atomic.c (atomic_ops.h): CLUSTER MIGRATION on the target.
 *
 * One task per move: IMPORT of the move's ranges (all from its one
 * source) on the target, which answers the task id; the target pulls the
 * slots and hands them over in one short write pause on the source.  A
 * node runs one task at a time, imports and exports together ("another
 * ASM task is already in progress"), hence one_per_node.  STATUS ID on
 * the target: `completed`, `canceled` end it; `failed` does not: the
 * target retries by itself about every second (`retries` counts), e.g.
 * while the source still ends its previous task.  That is bounded here:
 * a task failed REDIS_RETRIES times is cancelled and the attempt ends
 * with its last_error, for the core to judge by ownership.  A cancel goes
 * to the target (cancelling on the source does not stop the import), then
 * to the source: a source's side left `failed` (the task has the same id
 * there) holds its slots against legacy SETSLOT until it is cancelled
 * (verified on 8.6.3), which would stop the legacy fallback, or a later
 * legacy run or `fix`, on those slots.
 * Authentication between the nodes is the cluster's internal secret:
 * nothing to set (research/server-generations.md D).
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/asmtask.h"
#include "engine/atomic_ops.h"

/* Server retries of a failed import before the attempt ends (~1 s each). */
#define REDIS_RETRIES 5

/* Cancel t's task on its source too (see above); 0 cancelled (it had
 * ended, or never started there) is fine, so is no answer. */
static void cancel_on_source(struct migrate *m, const struct atry *t)
{
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, m->mv[t->mi].src, &e);

	if (c && t->job[0])
		(void)asmtask_cancel(c, t->job, &e);
}

static void rd_issue(struct migrate *m, struct atry **t, int n)
{
	for (int k = 0; k < n; k++) {
		struct sc_err e;
		struct conn *c = migrate_job_conn(m, m->mv[t[k]->mi].dst, &e);
		int rc;

		if (!c) {
			t[k]->v = ATRY_LOST;
			t[k]->err = e;
			continue;
		}
		rc = asmtask_import(c, t[k]->rg, t[k]->nr, t[k]->job, sizeof(t[k]->job), t[k]->msg,
				    sizeof(t[k]->msg), &e);
		t[k]->sent_ms = clock_now_ms();
		t[k]->v = rc == 0 ? ATRY_RUNNING : rc == 1 ? ATRY_ENDED : rc == 2 ? ATRY_BUSY : ATRY_LOST;
		if (rc < 0)
			t[k]->err = e;
	}
}

static void rd_poll(struct migrate *m, struct atry **t, int n)
{
	for (int k = 0; k < n; k++) {
		struct asmtask *v = NULL;
		int nv = 0;
		struct sc_err e;
		struct conn *c = migrate_job_conn(m, m->mv[t[k]->mi].dst, &e);

		if (!c || asmtask_read(c, t[k]->job, &v, &nv, &e) < 0) {
			/* the run stops here: leave nothing on the source */
			t[k]->v = ATRY_LOST;
			t[k]->err = e;
			cancel_on_source(m, t[k]);
			continue;
		}
		t[k]->v = ATRY_RUNNING;
		if (nv == 0) {
			t[k]->v = ATRY_ENDED;
			snprintf(t[k]->msg, sizeof(t[k]->msg), "task %s is not in CLUSTER MIGRATION STATUS (the node "
				 "restarted?)", t[k]->job);
		} else if (v[0].st == ASMTASK_COMPLETED) {
			t[k]->v = ATRY_SUCCESS;
		} else if (v[0].st == ASMTASK_CANCELED ||
			   (v[0].st == ASMTASK_FAILED && v[0].retries >= REDIS_RETRIES)) {
			/* a failed import is retried by the server until cancelled */
			if (v[0].st == ASMTASK_FAILED && asmtask_cancel(c, t[k]->job, &e) < 0) {
				t[k]->v = ATRY_LOST;
				t[k]->err = e;
			} else {
				t[k]->v = ATRY_ENDED;
				snprintf(t[k]->msg, sizeof(t[k]->msg), "%s%s%s%s", v[0].state,
					 v[0].last_error[0] ? ": " : "", v[0].last_error,
					 v[0].st == ASMTASK_FAILED ? " (retried by the server, then cancelled)" : "");
				cancel_on_source(m, t[k]);
			}
		}
		free(v);
	}
}

static int rd_cancel(struct migrate *m, struct atry **t, int n)
{
	int told = 0;

	for (int k = 0; k < n; k++) {
		struct sc_err e;
		struct conn *c = migrate_job_conn(m, m->mv[t[k]->mi].dst, &e);

		/* 0 cancelled when it just ended: fine */
		if (c && asmtask_cancel(c, t[k]->job, &e) >= 0)
			told++;
		cancel_on_source(m, t[k]);
	}
	return told;
}

/* (asmtask_running also cancels an import left failed, which its server
 * would retry for ever) */
static int rd_running(struct migrate *m, int i)
{
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, i, &e);
	char what[400];

	return c ? asmtask_running(c, what, sizeof(what), &e) : -1;
}

const struct atomic_ops atomic_redis_ops = {
	.command = "CLUSTER MIGRATION IMPORT",
	.cancel_on = "target",
	.one_per_node = 1,
	.issue = rd_issue,
	.poll = rd_poll,
	.cancel = rd_cancel,
	.running = rd_running,
};
