/* atomic_valkey.c - Valkey >= 9's atomic slot migration for the core of
 * migrate_atomic.c (atomic_ops.h): CLUSTER MIGRATESLOTS on the source.
 *
 * The moves of one source go out in one command (one SLOTSRANGE .. NODE
 * group each).  Validation is all or nothing, and the reply is +OK
 * without a job id, so a job is found again in its source's CLUSTER
 * GETSLOTMIGRATIONS by what identifies it: EXPORT, the slot_ranges
 * exactly as sent, the target id, a create_time no earlier than the
 * source's clock when it was sent (less a second), and not the job of the
 * move's previous attempt.  `success`, `failed`, `cancelled` are terminal
 * (research/server-generations.md C).
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cluster/slotmig.h"
#include "engine/atomic_ops.h"

/* Source clock in seconds (TIME), or -1. */
static long long source_time(struct conn *c)
{
	redisReply *r = conn_command(c, "TIME");
	long long t = -1;

	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[0]->type == REDIS_REPLY_STRING)
		t = atoll(r->element[0]->str);
	if (r)
		freeReplyObject(r);
	return t;
}

static void all(struct atry **t, int n, enum atry_verdict v, const struct sc_err *e, const char *msg)
{
	for (int k = 0; k < n; k++) {
		t[k]->v = v;
		if (e)
			t[k]->err = *e;
		if (msg)
			snprintf(t[k]->msg, sizeof(t[k]->msg), "%s", msg);
	}
}

static void vk_issue(struct migrate *m, struct atry **t, int n)
{
	int src = m->mv[t[0]->mi].src, argc = 2, cap = 2, nnums = 0;
	const char **argv = NULL;
	size_t *lens = NULL;
	char (*nums)[8] = NULL;
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, src, &e);
	redisReply *r = NULL;
	long long now_s;
	char desc[300];

	if (!c) {
		all(t, n, ATRY_LOST, &e, NULL);
		return;
	}
	for (int k = 0; k < n; k++)
		cap += 3 + 2 * t[k]->nr;
	argv = calloc((size_t)cap, sizeof(*argv));
	lens = calloc((size_t)cap, sizeof(*lens));
	nums = calloc((size_t)cap, sizeof(*nums));
	if (!argv || !lens || !nums) {
		err_set(&e, ERR_FAIL, "out of memory");
		all(t, n, ATRY_LOST, &e, NULL);
		goto out;
	}
	argv[0] = "CLUSTER";
	argv[1] = "MIGRATESLOTS";
	for (int k = 0; k < n; k++) {
		argv[argc++] = "SLOTSRANGE";
		for (int i = 0; i < t[k]->nr; i++)
			for (int h = 0; h < 2; h++) {
				snprintf(nums[nnums], sizeof(nums[0]), "%d", h ? t[k]->rg[i].last : t[k]->rg[i].first);
				argv[argc++] = nums[nnums++];
			}
		argv[argc++] = "NODE";
		argv[argc++] = m->nodes[m->mv[t[k]->mi].dst].id;
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	/* the source's clock places its jobs; without it any job of these
	 * ranges to this target (not the previous attempt's) is ours */
	if ((now_s = source_time(c)) < 0)
		now_s = 0;
	if (!c->broken)
		r = conn_command_argv(c, argc, argv, lens);
	if (!r) {
		all(t, n, ATRY_LOST, &c->err, NULL);
		goto out;
	}
	for (int k = 0; k < n; k++) {
		t[k]->sent_s = now_s;
		t[k]->sent_ms = clock_now_ms();
	}
	if (reply_is_status(r, "OK"))
		all(t, n, ATRY_RUNNING, NULL, NULL);
	else /* all or nothing: no job started */
		all(t, n, ATRY_ENDED, NULL, reply_describe(r, desc, sizeof(desc)));
out:
	if (r)
		freeReplyObject(r);
	free(nums);
	free(argv);
	free(lens);
}

/* The job of attempt t in the source's log, or NULL. */
static const struct slotmig *find(const struct migrate *m, const struct atry *t, const struct slotmig *log, int n)
{
	const struct slotmig *hit = NULL;

	for (int k = 0; k < n; k++) {
		const struct slotmig *j = &log[k];
		size_t cmp = j->ranges_cut ? strlen(j->ranges) : strlen(t->ranges) + 1;
		if (!j->export || strcmp(j->target, m->nodes[m->mv[t->mi].dst].id) != 0 ||
		    strncmp(j->ranges, t->ranges, cmp) != 0 || j->create_time < t->sent_s - 1 ||
		    (t->prev[0] && strcmp(j->name, t->prev) == 0))
			continue;
		/* the newest; among equals one still running */
		if (!hit || j->create_time > hit->create_time ||
		    (j->create_time == hit->create_time && j->st == SLOTMIG_RUNNING))
			hit = j;
	}
	return hit;
}

static void vk_poll(struct migrate *m, struct atry **t, int n)
{
	struct slotmig *log = NULL;
	int nlog = 0;
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, m->mv[t[0]->mi].src, &e);

	if (!c || slotmig_read(c, &log, &nlog, &e) < 0) {
		all(t, n, ATRY_LOST, &e, NULL);
		return;
	}
	for (int k = 0; k < n; k++) {
		const struct slotmig *hit = find(m, t[k], log, nlog);

		t[k]->v = ATRY_RUNNING;
		if (!hit) {
			if (clock_now_ms() - t[k]->sent_ms > 5000) {
				t[k]->v = ATRY_ENDED;
				snprintf(t[k]->msg, sizeof(t[k]->msg), "the job is not in CLUSTER GETSLOTMIGRATIONS "
					 "(the node restarted?)");
			}
			continue;
		}
		snprintf(t[k]->job, sizeof(t[k]->job), "%s", hit->name);
		if (hit->st == SLOTMIG_SUCCESS) {
			t[k]->v = ATRY_SUCCESS;
		} else if (hit->st != SLOTMIG_RUNNING) {
			t[k]->v = ATRY_ENDED;
			snprintf(t[k]->msg, sizeof(t[k]->msg), "%s%s%s", hit->state, hit->message[0] ? ": " : "",
				 hit->message);
		}
	}
	free(log);
}

/* CLUSTER CANCELSLOTMIGRATIONS on each source of t: every export there. */
static int vk_cancel(struct migrate *m, struct atry **t, int n)
{
	int told = 0;

	for (int k = 0; k < n; k++) {
		int src = m->mv[t[k]->mi].src, seen = 0;
		struct sc_err e;
		struct conn *c;
		redisReply *r;

		for (int h = 0; h < k; h++)
			seen |= m->mv[t[h]->mi].src == src;
		if (seen || !(c = migrate_job_conn(m, src, &e)))
			continue;
		/* "ERR No migrations ongoing" when they just ended: fine */
		if ((r = conn_command(c, "CLUSTER CANCELSLOTMIGRATIONS")))
			freeReplyObject(r);
		told++;
	}
	return told;
}

static int vk_running(struct migrate *m, int i)
{
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, i, &e);
	char what[400];

	return c ? slotmig_running(c, what, sizeof(what), &e) : -1;
}

const struct atomic_ops atomic_valkey_ops = {
	.command = "CLUSTER MIGRATESLOTS",
	.cancel_on = "source",
	.one_per_node = 0,
	.issue = vk_issue,
	.poll = vk_poll,
	.cancel = vk_cancel,
	.running = vk_running,
};
