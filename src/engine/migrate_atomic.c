/* migrate_atomic.c - see migrate_atomic.h and "Methods" in migrate.h.
 *
 * The core of the atomic method, for both families (atomic_ops.h: Valkey's
 * CLUSTER MIGRATESLOTS, Redis's CLUSTER MIGRATION): one server-side job per
 * move, started as soon as the family allows (Valkey: every move of every
 * source at once, one command per source; Redis: a move once both its
 * nodes are free, one task per node), polled every poll_ms.
 *
 * Progress: slots count as moved when their job succeeds; keys are the
 * source's CLUSTER COUNTKEYSINSLOT of those slots, read before the start
 * (neither server reports a key counter; research C10, D).
 *
 * A job that did not succeed (research C8: a failover, a lost link, a
 * timeout, "Write loss risk!" after a hand-over whose answer was lost; a
 * refusal; a Redis import failing again and again) is judged by the
 * ownership the nodes state, never by its message alone: a slot the
 * target says it owns is moved; a slot the source still owns is tried
 * again; a slot neither claims stops the job (the next run sees the
 * cluster as it is).
 *
 * Test hook: SHARDCTL_TEST_ASM_CANCEL=N cancels the first N attempts of
 * the job's first move right after they are issued (on its source for
 * Valkey, which cancels every export there; on its target for Redis), so
 * the retry and the fallback paths run against a real server.
 */
#include "engine/migrate_atomic.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/stop.h"
#include "cluster/node.h"
#include "cluster/slotmig.h"
#include "engine/atomic_ops.h"

/* Polling period (ms) of a family that runs one job per node at a time. */
#define ONE_PER_NODE_POLL_MS 20

enum amove_state {
	A_NEW,      /* to be issued (again) */
	A_SENT,     /* issued: its job runs on the source */
	A_OVER,     /* nothing more to do (done, or failed: see the move) */
	A_LEGACY,   /* attempts used up: the rest goes to the legacy method */
};

struct amove {
	enum amove_state st;
	int attempts;
	long long *keys;          /* per slot of the move, counted at start */
	struct atry t;            /* the current attempt */
	char msg[300];            /* why the last attempt ended */
	long long busy_since;     /* ms: refused as busy since then (0: not) */
};

struct atomic {
	const struct atomic_ops *ops;
	struct amove *a;
	int n;
	int started;
	int cancelled;
	int test_cancel;          /* SHARDCTL_TEST_ASM_CANCEL */
	long long next_poll;
	long long legacy_wait;    /* ms: first asked whether legacy may start */
};

void atomic_free(struct atomic *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n; i++) {
		free(a->a[i].keys);
		free(a->a[i].t.rg);
		free(a->a[i].t.ranges);
	}
	free(a->a);
	free(a);
}

static const char *name_of(const struct migrate *m, int i, char *b, int len)
{
	return migrate_job_node_name(m, i, b, len);
}

/* The not yet moved slots of move mi as ranges (*r, *nr; free *r). */
static int pending_ranges(const struct job_move *v, struct slot_range **r, int *nr)
{
	*nr = 0;
	if (!(*r = calloc((size_t)v->ns + 1, sizeof(**r))))
		return -1;
	for (int j = 0; j < v->ns; j++) {
		int s = v->s[j].slot;
		if (v->s[j].st == SLOT_DONE)
			continue;
		if (*nr && (*r)[*nr - 1].last + 1 == s)
			(*r)[*nr - 1].last = s;
		else
			(*r)[(*nr)++] = (struct slot_range){ s, s };
	}
	return 0;
}

/* Slot j of move mi was moved. */
static void slot_moved(struct migrate *m, int mi, int j)
{
	struct job_move *v = &m->mv[mi];

	if (v->s[j].st == SLOT_DONE)
		return;
	v->s[j].st = SLOT_DONE;
	v->left--;
	m->slots_done++;
	m->keys_moved += m->atom->a[mi].keys[j];
}

/* Before anything starts: no node of the job has an open slot (Valkey's
 * MIGRATESLOTS refuses one on either node, Redis's IMPORT on the target), and the keys of every slot to move, per move.  Returns 0,
 * 2 to hand everything to the legacy method, -1 (job failed). */
