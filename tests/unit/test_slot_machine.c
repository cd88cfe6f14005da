/* The per-slot machine (core/slot_machine.h) on its own, no sockets: every
 * rule as a row (state, command, reply class -> next state, verdict), then
 * every other combination of the three enums against the two defaults (a
 * command the state waits for fails the slot with its reason; anything else
 * is ignored), and a slot walked from IMPORTING to DONE, once with one
 * database and once over several (NEXT_DB, the all-database COUNT and its
 * RESCAN). */
#include <stdio.h>

#include "core/slot_machine.h"
#include "unit.h"

#define NSTATES (SLOT_FAILED + 1)
#define NOPS (SLOT_OP_SELECT + 1)
#define NREPLIES (SLOT_REPLY_OTHER + 1)

struct row {
	enum slot_state state;
	enum slot_op op;
	enum slot_reply reply;
	enum slot_state next;
	enum slot_verdict verdict;
};

/* Every reply with a rule of its own, for the command each state waits for. */
static const struct row rows[] = {
	/* IMPORTING on the target */
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_OK, SLOT_MIGRATING, SLOT_ADVANCE },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_ALREADY_OWNER, SLOT_CLOSING, SLOT_ADVANCE },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_UNKNOWN_NODE, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_RETRYABLE, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_NOREPLICAS, SLOT_IMPORTING, SLOT_RETRY },
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_UNBLOCKED, SLOT_IMPORTING, SLOT_RETRY },
	/* MIGRATING on the source */
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_OK, SLOT_MOVING, SLOT_ADVANCE },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_UNKNOWN_NODE, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_RETRYABLE, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_NOREPLICAS, SLOT_MIGRATING, SLOT_RETRY },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_REPLY_UNBLOCKED, SLOT_MIGRATING, SLOT_RETRY },
	/* GETKEYSINSLOT on the source */
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_MOVING, SLOT_CONTINUE },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY, SLOT_DRAINED, SLOT_CONTINUE },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_MOVING, SLOT_NEXT_DB },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },
	/* MIGRATE on the source */
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_MOVING, SLOT_ADVANCE },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_BUSYKEY, SLOT_MOVING, SLOT_BUSYKEY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_IOERR, SLOT_MOVING, SLOT_RETRY_SMALLER },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_REDIRECT, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_NOREPLICAS, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },
	/* the all-database count after the last database (cluster-databases > 1) */
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_EMPTY, SLOT_DRAINED, SLOT_ADVANCE },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_KEYS, SLOT_MOVING, SLOT_RESCAN },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_RETRYABLE, SLOT_MOVING, SLOT_RETRY },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_UNBLOCKED, SLOT_MOVING, SLOT_RETRY },
	/* NODE on the target */
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_OK, SLOT_CLOSING, SLOT_ADVANCE },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_RETRYABLE, SLOT_DRAINED, SLOT_RETRY },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_NOREPLICAS, SLOT_DRAINED, SLOT_RETRY },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_UNBLOCKED, SLOT_DRAINED, SLOT_RETRY },
	/* NODE on the source: a source turned replica (only-masters, or cut
	 * by UNBLOCKED) is closed, its new master owns the slot already */
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_OK, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_ONLY_MASTERS, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_UNBLOCKED, SLOT_DONE, SLOT_CLOSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_RETRYABLE, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_NOREPLICAS, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_UNKNOWN_NODE, SLOT_CLOSING, SLOT_RETRY },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_HOLDS_KEYS, SLOT_MOVING, SLOT_RESCAN },
};

/* The command each state waits for, and the reason it fails with. */
static const struct {
	enum slot_state state;
	enum slot_op op;
	enum slot_reason why;
} waits[] = {
	{ SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_WHY_IMPORT_REFUSED },
	{ SLOT_MIGRATING, SLOT_OP_MIGRATING, SLOT_WHY_MIGRATING_REFUSED },
	{ SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_WHY_KEYS_UNLISTED },
	{ SLOT_MOVING, SLOT_OP_MIGRATE, SLOT_WHY_MIGRATE_FAILED },
	{ SLOT_MOVING, SLOT_OP_COUNT, SLOT_WHY_UNCOUNTED },
	{ SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_WHY_TAKEOVER_REFUSED },
	{ SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_WHY_HANDOVER_REFUSED },
};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int checked;

/* One combination against its expected step; both printed on a mismatch. */
static void expect(enum slot_state st, enum slot_op op, enum slot_reply rp, enum slot_state next,
		   enum slot_verdict v, enum slot_reason why)
{
	struct slot_step got = slot_machine_next(st, op, rp);

