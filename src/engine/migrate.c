/* migrate.c - see migrate.h.
 *
 * Scheduling: one thread, one connection per node (Valkey >= 8: more for SETSLOT,
 * see migrate_job.h), driven in rounds.  A round
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
 * and the connection fan-out; and the runner (migrate_run).  What one slot
 * sends and how each reply changes it is migrate_slot.c, over the pure
 * machine core/slot_machine.c; the job's object is migrate_job.c.
 */
#include "engine/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/millis.h"
#include "base/progress.h"
#include "base/stop.h"
#include "engine/migrate_atomic.h"
#include "engine/migrate_job.h"
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
	o->setslot_conns = 16;
	o->setslot_timeout_ms = 5000;
	o->max_latency_us = MIGRATE_MAX_LATENCY_US;
}

struct migrate *migrate_init(const struct migrate_node *nodes, int nnodes,
			     const struct migrate_move *moves, int nmoves,
			     const struct migrate_opts *o, struct sc_err *e)
{
	return migrate_job_new(nodes, nnodes, moves, nmoves, o, e);
}

/* Write every lane's queue.  A SETSLOT lane of a Valkey node may wait for
 * the replicas' acknowledgement for up to the SETSLOT TIMEOUT per command
 * queued on it (the server runs a client's commands one after another):
 * its read deadline grows with its queue. */
static void flush_all(struct migrate *m)
{
	int base = m->o.conn && m->o.conn->command_timeout_ms > 0 ? m->o.conn->command_timeout_ms : 10000;

	for (int i = 0; i < m->nnodes; i++) {
		struct job_conn *jc = &m->conns[i];
		for (int l = 0; l < JOB_LANES_MAX; l++) {
			struct job_lane *jl = &jc->lane[l];
			if (!jl->qn || !jl->c || jl->c->broken)
				continue;
			if (l > 0)
				conn_set_timeout(jl->c, base + jl->qn * m->o.setslot_timeout_ms);
			conn_flush(jl->c);
		}
	}
}

/* Read ahead every reply queued on node i's lane 0, kept for read_lane,
 * and feed the time the node took to the node's latency budget: from the
 * round's send (t0) to its last reply, the longest a client of the node
 * waited behind this round's key work there.  Stops at a broken
 * connection or after an UNBLOCKED reply (read_lane sees the same). */
static void read_ahead(struct migrate *m, int i, long long t0)
{
	struct job_conn *jc = &m->conns[i];
	struct job_lane *jl = &jc->lane[0];
	redisReply *r, **tmp;

	if (jl->qn > jc->heldcap) {
		tmp = realloc(jc->held, sizeof(*tmp) * (size_t)jl->qn);
		if (!tmp)
			return; /* read in turn, untimed */
		jc->held = tmp;
		jc->heldcap = jl->qn;
	}
	jc->nheld = 0;
	while (jc->nheld < jl->qn && jl->c && (r = conn_read(jl->c))) {
		jc->held[jc->nheld++] = r;
		if (reply_class(r) == RC_UNBLOCKED)
			break;
	}
	if (jc->nheld == jl->qn)
		latency_budget_observe(&jc->lat, clock_now_us() - t0, jc->round_calls, jc->round_keys);
}

/* Read every reply queued on one lane, in order (lane 0's read ahead
 * first).  After an UNBLOCKED reply
 * the server closes the connection without reading what followed: those
 * commands are handed back unanswered (to be sent again) and the lane is
 * opened anew when next used. */
static void read_lane(struct migrate *m, int i, int l)
{
	struct job_conn *jc = &m->conns[i];
	struct job_lane *jl = &jc->lane[l];
	int cut = 0;

	for (int k = 0; k < jl->qn; k++) {
		const struct job_reply *p = &jl->q[k];
		redisReply *r;

		if (cut) {
			migrate_slot_handle(m, i, p, NULL);
			continue;
		}
		if (l == 0 && k < jc->nheld)
			r = jc->held[k];
		else
			r = jl->c ? conn_read(jl->c) : NULL;
		if (!r) {
			if (p->op == SLOT_OP_NODE_OTHER)
				jc->dead = 1;
			else
				migrate_job_move_lost(m, p->move, jl->c ? &jl->c->err : &m->err);
			continue;
		}
		cut = reply_class(r) == RC_UNBLOCKED;
		migrate_slot_handle(m, i, p, r);
		if (m->mv[p->move].s[p->si].keys != r)
			freeReplyObject(r);
	}
	jl->qn = 0;
	if (l == 0)
		jc->nheld = 0;
	if (cut)
		migrate_job_conn_drop(m, i, l);
}

