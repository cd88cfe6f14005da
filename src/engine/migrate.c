/* migrate.c - see migrate.h.
 *
 * Scheduling: one thread, one connection per node, driven in rounds.  A round
 * queues (pipelines) every command due on every connection - targets,
 * sources and other masters - flushes them all, then reads every reply.
 * What a round sends for a slot depends only on replies of earlier rounds
 * (MIGRATING only once IMPORTING was acknowledged, NODE on the source only
 * once NODE on the target was), so the protocol order holds while targets,
 * sources and the sources of different moves all work at the same time.
 * The order of commands on each connection is fixed and replayable, which
 * keeps failures easy to reason about.  Threads would buy nothing more: a
 * source executes its MIGRATEs one after another anyway (MIGRATE blocks it),
 * so what matters is that its queue never runs dry, which the pipeline
 * gives; and one thread keeps memory small and the job deterministic.
 *
 * This file is the round driver: moves started and finished, the window of
 * open slots, what each round sends to targets, sources and other masters,
 * and the connection fan-out.  What one slot sends and how it reacts to each
 * reply (its state machine) is migrate_slot.c.
 */
#include "engine/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "engine/migrate_slot.h"

void migrate_opts_init(struct migrate_opts *o, const struct conn_opts *conn)
{
	memset(o, 0, sizeof(*o));
	o->conn = conn;
	o->batch_keys = 1000;
	o->batch_bytes = 4LL << 20;
	o->window = 16;
	o->key_cap = 20000;
	o->migrate_timeout_ms = 10000;
	o->retry_ms = 60000;
	o->per_node = 1;
}

/* The first error wins; later ones only stop more work. */
void migrate_fail(struct migrate *m, const struct sc_err *e)
{
	if (!m->failed) {
		m->err = *e;
		m->failed = 1;
	}
}


struct migrate *migrate_init(const struct migrate_node *nodes, int nnodes,
			     const struct migrate_move *moves, int nmoves,
			     const struct migrate_opts *o, struct sc_err *e)
{
	struct migrate *m = calloc(1, sizeof(*m));

	if (!m)
		goto oom;
	m->o = *o;
	if (m->o.batch_keys < 1)
		m->o.batch_keys = 1;
	if (m->o.window < 1)
		m->o.window = 1;
	if (m->o.key_cap < m->o.window)
		m->o.key_cap = m->o.window;
	if (m->o.per_node < 1)
		m->o.per_node = 1;
	m->nodes = calloc((size_t)nnodes + 1, sizeof(*m->nodes));
	m->conns = calloc((size_t)nnodes + 1, sizeof(*m->conns));
	m->mv = calloc((size_t)nmoves + 1, sizeof(*m->mv));
	if (!m->nodes || !m->conns || !m->mv)
		goto oom;
	memcpy(m->nodes, nodes, sizeof(*nodes) * (size_t)nnodes);
	m->nnodes = nnodes;
	for (int i = 0; i < nmoves; i++) {
		const struct migrate_move *a = &moves[i];
		struct mmove *v = &m->mv[i];

		if (a->src < 0 || a->src >= nnodes || a->dst < 0 || a->dst >= nnodes || a->src == a->dst) {
			err_set(e, ERR_FAIL, "move %d: bad source or target", i);
			goto fail;
		}
		v->src = a->src;
		v->dst = a->dst;
		v->s = calloc((size_t)a->nslots + 1, sizeof(*v->s));
		v->bcast = calloc((size_t)a->nslots + 1, sizeof(*v->bcast));
		if (!v->s || !v->bcast)
			goto oom;
		m->nmv = i + 1;
		for (int j = 0; j < a->nslots; j++) {
			if (a->slots[j] < 0 || a->slots[j] >= CLUSTER_SLOTS) {
				err_set(e, ERR_FAIL, "move %d: bad slot %d", i, a->slots[j]);
				goto fail;
			}
			v->s[j].slot = a->slots[j];
		}
		v->ns = v->left = a->nslots;
		v->batch = m->o.batch_keys;
		m->slots_total += a->nslots;
	}
	return m;
oom:
	err_set(e, ERR_FAIL, "out of memory");
fail:
	migrate_finish(m, NULL);
	return NULL;
}

