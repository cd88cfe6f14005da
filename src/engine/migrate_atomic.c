/* migrate_atomic.c - see migrate_atomic.h and "Methods" in migrate.h.
 *
 * One server-side job per move: the moves of one source go out in one
 * CLUSTER MIGRATESLOTS (one SLOTSRANGE .. NODE group each), every source at
 * once.  The reply is +OK without a job id, so a job is found again in its
 * source's CLUSTER GETSLOTMIGRATIONS by what identifies it: EXPORT, the
 * slot_ranges exactly as sent, the target id, a create_time no earlier
 * than the source's clock when it was sent (less a second), and not the
 * job of the move's previous attempt.  Snapshots from one source run one
 * after another (one fork at a time), streams and hand-overs overlap.
 *
 * Progress: slots count as moved when their job succeeds; keys are the
 * source's CLUSTER COUNTKEYSINSLOT of those slots, read before the start
 * (the server reports no key counter; research C10).
 *
 * A failed or cancelled job (research C8: a failover, a lost link, a
 * timeout, "Write loss risk!" after a hand-over whose answer was lost) is
 * judged by the ownership the nodes state, never by its message alone: a
 * slot the target says it owns is moved; a slot the source still owns is
 * tried again; a slot neither claims stops the job (the next run sees the
 * cluster as it is).
 *
 * Test hook: SHARDCTL_TEST_ASM_CANCEL=N cancels the first N attempts of
 * the job's first move right after they are issued (CLUSTER
 * CANCELSLOTMIGRATIONS on its source, which cancels every export there),
 * so the retry and the fallback paths run against a real server.
 */
#include "engine/migrate_atomic.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/stop.h"
#include "cluster/node.h"
#include "cluster/slotmig.h"

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
	char *ranges;             /* the slot_ranges of the current attempt */
	long long sent_s;         /* source clock (s) when it was issued */
	long long sent_ms;        /* our clock when it was issued */
	char job[48];             /* name of the current attempt's job, once seen */
	char prev[48];            /* name of the previous attempt's job */
	char msg[200];            /* last failure message */
};

struct atomic {
	struct amove *a;
	int n;
	int started;
	int cancelled;
	int test_cancel;          /* SHARDCTL_TEST_ASM_CANCEL */
	long long next_poll;
};