/* Read every lane of every node.  First the lane 0 of every source given
 * MIGRATEs this round, read ahead as soon as its replies come (sent at t0):
 * its time is the measure of its latency budget.  Then every node's
 * replies are handled, the SETSLOT lanes of a node before its lane 0: a
 * slot's MIGRATING (on a SETSLOT lane) and its first GETKEYSINSLOT (lane 0)
 * go out in the same round, and the machine takes the keys only once it
 * knows the source migrates. */
static void read_all(struct migrate *m, long long t0)
{
	for (int i = 0; i < m->nnodes; i++)
		if (m->conns[i].round_calls > 0)
			read_ahead(m, i, t0);
	for (int i = 0; i < m->nnodes; i++) {
		for (int l = 1; l < JOB_LANES_MAX; l++)
			read_lane(m, i, l);
		read_lane(m, i, 0);
	}
}

/* Window bounds: slots [lo, v->next_new) may need commands. */
static int window_lo(struct job_move *v)
{
	while (v->lo < v->next_new && (v->s[v->lo].st == SLOT_DONE || v->s[v->lo].st == SLOT_FAILED))
		v->lo++;
	return v->lo;
}

/* Slots [work_lo, v->next_new) may need key work (or IMPORTING /
 * MIGRATING): those before are drained or further on. */
static int work_lo(struct job_move *v)
{
	if (v->work_lo < window_lo(v))
		v->work_lo = v->lo;
	while (v->work_lo < v->next_new && v->s[v->work_lo].st >= SLOT_DRAINED)
		v->work_lo++;
	return v->work_lo;
}

/* Slots a move keeps open at once.  `window` bounds the MIGRATEs a round
 * sends to a source (each one a stall for its clients: docs/ENGINE.md).  On
 * Valkey >= 8 a slot spends most of its life waiting for SETSLOT
 * acknowledgements from the replicas, which cost the source nothing: there
 * more slots are open (VALKEY_WINDOW_FACTOR times), while phase_sources
 * still sends at most `window` MIGRATEs per round. */
#define VALKEY_WINDOW_FACTOR 4

/* Paced moves.  Under a latency budget, a move between two nodes whose
 * SETSLOT does not wait for replicas (Redis) keeps apart what stalls the
 * clients of a node, and keeps it short:
 * - its slots are opened in generations of up to PACED_OPEN slots (all the
 *   slots of a usual move), and closed only once the whole generation is
 *   drained: SETSLOTs come in a few bursts at the ends of the move, not in
 *   every round among the MIGRATEs.  NODE is what costs: on Redis 7.0 it
 *   stalls the target ~5 ms (the config fsync of its epoch bump) plus ~70 us
 *   a slot on the target and on the source, where IMPORTING and MIGRATING
 *   cost ~3 us a slot (pipelined, bench/results/analysis.md); one NODE a
 *   round, as the engine did before, meant hundreds of fsync stalls a move;
 * - a burst goes out PACED_SETSLOTS a round and node (by those costs ~14 ms of stall for a
 *   target's NODEs; a whole generation in one pipeline stalled the target
 *   76-81 ms and the source 140-206 ms), and a round that carries SETSLOTs
 *   to a node gives it no key work (no GETKEYSINSLOT or MIGRATE from it, no
 *   MIGRATE into it);
 * - keys are listed for PACED_ACTIVE slots at a time and a source gets one
 *   MIGRATE a round (the keys per call are the budget's): the shape of the
 *   plainest sequential move, which measured a third of the engine's client
 *   p99 for the same speed (bench/seqmove.sh).
 * On Valkey >= 8 SETSLOT waits for the replicas and wants many slots in
 * flight (move_window): moves there are not paced. */
#define PACED_OPEN 1024
#define PACED_ACTIVE 2
#define PACED_SETSLOTS 128

