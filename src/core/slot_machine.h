/* slot_machine.h - the life of one slot in a legacy slot move, as a pure
 * transition: (state, the command whose reply arrived, the reply's class)
 * -> (next state, what the driver must do).  It is fed, it never reaches
 * out: the engine (engine/migrate_slot.c) sends the commands, classifies
 * each reply into a `enum slot_reply`, asks slot_machine_next() and applies
 * the verdict (counters, backoff, messages).  Pure: no I/O, no clock.
 *
 * A slot goes through these states, one or two per round of the driver:
 *   QUEUED -> IMPORTING (in the window; IMPORTING due on the target)
 *          -> MIGRATING (target importing; MIGRATING due on the source)
 *          -> MOVING    (source migrating; GETKEYSINSLOT / MIGRATE batches)
 *          -> DRAINED   (no key left on the source; NODE due on the target)
 *          -> CLOSING   (target owns it; NODE due on the source)
 *          -> DONE                 or FAILED (left open for `shardctl fix`)
 * A target that already owns the slot (a killed run got as far as NODE on
 * the target) answers IMPORTING with "already the owner": IMPORTING ->
 * CLOSING, only the source is left to close.
 *
 * Databases (Valkey 9 `cluster-databases` > 1): MOVING drains the slot one
 * database at a time.  An empty GETKEYSINSLOT with another database left is
 * EMPTY_DB: NEXT_DB, the driver selects the next database and goes on.
 * Where the source can count a slot over every database (CLUSTER
 * SLOT-STATS), the last database is followed by COUNT: zero keys -> DRAINED;
 * keys left (a database that gained keys after the driver listed them) ->
 * RESCAN, the driver reads the databases again and walks them once more.
 * With one database nothing of this happens: GETKEYS EMPTY -> DRAINED.
 * A source that refuses NODE because it still holds keys of the slot (a
 * target that already owned the slot, left so by a run that drained only
 * database 0) goes back to MOVING the same way (RESCAN): its keys are
 * moved to the owner, then NODE is sent again.
 *
 * Each state expects the replies of its own commands only (IMPORTING:
 * IMPORTING; MIGRATING: MIGRATING; MOVING: GETKEYS and MIGRATE; DRAINED: NODE
 * on the target; CLOSING: NODE on the source).  A reply of another command
 * is stale (e.g. the GETKEYSINSLOT pipelined behind a MIGRATING that must be
 * retried) and ignored, as is every reply to a slot that is DONE or FAILED
 * and every reply of NODE on the other masters (they learn by gossip
 * anyway).  An expected reply whose class has no rule of its own fails the
 * slot, with the reason of its command.
 */
#ifndef SHARDCTL_SLOT_MACHINE_H
#define SHARDCTL_SLOT_MACHINE_H

enum slot_state {
	SLOT_QUEUED,      /* not in the window yet: nothing sent */
	SLOT_IMPORTING,   /* IMPORTING due on the target */
	SLOT_MIGRATING,   /* the target imports; MIGRATING due on the source */
	SLOT_MOVING,      /* the source migrates; keys listed and moved */
	SLOT_DRAINED,     /* no key left on the source; NODE due on the target */
	SLOT_CLOSING,     /* the target owns it; NODE due on the source */
	SLOT_DONE,        /* moved and closed on both sides */
	SLOT_FAILED,      /* stopped; left open for `shardctl fix` */
};

/* The command whose reply arrived. */
enum slot_op {
	SLOT_OP_IMPORTING,    /* CLUSTER SETSLOT s IMPORTING src, on the target */
	SLOT_OP_MIGRATING,    /* CLUSTER SETSLOT s MIGRATING dst, on the source */
	SLOT_OP_GETKEYS,      /* CLUSTER GETKEYSINSLOT s n, on the source */
	SLOT_OP_MIGRATE,      /* MIGRATE ... KEYS ..., on the source */
	SLOT_OP_NODE_TARGET,  /* CLUSTER SETSLOT s NODE dst, on the target */
	SLOT_OP_NODE_SOURCE,  /* the same, on the source */
	SLOT_OP_NODE_OTHER,   /* the same, on another master (best effort) */
	SLOT_OP_COUNT,        /* CLUSTER SLOT-STATS SLOTSRANGE s s, on the
				 source: its key-count covers every database */
	SLOT_OP_SELECT,       /* SELECT db before key commands, on the source;
				 its reply is the driver's (never the machine's:
				 ignored here) */
};

/* The reply, as the engine classified it (the server's words are matched in
 * cluster/conn.c only). */