struct conn *migrate_conn(struct migrate *m, int i, struct sc_err *e)
{
	struct mconn *mc = &m->conns[i];

	if (!mc->c) {
		mc->c = conn_open(&m->nodes[i].addr, m->o.conn, e);
		if (!mc->c)
			return NULL;
	}
	if (mc->c->broken) {
		*e = mc->c->err;
		return NULL;
	}
	return mc->c;
}


static void node_release(struct migrate *m, struct mmove *v)
{
	m->conns[v->src].busy--;
	m->conns[v->dst].busy--;
}

void migrate_move_lost(struct migrate *m, int mi, const struct sc_err *e)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err ctx = *e;
	char a[300], b[300];

	if (v->st != M_RUNNING)
		return;
	addr_format(&m->nodes[v->src].addr, a, sizeof(a));
	addr_format(&m->nodes[v->dst].addr, b, sizeof(b));
	err_prefix(&ctx, "moving slots from '%s' to '%s'", a, b);
	migrate_fail(m, &ctx);
	v->st = M_FAILED;
	node_release(m, v);
}


const char *migrate_node_name(struct migrate *m, int i, char *buf, int len)
{
	return addr_format(&m->nodes[i].addr, buf, len);
}


static void flush_all(struct migrate *m)
{
	for (int i = 0; i < m->nnodes; i++) {
		struct mconn *mc = &m->conns[i];
		if (mc->qn && mc->c && !mc->c->broken)
			conn_flush(mc->c);
	}
}

/* Read every reply queued on every connection, in order. */
static void read_all(struct migrate *m)
{
	for (int i = 0; i < m->nnodes; i++) {
		struct mconn *mc = &m->conns[i];

		for (int k = 0; k < mc->qn; k++) {
			const struct pend *p = &mc->q[k];
			redisReply *r = mc->c ? conn_read(mc->c) : NULL;

			if (!r) {
				if (p->op == OP_NODE_OTHER)
					mc->dead = 1;
				else
					migrate_move_lost(m, p->move, mc->c ? &mc->c->err : &m->err);
				continue;
			}
			migrate_slot_handle(m, i, p, r);
			if (m->mv[p->move].s[p->si].keys != r)
				freeReplyObject(r);
		}
		mc->qn = 0;
	}
}

/* Window bounds: slots [lo, v->next_new) may need commands. */
static int window_lo(const struct mmove *v)
{
	int lo = 0;

	while (lo < v->next_new && (v->s[lo].st == S_DONE || v->s[lo].st == S_FAILED))
		lo++;
	return lo;
}

/* Targets: the targets (IMPORTING for slots entering the window, NODE for
 * drained slots).  Returns how many commands were queued. */
static int phase_targets(struct migrate *m, long long t)
{
	int sent = 0;

	for (int mi = 0; mi < m->nmv; mi++) {
		struct mmove *v = &m->mv[mi];
		const char *src_id = m->nodes[v->src].id, *dst_id = m->nodes[v->dst].id;

		if (v->st != M_RUNNING)
			continue;
		for (int si = window_lo(v); si < v->next_new && v->st == M_RUNNING; si++) {
			struct mslot *s = &v->s[si];
			if (s->retry_at > t)
				continue;
			if (s->st == S_IMP)
				sent += migrate_slot_setslot(m, v->dst, mi, si, OP_IMPORTING, "IMPORTING", src_id) == 0;
			else if (s->st == S_DRN)
				sent += migrate_slot_setslot(m, v->dst, mi, si, OP_NODE_DST, "NODE", dst_id) == 0;
		}
		while (!m->failed && v->st == M_RUNNING && v->open < m->o.window && v->next_new < v->ns) {
			int si = v->next_new++;
			v->s[si].st = S_IMP;
			v->open++;
			sent += migrate_slot_setslot(m, v->dst, mi, si, OP_IMPORTING, "IMPORTING", src_id) == 0;
		}
	}
	return sent;
}

/* Sources: the sources (MIGRATING, key batches, NODE) and the other masters
 * (NODE). */