static int move_paced(struct migrate *m, const struct job_move *v)
{
	return m->o.max_latency_us > 0 && migrate_job_setslot_timeout(m, v->src) == 0 &&
	       migrate_job_setslot_timeout(m, v->dst) == 0;
}

/* Whether node i may take one more SETSLOT this round: PACED_SETSLOTS under
 * a budget, on a node whose SETSLOT does not wait for replicas; else no
 * limit. */
static int setslot_room(struct migrate *m, int i)
{
	if (m->o.max_latency_us <= 0 || migrate_job_setslot_timeout(m, i) > 0)
		return 1;
	return m->conns[i].round_setslots < PACED_SETSLOTS;
}

static int move_window(struct migrate *m, const struct job_move *v)
{
	if (migrate_job_setslot_timeout(m, v->src) > 0 || migrate_job_setslot_timeout(m, v->dst) > 0)
		return m->o.window * VALKEY_WINDOW_FACTOR;
	return m->o.window;
}

/* Under a latency budget, NODE goes to a target for DRAIN_BATCH drained
 * slots at once (or for what is drained when no other slot of the move is
 * on its way), and in a round that sends no MIGRATE into that target.
 * NODE bumps the target's epoch, and the target saves and fsyncs its
 * config before it answers anything else, the RESTOREs of a source's
 * MIGRATE included: the source stalled behind each of those fsyncs (one a
 * round, with one slot drained a round: 114-184 ms at load ~12, hence the
 * batches), and a round that carried both the batch and a MIGRATE still
 * stalled it 2.0-2.9 ms typical against 0.7-1.0 ms for the other rounds
 * (1M keys, 2 cores), most of the rounds over the budget.  So that round
 * the source serves its clients instead.  Drained slots only wait a little
 * longer with ASK redirections (their keys are on the target already).
 * Without a budget a round drains many slots at once anyway. */
#define DRAIN_BATCH 8

static int nodes_due(struct migrate *m, const struct job_move *v)
{
	int drained = v->n_st[SLOT_DRAINED];
	int busy = v->n_st[SLOT_IMPORTING] + v->n_st[SLOT_MIGRATING] + v->n_st[SLOT_MOVING];

	if (m->o.max_latency_us <= 0)
		return 1;
	if (m->failed || m->stopping)
		return 1;
	/* paced: the whole generation at once */
	if (move_paced(m, v))
		return busy == 0 && v->gen_left == 0;
	/* nothing else in flight: waiting would gain nothing (and with a
	 * window full of drained slots, never end) */
	return drained >= DRAIN_BATCH || busy == 0;
}

/* Open the slots entering move mi's window: up to its window, or for a
 * paced move the next generation once the last one is closed, as many a
 * round as the target takes.  Returns the IMPORTINGs queued. */
static int window_fill(struct migrate *m, int mi)
{
	struct job_move *v = &m->mv[mi];
	const char *src_id = m->nodes[v->src].id;
	int sent = 0, paced = move_paced(m, v), si;

	if (paced && v->open == 0 && v->gen_left == 0)
		v->gen_left = v->ns - v->next_new < PACED_OPEN ? v->ns - v->next_new : PACED_OPEN;
	while (!m->failed && v->st == MOVE_RUNNING && v->next_new < v->ns &&
	       (paced ? v->gen_left > 0 && setslot_room(m, v->dst) : v->open < move_window(m, v))) {
		si = v->next_new++;
		v->gen_left -= paced;
		migrate_slot_open(m, mi, si);
		sent += migrate_slot_setslot(m, v->dst, mi, si, SLOT_OP_IMPORTING, "IMPORTING", src_id) == 0;
	}
	return sent;
}

/* Targets: the targets (IMPORTING for slots entering the window, NODE for
 * drained slots).  Returns how many commands were queued. */
