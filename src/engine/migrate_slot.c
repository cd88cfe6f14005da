/* migrate_slot.c - see migrate_slot.h: the commands one slot sends, and
 * the reply handling around core/slot_machine.c (which decides what each
 * reply means for the slot; see there for the states).  Here: the reply is
 * classified, the verdict applied (counters, backoff, messages naming the
 * nodes), and every state change goes through slot_enter().
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
 *
 * Databases (Valkey 9 `cluster-databases` > 1; research/server-generations.md
 * B): GETKEYSINSLOT and MIGRATE act on the source connection's selected
 * database, SETSLOT NODE on all of them.  So a slot's keys are drained one
 * database at a time (the source's walk, migrate_job.h: SELECT d, then
 * GETKEYSINSLOT / MIGRATE ... "" d ... until empty), and NODE is sent only
 * once every database is empty (the COUNT, where the source has CLUSTER
 * SLOT-STATS).  The database of the source's lane 0, which alone carries
 * SELECT, GETKEYSINSLOT, MIGRATE and the COUNT, is tracked
 * (job_conn.lane[0].db; SETSLOT lanes never SELECT): SELECT
 * is queued only when it changes, and never on a one-database node.  Keys
 * are MIGRATEd only on a connection known to be on the database they were
 * listed in, and never behind a SELECT whose reply is not read yet: were
 * that SELECT refused, the MIGRATE would move same-named keys of another
 * database into this one.
 */
#include "engine/migrate_slot.h"

#include "base/clock.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One way into a state: the window and the slot counters follow it. */
static void slot_enter(struct migrate *m, struct job_move *v, struct job_slot *s, enum slot_state next)
{
	if (s->st == next || s->st == SLOT_DONE || s->st == SLOT_FAILED)
		return;
	if (s->st == SLOT_QUEUED)
		v->open++; /* into the window */
	if (next == SLOT_DONE || next == SLOT_FAILED) {
		v->open--;
		v->left--;
		if (s->keys)
			freeReplyObject(s->keys);
		s->keys = NULL;
	}
	if (next == SLOT_DONE) {
		m->slots_done++;
		v->bcast[v->nb++] = (int)(s - v->s);
	}
	if (next <= SLOT_MOVING && s - v->s < v->work_lo)
		v->work_lo = (int)(s - v->s); /* back to work (a rescan) */
	v->n_st[s->st]--;
	v->n_st[next]++;
	s->st = next;
}

void migrate_slot_open(struct migrate *m, int mi, int si)
{
	slot_enter(m, &m->mv[mi], &m->mv[mi].s[si], SLOT_IMPORTING);
}