static int preflight(struct migrate *m)
{
	struct sc_err e;
	char a[300];

	for (int i = 0; i < m->nnodes; i++) {
		int used = 0, nopen = 0, first = -1;
		struct conn *c;
		for (int mi = 0; mi < m->nmv; mi++)
			used |= m->mv[mi].src == i || m->mv[mi].dst == i;
		if (!used)
			continue;
		if (!(c = migrate_job_conn(m, i, &e)) || node_self_slots(c, NULL, &nopen, &first, &e) < 0) {
			err_prefix(&e, "before the atomic slot migration");
			migrate_job_fail(m, &e);
			return -1;
		}
		if (nopen) {
			log_say(m->o.log, "slot %d is open (migrating/importing) on '%s', where atomic slot migration "
				"cannot start: moving these slots with the legacy method", first, name_of(m, i, a, sizeof(a)));
			return 2;
		}
	}
	for (int mi = 0; mi < m->nmv; mi++) {
		struct job_move *v = &m->mv[mi];
		struct amove *am = &m->atom->a[mi];
		struct conn *c = migrate_job_conn(m, v->src, &e);
		redisReply *r;

		migrate_job_move_start(m, mi);
		if (!(am->keys = calloc((size_t)v->ns + 1, sizeof(*am->keys)))) {
			err_set(&e, ERR_FAIL, "out of memory");
			migrate_job_move_lost(m, mi, &e);
			continue;
		}
		if (!c) {
			migrate_job_move_lost(m, mi, &e);
			continue;
		}
		for (int j = 0; j < v->ns; j++)
			conn_append(c, "CLUSTER COUNTKEYSINSLOT %d", v->s[j].slot);
		conn_flush(c);
		for (int j = 0; j < v->ns; j++) {
			if (!(r = conn_read(c))) {
				migrate_job_move_lost(m, mi, &c->err);
				break;
			}
			if (r->type == REDIS_REPLY_INTEGER && r->integer > 0)
				am->keys[j] = r->integer;
			v->keys_total += am->keys[j];
			freeReplyObject(r);
		}
		am->st = v->st == MOVE_RUNNING ? A_NEW : A_OVER;
		if (v->st == MOVE_RUNNING && v->ns == 0) {
			am->st = A_OVER;
			migrate_job_move_end(m, mi, MOVE_DONE);
		}
	}
	return m->failed ? -1 : 0;
}

static void move_failed(struct migrate *m, int mi, const char *why);

/* A new attempt of move mi: its slots not moved yet, as ranges. */
static int attempt_prepare(struct migrate *m, int mi)
{
	struct atry *t = &m->atom->a[mi].t;

	free(t->rg);
	free(t->ranges);
	t->ranges = NULL;
	if (pending_ranges(&m->mv[mi], &t->rg, &t->nr) < 0 || !(t->ranges = malloc((size_t)t->nr * 12 + 1)))
		return -1;
	/* "a-b " is at most 12 bytes a range: it fits */
	slotmig_format_ranges(t->rg, t->nr, t->ranges, t->nr * 12 + 1);
	memcpy(t->prev, t->job, sizeof(t->prev));
	t->job[0] = t->msg[0] = '\0';
	t->mi = mi;
	return 0;
}

/* What issue or poll found about attempt t (of move t->mi, A_SENT). */
static void attempt_seen(struct migrate *m, struct atry *t)
{
	struct amove *am = &m->atom->a[t->mi];
	struct job_move *v = &m->mv[t->mi];

	if (t->v != ATRY_BUSY)
		am->busy_since = 0;
	switch (t->v) {
	case ATRY_RUNNING:
		break;
	case ATRY_BUSY:
		/* a node of the move runs a job that is not this run's (one
		 * per node): wait for it, as long as a slot may meet
		 * retryable errors; then it counts as a failed attempt */
		if (!am->busy_since)
			am->busy_since = clock_now_ms();
		if (clock_now_ms() - am->busy_since < m->o.retry_ms) {
			am->st = A_NEW;
			break;
		}
		am->busy_since = 0;
		am->attempts++;
		move_failed(m, t->mi, t->msg);
		break;
	case ATRY_SUCCESS:
		for (int j = 0; j < v->ns; j++)
			slot_moved(m, t->mi, j);
		am->st = A_OVER;
		migrate_job_move_end(m, t->mi, MOVE_DONE);
		break;
	case ATRY_ENDED:
		move_failed(m, t->mi, t->msg);
		break;
	case ATRY_LOST:
		am->st = A_OVER;
		migrate_job_move_lost(m, t->mi, &t->err);
		break;
	}
}