static int phase_targets(struct migrate *m, long long t)
{
	int sent = 0;

	for (int i = 0; i < m->nnodes; i++)
		m->conns[i].round_nodes = m->conns[i].round_setslots = 0;
	for (int mi = 0; mi < m->nmv; mi++) {
		struct job_move *v = &m->mv[mi];
		const char *src_id = m->nodes[v->src].id, *dst_id = m->nodes[v->dst].id;
		int lo = window_lo(v), due;

		if (v->st != MOVE_RUNNING)
			continue;
		due = nodes_due(m, v);
		/* the window only when something in it is due on the target;
		 * past the target's room this round, the rest waits */
		for (int si = v->n_st[SLOT_IMPORTING] || (due && v->n_st[SLOT_DRAINED]) ? lo : v->next_new;
		     si < v->next_new && v->st == MOVE_RUNNING && setslot_room(m, v->dst); si++) {
			struct job_slot *s = &v->s[si];
			if (s->retry_at > t || (s->st != SLOT_IMPORTING && s->st != SLOT_DRAINED))
				continue;
			if (s->st == SLOT_IMPORTING)
				sent += migrate_slot_setslot(m, v->dst, mi, si, SLOT_OP_IMPORTING, "IMPORTING", src_id) == 0;
			else if (due && migrate_slot_setslot(m, v->dst, mi, si, SLOT_OP_NODE_TARGET, "NODE", dst_id) == 0) {
				sent++;
				m->conns[v->dst].round_nodes++;
			}
		}
		sent += window_fill(m, mi);
	}
	return sent;
}

/* Node k is a master outside move v that is told of its closed slots: not
 * one on Valkey >= 8 (phase_sources) nor one that stopped answering. */
static int other_master(struct migrate *m, const struct job_move *v, int k)
{
	return m->nodes[k].master && k != v->src && k != v->dst && !m->conns[k].dead &&
	       migrate_job_setslot_timeout(m, k) == 0;
}

/* Sources: the sources (MIGRATING, key batches, NODE) and the other masters
 * (NODE). */