void atomic_free(struct atomic *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->n; i++) {
		free(a->a[i].keys);
		free(a->a[i].ranges);
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

/* Before anything starts: no node of the job has an open slot (MIGRATESLOTS
 * refuses then), and the keys of every slot to move, per move.  Returns 0,
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

static void move_failed(struct migrate *m, int mi, const char *why);

/* One MIGRATESLOTS on source src for every move of it waiting (A_NEW). */
static void issue_source(struct migrate *m, int src)
{
	struct atomic *at = m->atom;
	const char **argv = NULL;
	size_t *lens = NULL;
	int argc = 2, cap = 2, *which = NULL, nw = 0;
	char **nums = NULL;
	int nnums = 0;
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, src, &e);
	redisReply *r = NULL;
	long long now_s;
	char desc[300];

	if (!c) {
		for (int mi = 0; mi < m->nmv; mi++)
			if (m->mv[mi].src == src && at->a[mi].st == A_NEW) {
				at->a[mi].st = A_OVER;
				migrate_job_move_lost(m, mi, &e);
			}
		return;
	}
	for (int mi = 0; mi < m->nmv; mi++)
		if (m->mv[mi].src == src && at->a[mi].st == A_NEW)
			cap += 4 + 2 * m->mv[mi].left;
	argv = calloc((size_t)cap, sizeof(*argv));
	lens = calloc((size_t)cap, sizeof(*lens));
	nums = calloc((size_t)cap, sizeof(*nums));
	which = calloc((size_t)m->nmv + 1, sizeof(*which));
	if (!argv || !lens || !nums || !which)
		goto oom;
	argv[0] = "CLUSTER";
	argv[1] = "MIGRATESLOTS";
	for (int mi = 0; mi < m->nmv; mi++) {
		struct job_move *v = &m->mv[mi];
		struct amove *am = &at->a[mi];
		struct slot_range *rg;
		int nr, len;

		if (v->src != src || am->st != A_NEW)
			continue;
		if (pending_ranges(v, &rg, &nr) < 0)
			goto oom;
		free(am->ranges);
		if (!(am->ranges = malloc((size_t)nr * 12 + 1))) {
			free(rg);
			goto oom;
		}
		len = slotmig_format_ranges(rg, nr, am->ranges, nr * 12 + 1);
		(void)len;
		argv[argc++] = "SLOTSRANGE";
		for (int k = 0; k < nr; k++) {
			for (int h = 0; h < 2; h++) {
				if (!(nums[nnums] = malloc(8))) {
					free(rg);
					goto oom;
				}
				snprintf(nums[nnums], 8, "%d", h ? rg[k].last : rg[k].first);
				argv[argc++] = nums[nnums++];
			}
		}
		free(rg);
		argv[argc++] = "NODE";
		argv[argc++] = m->nodes[v->dst].id;
		which[nw++] = mi;
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
		for (int k = 0; k < nw; k++) {
			at->a[which[k]].st = A_OVER;
			migrate_job_move_lost(m, which[k], &c->err);
		}
		goto out;
	}
	for (int k = 0; k < nw; k++) {
		struct amove *am = &at->a[which[k]];
		am->attempts++;
		am->sent_s = now_s;
		am->sent_ms = clock_now_ms();
		memcpy(am->prev, am->job, sizeof(am->prev));
		am->job[0] = '\0';
		am->st = A_SENT;
	}
	if (!reply_is_status(r, "OK")) {
		/* validation is all or nothing: no job started */
		reply_describe(r, desc, sizeof(desc));
		for (int k = 0; k < nw; k++)
			move_failed(m, which[k], desc);
		goto out;
	}
	if (at->test_cancel > 0 && nw && which[0] == 0) {
		redisReply *x = conn_command(c, "CLUSTER CANCELSLOTMIGRATIONS");
		at->test_cancel--;
		if (x)
			freeReplyObject(x);
	}
	goto out;
oom:
	err_set(&e, ERR_FAIL, "out of memory");
	migrate_job_fail(m, &e);
	for (int mi = 0; mi < m->nmv; mi++)
		if (m->mv[mi].src == src && at->a[mi].st == A_NEW) {
			at->a[mi].st = A_OVER;
			migrate_job_move_end(m, mi, MOVE_FAILED);
		}
out:
	if (r)
		freeReplyObject(r);
	for (int i = 0; nums && i < nnums; i++)
		free(nums[i]);
	free(nums);
	free(argv);
	free(lens);
	free(which);
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
		err_prefix(&e, "atomic migration of slots %s ended (%s), and its owners cannot be read", am->ranges,
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
			"node now; run reconcile again once the cluster has settled", am->ranges, am->msg, lost);
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
			am->ranges, name_of(m, v->src, a, sizeof(a)), name_of(m, v->dst, b, sizeof(b)), am->msg,
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

/* Poll the sources with jobs out; end the moves whose job ended. */
static void poll_sources(struct migrate *m)
{
	struct atomic *at = m->atom;

	for (int src = 0; src < m->nnodes; src++) {
		struct slotmig *log = NULL;
		int n = 0, any = 0;
		struct sc_err e;
		struct conn *c;

		for (int mi = 0; mi < m->nmv; mi++)
			any |= m->mv[mi].src == src && at->a[mi].st == A_SENT;
		if (!any)
			continue;
		if (!(c = migrate_job_conn(m, src, &e)) || slotmig_read(c, &log, &n, &e) < 0) {
			for (int mi = 0; mi < m->nmv; mi++)
				if (m->mv[mi].src == src && at->a[mi].st == A_SENT) {
					at->a[mi].st = A_OVER;
					migrate_job_move_lost(m, mi, &e);
				}
			continue;
		}
		for (int mi = 0; mi < m->nmv; mi++) {
			struct job_move *v = &m->mv[mi];
			struct amove *am = &at->a[mi];
			const struct slotmig *hit = NULL;

			if (v->src != src || am->st != A_SENT)
				continue;
			for (int k = 0; k < n; k++) {
				const struct slotmig *j = &log[k];
				size_t cmp = j->ranges_cut ? strlen(j->ranges) : strlen(am->ranges) + 1;
				if (!j->export || strcmp(j->target, m->nodes[v->dst].id) != 0 ||
				    strncmp(j->ranges, am->ranges, cmp) != 0 || j->create_time < am->sent_s - 1 ||
				    (am->prev[0] && strcmp(j->name, am->prev) == 0))
					continue;
				/* the newest; among equals one still running */
				if (!hit || j->create_time > hit->create_time ||
				    (j->create_time == hit->create_time && j->st == SLOTMIG_RUNNING))
					hit = j;
			}
			if (!hit) {
				if (clock_now_ms() - am->sent_ms > 5000)
					move_failed(m, mi, "the job is not in CLUSTER GETSLOTMIGRATIONS (the node "
						    "restarted?)");
				continue;
			}
			snprintf(am->job, sizeof(am->job), "%s", hit->name);
			if (hit->st == SLOTMIG_SUCCESS) {
				for (int j = 0; j < v->ns; j++)
					slot_moved(m, mi, j);
				am->st = A_OVER;
				migrate_job_move_end(m, mi, MOVE_DONE);
			} else if (hit->st != SLOTMIG_RUNNING) {
				char why[300];
				snprintf(why, sizeof(why), "%s%s%s", hit->state, hit->message[0] ? ": " : "",
					 hit->message);
				move_failed(m, mi, why);
			}
		}
		free(log);
	}
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
			for (int src = 0; src < m->nnodes; src++) {
				int due = 0;
				for (int mi = 0; mi < m->nmv; mi++)
					due |= m->mv[mi].src == src && at->a[mi].st == A_NEW;
				if (due)
					issue_source(m, src);
			}
		for (int mi = 0; mi < m->nmv; mi++) {
			if (at->a[mi].st == A_NEW && (m->failed || at->cancelled)) {
				at->a[mi].st = A_OVER;
				migrate_job_move_end(m, mi, MOVE_FAILED);
			}
			sent += at->a[mi].st == A_SENT || at->a[mi].st == A_NEW;
			legacy += at->a[mi].st == A_LEGACY;
		}
		if (!sent) {
			if (legacy && !m->failed) {
				to_legacy(m);
				return 2;
			}
			return m->failed ? -1 : 1;
		}
		t = clock_now_ms();
		if (at->next_poll > t)
			clock_sleep_ms((int)(at->next_poll - t));
		at->next_poll = clock_now_ms() + m->o.poll_ms;
		poll_sources(m);
		if (clock_now_ms() - start >= budget_ms)
			return 0;
	}
}

void atomic_stop(struct migrate *m, int sig)
{
	struct atomic *at = m->atom;
	struct sc_err e;
	int n = 0;

	err_set(&e, ERR_FAIL, "interrupted by %s: the atomic slot migration jobs started were cancelled; "
		"run again to continue", stop_name(sig));
	migrate_job_fail(m, &e);
	if (!at || at->cancelled)
		return;
	at->cancelled = 1;
	for (int src = 0; src < m->nnodes; src++) {
		int any = 0;
		struct conn *c;
		redisReply *r;
		for (int mi = 0; mi < m->nmv; mi++)
			any |= m->mv[mi].src == src && at->a[mi].st == A_SENT;
		if (!any || !(c = migrate_job_conn(m, src, &e)))
			continue;
		/* "ERR No migrations ongoing" when they just ended: fine */
		if ((r = conn_command(c, "CLUSTER CANCELSLOTMIGRATIONS")))
			freeReplyObject(r);
		n++;
	}
	log_say(m->o.log, "%s: cancelling the atomic slot migration jobs on %d source(s)", stop_name(sig), n);
}