static int phase_sources(struct migrate *m, long long t)
{
	int sent = 0;

	for (int mi = 0; mi < m->nmv; mi++) {
		struct mmove *v = &m->mv[mi];
		const char *dst_id = m->nodes[v->dst].id;
		int lo = window_lo(v), active = 0, count;

		if (v->st != M_RUNNING)
			continue;
		/* the other masters last, once target and source agree */
		for (int b = 0; b < v->nb; b++)
			for (int k = 0; k < m->nnodes; k++)
				if (m->nodes[k].master && k != v->src && k != v->dst)
					sent += migrate_slot_setslot(m, k, mi, v->bcast[b], OP_NODE_OTHER, "NODE", dst_id) == 0;
		v->nb = 0;
		for (int si = lo; si < v->next_new; si++)
			active += v->s[si].st == S_MIG || v->s[si].st == S_ACT;
		count = m->o.key_cap / (active ? active : 1);
		if (count > v->batch)
			count = v->batch;
		if (count < 1)
			count = 1;
		/* SETSLOTs first, then the key work: a server saves its cluster
		 * config once per batch of commands read, so SETSLOTs spread
		 * among MIGRATEs would cost one save each */
		for (int si = lo; si < v->next_new && v->st == M_RUNNING; si++) {
			struct mslot *s = &v->s[si];
			if (s->retry_at > t || s->busy_diag)
				continue;
			if (s->st == S_MIG) {
				sent += migrate_slot_setslot(m, v->src, mi, si, OP_MIGRATING, "MIGRATING", dst_id) == 0;
			} else if (s->st == S_CLO) {
				sent += migrate_slot_setslot(m, v->src, mi, si, OP_NODE_SRC, "NODE", dst_id) == 0;
			}
		}
		for (int si = lo; si < v->next_new && v->st == M_RUNNING; si++) {
			struct mslot *s = &v->s[si];
			if (s->retry_at > t || s->busy_diag)
				continue;
			if (s->st == S_MIG) {
				sent += migrate_slot_getkeys(m, mi, si, count) == 0;
			} else if (s->st == S_ACT) {
				if (s->keys)
					sent += migrate_slot_migrate(m, mi, si) == 0;
				if (v->st == M_RUNNING && s->st == S_ACT)
					sent += migrate_slot_getkeys(m, mi, si, count) == 0;
			}
		}
	}
	return sent;
}


/* Start move mi: count its keys (for progress) and size its batches from the
 * source's average value size.  Synchronous: runs between rounds. */
static void move_start(struct migrate *m, int mi)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err e;
	struct conn *src = migrate_conn(m, v->src, &e);
	redisReply *r;
	long long dataset = -1, keys = -1, avg;
	char val[64];
	int tmo;

	v->st = M_RUNNING;
	m->conns[v->src].busy++;
	m->conns[v->dst].busy++;
	if (!src || !migrate_conn(m, v->dst, &e)) {
		migrate_move_lost(m, mi, &e);
		return;
	}
	/* MIGRATE blocks the source for its whole exchange with the target */
	tmo = m->o.conn ? m->o.conn->command_timeout_ms : 10000;
	if (conn_set_timeout(src, tmo + 2 * m->o.migrate_timeout_ms) < 0) {
		migrate_move_lost(m, mi, &src->err);
		return;
	}
	conn_append(src, "INFO memory");
	conn_append(src, "DBSIZE");
	for (int i = 0; i < v->ns; i++)
		conn_append(src, "CLUSTER COUNTKEYSINSLOT %d", v->s[i].slot);
	conn_flush(src);
	for (int i = 0; i < v->ns + 2; i++) {
		if (!(r = conn_read(src))) {
			migrate_move_lost(m, mi, &src->err);
			return;
		}
		if (i == 0 && r->type == REDIS_REPLY_STRING && info_field(r->str, "used_memory_dataset", val, sizeof(val)) == 0)
			dataset = atoll(val);
		else if (i == 1 && r->type == REDIS_REPLY_INTEGER)
			keys = r->integer;
		else if (i >= 2 && r->type == REDIS_REPLY_INTEGER && r->integer > 0)
			v->keys_total += r->integer;
		freeReplyObject(r);
	}
	if (dataset > 0 && keys > 0) {
		avg = dataset / keys;
		if (avg < 1)
			avg = 1;
		if (m->o.batch_bytes / avg < v->batch)
			v->batch = (int)(m->o.batch_bytes / avg);
		if (v->batch < 1)
			v->batch = 1; /* values bigger than a batch: one at a time */
	}
	if (v->ns == 0) {
		v->st = M_DONE;
		node_release(m, v);
	}
}