	checked++;
	if (got.next == next && got.verdict == v && got.why == why) {
		unit_pass++;
		return;
	}
	unit_fail++;
	fprintf(stderr, "%s + %s reply to %s = %s, %s, %s; want %s, %s, %s\n", slot_state_name(st),
		slot_reply_name(rp), slot_op_name(op), slot_state_name(got.next), slot_verdict_name(got.verdict),
		slot_reason_name(got.why), slot_state_name(next), slot_verdict_name(v), slot_reason_name(why));
}

static const struct row *rule_of(int st, int op, int rp)
{
	for (int i = 0; i < COUNT(rows); i++)
		if ((int)rows[i].state == st && (int)rows[i].op == op && (int)rows[i].reply == rp)
			return &rows[i];
	return NULL;
}

static int waits_for(int st, int op, enum slot_reason *why)
{
	for (int i = 0; i < COUNT(waits); i++)
		if ((int)waits[i].state == st && (int)waits[i].op == op) {
			*why = waits[i].why;
			return 1;
		}
	return 0;
}

/* All 8 x 9 x 15 combinations: a row, else a failure for a command the
 * state waits for, else ignored. */
static void test_every_combination(void)
{
	for (int st = 0; st < NSTATES; st++)
		for (int op = 0; op < NOPS; op++)
			for (int rp = 0; rp < NREPLIES; rp++) {
				const struct row *r = rule_of(st, op, rp);
				enum slot_reason why = SLOT_WHY_NONE;

				if (r)
					expect(st, op, rp, r->next, r->verdict, SLOT_WHY_NONE);
				else if (waits_for(st, op, &why))
					expect(st, op, rp, SLOT_FAILED, SLOT_FAIL, why);
				else
					expect(st, op, rp, st, SLOT_IGNORE, SLOT_WHY_NONE);
			}
	CHECK_INT(checked, NSTATES * NOPS * NREPLIES);
}

/* Cases worth naming on their own (they are in the sweep too). */
static void test_named(void)
{
	/* the GETKEYSINSLOT pipelined behind a MIGRATING that must be retried */
	expect(SLOT_MIGRATING, SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_MIGRATING, SLOT_IGNORE, SLOT_WHY_NONE);
	/* other masters learn by gossip: their answers never matter */
	expect(SLOT_DONE, SLOT_OP_NODE_OTHER, SLOT_REPLY_OTHER, SLOT_DONE, SLOT_IGNORE, SLOT_WHY_NONE);
	expect(SLOT_CLOSING, SLOT_OP_NODE_OTHER, SLOT_REPLY_ONLY_MASTERS, SLOT_CLOSING, SLOT_IGNORE,
	       SLOT_WHY_NONE);
	/* a failed slot stays failed */
	expect(SLOT_FAILED, SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_FAILED, SLOT_IGNORE, SLOT_WHY_NONE);
	/* UNBLOCKED means "closed" only on the source's NODE */
	expect(SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_UNBLOCKED, SLOT_DRAINED, SLOT_RETRY, SLOT_WHY_NONE);
	/* only-masters from the target is no success */
	expect(SLOT_DRAINED, SLOT_OP_NODE_TARGET, SLOT_REPLY_ONLY_MASTERS, SLOT_FAILED, SLOT_FAIL,
	       SLOT_WHY_TAKEOVER_REFUSED);
	/* BUSYKEY anywhere but MIGRATE is a plain failure */
	expect(SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_BUSYKEY, SLOT_FAILED, SLOT_FAIL,
	       SLOT_WHY_IMPORT_REFUSED);
	/* keys still on the source: NODE refused, they are moved to the owner
	 * first; any other refusal leaves the slot open */
	expect(SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_HOLDS_KEYS, SLOT_MOVING, SLOT_RESCAN,
	       SLOT_WHY_NONE);
	expect(SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_OTHER, SLOT_FAILED, SLOT_FAIL,
	       SLOT_WHY_HANDOVER_REFUSED);
	/* a source that does not know the target (gossip behind) waits */
	expect(SLOT_CLOSING, SLOT_OP_NODE_SOURCE, SLOT_REPLY_UNKNOWN_NODE, SLOT_CLOSING, SLOT_RETRY, SLOT_WHY_NONE);
	/* databases: an empty database with more to go never drains the slot;
	 * keys counted after the walk send it back over the databases; a
	 * SELECT's reply is the driver's */
	expect(SLOT_MOVING, SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_MOVING, SLOT_NEXT_DB, SLOT_WHY_NONE);
	expect(SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_KEYS, SLOT_MOVING, SLOT_RESCAN, SLOT_WHY_NONE);
	expect(SLOT_MOVING, SLOT_OP_COUNT, SLOT_REPLY_OTHER, SLOT_FAILED, SLOT_FAIL, SLOT_WHY_UNCOUNTED);
	expect(SLOT_MIGRATING, SLOT_OP_COUNT, SLOT_REPLY_EMPTY, SLOT_MIGRATING, SLOT_IGNORE, SLOT_WHY_NONE);
	expect(SLOT_MOVING, SLOT_OP_SELECT, SLOT_REPLY_OTHER, SLOT_MOVING, SLOT_IGNORE, SLOT_WHY_NONE);
	/* ASK relayed by IMPORTING is no reason to wait */
	expect(SLOT_IMPORTING, SLOT_OP_IMPORTING, SLOT_REPLY_REDIRECT, SLOT_FAILED, SLOT_FAIL,
	       SLOT_WHY_IMPORT_REFUSED);
}