static int phase_sources(struct migrate *m, long long t)
{
	int sent = 0;

	for (int i = 0; i < m->nnodes; i++) {
		m->conns[i].lane[0].db_fresh = 0;
		m->conns[i].round_calls = 0;
		m->conns[i].round_keys = 0;
	}
	for (int mi = 0; mi < m->nmv; mi++) {
		struct job_move *v = &m->mv[mi];
		const char *dst_id = m->nodes[v->dst].id;
		struct job_conn *src = &m->conns[v->src];
		int lo = window_lo(v), active, count, migrates = 0, n, b, paced;
		/* the target saves and fsyncs its config this round (NODE); a
		 * paced move's target takes no MIGRATE in a round that gives it
		 * any SETSLOT */
		int hold = m->o.max_latency_us > 0 && m->conns[v->dst].round_nodes > 0;

		if (v->st != MOVE_RUNNING)
			continue;
		paced = move_paced(m, v);
		hold |= paced && m->conns[v->dst].round_setslots > 0;
		/* the other masters last, once target and source agree; not
		 * those on Valkey >= 8, where each NODE would block on their
		 * replicas for news gossip brings anyway (the target bumped its
		 * epoch; research A7.5).  Slot after slot while each of them
		 * has room this round; the rest next round */
		for (b = 0; b < v->nb; b++) {
			int room = 1;
			for (int k = 0; k < m->nnodes; k++)
				if (other_master(m, v, k) && !setslot_room(m, k))
					room = 0;
			if (!room)
				break;
			for (int k = 0; k < m->nnodes; k++)
				if (other_master(m, v, k))
					sent += migrate_slot_setslot(m, k, mi, v->bcast[b], SLOT_OP_NODE_OTHER, "NODE", dst_id) == 0;
		}
		memmove(v->bcast, v->bcast + b, sizeof(*v->bcast) * (size_t)(v->nb - b));
		v->nb -= b;
		active = v->n_st[SLOT_MIGRATING] + v->n_st[SLOT_MOVING];
		if (paced && active > PACED_ACTIVE)
			active = PACED_ACTIVE;
		count = m->o.key_cap / (active ? active : 1);
		if (count > v->batch)
			count = v->batch;
		if (count > src->lat.keys)
			count = src->lat.keys; /* the latency budget's */
		if (count < 1)
			count = 1;
		/* SETSLOTs first, then the key work: a server saves its cluster
		 * config once per batch of commands read, so SETSLOTs spread
		 * among MIGRATEs would cost one save each */
		for (int si = v->n_st[SLOT_MIGRATING] || v->n_st[SLOT_CLOSING] ? lo : v->next_new;
		     si < v->next_new && v->st == MOVE_RUNNING && setslot_room(m, v->src); si++) {
			struct job_slot *s = &v->s[si];
			if (s->retry_at > t || s->busy_diag)
				continue;
			if (s->st == SLOT_MIGRATING) {
				sent += migrate_slot_setslot(m, v->src, mi, si, SLOT_OP_MIGRATING, "MIGRATING", dst_id) == 0;
			} else if (s->st == SLOT_CLOSING) {
				sent += migrate_slot_setslot(m, v->src, mi, si, SLOT_OP_NODE_SOURCE, "NODE", dst_id) == 0;
			}
		}
		/* the slots on the database the source's lane 0 is on first,
		 * then the others (their MIGRATEs wait for a round that starts
		 * on their database): with one database, one pass does
		 * everything.  At most `window` MIGRATEs a round, and as many
		 * as the source's latency budget allows: keys listed beyond
		 * that are kept for the next round.  Paced: no key work in a
		 * round that gives the source SETSLOTs, keys of the first
		 * PACED_ACTIVE slots in flight only, one MIGRATE */
		if (paced && m->conns[v->src].round_setslots > 0)
			continue;
		for (int pass = 0, cur = m->conns[v->src].lane[0].db; pass < 2; pass++) {
			for (int si = work_lo(v), listed = 0; si < v->next_new && v->st == MOVE_RUNNING; si++) {
				struct job_slot *s = &v->s[si];
				if (paced && (s->st == SLOT_MIGRATING || s->st == SLOT_MOVING) && ++listed > PACED_ACTIVE)
					break;
				if (s->retry_at > t || s->busy_diag || s->rescan)
					continue;
				if ((s->db < 0 || s->db == cur) != (pass == 0))
					continue;
				if (s->st == SLOT_MIGRATING) {
					sent += migrate_slot_getkeys(m, mi, si, count) == 0;
				} else if (s->st == SLOT_MOVING && s->db < 0) {
					sent += migrate_slot_count(m, mi, si) == 0;
				} else if (s->st == SLOT_MOVING) {
					n = s->keys ? (int)s->keys->elements : 0;
					if (s->keys && (hold || migrates >= (paced ? 1 : m->o.window) ||
							(src->round_calls > 0 && src->round_keys + n > src->lat.round_keys)))
						continue; /* keys kept for the next round */
					if (s->keys && migrate_slot_migrate(m, mi, si) == 0) {
						migrates++, sent++;
						src->round_calls++;
						src->round_keys += n;
					}
					if (v->st == MOVE_RUNNING && s->st == SLOT_MOVING)
						sent += migrate_slot_getkeys(m, mi, si, count) == 0;
				}
			}
		}
	}
	return sent;
}

/* The databases of both ends of move mi, read as it starts: the target
 * must have every database the source holds keys in (MIGRATE selects it
 * there); with several, keys_total counts all of them.  Synchronous.  0, or
 * -1 with the move lost. */
static int move_dbs(struct migrate *m, int mi)
{
	struct job_move *v = &m->mv[mi];
	struct sc_err e;
	const struct job_dbs *a = &m->dbs[v->src], *b = &m->dbs[v->dst];
	struct conn *src;
	redisReply *r;
	char na[300], nb[300];
	long long n;

	if (migrate_job_read_dbs(m, v->src, &e) < 0 || (!b->read && migrate_job_read_dbs(m, v->dst, &e) < 0)) {
		migrate_job_move_lost(m, mi, &e);
		return -1;
	}
	for (int k = 0; k < a->d.nused; k++)
		if (a->d.used[k] >= b->d.bound) {
			err_set(&e, ERR_REFUSED, "'%s' holds keys in database %d, but '%s' has %d database%s "
				"(cluster-databases): start it with cluster-databases %d or more",
				migrate_job_node_name(m, v->src, na, sizeof(na)), a->d.used[k],
				migrate_job_node_name(m, v->dst, nb, sizeof(nb)), b->d.bound,
				b->d.bound == 1 ? "" : "s", a->d.used[k] + 1);
			migrate_job_move_lost(m, mi, &e);
			return -1;
		}
	if (!a->count || !(src = migrate_job_conn(m, v->src, &e)))
		return 0;
	for (int i = 0; i < v->ns; i++)
		conn_append(src, "CLUSTER SLOT-STATS SLOTSRANGE %d %d", v->s[i].slot, v->s[i].slot);
	conn_flush(src);
	v->keys_total = 0;
	for (int i = 0; i < v->ns; i++) {
		if (!(r = conn_read(src))) {
			migrate_job_move_lost(m, mi, &src->err);
			return -1;
		}
		if (node_dbs_stats_count(r, v->s[i].slot, &n) == 0)
			v->keys_total += n;
		freeReplyObject(r);
	}
	return 0;
}