/* Start the attempts of these moves (n of them, as the family takes them). */
static void issue(struct migrate *m, const int *mis, int n)
{
	struct atomic *at = m->atom;
	struct atry **t = calloc((size_t)n + 1, sizeof(*t));
	int k = 0;

	for (int i = 0; t && i < n; i++)
		if (attempt_prepare(m, mis[i]) == 0)
			t[k++] = &at->a[mis[i]].t;
	if (!t || k < n) {
		struct sc_err e;
		err_set(&e, ERR_FAIL, "out of memory");
		migrate_job_fail(m, &e);
		for (int i = 0; i < n; i++) {
			at->a[mis[i]].st = A_OVER;
			migrate_job_move_end(m, mis[i], MOVE_FAILED);
		}
		free(t);
		return;
	}
	at->ops->issue(m, t, n);
	for (int i = 0; i < n; i++) {
		struct amove *am = &at->a[t[i]->mi];
		if (t[i]->v != ATRY_LOST && t[i]->v != ATRY_BUSY)
			am->attempts++;
		am->st = A_SENT;
		if (t[i]->v == ATRY_RUNNING && at->test_cancel > 0 && t[i]->mi == 0) {
			at->ops->cancel(m, &t[i], 1);
			at->test_cancel--;
		}
		attempt_seen(m, t[i]);
	}
	free(t);
}

/* Start what may start: Valkey every waiting move, in one command per
 * source; Redis each waiting move whose nodes take part in no job now. */
static void issue_due(struct migrate *m)
{
	struct atomic *at = m->atom;
	int *mis = calloc((size_t)m->nmv + 1, sizeof(*mis));
	char *busy = calloc((size_t)m->nnodes + 1, 1);

	if (!mis || !busy) {
		struct sc_err e;
		err_set(&e, ERR_FAIL, "out of memory");
		migrate_job_fail(m, &e);
		goto out;
	}
	if (at->ops->one_per_node) {
		for (int mi = 0; mi < m->nmv; mi++)
			if (at->a[mi].st == A_SENT)
				busy[m->mv[mi].src] = busy[m->mv[mi].dst] = 1;
		for (int mi = 0; mi < m->nmv && !m->failed; mi++) {
			const struct job_move *v = &m->mv[mi];
			if (at->a[mi].st != A_NEW || busy[v->src] || busy[v->dst])
				continue;
			busy[v->src] = busy[v->dst] = 1;
			mis[0] = mi;
			issue(m, mis, 1);
		}
		goto out;
	}
	for (int src = 0; src < m->nnodes && !m->failed; src++) {
		int n = 0;
		for (int mi = 0; mi < m->nmv; mi++)
			if (m->mv[mi].src == src && at->a[mi].st == A_NEW)
				mis[n++] = mi;
		if (n)
			issue(m, mis, n);
	}
out:
	free(mis);
	free(busy);
}

/* The attempt of move mi ended without success (why: the job's message, or
 * the refusal).  The target's own view says which slots it took; the
 * source's which are still to move; then: again, legacy, or stop. */