/* A slot walked through its life as the engine would feed it. */
static void test_walk(void)
{
	static const struct {
		enum slot_op op;
		enum slot_reply reply;
	} feed[] = {
		{ SLOT_OP_IMPORTING, SLOT_REPLY_NOREPLICAS }, { SLOT_OP_IMPORTING, SLOT_REPLY_OK },
		{ SLOT_OP_MIGRATING, SLOT_REPLY_OK },         { SLOT_OP_GETKEYS, SLOT_REPLY_KEYS },
		{ SLOT_OP_MIGRATE, SLOT_REPLY_IOERR },        { SLOT_OP_GETKEYS, SLOT_REPLY_KEYS },
		{ SLOT_OP_MIGRATE, SLOT_REPLY_OK },           { SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY },
		{ SLOT_OP_NODE_TARGET, SLOT_REPLY_OK },       { SLOT_OP_NODE_SOURCE, SLOT_REPLY_ONLY_MASTERS },
	};
	enum slot_state st = SLOT_IMPORTING;

	for (int i = 0; i < COUNT(feed); i++)
		st = slot_machine_next(st, feed[i].op, feed[i].reply).next;
	CHECK_STR(slot_state_name(st), "done");
}

/* The same over databases 0, 1 and 15 of a source that counts slots: keys
 * in 0 and 15, 1 empty, a count that finds a late key (RESCAN), the walk
 * again, then the count at zero. */
static void test_walk_dbs(void)
{
	static const struct {
		enum slot_op op;
		enum slot_reply reply;
		enum slot_verdict v;
	} feed[] = {
		{ SLOT_OP_IMPORTING, SLOT_REPLY_OK, SLOT_ADVANCE },    { SLOT_OP_MIGRATING, SLOT_REPLY_OK, SLOT_ADVANCE },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_CONTINUE },   { SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_ADVANCE },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_NEXT_DB }, { SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_NEXT_DB },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_CONTINUE },   { SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_ADVANCE },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_NEXT_DB }, { SLOT_OP_COUNT, SLOT_REPLY_KEYS, SLOT_RESCAN },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_KEYS, SLOT_CONTINUE },   { SLOT_OP_MIGRATE, SLOT_REPLY_OK, SLOT_ADVANCE },
		{ SLOT_OP_GETKEYS, SLOT_REPLY_EMPTY_DB, SLOT_NEXT_DB }, { SLOT_OP_COUNT, SLOT_REPLY_EMPTY, SLOT_ADVANCE },
		{ SLOT_OP_NODE_TARGET, SLOT_REPLY_OK, SLOT_ADVANCE },  { SLOT_OP_NODE_SOURCE, SLOT_REPLY_OK, SLOT_CLOSED },
	};
	enum slot_state st = SLOT_IMPORTING;

	for (int i = 0; i < COUNT(feed); i++) {
		struct slot_step step = slot_machine_next(st, feed[i].op, feed[i].reply);
		CHECK_STR(slot_verdict_name(step.verdict), slot_verdict_name(feed[i].v));
		if (i < COUNT(feed) - 3)
			CHECK(step.next == SLOT_MOVING || step.next == SLOT_MIGRATING);
		st = step.next;
	}
	CHECK_STR(slot_state_name(st), "done");
}

int main(void)
{
	CHECK_INT(COUNT(rows), 38);
	test_every_combination();
	test_named();
	test_walk();
	test_walk_dbs();
	return UNIT_DONE("slot_machine");
}