enum slot_reply {
	SLOT_REPLY_OK,            /* +OK (MIGRATE: also +NOKEY) */
	SLOT_REPLY_KEYS,          /* a non-empty array (GETKEYSINSLOT); COUNT:
				     keys left */
	SLOT_REPLY_EMPTY,         /* an empty array: no key left (in the last
				     database to drain); COUNT: zero keys */
	SLOT_REPLY_EMPTY_DB,      /* an empty array, and another database of
				     the source (or the COUNT) is still due */
	SLOT_REPLY_ALREADY_OWNER, /* "I'm already the owner of hash slot" */
	SLOT_REPLY_UNKNOWN_NODE,  /* the node does not know the other one yet */
	SLOT_REPLY_ONLY_MASTERS,  /* "use SETSLOT only with masters": a replica */
	SLOT_REPLY_HOLDS_KEYS,    /* "still hold keys for this hash slot": the
				     source's NODE before it was drained */
	SLOT_REPLY_BUSYKEY,       /* the target already has a key of the batch */
	SLOT_REPLY_IOERR,         /* MIGRATE could not finish with the target */
	SLOT_REPLY_REDIRECT,      /* ASK / MOVED */
	SLOT_REPLY_RETRYABLE,     /* TRYAGAIN, CLUSTERDOWN, LOADING; or a command
				     the server never read (it closed the
				     connection after an UNBLOCKED reply) */
	SLOT_REPLY_NOREPLICAS,    /* Valkey 8+: the replicas applied the SETSLOT,
				     the primary did not: send it again */
	SLOT_REPLY_UNBLOCKED,     /* Valkey 8+: cut because the node turned
				     replica; the server closed the connection */
	SLOT_REPLY_OTHER,         /* any other error, or an unexpected reply */
};

/* What the driver must do with the slot. */
enum slot_verdict {
	SLOT_ADVANCE,        /* acknowledged: restart the retry clock, go on */
	SLOT_CONTINUE,       /* keys listed (or none left): go on, but a retry
				clock already running for the batch keeps
				running */
	SLOT_RETRY,          /* send the same command again after a backoff,
				until the slot's retry deadline */
	SLOT_RETRY_SMALLER,  /* the same, with a smaller key batch (IOERR) */
	SLOT_BUSYKEY,        /* name a key present on both nodes, then fail
				(the slot stays open: nothing is overwritten) */
	SLOT_CLOSED,         /* the slot is done: tell the other masters */
	SLOT_FAIL,           /* stop the slot (and the job) with `why` */
	SLOT_IGNORE,         /* a stale reply: nothing changes */
	SLOT_NEXT_DB,        /* this database is drained: go on with the next
				database of the source (or its COUNT); a retry
				clock already running keeps running */
	SLOT_RESCAN,         /* keys are left on the source (the COUNT found
				some after every database was drained, or the
				source refused NODE for them): read its
				databases again and walk them once more */
};

/* Why a slot failed: the step that was refused. */
enum slot_reason {
	SLOT_WHY_NONE,
	SLOT_WHY_IMPORT_REFUSED,     /* the target refused IMPORTING */
	SLOT_WHY_MIGRATING_REFUSED,  /* the source refused MIGRATING */
	SLOT_WHY_KEYS_UNLISTED,      /* the source did not list the keys */
	SLOT_WHY_MIGRATE_FAILED,     /* MIGRATE failed for good */
	SLOT_WHY_TAKEOVER_REFUSED,   /* the target refused NODE */
	SLOT_WHY_HANDOVER_REFUSED,   /* the source refused NODE */
	SLOT_WHY_UNCOUNTED,          /* the source did not count the slot */
};

struct slot_step {
	enum slot_state next;
	enum slot_verdict verdict;
	enum slot_reason why;   /* SLOT_FAIL only; else SLOT_WHY_NONE */
};

/* The one transition.  Total: any value of the three enums gives a step
 * (next == state for RETRY*, BUSYKEY and IGNORE; DONE for CLOSED; FAILED
 * for FAIL). */
struct slot_step slot_machine_next(enum slot_state state, enum slot_op op, enum slot_reply reply);

/* Short lowercase names, for logs and test messages ("moving", "getkeys",
 * "noreplicas", "retry", "import-refused", "next-db"). */
const char *slot_state_name(enum slot_state s);
const char *slot_op_name(enum slot_op op);
const char *slot_reply_name(enum slot_reply r);
const char *slot_verdict_name(enum slot_verdict v);
const char *slot_reason_name(enum slot_reason why);

#endif
