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
 * A slot goes through these states (one or two per round):
 *   NEW -> IMP (in the window; IMPORTING due on the target)
 *       -> MIG (target importing; MIGRATING due on the source)
 *       -> ACT (source migrating; GETKEYSINSLOT / MIGRATE batches)
 *       -> DRN (source has no key left; SETSLOT NODE due on the target)
 *       -> CLO (target owns it; SETSLOT NODE due on source and other masters)
 *       -> DONE                  or FAILED (left open for `shardctl fix`)
 *
 * Order of the per-slot commands, from the cluster specification:
 * - IMPORTING on the target before MIGRATING on the source: once the source
 *   migrates it answers ASK for keys it no longer has, and the target must
 *   already accept ASKING for that slot, or clients would get MOVED back.
 * - SETSLOT NODE on the target first: the target must own the slot (and bump
 *   its epoch so the change wins in gossip) before the source stops
 *   redirecting with ASK; were the source first, it would answer MOVED to a
 *   target that still answers MOVED back to the source (clients ping-pong).
 * - then on the source, which clears its MIGRATING state (and refuses while
 *   it still holds keys of the slot: a last safety check); a source that
 *   just became a replica answers "use SETSLOT only with masters", which is
 *   fine, its master-to-be learns the owner by gossip;
 * - then on the other masters (a round later, once the source has answered),
 *   only to spread the news faster than gossip.
 */
#include "migrate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum sstate { S_NEW, S_IMP, S_MIG, S_ACT, S_DRN, S_CLO, S_DONE, S_FAILED };

enum op { OP_IMPORTING, OP_MIGRATING, OP_GETKEYS, OP_MIGRATE, OP_NODE_DST, OP_NODE_SRC, OP_NODE_OTHER };

enum mstate { M_PENDING, M_RUNNING, M_DONE, M_FAILED };

struct mslot {
	int slot;
	enum sstate st;
	redisReply *keys;      /* last GETKEYSINSLOT reply (array), or NULL */
	long long retry_at;    /* ms; nothing is sent for this slot before */
	long long first_err;   /* ms of the first retryable error in a row, 0 */
	int busy_diag;         /* BUSYKEY seen: find the key after the round */
};

struct mmove {
	int src, dst;
	struct mslot *s;
	int ns;
	int next_new;          /* first slot index not yet in the window */
	int open;              /* slots in the window (IMP..CLO) */
	int left;              /* slots not DONE / FAILED */
	enum mstate st;
	int *bcast;            /* slots closed on the source, whose NODE is
				  due on the other masters next round */
	int nb;
	int batch;             /* keys per GETKEYSINSLOT / MIGRATE */
	long long keys_total;
};

struct pend {
	int move, si;
	enum op op;
	int n;                 /* keys in a MIGRATE */
};

struct mconn {
	struct conn *c;
	int dead;              /* an "other" master that stopped answering */
	struct pend *q;
	int qn, qcap;
	int busy;              /* moves this node takes part in */
};

