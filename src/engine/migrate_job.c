/* migrate_job.c - see migrate_job.h */
#include "engine/migrate_job.h"

#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "cluster/node.h"

struct migrate *migrate_job_new(const struct migrate_node *nodes, int nnodes,
				const struct migrate_move *moves, int nmoves,
				const struct migrate_opts *o, struct sc_err *e)
{
	struct migrate *m = calloc(1, sizeof(*m));

	if (!m)
		goto oom;
	m->o = *o;
	m->method = o->method;
	if (m->o.poll_ms < 10)
		m->o.poll_ms = 75;
	if (m->o.attempts < 1)
		m->o.attempts = 3;
	if (m->o.batch_keys < 1)
		m->o.batch_keys = 1;
	if (m->o.window < 1)
		m->o.window = 1;
	if (m->o.key_cap < m->o.window)
		m->o.key_cap = m->o.window;
	if (m->o.per_node < 1)
		m->o.per_node = 1;
	if (m->o.setslot_conns < 0)
		m->o.setslot_conns = 0;
	if (m->o.setslot_conns > JOB_LANES_MAX - 1)
		m->o.setslot_conns = JOB_LANES_MAX - 1;
	if (m->o.setslot_timeout_ms < 1)
		m->o.setslot_timeout_ms = 2000; /* the server's own default */
	m->nodes = calloc((size_t)nnodes + 1, sizeof(*m->nodes));
	m->conns = calloc((size_t)nnodes + 1, sizeof(*m->conns));
	m->dbs = calloc((size_t)nnodes + 1, sizeof(*m->dbs));
	m->mv = calloc((size_t)nmoves + 1, sizeof(*m->mv));
	if (!m->nodes || !m->conns || !m->dbs || !m->mv)
		goto oom;
	memcpy(m->nodes, nodes, sizeof(*nodes) * (size_t)nnodes);
	m->nnodes = nnodes;
	for (int i = 0; i < nnodes; i++)
		latency_budget_init(&m->conns[i].lat, m->o.max_latency_us, JOB_KEYS_MIN, m->o.batch_keys);
	for (int i = 0; i < nmoves; i++) {
		const struct migrate_move *a = &moves[i];
		struct job_move *v = &m->mv[i];

		if (a->src < 0 || a->src >= nnodes || a->dst < 0 || a->dst >= nnodes || a->src == a->dst) {
			err_set(e, ERR_FAIL, "move %d: bad source or target", i);
			goto fail;
		}
		v->src = a->src;
		v->dst = a->dst;
		m->nmv = i + 1; /* freed from here on */
		v->s = calloc((size_t)a->nslots + 1, sizeof(*v->s));
		v->bcast = calloc((size_t)a->nslots + 1, sizeof(*v->bcast));
		if (!v->s || !v->bcast)
			goto oom;
		for (int j = 0; j < a->nslots; j++) {
			if (a->slots[j] < 0 || a->slots[j] >= CLUSTER_SLOTS) {
				err_set(e, ERR_FAIL, "move %d: bad slot %d", i, a->slots[j]);
				goto fail;
			}
			v->s[j].slot = a->slots[j];
			v->s[j].st = SLOT_QUEUED;
		}
		v->st = MOVE_PENDING;
		v->ns = v->left = a->nslots;
		v->batch = m->o.batch_keys;
		m->slots_total += a->nslots;
	}
	return m;
oom:
	err_set(e, ERR_FAIL, "out of memory");
fail:
	migrate_job_free(m);
	return NULL;
}

void migrate_job_free(struct migrate *m)
{
	if (!m)
		return;
	for (int i = 0; m->mv && i < m->nmv; i++) {
		for (int j = 0; j < m->mv[i].ns; j++)
			if (m->mv[i].s[j].keys)
				freeReplyObject(m->mv[i].s[j].keys);
		free(m->mv[i].s);
		free(m->mv[i].bcast);
	}
	for (int i = 0; m->conns && i < m->nnodes; i++) {
		for (int l = 0; l < JOB_LANES_MAX; l++) {
			conn_free(m->conns[i].lane[l].c);
			free(m->conns[i].lane[l].q);
		}
		for (int k = 0; k < m->conns[i].nheld; k++)
			if (m->conns[i].held[k])
				freeReplyObject(m->conns[i].held[k]);
		free(m->conns[i].held);
	}
	for (int i = 0; m->dbs && i < m->nnodes; i++) {
		node_dbs_release(&m->dbs[i].d);
		free(m->dbs[i].walk);
	}
	free(m->dbs);
	free(m->mv);
	free(m->conns);
	free(m->nodes);
	free(m);
}

void migrate_job_fail(struct migrate *m, const struct sc_err *e)
{
	if (!m->failed) {
		m->err = *e;
		m->failed = 1;
	}
}

struct conn *migrate_job_lane_conn(struct migrate *m, int i, int lane, struct sc_err *e)
{
	struct job_conn *jc = &m->conns[i];
	struct job_lane *jl = &jc->lane[lane];

