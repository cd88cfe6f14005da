/* migrate_slot.c - the per-slot state machine of migrate.c (see there for
 * the rounds that drive it): the commands a slot sends and what each reply
 * does to it.
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
#include "base/clock.h"
#include "engine/migrate_slot.h"
#include "base/vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int push(struct migrate *m, int node, int move, int si, enum op op, int n)
{
	struct mconn *mc = &m->conns[node];

	if (vec_grow((void **)&mc->q, &mc->qcap, mc->qn + 1, sizeof(*mc->q), 64) < 0)
		return -1;
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
	migrate_fail(m, &e);
	if (s->st != S_NEW)
		v->open--;
	s->st = S_FAILED;
	v->left--;
	if (s->keys)
		freeReplyObject(s->keys);
	s->keys = NULL;
}

/* A retryable error on slot s: back off, unless it has lasted too long. */
static void slot_retry(struct migrate *m, struct mmove *v, struct mslot *s, int node,
		       const char *what, const redisReply *r)
{
	long long t = clock_now_ms();
	char desc[300], name[300];
	long long wait;

	if (!s->first_err)
		s->first_err = t;
	if (t - s->first_err > m->o.retry_ms) {
		slot_fail(m, v, s, "slot %d: '%s' on '%s' still failing after %d s: %s", s->slot,
			  what, migrate_node_name(m, node, name, sizeof(name)), m->o.retry_ms / 1000,
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
	c = migrate_conn(m, node, &e);
	if (c && conn_append_argv(c, argc, argv, lens) < 0) {
		e = c->err;
		c = NULL;
	}
	if (!c) {
		if (op == OP_NODE_OTHER)
			mc->dead = 1; /* best effort only: gossip will tell it */
		else
			migrate_move_lost(m, mi, &e);
		return -1;
	}
	if (push(m, node, mi, si, op, n) < 0) {
		err_set(&e, ERR_FAIL, "out of memory");
		migrate_move_lost(m, mi, &e);
		return -1;
	}
	return 0;
}

int migrate_slot_setslot(struct migrate *m, int node, int mi, int si, enum op op,
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

int migrate_slot_getkeys(struct migrate *m, int mi, int si, int count)
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
int migrate_slot_migrate(struct migrate *m, int mi, int si)
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
		migrate_move_lost(m, mi, &e);
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
void migrate_slot_handle(struct migrate *m, int node, const struct pend *p, redisReply *r)
{
	struct mmove *v = &m->mv[p->move];
	struct mslot *s = &v->s[p->si];
	char a[300], b[300], desc[300];
	enum reply_class rc = reply_class(r);
	int ioerr;

	if (p->op == OP_NODE_OTHER || v->st != M_RUNNING || s->st == S_FAILED)
		return; /* other masters learn by gossip anyway */
	migrate_node_name(m, v->src, a, sizeof(a));
	migrate_node_name(m, v->dst, b, sizeof(b));
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
void migrate_slot_busykey(struct migrate *m, int mi, struct mslot *s)
{
	struct mmove *v = &m->mv[mi];
	struct sc_err e;
	struct conn *src = migrate_conn(m, v->src, &e), *dst = migrate_conn(m, v->dst, &e);
	redisReply *keys = NULL, *r;
	char a[300], b[300], key[120] = "?";

	migrate_node_name(m, v->src, a, sizeof(a));
	migrate_node_name(m, v->dst, b, sizeof(b));
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