static void move_failed(struct migrate *m, int mi, const char *why)
{
	struct job_move *v = &m->mv[mi];
	struct amove *am = &m->atom->a[mi];
	unsigned char *tgt = malloc(CLUSTER_SLOTS), *src = malloc(CLUSTER_SLOTS);
	struct conn *tc, *sc;
	struct sc_err e;
	int nopen, lost = -1;
	char a[300], b[300];

	snprintf(am->msg, sizeof(am->msg), "%s", why && why[0] ? why : "no message");
	if (!tgt || !src) {
		err_set(&e, ERR_FAIL, "out of memory");
		goto fail;
	}
	if (!(tc = migrate_job_conn(m, v->dst, &e)) || node_self_slots(tc, tgt, &nopen, NULL, &e) < 0 ||
	    !(sc = migrate_job_conn(m, v->src, &e)) || node_self_slots(sc, src, &nopen, NULL, &e) < 0) {
		/* a node of the move died (a kill, a failover): the job's own
		 * reason first, then what cannot be reached */
		err_prefix(&e, "atomic migration of slots %s ended (%s), and its owners cannot be read", am->t.ranges,
			   am->msg);
		goto fail;
	}
	for (int j = 0; j < v->ns; j++) {
		int s = v->s[j].slot;
		if (v->s[j].st == SLOT_DONE)
			continue;
		if (tgt[s])
			slot_moved(m, mi, j);
		else if (!src[s] && lost < 0)
			lost = s;
	}
	if (lost >= 0) {
		err_set(&e, ERR_FAIL, "atomic migration of slots %s failed (%s) and slot %d is owned by neither "
			"node now; run reconcile again once the cluster has settled", am->t.ranges, am->msg, lost);
		goto fail;
	}
	free(tgt);
	free(src);
	if (v->left == 0) {
		am->st = A_OVER;
		migrate_job_move_end(m, mi, MOVE_DONE);
	} else if (m->failed || m->atom->cancelled) {
		am->st = A_OVER;
		migrate_job_move_end(m, mi, MOVE_FAILED);
	} else if (am->attempts < m->o.attempts) {
		log_say(m->o.log, "atomic migration of slots %s from '%s' to '%s' ended: %s; trying again (%d of %d)",
			am->t.ranges, name_of(m, v->src, a, sizeof(a)), name_of(m, v->dst, b, sizeof(b)), am->msg,
			am->attempts + 1, m->o.attempts);
		am->st = A_NEW;
	} else {
		log_say(m->o.log, "atomic migration from '%s' to '%s' failed %d times (last: %s): moving its %d "
			"remaining slots with the legacy method", name_of(m, v->src, a, sizeof(a)),
			name_of(m, v->dst, b, sizeof(b)), am->attempts, am->msg, v->left);
		am->st = A_LEGACY;
	}
	return;
fail:
	free(tgt);
	free(src);
	am->st = A_OVER;
	migrate_job_move_lost(m, mi, &e);
}

/* Poll the jobs out, source by source; end the moves whose job ended. */
static void poll_jobs(struct migrate *m)
{
	struct atomic *at = m->atom;
	struct atry **t = calloc((size_t)m->nmv + 1, sizeof(*t));

	if (!t)
		return; /* polled again next time */
	for (int src = 0; src < m->nnodes; src++) {
		int n = 0;
		for (int mi = 0; mi < m->nmv; mi++)
			if (m->mv[mi].src == src && at->a[mi].st == A_SENT)
				t[n++] = &at->a[mi].t;
		if (!n)
			continue;
		at->ops->poll(m, t, n);
		for (int k = 0; k < n; k++)
			attempt_seen(m, t[k]);
	}
	free(t);
}


/* Hand the moves whose attempts are used up to the legacy method: only
 * their slots not moved yet, MOVE_PENDING as legacy_step expects. */
static void to_legacy(struct migrate *m)
{
	for (int mi = 0; mi < m->nmv; mi++) {
		struct job_move *v = &m->mv[mi];
		struct amove *am = &m->atom->a[mi];
		int k = 0;

		if (am->st != A_LEGACY)
			continue;
		migrate_job_move_end(m, mi, MOVE_FAILED);
		v->keys_total = 0;
		for (int j = 0; j < v->ns; j++) {
			if (v->s[j].st == SLOT_DONE)
				continue;
			v->s[k] = v->s[j];
			v->s[k].st = SLOT_QUEUED;
			k++;
		}
		v->ns = v->left = k;
		v->next_new = v->open = v->nb = 0;
		v->st = MOVE_PENDING;
		am->st = A_OVER;
	}
}