	if (!jl->c) {
		jl->c = conn_open(&m->nodes[i].addr, m->o.conn, e);
		if (!jl->c)
			return NULL;
		jl->db = 0; /* a new connection starts on database 0 */
		jl->db_fresh = 0;
		if (lane == 0 && jc->timeout_ms > 0 && conn_set_timeout(jl->c, jc->timeout_ms) < 0) {
			*e = jl->c->err;
			return NULL;
		}
		if (lane == 0 && !jc->probed) {
			jc->probed = 1;
			jc->replicated_setslot = node_setslot_timeout(jl->c);
			jc->nlanes = jc->replicated_setslot && m->o.setslot_conns > 0 ? 1 + m->o.setslot_conns : 1;
		}
	}
	if (jl->c->broken) {
		*e = jl->c->err;
		return NULL;
	}
	return jl->c;
}

struct conn *migrate_job_conn(struct migrate *m, int i, struct sc_err *e)
{
	return migrate_job_lane_conn(m, i, 0, e);
}

int migrate_job_lane(struct migrate *m, int i, enum slot_op op)
{
	struct job_conn *jc = &m->conns[i];

	/* only SETSLOTs leave lane 0: SELECT, GETKEYSINSLOT, MIGRATE and the
	 * COUNT stay on the connection whose selected database is tracked,
	 * in order with one another */
	if (jc->nlanes <= 1 || (op != SLOT_OP_IMPORTING && op != SLOT_OP_MIGRATING &&
				op != SLOT_OP_NODE_TARGET && op != SLOT_OP_NODE_SOURCE &&
				op != SLOT_OP_NODE_OTHER))
		return 0;
	jc->next = jc->next % (jc->nlanes - 1) + 1;
	return jc->next;
}

int migrate_job_setslot_timeout(struct migrate *m, int i)
{
	struct sc_err e;

	if (!m->conns[i].probed && !migrate_job_conn(m, i, &e))
		return 0;
	return m->conns[i].replicated_setslot ? m->o.setslot_timeout_ms : 0;
}

void migrate_job_conn_drop(struct migrate *m, int i, int lane)
{
	conn_free(m->conns[i].lane[lane].c);
	m->conns[i].lane[lane].c = NULL;
}

int migrate_job_expect(struct migrate *m, int node, int lane, int mi, int si, enum slot_op op, int n, int db)
{
	struct job_lane *jl = &m->conns[node].lane[lane];

	if (vec_grow((void **)&jl->q, &jl->qcap, jl->qn + 1, sizeof(*jl->q), 64) < 0)
		return -1;
	jl->q[jl->qn++] = (struct job_reply){ mi, si, op, n, db };
	return 0;
}

int migrate_job_read_dbs(struct migrate *m, int i, struct sc_err *e)
{
	struct job_dbs *j = &m->dbs[i];
	struct conn *c = migrate_job_conn(m, i, e);
	struct node_dbs d;
	int *walk;
	int n, all;

	if (!c || node_dbs_read(c, &d, e) < 0)
		return -1;
	/* databases holding keys, closed by the COUNT; without a count,
	 * every database: an empty GETKEYSINSLOT in each is the check */
	all = d.bound > 1 && !d.slot_stats;

	n = all ? d.bound : d.nused;
	if (!(walk = malloc(sizeof(*walk) * (size_t)n))) {
		node_dbs_release(&d);
		return err_set(e, ERR_FAIL, "out of memory");
	}
	for (int k = 0; k < n; k++)
		walk[k] = all ? k : d.used[k];
	node_dbs_release(&j->d);
	free(j->walk);
	j->d = d;
	j->walk = walk;
	j->nwalk = n;
	j->count = d.bound > 1 && d.slot_stats;
	j->read = 1;
	return 0;
}

int migrate_job_next_db(const struct migrate *m, int i, int db)
{
	const struct job_dbs *j = &m->dbs[i];

	for (int k = 0; k < j->nwalk; k++)
		if (j->walk[k] > db)
			return j->walk[k];
	return j->count && db >= 0 ? -1 : -2;
}

void migrate_job_recount(struct job_move *v)
{
	memset(v->n_st, 0, sizeof(v->n_st));
	for (int i = 0; i < v->ns; i++)
		v->n_st[v->s[i].st]++;
	v->lo = v->work_lo = 0;
}

void migrate_job_move_start(struct migrate *m, int mi)
{
	struct job_move *v = &m->mv[mi];

	v->st = MOVE_RUNNING;
	m->conns[v->src].busy++;
	m->conns[v->dst].busy++;
}

void migrate_job_move_end(struct migrate *m, int mi, enum move_state how)
{
	struct job_move *v = &m->mv[mi];

	if (v->st != MOVE_RUNNING)
		return;
	v->st = how;
	m->conns[v->src].busy--;
	m->conns[v->dst].busy--;
}

void migrate_job_move_lost(struct migrate *m, int mi, const struct sc_err *e)
{
	struct job_move *v = &m->mv[mi];
	struct sc_err ctx = *e;
	char a[300], b[300];

	if (v->st != MOVE_RUNNING)
		return;
	err_prefix(&ctx, "moving slots from '%s' to '%s'", migrate_job_node_name(m, v->src, a, sizeof(a)),
		   migrate_job_node_name(m, v->dst, b, sizeof(b)));
	migrate_job_fail(m, &ctx);
	migrate_job_move_end(m, mi, MOVE_FAILED);
}

const char *migrate_job_node_name(const struct migrate *m, int i, char *buf, int len)
{
	return addr_format(&m->nodes[i].addr, buf, len);
}
