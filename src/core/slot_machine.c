/* slot_machine.c - see slot_machine.h.
 *
 * The rules, with their reasons:
 * - IMPORTING "already the owner": a killed run got as far as NODE on the
 *   target; only the source is left to close, and it refuses while it still
 *   holds keys of the slot.
 * - "unknown node" on IMPORTING/MIGRATING: the node has not heard of the
 *   other one yet (a node just joined); gossip fixes it, so wait.
 * - NOREPLICAS (Valkey 8+ replicates SETSLOT before applying it): the
 *   replicas have the change, the primary not; every SETSLOT form is
 *   idempotent, so the same command is sent again.  On MIGRATE (a write:
 *   min-replicas-to-write) nothing was done, so it is safe to send again too.
 * - UNBLOCKED: the node turned replica while the command waited for its
 *   replicas, and closed the connection.  On the source's NODE it means the
 *   source lost its last slot and follows the target: the slot is closed, as
 *   with "only with masters" (its new master already owns the slot).
 *   Elsewhere the command is sent again on a new connection, and the real
 *   answer decides.
 * - MIGRATE: BUSYKEY stops the slot (never REPLACE); IOERR leaves the keys
 *   not yet moved on the source, so the batch is retried, smaller in case it
 *   was too slow; ASK/MOVED relayed from the target (its view is behind) and
 *   TRYAGAIN/CLUSTERDOWN/LOADING pass with time.
 * - NODE on the source: "only with masters" means the source just became a
 *   replica (it lost its last slot): fine, its master learns the owner by
 *   gossip.  "Unknown node": the source does not know the target (seen
 *   once on Valkey 9.1, on the rerun after a source master was killed mid-
 *   move: the replica that took over refused NODE for the move's target);
 *   the target owns the slot already and gossip teaches the source, so
 *   wait, as on IMPORTING/MIGRATING.
 * - Databases: a slot is DRAINED only once every database is empty, since
 *   SETSLOT NODE checks (and a source that learns the new owner by gossip
 *   deletes) the keys of every database.  COUNT with keys left sends the
 *   slot back over the databases (RESCAN), never to NODE; so does a source
 *   refusing NODE because it still holds keys (its MIGRATE to the owner
 *   still works: the owner takes RESTORE-ASKING).
 */
#include "core/slot_machine.h"

#include <stddef.h>

/* The replies with a rule of their own, for the command each state waits
 * for.  Every other reply to that command fails the slot. */
static const struct rule {
	enum slot_state state;
	enum slot_op op;
	enum slot_reply reply;
	enum slot_state next;
	enum slot_verdict verdict;
} rules[] = {
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_OK, SLOT_MIGRATING, SLOT_ADVANCE },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_ALREADY_OWNER, SLOT_CLOSING, SLOT_ADVANCE },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_UNKNOWN_NODE, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_RETRYABLE, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_NOREPLICAS, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_UNBLOCKED, SLOT_IMPORTING, SLOT_RETRY },

	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_OK, SLOT_MOVING, SLOT_ADVANCE },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_UNKNOWN_NODE, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_RETRYABLE, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_NOREPLICAS, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_UNBLOCKED, SLOT_MIGRATING, SLOT_RETRY },

	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_MOVING, SLOT_CONTINUE },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY, SLOT_DRAINED, SLOT_CONTINUE },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_MOVING, SLOT_NEXT_DB },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },

	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_MOVING, SLOT_ADVANCE },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_BUSYKEY, SLOT_MOVING, SLOT_BUSYKEY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_IOERR, SLOT_MOVING, SLOT_RETRY_SMALLER },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_REDIRECT, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_NOREPLICAS, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },

	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_EMPTY, SLOT_DRAINED, SLOT_ADVANCE },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_KEYS, SLOT_MOVING, SLOT_RESCAN },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },

	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_OK, SLOT_CLOSING, SLOT_ADVANCE },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_RETRYABLE, SLOT_DRAINED, SLOT_RETRY },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_NOREPLICAS, SLOT_DRAINED, SLOT_RETRY },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_UNBLOCKED, SLOT_DRAINED, SLOT_RETRY },

	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_OK, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_ONLY_MASTERS, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_UNBLOCKED, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_RETRYABLE, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_NOREPLICAS, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_UNKNOWN_NODE, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_HOLDS_KEYS, SLOT_MOVING, SLOT_RESCAN },
};

/* The commands each state waits for, and why the slot fails when one of
 * them gets a reply without a rule. */
static const struct expect {
	enum slot_state state;
	enum slot_op op;
	enum slot_reason why;
} expects[] = {
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_WHY_IMPORT_REFUSED },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_WHY_MIGRATING_REFUSED },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_WHY_KEYS_UNLISTED },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_WHY_MIGRATE_FAILED },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_WHY_UNCOUNTED },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_WHY_TAKEOVER_REFUSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_WHY_HANDOVER_REFUSED },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct slot_step slot_machine_next(enum slot_state state, enum slot_op op, enum slot_reply reply)
{
	struct slot_step step = { state, SLOT_IGNORE, SLOT_WHY_NONE };
	const struct expect *x = NULL;

	for (size_t i = 0; i < COUNT(expects) && !x; i++)
		if (expects[i].state == state && expects[i].op == op)
			x = &expects[i];
	if (!x)
		return step; /* stale, finished, or another master's NODE */
	for (size_t i = 0; i < COUNT(rules); i++) {
		const struct rule *r = &rules[i];
		if (r->state == state && r->op == op && r->reply == reply) {
			step.next = r->next;
			step.verdict = r->verdict;
			return step;
		}
	}
	step.next = SLOT_FAILED;
	step.verdict = SLOT_FAIL;
	step.why = x->why;
	return step;
}

#define NAME(table, i) ((size_t)(i) < COUNT(table) ? (table)[i] : "?")

const char *slot_state_name(enum slot_state s)
{
	static const char *names[] = { "queued", "importing", "migrating", "moving",
				       "drained", "closing", "done", "failed" };
	return NAME(names, s);
}

const char *slot_op_name(enum slot_op op)
{
	static const char *names[] = { "importing", "migrating", "getkeys", "migrate",
				       "node-target", "node-source", "node-other", "count", "select" };
	return NAME(names, op);
}

const char *slot_reply_name(enum slot_reply r)
{
	static const char *names[] = { "ok", "keys", "empty", "empty-db", "already-owner", "unknown-node",
				       "only-masters", "holds-keys", "busykey", "ioerr", "redirect", "retryable",
				       "noreplicas", "unblocked", "other" };
	return NAME(names, r);
}

const char *slot_verdict_name(enum slot_verdict v)
{
	static const char *names[] = { "advance", "continue", "retry", "retry-smaller",
				       "busykey", "closed", "fail", "ignore", "next-db", "rescan" };
	return NAME(names, v);
}

const char *slot_reason_name(enum slot_reason why)
{
	static const char *names[] = { "none", "import-refused", "migrating-refused", "keys-unlisted",
				       "migrate-failed", "takeover-refused", "handover-refused", "uncounted" };
	return NAME(names, why);
}