struct migrate {
	struct migrate_node *nodes;
	int nnodes;
	struct mconn *conns;   /* one per node */
	struct mmove *mv;
	int nmv;
	struct migrate_opts o;
	struct sc_err err;     /* sticky */
	int failed;
	long long keys_moved;
	int slots_done;
	int slots_total;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

void migrate_opts_init(struct migrate_opts *o, const struct conn_opts *conn)
{
	memset(o, 0, sizeof(*o));
	o->conn = conn;
	o->batch_keys = 1000;
	o->batch_bytes = 4LL << 20;
	o->window = 256;
	o->key_cap = 20000;
	o->migrate_timeout_ms = 10000;
	o->retry_ms = 60000;
	o->per_node = 1;
}

/* The first error wins; later ones only stop more work. */
static void fail(struct migrate *m, const struct sc_err *e)
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

static struct conn *node_conn(struct migrate *m, int i, struct sc_err *e)
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

static int push(struct migrate *m, int node, int move, int si, enum op op, int n)
{
	struct mconn *mc = &m->conns[node];

	if (mc->qn == mc->qcap) {
		int cap = mc->qcap ? mc->qcap * 2 : 64;
		struct pend *tmp = realloc(mc->q, sizeof(*tmp) * (size_t)cap);
		if (!tmp)
			return -1;
		mc->q = tmp;
		mc->qcap = cap;
	}
	mc->q[mc->qn++] = (struct pend){ move, si, op, n };
	return 0;
}


/* Redis 7.0's wording of the few errors that call for something other than
 * "stop": matched here, in one place. */
static int err_says(const redisReply *r, const char *what)
{
	return r && r->type == REDIS_REPLY_ERROR && strstr(r->str, what) != NULL;
}

#define MSG_ALREADY_OWNER "already the owner of hash slot"
#define MSG_UNKNOWN_NODE "know about node"
#define MSG_ONLY_MASTERS "SETSLOT only with masters"
#define MSG_TARGET_ERR "ERR Target instance replied with error: "

/* The class of a MIGRATE error: the target's own error when MIGRATE relays
 * one ("ERR Target instance replied with error: BUSYKEY ..."). */
static enum reply_class migrate_class(const redisReply *r, int *ioerr)
{
	redisReply inner;
	size_t n = strlen(MSG_TARGET_ERR);

	*ioerr = 0;
	if (!r || r->type != REDIS_REPLY_ERROR)
		return RC_OK;
	if (strncmp(r->str, "IOERR", 5) == 0) {
		*ioerr = 1;
		return RC_OTHER;
	}
	if (strncmp(r->str, MSG_TARGET_ERR, n) == 0) {
		inner = *r;
		inner.str = r->str + n;
		inner.len = r->len - n;
		return reply_class(&inner);
	}
	return reply_class(r);
}

static void node_release(struct migrate *m, struct mmove *v)
{
	m->conns[v->src].busy--;
	m->conns[v->dst].busy--;
}

static void move_lost(struct migrate *m, int mi, const struct sc_err *e)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err ctx = *e;
	char a[300], b[300];

	if (v->st != M_RUNNING)
		return;
	addr_format(&m->nodes[v->src].addr, a, sizeof(a));
	addr_format(&m->nodes[v->dst].addr, b, sizeof(b));
	err_prefix(&ctx, "moving slots from '%s' to '%s'", a, b);
	fail(m, &ctx);
	v->st = M_FAILED;
	node_release(m, v);
}