static void slot_fail(struct migrate *m, struct job_move *v, struct job_slot *s, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void slot_fail(struct migrate *m, struct job_move *v, struct job_slot *s, const char *fmt, ...)
{
	struct sc_err e;
	va_list ap;

	if (s->st == SLOT_DONE || s->st == SLOT_FAILED)
		return;
	e.kind = ERR_FAIL;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	migrate_job_fail(m, &e);
	slot_enter(m, v, s, SLOT_FAILED);
}

/* The command an op sends, for messages. */
static const char *op_command(enum slot_op op)
{
	switch (op) {
	case SLOT_OP_IMPORTING:
		return "CLUSTER SETSLOT IMPORTING";
	case SLOT_OP_MIGRATING:
		return "CLUSTER SETSLOT MIGRATING";
	case SLOT_OP_GETKEYS:
		return "CLUSTER GETKEYSINSLOT";
	case SLOT_OP_MIGRATE:
		return "MIGRATE";
	case SLOT_OP_COUNT:
		return "CLUSTER SLOT-STATS";
	case SLOT_OP_SELECT:
		return "SELECT";
	case SLOT_OP_NODE_TARGET:
	case SLOT_OP_NODE_SOURCE:
	case SLOT_OP_NODE_OTHER:
		break;
	}
	return "CLUSTER SETSLOT NODE";
}

/* A retryable error on slot s: back off, unless it has lasted too long. */
static void slot_retry(struct migrate *m, struct job_move *v, struct job_slot *s, int node,
		       enum slot_op op, const redisReply *r)
{
	long long t = clock_now_ms();
	char desc[300], name[300];
	long long wait;

	if (!s->first_err)
		s->first_err = t;
	if (t - s->first_err > m->o.retry_ms) {
		slot_fail(m, v, s, "slot %d: '%s' on '%s' still failing after %d s: %s", s->slot,
			  op_command(op), migrate_job_node_name(m, node, name, sizeof(name)),
			  m->o.retry_ms / 1000, reply_describe(r, desc, sizeof(desc)));
		return;
	}
	wait = (t - s->first_err) / 4;
	if (wait < 20)
		wait = 20;
	if (wait > 1000)
		wait = 1000;
	s->retry_at = t + wait;
}

static void slot_ok(struct job_slot *s)
{
	s->first_err = 0;
	s->retry_at = 0;
}

static int send_argv(struct migrate *m, int node, int mi, int si, enum slot_op op, int n, int db,
		     int argc, const char **argv, const size_t *lens)
{
	struct job_conn *jc = &m->conns[node];
	struct sc_err e;
	struct conn *c;
	int lane = 0;

	if (jc->dead)
		return -1;
	c = migrate_job_conn(m, node, &e);
	if (c && (lane = migrate_job_lane(m, node, op)) > 0)
		c = migrate_job_lane_conn(m, node, lane, &e);
	if (c && conn_append_argv(c, argc, argv, lens) < 0) {
		e = c->err;
		c = NULL;
	}
	if (!c) {
		if (op == SLOT_OP_NODE_OTHER)
			jc->dead = 1; /* best effort only: gossip will tell it */
		else
			migrate_job_move_lost(m, mi, &e);
		return -1;
	}
	if (migrate_job_expect(m, node, lane, mi, si, op, n, db) < 0) {
		err_set(&e, ERR_FAIL, "out of memory");
		migrate_job_move_lost(m, mi, &e);
		return -1;
	}
	return 0;
}

/* CLUSTER SETSLOT s how id, with TIMEOUT ms on Valkey >= 8 (how long the
 * primary waits for its replicas' acknowledgement before NOREPLICAS;
 * research A2).  Never on Redis, which rejects the argument. */
int migrate_slot_setslot(struct migrate *m, int node, int mi, int si, enum slot_op op,
			const char *how, const char *id)
{
	char slot[16], tmo[16];
	const char *argv[7] = { "CLUSTER", "SETSLOT", slot, how, id, "TIMEOUT", tmo };
	size_t lens[7];
	int ms = migrate_job_setslot_timeout(m, node), argc = ms > 0 ? 7 : 5;

	snprintf(slot, sizeof(slot), "%d", m->mv[mi].s[si].slot);
	snprintf(tmo, sizeof(tmo), "%d", ms);
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (send_argv(m, node, mi, si, op, 0, 0, argc, argv, lens) < 0)
		return -1;
	m->conns[node].round_setslots++;
	return 0;
}

/* Put the source's lane 0 (the connection of its key commands) on database db: 1 when it is there already
 * (nothing queued; always so with one database), 0 when SELECT was queued,
 * -1 when the move was lost. */
static int source_select(struct migrate *m, int mi, int si, int db)
{
	int node = m->mv[mi].src;
	struct job_lane *l0 = &m->conns[node].lane[0];
	char d[16];
	const char *argv[2] = { "SELECT", d };
	size_t lens[2];
	struct sc_err e;

	if (!migrate_job_conn(m, node, &e)) {
		migrate_job_move_lost(m, mi, &e);
		return -1;
	}
	if (l0->db == db)
		return 1;
	snprintf(d, sizeof(d), "%d", db);
	lens[0] = 6;
	lens[1] = strlen(d);
	if (send_argv(m, node, mi, si, SLOT_OP_SELECT, 0, db, 2, argv, lens) < 0)
		return -1;
	l0->db = db;
	l0->db_fresh = 1;
	return 0;
}

int migrate_slot_getkeys(struct migrate *m, int mi, int si, int count)
{
	char slot[16], cnt[16];
	const char *argv[4] = { "CLUSTER", "GETKEYSINSLOT", slot, cnt };
	size_t lens[4];

	int db = m->mv[mi].s[si].db;

	if (source_select(m, mi, si, db) < 0)
		return -1;
	snprintf(slot, sizeof(slot), "%d", m->mv[mi].s[si].slot);
	snprintf(cnt, sizeof(cnt), "%d", count);
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(argv[i]);
	return send_argv(m, m->mv[mi].src, mi, si, SLOT_OP_GETKEYS, 0, db, 4, argv, lens);
}

int migrate_slot_count(struct migrate *m, int mi, int si)
{
	char slot[16];
	const char *argv[5] = { "CLUSTER", "SLOT-STATS", "SLOTSRANGE", slot, slot };
	size_t lens[5];

	snprintf(slot, sizeof(slot), "%d", m->mv[mi].s[si].slot);
	for (int i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	return send_argv(m, m->mv[mi].src, mi, si, SLOT_OP_COUNT, 0, 0, 5, argv, lens);
}

/* MIGRATE host port "" db timeout [AUTH pw | AUTH2 user pw] KEYS k1 .. kn:
 * never REPLACE, never COPY (the source deletes each key only once the
 * target has stored it).  db: the database the keys were listed in, on the
 * source (selected) and on the target (MIGRATE selects it there). */
int migrate_slot_migrate(struct migrate *m, int mi, int si)
{
	struct job_move *v = &m->mv[mi];
	struct job_slot *s = &v->s[si];
	const struct job_lane *l0 = &m->conns[v->src].lane[0]; /* MIGRATE's */
	const struct conn_opts *co = m->o.conn;
	int n = (int)s->keys->elements, argc = 0, rc = -1;
	char port[16], tmo[16], db[16];
	const char **argv = NULL;
	size_t *lens = NULL;
	struct sc_err e;

	if (!migrate_job_conn(m, v->src, &e)) {
		migrate_job_move_lost(m, mi, &e);
		goto out;
	}
	if (l0->db != s->keys_db || l0->db_fresh) {
		rc = 1; /* not sent: the caller lists the keys again */
		goto out;
	}
	argv = malloc(sizeof(*argv) * (size_t)(n + 16));
	lens = malloc(sizeof(*lens) * (size_t)(n + 16));
	if (!argv || !lens) {
		err_set(&e, ERR_FAIL, "out of memory");
		migrate_job_move_lost(m, mi, &e);
		goto out;
	}
	snprintf(port, sizeof(port), "%d", m->nodes[v->dst].addr.port);
	snprintf(tmo, sizeof(tmo), "%d", m->o.migrate_timeout_ms);
	snprintf(db, sizeof(db), "%d", s->keys_db);
	argv[argc++] = "MIGRATE";
	argv[argc++] = m->nodes[v->dst].ip[0] ? m->nodes[v->dst].ip : m->nodes[v->dst].addr.host;
	argv[argc++] = port;
	argv[argc++] = "";
	argv[argc++] = db;
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
	rc = send_argv(m, v->src, mi, si, SLOT_OP_MIGRATE, n, s->keys_db, argc, argv, lens);
out:
	free(argv);
	free(lens);
	if (s->keys)
		freeReplyObject(s->keys);
	s->keys = NULL;
	return rc;
}

/* The reply's class for the machine: the server's error class as conn.c
 * decided it, or the shape of a non-error reply (an empty key list is
 * EMPTY_DB while the source's walk has another database, or the COUNT, to
 * go; the COUNT's key-count is KEYS or EMPTY). */
static enum slot_reply classify(struct migrate *m, struct job_move *v, struct job_slot *s, enum slot_op op,
				const redisReply *r)
{
	long long left;

	if (!r)
		return SLOT_REPLY_RETRYABLE; /* never read: send it again */
	switch (reply_class(r)) {
	case RC_OK:
		break;
	case RC_MOVED:
	case RC_ASK:
		return SLOT_REPLY_REDIRECT;
	case RC_BUSYKEY:
		return SLOT_REPLY_BUSYKEY;
	case RC_TRYAGAIN:
	case RC_CLUSTERDOWN:
	case RC_LOADING:
	case RC_ASM_BUSY: /* an atomic task of the slot still ends */
		return SLOT_REPLY_RETRYABLE;
	case RC_IOERR:
		return SLOT_REPLY_IOERR;
	case RC_NOREPLICAS:
		return SLOT_REPLY_NOREPLICAS;
	case RC_UNBLOCKED:
		return SLOT_REPLY_UNBLOCKED;
	case RC_ALREADY_OWNER:
		return SLOT_REPLY_ALREADY_OWNER;
	case RC_UNKNOWN_NODE:
		return SLOT_REPLY_UNKNOWN_NODE;
	case RC_ONLY_MASTERS:
		return SLOT_REPLY_ONLY_MASTERS;
	case RC_HOLDS_KEYS:
		return SLOT_REPLY_HOLDS_KEYS;
	case RC_NOAUTH:
	case RC_NO_CLUSTER:
	case RC_MASTER_DOWN:
	case RC_OTHER:
		return SLOT_REPLY_OTHER;
	}
	if (op == SLOT_OP_COUNT) {
		if (node_dbs_stats_count(r, s->slot, &left) < 0)
			return SLOT_REPLY_OTHER;
		s->left = left;
		return left > 0 ? SLOT_REPLY_KEYS : SLOT_REPLY_EMPTY;
	}
	if (r->type == REDIS_REPLY_ARRAY) {
		if (r->elements > 0)
			return SLOT_REPLY_KEYS;
		return migrate_job_next_db(m, v->src, s->db) != -2 ? SLOT_REPLY_EMPTY_DB : SLOT_REPLY_EMPTY;
	}
	if (reply_is_status(r, "OK") || (op == SLOT_OP_MIGRATE && reply_is_status(r, "NOKEY")))
		return SLOT_REPLY_OK;
	return SLOT_REPLY_OTHER;
}

/* SLOT_FAIL: the message of each reason (src a, dst b). */
static void slot_refused(struct migrate *m, struct job_move *v, struct job_slot *s, enum slot_reason why,
			 const redisReply *r)
{
	char a[300], b[300], desc[300];

	migrate_job_node_name(m, v->src, a, sizeof(a));
	migrate_job_node_name(m, v->dst, b, sizeof(b));
	reply_describe(r, desc, sizeof(desc));
	switch (why) {
	case SLOT_WHY_IMPORT_REFUSED:
		slot_fail(m, v, s, "slot %d: cannot import it on '%s' from '%s': %s", s->slot, b, a, desc);
		break;
	case SLOT_WHY_MIGRATING_REFUSED:
		slot_fail(m, v, s, "slot %d: cannot migrate it from '%s' to '%s': %s", s->slot, a, b, desc);
		break;
	case SLOT_WHY_KEYS_UNLISTED:
		slot_fail(m, v, s, "slot %d: cannot list its keys on '%s': %s", s->slot, a, desc);
		break;
	case SLOT_WHY_MIGRATE_FAILED:
		slot_fail(m, v, s, "slot %d: MIGRATE from '%s' to '%s' failed: %s", s->slot, a, b, desc);
		break;
	case SLOT_WHY_TAKEOVER_REFUSED:
		slot_fail(m, v, s, "slot %d: '%s' refused to take it over: %s", s->slot, b, desc);
		break;
	case SLOT_WHY_HANDOVER_REFUSED:
		slot_fail(m, v, s, "slot %d: '%s' refused to hand it to '%s': %s; run 'shardctl fix'", s->slot,
			  a, b, desc);
		break;
	case SLOT_WHY_UNCOUNTED:
		slot_fail(m, v, s, "slot %d: cannot count its keys on '%s': %s", s->slot, a, desc);
		break;
	case SLOT_WHY_NONE:
		slot_fail(m, v, s, "slot %d: %s", s->slot, desc);
		break;
	}
}

/* A SELECT's reply.  Refused: the connection's database is unknown from
 * here on (every later key command selects again), and the move stops. */
static void select_done(struct migrate *m, int node, const struct job_reply *p, const redisReply *r)
{
	struct sc_err e;
	char desc[300];

	if (!r || reply_is_status(r, "OK"))
		return; /* NULL: never read; the new connection starts on 0 */
	m->conns[node].lane[0].db = -1; /* SELECT goes on lane 0 only */
	err_set(&e, ERR_FAIL, "cannot select database %d: %s", p->db, reply_describe(r, desc, sizeof(desc)));
	migrate_job_move_lost(m, p->move, &e);
}

/* After MIGRATE's IOERR (the source could not talk to the target): does
 * the target answer us?  A target that does not (killed, its host gone) is
 * not waited for retry_ms: the move fails now naming it (ERR_IO), and the
 * slots it was taking stay open for the next run to finish.  1 when gone.
 * The job's own connections to the target may sit idle (NODE goes there
 * in batches), so a fresh one asks. */
static int target_gone(struct migrate *m, int mi)
{
	const struct migrate_node *t = &m->nodes[m->mv[mi].dst];
	struct conn *c;
	redisReply *r;
	struct sc_err e;
	char name[300], why[sizeof(e.msg)];

	if ((c = conn_open(&t->addr, m->o.conn, &e))) {
		r = conn_command(c, "PING");
		if (r) {
			freeReplyObject(r);
			conn_free(c);
			return 0;
		}
		e = c->err;
		conn_free(c);
	}
	if (e.kind != ERR_IO)
		return 0;
	snprintf(why, sizeof(why), "%s", e.msg);
	err_set(&e, ERR_IO, "lost connection to '%s': it no longer answers (%s)",
		migrate_job_node_name(m, m->mv[mi].dst, name, sizeof(name)), why);
	migrate_job_move_lost(m, mi, &e);
	return 1;
}

void migrate_slot_handle(struct migrate *m, int node, const struct job_reply *p, redisReply *r)
{
	struct job_move *v = &m->mv[p->move];
	struct job_slot *s = &v->s[p->si];
	enum slot_reply class;
	struct slot_step step;

	if (p->op == SLOT_OP_SELECT) {
		select_done(m, node, p, r);
		return;
	}
	if (v->st != MOVE_RUNNING || (p->op == SLOT_OP_GETKEYS && p->db != s->db))
		return; /* a list of a database already left behind is stale */
	class = classify(m, v, s, p->op, r);
	step = slot_machine_next(s->st, p->op, class);
	switch (step.verdict) {
	case SLOT_IGNORE:
		break;
	case SLOT_ADVANCE:
		slot_ok(s);
		if (p->op == SLOT_OP_MIGRATE)
			m->keys_moved += p->n;
		slot_enter(m, v, s, step.next);
		break;
	case SLOT_CONTINUE:
		if (s->keys)
			freeReplyObject(s->keys);
		s->keys = class == SLOT_REPLY_KEYS ? r : NULL; /* kept: the caller must not free it */
		s->keys_db = p->db;
		slot_enter(m, v, s, step.next);
		break;
	case SLOT_NEXT_DB:
		if (s->keys)
			freeReplyObject(s->keys);
		s->keys = NULL;
		s->db = migrate_job_next_db(m, v->src, s->db);
		break;
	case SLOT_RESCAN:
		s->rescan = 1; /* the databases are read again after the round */
		slot_enter(m, v, s, step.next);
		break;
	case SLOT_RETRY_SMALLER:
		/* the keys not yet moved are still on the source: retry with a
		 * smaller batch in case the batch was too slow, unless the
		 * target itself is gone */
		if (class == SLOT_REPLY_IOERR && target_gone(m, p->move))
			break;
		if (v->batch > 1)
			v->batch /= 2;
		slot_retry(m, v, s, node, p->op, r);
		break;
	case SLOT_RETRY:
		slot_retry(m, v, s, node, p->op, r);
		break;
	case SLOT_BUSYKEY:
		s->busy_diag = 1; /* the key is named after this round */
		break;
	case SLOT_CLOSED:
		slot_ok(s);
		slot_enter(m, v, s, SLOT_DONE);
		break;
	case SLOT_FAIL:
		slot_refused(m, v, s, step.why, r);
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

/* Node i's lane 0 on database db, now (between rounds).  NULL when it
 * cannot be opened or refuses the database. */
static struct conn *conn_on_db(struct migrate *m, int i, int db)
{
	struct job_lane *l0 = &m->conns[i].lane[0];
	struct sc_err e;
	struct conn *c = migrate_job_conn(m, i, &e);

	if (c && l0->db != db) {
		l0->db = -1;
		if (conn_ok(c, &e, "SELECT %d", db) < 0)
			return NULL;
		l0->db = db;
	}
	return c;
}

/* After a BUSYKEY: find a key of the slot present on both nodes, to name it.
 * Runs between rounds (no reply is pending on any connection). */
void migrate_slot_busykey(struct migrate *m, int mi, struct job_slot *s)
{
	struct job_move *v = &m->mv[mi];
	int db = s->keys_db;
	struct conn *src = conn_on_db(m, v->src, db), *dst = conn_on_db(m, v->dst, db);
	redisReply *keys = NULL, *r;
	char a[300], b[300], key[120] = "?", where[40] = "";

	migrate_job_node_name(m, v->src, a, sizeof(a));
	migrate_job_node_name(m, v->dst, b, sizeof(b));
	if (db != 0)
		snprintf(where, sizeof(where), " in database %d", db);
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
	slot_fail(m, v, s, "slot %d: key '%s'%s exists on both '%s' and its new owner '%s' (BUSYKEY); "
		  "nothing was overwritten and the slot is left open: remove the wrong copy, then run "
		  "'shardctl fix'", s->slot, key, where, a, b);
}

void migrate_slot_rescan(struct migrate *m, int mi, struct job_slot *s)
{
	struct job_move *v = &m->mv[mi];
	struct sc_err e;
	char a[300];

	s->rescan = 0;
	if (++s->rescans > 3) {
		slot_fail(m, v, s, "slot %d: '%s' still holds keys of it after every database was drained "
			  "(%lld counted last); left open for 'shardctl fix'", s->slot,
			  migrate_job_node_name(m, v->src, a, sizeof(a)), s->left);
		return;
	}
	if (migrate_job_read_dbs(m, v->src, &e) < 0) {
		migrate_job_move_lost(m, mi, &e);
		return;
	}
	s->db = m->dbs[v->src].walk[0];
}