/* The nodes of the moves going to the legacy method run no atomic job any
 * more (a node refuses SETSLOT while it runs one), or retry_ms has passed
 * since that was first asked (the legacy method's own retries take over;
 * a node that does not answer is its to find out). */
static int legacy_ready(struct migrate *m)
{
	struct atomic *at = m->atom;

	if (!at->legacy_wait)
		at->legacy_wait = clock_now_ms();
	if (clock_now_ms() - at->legacy_wait >= m->o.retry_ms)
		return 1;
	for (int mi = 0; mi < m->nmv; mi++)
		if (at->a[mi].st == A_LEGACY &&
		    (at->ops->running(m, m->mv[mi].src) > 0 || at->ops->running(m, m->mv[mi].dst) > 0))
			return 0;
	return 1;
}

int atomic_step(struct migrate *m, int budget_ms)
{
	struct atomic *at = m->atom;
	long long start = clock_now_ms(), t;

	if (!at) {
		const char *tc = getenv("SHARDCTL_TEST_ASM_CANCEL");
		if (!(at = m->atom = calloc(1, sizeof(*at))) || !(at->a = calloc((size_t)m->nmv + 1, sizeof(*at->a)))) {
			struct sc_err e;
			err_set(&e, ERR_FAIL, "out of memory");
			migrate_job_fail(m, &e);
			return -1;
		}
		at->n = m->nmv;
		at->ops = m->o.family == ATOMIC_REDIS ? &atomic_redis_ops : &atomic_valkey_ops;
		at->test_cancel = tc ? atoi(tc) : 0;
	}
	if (!at->started) {
		int rc;
		if (m->failed)
			return -1; /* stopped before anything started */
		rc = preflight(m);
		at->started = 1;
		if (rc == 2)
			return 2; /* nothing was started: every move is still pending */
	}
	for (;;) {
		int sent = 0, legacy = 0;

		if (!m->failed && !at->cancelled)
			issue_due(m);
		for (int mi = 0; mi < m->nmv; mi++) {
			if (at->a[mi].st == A_NEW && (m->failed || at->cancelled)) {
				at->a[mi].st = A_OVER;
				migrate_job_move_end(m, mi, MOVE_FAILED);
			}
			sent += at->a[mi].st == A_SENT || at->a[mi].st == A_NEW;
			legacy += at->a[mi].st == A_LEGACY;
		}
		if (!sent) {
			if (!legacy || m->failed)
				return m->failed ? -1 : 1;
			if (legacy_ready(m)) {
				to_legacy(m);
				return 2;
			}
		}
		t = clock_now_ms();
		if (at->next_poll > t)
			clock_sleep_ms((int)(at->next_poll - t));
		/* one task per node: the tasks of a node run one after another,
		 * so each poll's delay adds up (4 -> 5 shards: four in a row);
		 * STATUS ID on one node is cheap, so look more often */
		at->next_poll = clock_now_ms() +
				(at->ops->one_per_node && m->o.poll_ms > ONE_PER_NODE_POLL_MS ? ONE_PER_NODE_POLL_MS
											     : m->o.poll_ms);
		poll_jobs(m);
		if (clock_now_ms() - start >= budget_ms)
			return 0;
	}
}

void atomic_stop(struct migrate *m, int sig)
{
	struct atomic *at = m->atom;
	struct atry **t;
	struct sc_err e;
	int n = 0, nt = 0;

	err_set(&e, ERR_FAIL, "interrupted by %s: the atomic slot migration jobs started were cancelled; "
		"run again to continue", stop_name(sig));
	migrate_job_fail(m, &e);
	if (!at || at->cancelled)
		return;
	at->cancelled = 1;
	if ((t = calloc((size_t)m->nmv + 1, sizeof(*t)))) {
		for (int mi = 0; mi < m->nmv; mi++)
			if (at->a[mi].st == A_SENT)
				t[nt++] = &at->a[mi].t;
		n = nt ? at->ops->cancel(m, t, nt) : 0;
		free(t);
	}
	log_say(m->o.log, "%s: cancelling the atomic slot migration jobs on %d %s(s)", stop_name(sig), n,
		at->ops->cancel_on);
}