static void slot_fail(struct migrate *m, struct mmove *v, struct mslot *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void slot_fail(struct migrate *m, struct mmove *v, struct mslot *s, const char *fmt, ...)
{
	struct sc_err e;
	va_list ap;

	if (s->st == S_DONE || s->st == S_FAILED)
		return;
	e.kind = ERR_FAIL;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	fail(m, &e);
	if (s->st != S_NEW)
		v->open--;
	s->st = S_FAILED;
	v->left--;
	if (s->keys)
		freeReplyObject(s->keys);
	s->keys = NULL;
}

static const char *node_name(struct migrate *m, int i, char *buf, int len)
{
	return addr_format(&m->nodes[i].addr, buf, len);
}

/* A retryable error on slot s: back off, unless it has lasted too long. */
static void slot_retry(struct migrate *m, struct mmove *v, struct mslot *s, int node,
		       const char *what, const redisReply *r)
{
	long long t = now_ms();
	char desc[300], name[300];
	long long wait;

	if (!s->first_err)
		s->first_err = t;
	if (t - s->first_err > m->o.retry_ms) {
		slot_fail(m, v, s, "slot %d: '%s' on '%s' still failing after %d s: %s", s->slot,
			  what, node_name(m, node, name, sizeof(name)), m->o.retry_ms / 1000,
			  reply_describe(r, desc, sizeof(desc)));
		return;
	}
	wait = (t - s->first_err) / 4;
	if (wait < 20)
		wait = 20;
	if (wait > 1000)
		wait = 1000;
	s->retry_at = t + wait;
}

static void slot_ok(struct mslot *s)
{
	s->first_err = 0;
	s->retry_at = 0;
}

static int send_argv(struct migrate *m, int node, int mi, int si, enum op op, int n,
		     int argc, const char **argv, const size_t *lens)
{
	struct mconn *mc = &m->conns[node];
	struct sc_err e;
	struct conn *c;

	if (mc->dead)
		return -1;
	c = node_conn(m, node, &e);
	if (c && conn_append_argv(c, argc, argv, lens) < 0) {
		e = c->err;
		c = NULL;
	}
	if (!c) {
		if (op == OP_NODE_OTHER)
			mc->dead = 1; /* best effort only: gossip will tell it */
		else
			move_lost(m, mi, &e);
		return -1;
	}
	if (push(m, node, mi, si, op, n) < 0) {
		err_set(&e, ERR_FAIL, "out of memory");
		move_lost(m, mi, &e);
		return -1;
	}
	return 0;
}

static int send_setslot(struct migrate *m, int node, int mi, int si, enum op op,
			const char *how, const char *id)
{
	char slot[16];
	const char *argv[5] = { "CLUSTER", "SETSLOT", slot, how, id };
	size_t lens[5];

	snprintf(slot, sizeof(slot), "%d", m->mv[mi].s[si].slot);
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	return send_argv(m, node, mi, si, op, 0, 5, argv, lens);
}

static int send_getkeys(struct migrate *m, int mi, int si, int count)
{
	char slot[16], cnt[16];
	const char *argv[4] = { "CLUSTER", "GETKEYSINSLOT", slot, cnt };
	size_t lens[4];

	snprintf(slot, sizeof(slot), "%d", m->mv[mi].s[si].slot);
	snprintf(cnt, sizeof(cnt), "%d", count);
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(argv[i]);
	return send_argv(m, m->mv[mi].src, mi, si, OP_GETKEYS, 0, 4, argv, lens);
}

/* MIGRATE host port "" 0 timeout [AUTH pw | AUTH2 user pw] KEYS k1 .. kn:
 * never REPLACE, never COPY (the source deletes each key only once the
 * target has stored it). */
static int send_migrate(struct migrate *m, int mi, int si)
{
	struct mmove *v = &m->mv[mi];
	struct mslot *s = &v->s[si];
	const struct conn_opts *co = m->o.conn;
	int n = (int)s->keys->elements, argc = 0, rc = -1;
	char port[16], tmo[16];
	const char **argv = malloc(sizeof(*argv) * (size_t)(n + 16));
	size_t *lens = malloc(sizeof(*lens) * (size_t)(n + 16));

	if (!argv || !lens) {
		struct sc_err e;
		err_set(&e, ERR_FAIL, "out of memory");
		move_lost(m, mi, &e);
		goto out;
	}
	snprintf(port, sizeof(port), "%d", m->nodes[v->dst].addr.port);
	snprintf(tmo, sizeof(tmo), "%d", m->o.migrate_timeout_ms);
	argv[argc++] = "MIGRATE";
	argv[argc++] = m->nodes[v->dst].ip[0] ? m->nodes[v->dst].ip : m->nodes[v->dst].addr.host;
	argv[argc++] = port;
	argv[argc++] = "";
	argv[argc++] = "0";
	argv[argc++] = tmo;
	if (co && co->password && co->user) {
		argv[argc++] = "AUTH2";
		argv[argc++] = co->user;
		argv[argc++] = co->password;
	} else if (co && co->password) {
		argv[argc++] = "AUTH";
		argv[argc++] = co->password;
	}
	argv[argc++] = "KEYS";
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	for (int i = 0; i < n; i++) {
		const redisReply *k = s->keys->element[i];
		if (!k || k->type != REDIS_REPLY_STRING) {
			slot_fail(m, v, s, "slot %d: unexpected GETKEYSINSLOT reply", s->slot);
			goto out;
		}
		argv[argc] = k->str;
		lens[argc++] = k->len;
	}
	rc = send_argv(m, v->src, mi, si, OP_MIGRATE, n, argc, argv, lens);
out:
	free(argv);
	free(lens);
	if (s->keys)
		freeReplyObject(s->keys);
	s->keys = NULL;
	return rc;
}

static void slot_closed(struct migrate *m, struct mmove *v, struct mslot *s)
{
	slot_ok(s);
	s->st = S_DONE;
	v->open--;
	v->left--;
	m->slots_done++;
	v->bcast[v->nb++] = (int)(s - v->s);
}

/* One reply, for the command `p` describes. */
static void handle(struct migrate *m, int node, const struct pend *p, redisReply *r)
{
	struct mmove *v = &m->mv[p->move];
	struct mslot *s = &v->s[p->si];
	char a[300], b[300], desc[300];
	enum reply_class rc = reply_class(r);
	int ioerr;

	if (p->op == OP_NODE_OTHER || v->st != M_RUNNING || s->st == S_FAILED)
		return; /* other masters learn by gossip anyway */
	node_name(m, v->src, a, sizeof(a));
	node_name(m, v->dst, b, sizeof(b));
	switch (p->op) {
	case OP_IMPORTING:
		if (reply_is_status(r, "OK")) {
			slot_ok(s);
			s->st = S_MIG;
		} else if (err_says(r, MSG_ALREADY_OWNER)) {
			/* a killed run got as far as SETSLOT NODE on the target:
			 * only the source is left to close, and it refuses while
			 * it still holds keys of the slot */
			slot_ok(s);
			s->st = S_CLO;
		} else if (reply_class_retryable(rc) || err_says(r, MSG_UNKNOWN_NODE)) {
			slot_retry(m, v, s, node, "CLUSTER SETSLOT IMPORTING", r);
		} else {
			slot_fail(m, v, s, "slot %d: cannot import it on '%s' from '%s': %s", s->slot, b, a,
				  reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_MIGRATING:
		if (reply_is_status(r, "OK")) {
			slot_ok(s);
			s->st = S_ACT;
		} else if (reply_class_retryable(rc) || err_says(r, MSG_UNKNOWN_NODE)) {
			slot_retry(m, v, s, node, "CLUSTER SETSLOT MIGRATING", r);
		} else {
			slot_fail(m, v, s, "slot %d: cannot migrate it from '%s' to '%s': %s", s->slot, a, b,
				  reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_GETKEYS:
		if (s->st != S_ACT)
			break;
		if (r->type == REDIS_REPLY_ARRAY) {
			if (s->keys)
				freeReplyObject(s->keys);
			s->keys = NULL;
			if (r->elements == 0)
				s->st = S_DRN;
			else if (r->elements > 0)
				s->keys = r; /* kept: the caller must not free it */
		} else if (reply_class_retryable(rc)) {
			slot_retry(m, v, s, node, "CLUSTER GETKEYSINSLOT", r);
		} else {
			slot_fail(m, v, s, "slot %d: cannot list its keys on '%s': %s", s->slot, a,
				  reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_MIGRATE:
		rc = migrate_class(r, &ioerr);
		if (reply_is_status(r, "OK") || reply_is_status(r, "NOKEY")) {
			slot_ok(s);
			m->keys_moved += p->n;
		} else if (rc == RC_BUSYKEY) {
			s->busy_diag = 1; /* the key is named after this round */
		} else if (ioerr) {
			/* the keys not yet moved are still on the source: retry
			 * with a smaller batch in case the batch was too slow */
			if (v->batch > 1)
				v->batch /= 2;
			slot_retry(m, v, s, node, "MIGRATE", r);
		} else if (reply_class_retryable(rc) || rc == RC_ASK || rc == RC_MOVED) {
			slot_retry(m, v, s, node, "MIGRATE", r);
		} else {
			slot_fail(m, v, s, "slot %d: MIGRATE from '%s' to '%s' failed: %s", s->slot, a, b,
				  reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_NODE_DST:
		if (reply_is_status(r, "OK")) {
			slot_ok(s);
			s->st = S_CLO;
		} else if (reply_class_retryable(rc)) {
			slot_retry(m, v, s, node, "CLUSTER SETSLOT NODE", r);
		} else {
			slot_fail(m, v, s, "slot %d: '%s' refused to take it over: %s", s->slot, b,
				  reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_NODE_SRC:
		if (reply_is_status(r, "OK") || err_says(r, MSG_ONLY_MASTERS)) {
			slot_closed(m, v, s);
		} else if (reply_class_retryable(rc)) {
			slot_retry(m, v, s, node, "CLUSTER SETSLOT NODE", r);
		} else {
			slot_fail(m, v, s, "slot %d: '%s' refused to hand it to '%s': %s; "
				  "run 'shardctl fix'", s->slot, a, b, reply_describe(r, desc, sizeof(desc)));
		}
		break;
	case OP_NODE_OTHER:
		break;
	}
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
					move_lost(m, p->move, mc->c ? &mc->c->err : &m->err);
				continue;
			}
			handle(m, i, p, r);
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
				sent += send_setslot(m, v->dst, mi, si, OP_IMPORTING, "IMPORTING", src_id) == 0;
			else if (s->st == S_DRN)
				sent += send_setslot(m, v->dst, mi, si, OP_NODE_DST, "NODE", dst_id) == 0;
		}
		while (!m->failed && v->st == M_RUNNING && v->open < m->o.window && v->next_new < v->ns) {
			int si = v->next_new++;
			v->s[si].st = S_IMP;
			v->open++;
			sent += send_setslot(m, v->dst, mi, si, OP_IMPORTING, "IMPORTING", src_id) == 0;
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
					sent += send_setslot(m, k, mi, v->bcast[b], OP_NODE_OTHER, "NODE", dst_id) == 0;
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
				sent += send_setslot(m, v->src, mi, si, OP_MIGRATING, "MIGRATING", dst_id) == 0;
			} else if (s->st == S_CLO) {
				sent += send_setslot(m, v->src, mi, si, OP_NODE_SRC, "NODE", dst_id) == 0;
			}
		}
		for (int si = lo; si < v->next_new && v->st == M_RUNNING; si++) {
			struct mslot *s = &v->s[si];
			if (s->retry_at > t || s->busy_diag)
				continue;
			if (s->st == S_MIG) {
				sent += send_getkeys(m, mi, si, count) == 0;
			} else if (s->st == S_ACT) {
				if (s->keys)
					sent += send_migrate(m, mi, si) == 0;
				if (v->st == M_RUNNING && s->st == S_ACT)
					sent += send_getkeys(m, mi, si, count) == 0;
			}
		}
	}
	return sent;
}

static void print_key(char *out, int len, const char *k, size_t klen)
{
	int j = 0;

	for (size_t i = 0; i < klen && j < len - 4; i++)
		out[j++] = (k[i] >= 0x20 && k[i] < 0x7f && k[i] != '\'') ? k[i] : '?';
	if (klen > (size_t)(len - 4))
		out[j++] = '.', out[j++] = '.', out[j++] = '.';
	out[j] = '\0';
}

/* After a BUSYKEY: find a key of the slot present on both nodes, to name it.
 * Runs between rounds (no reply is pending on any connection). */
static void busykey_diagnose(struct migrate *m, int mi, struct mslot *s)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err e;
	struct conn *src = node_conn(m, v->src, &e), *dst = node_conn(m, v->dst, &e);
	redisReply *keys = NULL, *r;
	char a[300], b[300], key[120] = "?";

	node_name(m, v->src, a, sizeof(a));
	node_name(m, v->dst, b, sizeof(b));
	if (src && dst)
		keys = conn_command(src, "CLUSTER GETKEYSINSLOT %d %d", s->slot, 1000);
	if (keys && keys->type == REDIS_REPLY_ARRAY) {
		/* EXISTS on an importing slot needs ASKING first, or the
		 * target redirects to the source */
		for (size_t i = 0; i < keys->elements; i++) {
			const redisReply *k = keys->element[i];
			if (k->type == REDIS_REPLY_STRING) {
				conn_append(dst, "ASKING");
				conn_append(dst, "EXISTS %b", k->str, k->len);
			}
		}
		for (size_t i = 0; i < keys->elements; i++) {
			const redisReply *k = keys->element[i];
			if (k->type != REDIS_REPLY_STRING)
				continue;
			if ((r = conn_read(dst)))
				freeReplyObject(r);
			if ((r = conn_read(dst))) {
				if (r->type == REDIS_REPLY_INTEGER && r->integer == 1 && key[0] == '?')
					print_key(key, sizeof(key), k->str, k->len);
				freeReplyObject(r);
			}
		}
	}
	if (keys)
		freeReplyObject(keys);
	s->busy_diag = 0;
	slot_fail(m, v, s, "slot %d: key '%s' exists on both '%s' and its new owner '%s' (BUSYKEY); "
		  "nothing was overwritten and the slot is left open: remove the wrong copy, then run "
		  "'shardctl fix'", s->slot, key, a, b);
}

/* Start move mi: count its keys (for progress) and size its batches from the
 * source's average value size.  Synchronous: runs between rounds. */
static void move_start(struct migrate *m, int mi)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err e;
	struct conn *src = node_conn(m, v->src, &e);
	redisReply *r;
	long long dataset = -1, keys = -1, avg;
	char val[64];
	int tmo;

	v->st = M_RUNNING;
	m->conns[v->src].busy++;
	m->conns[v->dst].busy++;
	if (!src || !node_conn(m, v->dst, &e)) {
		move_lost(m, mi, &e);
		return;
	}
	/* MIGRATE blocks the source for its whole exchange with the target */
	tmo = m->o.conn ? m->o.conn->command_timeout_ms : 10000;
	if (conn_set_timeout(src, tmo + 2 * m->o.migrate_timeout_ms) < 0) {
		move_lost(m, mi, &src->err);
		return;
	}
	conn_append(src, "INFO memory");
	conn_append(src, "DBSIZE");
	for (int i = 0; i < v->ns; i++)
		conn_append(src, "CLUSTER COUNTKEYSINSLOT %d", v->s[i].slot);
	conn_flush(src);
	for (int i = 0; i < v->ns + 2; i++) {
		if (!(r = conn_read(src))) {
			move_lost(m, mi, &src->err);
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
	long long start = now_ms(), t, next;
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
		t = now_ms();
		sent = phase_targets(m, t);
		sent += phase_sources(m, t);
		flush_all(m);
		read_all(m);
		for (int mi = 0; mi < m->nmv; mi++) {
			struct mmove *v = &m->mv[mi];
			for (int si = window_lo(v); v->st == M_RUNNING && si < v->next_new; si++)
				if (v->s[si].busy_diag)
					busykey_diagnose(m, mi, &v->s[si]);
			if (v->st == M_RUNNING && move_over(m, v)) {
				v->st = M_DONE;
				node_release(m, v);
			}
		}
		t = now_ms();
		if (!sent) {
			/* everything in flight waits for a retry: back off briefly */
			next = t + 200;
			for (int mi = 0; mi < m->nmv; mi++) {
				struct mmove *v = &m->mv[mi];
				for (int si = window_lo(v); v->st == M_RUNNING && si < v->next_new; si++)
					if (v->s[si].retry_at > t && v->s[si].retry_at < next)
						next = v->s[si].retry_at;
			}
			sleep_ms(next - t);
			t = now_ms();
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