/* Start move mi: count its keys (for progress) and size its batches from the
 * source's average value size.  Synchronous: runs between rounds. */
static void move_start(struct migrate *m, int mi)
{
	struct job_move *v = &m->mv[mi];
	struct sc_err e;
	struct conn *src = migrate_job_conn(m, v->src, &e);
	redisReply *r;
	long long dataset = -1, keys = -1, avg;
	char val[64];
	int tmo;

	migrate_job_recount(v);
	migrate_job_move_start(m, mi);
	if (!src || !migrate_job_conn(m, v->dst, &e)) {
		migrate_job_move_lost(m, mi, &e);
		return;
	}
	/* MIGRATE blocks the source for its whole exchange with the target */
	tmo = m->o.conn ? m->o.conn->command_timeout_ms : 10000;
	m->conns[v->src].timeout_ms = tmo + 2 * m->o.migrate_timeout_ms; /* also after a reconnect */
	if (conn_set_timeout(src, m->conns[v->src].timeout_ms) < 0) {
		migrate_job_move_lost(m, mi, &src->err);
		return;
	}
	conn_append(src, "INFO memory");
	conn_append(src, "DBSIZE");
	for (int i = 0; i < v->ns; i++)
		conn_append(src, "CLUSTER COUNTKEYSINSLOT %d", v->s[i].slot);
	conn_flush(src);
	for (int i = 0; i < v->ns + 2; i++) {
		if (!(r = conn_read(src))) {
			migrate_job_move_lost(m, mi, &src->err);
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
	if (move_dbs(m, mi) < 0)
		return;
	if (m->dbs[v->src].d.bound > 1)
		keys = m->dbs[v->src].d.keys; /* DBSIZE counted the selected one */
	if (dataset > 0 && keys > 0) {
		avg = dataset / keys;
		if (avg < 1)
			avg = 1;
		if (m->o.batch_bytes / avg < v->batch)
			v->batch = (int)(m->o.batch_bytes / avg);
		if (v->batch < 1)
			v->batch = 1; /* values bigger than a batch: one at a time */
		latency_budget_set_keys_min(&m->conns[v->src].lat, (int)(JOB_BYTES_MIN / avg > JOB_KEYS_MIN ?
			JOB_BYTES_MIN / avg : JOB_KEYS_MIN));
	}
	if (v->ns == 0)
		migrate_job_move_end(m, mi, MOVE_DONE);
}

static int move_over(const struct migrate *m, const struct job_move *v)
{
	return v->open == 0 && v->nb == 0 && (v->next_new == v->ns || m->failed);
}

/* The legacy method's step: rounds of SETSLOT / GETKEYSINSLOT / MIGRATE. */
static int legacy_step(struct migrate *m, int budget_ms)
{
	long long start = clock_now_ms(), t, t0, next;
	int running, sent;

	for (;;) {
		running = 0;
		for (int mi = 0; mi < m->nmv; mi++) {
			struct job_move *v = &m->mv[mi];
			if (v->st == MOVE_PENDING && !m->failed && m->conns[v->src].busy < m->o.per_node &&
			    m->conns[v->dst].busy < m->o.per_node)
				move_start(m, mi);
			running += v->st == MOVE_RUNNING;
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
		t0 = clock_now_us();
		flush_all(m);
		read_all(m, t0);
		for (int mi = 0; mi < m->nmv; mi++) {
			struct job_move *v = &m->mv[mi];
			/* both are set on MOVING slots only */
			for (int si = work_lo(v); v->st == MOVE_RUNNING && si < v->next_new; si++)
				if (v->s[si].busy_diag)
					migrate_slot_busykey(m, mi, &v->s[si]);
				else if (v->s[si].rescan)
					migrate_slot_rescan(m, mi, &v->s[si]);
			if (v->st == MOVE_RUNNING && move_over(m, v))
				migrate_job_move_end(m, mi, MOVE_DONE);
		}
		t = clock_now_ms();
		if (!sent) {
			/* everything in flight waits for a retry: back off briefly */
			next = t + 200;
			for (int mi = 0; mi < m->nmv; mi++) {
				struct job_move *v = &m->mv[mi];
				for (int si = window_lo(v); v->st == MOVE_RUNNING && si < v->next_new; si++)
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

int migrate_step(struct migrate *m, int budget_ms)
{
	if (m->method == MIGRATE_ATOMIC) {
		int rc = atomic_step(m, budget_ms);
		if (rc != 2)
			return rc;
		/* what is left is the legacy method's, from now on */
		m->method = MIGRATE_LEGACY;
	}
	return legacy_step(m, budget_ms);
}

/* A stop was requested: no new slot, no new job; what runs ends cleanly. */
static void migrate_stop(struct migrate *m, int sig)
{
	struct sc_err e;

	m->stopping = 1;
	if (m->method == MIGRATE_ATOMIC) {
		atomic_stop(m, sig);
		return;
	}
	err_set(&e, ERR_FAIL, "interrupted by %s: the slots being moved were brought to an end; run again to "
		"continue", stop_name(sig));
	migrate_job_fail(m, &e);
}

void migrate_progress(const struct migrate *m, struct migrate_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->moves_total = m->nmv;
	for (int i = 0; i < m->nmv; i++) {
		p->moves_done += m->mv[i].st == MOVE_DONE;
		p->moves_running += m->mv[i].st == MOVE_RUNNING;
		p->keys_total += m->mv[i].keys_total;
	}
	p->keys_known = p->moves_done + p->moves_running == p->moves_total;
	for (int i = 0; i < m->nmv; i++)
		if (m->mv[i].st == MOVE_FAILED)
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
	atomic_free(m->atom);
	migrate_job_free(m);
	return rc;
}

/* After the final line, when keys were moved by MIGRATE: the longest a
 * source's clients waited behind a round, against the budget.  One line:
 * "source stall: longest 1.9 ms, 3 of 1640 rounds over the 2 ms budget". */
static void report_stall(const struct migrate *m, FILE *f)
{
	long long rounds = 0, over = 0, worst = 0;
	char ms[32];

	for (int i = 0; i < m->nnodes; i++) {
		const struct latency_budget *b = &m->conns[i].lat;
		rounds += b->rounds;
		over += b->over;
		if (b->worst_us > worst)
			worst = b->worst_us;
	}
	if (!f || !rounds)
		return;
	fprintf(f, "source stall: longest %lld.%01lld ms, ", worst / 1000, worst % 1000 / 100);
	if (m->o.max_latency_us > 0)
		fprintf(f, "%lld of %lld rounds over the %s ms budget (--max-latency)\n", over, rounds,
			millis_format(m->o.max_latency_us, ms, sizeof(ms)));
	else
		fprintf(f, "%lld rounds, no budget (--max-latency 0)\n", rounds);
	fflush(f);
}

int migrate_run(struct migrate *m, const struct migrate_run_opts *o, struct migrate_progress *last,
		struct sc_err *e)
{
	struct migrate_progress p;
	struct progress prog;
	int step_ms = o && o->step_ms > 0 ? o->step_ms : 500;

	if (!m)
		return migrate_finish(m, e);
	progress_init(&prog, o ? o->log : NULL, o ? o->tty : 0);
	while (migrate_step(m, step_ms) == 0) {
		if (!m->stopping && stop_requested())
			migrate_stop(m, stop_requested());
		migrate_progress(m, &p);
		progress_update(&prog, p.slots_done, p.slots_total, p.keys_moved, p.keys_known ? p.keys_total : 0);
	}
	migrate_progress(m, &p);
	progress_end(&prog, p.slots_done, p.slots_total, p.keys_moved);
	report_stall(m, o ? o->log : NULL);
	if (last)
		*last = p;
	return migrate_finish(m, e);
}