static int move_over(const struct migrate *m, const struct mmove *v)
{
	return v->open == 0 && v->nb == 0 && (v->next_new == v->ns || m->failed);
}

int migrate_step(struct migrate *m, int budget_ms)
{
	long long start = clock_now_ms(), t, next;
	int running, sent;

	for (;;) {
		running = 0;
		for (int mi = 0; mi < m->nmv; mi++) {
			struct mmove *v = &m->mv[mi];
			if (v->st == M_PENDING && !m->failed && m->conns[v->src].busy < m->o.per_node &&
			    m->conns[v->dst].busy < m->o.per_node)
				move_start(m, mi);
			running += v->st == M_RUNNING;
		}
		if (!running)
			return m->failed ? -1 : 1;
		/* Targets and sources work at the same time: what is sent to a
		 * source in a round depends only on replies read in earlier
		 * rounds (MIGRATING after IMPORTING was acknowledged, NODE on
		 * the source after NODE on the target was). */
		t = clock_now_ms();
		sent = phase_targets(m, t);
		sent += phase_sources(m, t);
		flush_all(m);
		read_all(m);
		for (int mi = 0; mi < m->nmv; mi++) {
			struct mmove *v = &m->mv[mi];
			for (int si = window_lo(v); v->st == M_RUNNING && si < v->next_new; si++)
				if (v->s[si].busy_diag)
					migrate_slot_busykey(m, mi, &v->s[si]);
			if (v->st == M_RUNNING && move_over(m, v)) {
				v->st = M_DONE;
				node_release(m, v);
			}
		}
		t = clock_now_ms();
		if (!sent) {
			/* everything in flight waits for a retry: back off briefly */
			next = t + 200;
			for (int mi = 0; mi < m->nmv; mi++) {
				struct mmove *v = &m->mv[mi];
				for (int si = window_lo(v); v->st == M_RUNNING && si < v->next_new; si++)
					if (v->s[si].retry_at > t && v->s[si].retry_at < next)
						next = v->s[si].retry_at;
			}
			clock_sleep_ms((int)(next - t));
			t = clock_now_ms();
		}
		if (t - start >= budget_ms)
			return 0;
	}
}

void migrate_progress(const struct migrate *m, struct migrate_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->moves_total = m->nmv;
	for (int i = 0; i < m->nmv; i++) {
		p->moves_done += m->mv[i].st == M_DONE;
		p->moves_running += m->mv[i].st == M_RUNNING;
		p->keys_total += m->mv[i].keys_total;
	}
	p->keys_known = p->moves_done + p->moves_running == p->moves_total;
	for (int i = 0; i < m->nmv; i++)
		if (m->mv[i].st == M_FAILED)
			p->keys_known = 0;
	p->slots_total = m->slots_total;
	p->slots_done = m->slots_done;
	p->keys_moved = m->keys_moved;
	if (p->keys_total < p->keys_moved)
		p->keys_total = p->keys_moved;
}

int migrate_finish(struct migrate *m, struct sc_err *e)
{
	int rc = 0;

	if (!m)
		return 0;
	if (m->failed) {
		if (e)
			*e = m->err;
		rc = -1;
	} else if (m->slots_done < m->slots_total) {
		rc = err_set(e, ERR_FAIL, "migration not finished: %d of %d slots moved", m->slots_done,
			     m->slots_total);
	}
	for (int i = 0; m->mv && i < m->nmv; i++) {
		for (int j = 0; j < m->mv[i].ns; j++)
			if (m->mv[i].s[j].keys)
				freeReplyObject(m->mv[i].s[j].keys);
		free(m->mv[i].s);
		free(m->mv[i].bcast);
	}
	for (int i = 0; m->conns && i < m->nnodes; i++) {
		conn_free(m->conns[i].c);
		free(m->conns[i].q);
	}
	free(m->mv);
	free(m->conns);
	free(m->nodes);
	free(m);
	return rc;
}
