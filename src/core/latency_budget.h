/* latency_budget.h - how much key work one source node may be given per
 * round of the legacy migrator, so that its clients wait at most a budget.
 *
 * Why a budget: MIGRATE is synchronous (the source's event loop is blocked
 * until the target has stored the keys and replied), and a server runs the
 * commands of one connection's pipeline back to back.  A client request
 * landing on a source during a round waits for what is left of the round's
 * work there: at worst the whole round.  The driver measures that time,
 * the stall (from sending the round to the source's last reply), and feeds
 * it here with the keys the round carried; this decides the keys the next
 * rounds may carry: in all (round_keys: the driver adds MIGRATE calls while
 * they fit, and always allows one) and per MIGRATE call (keys).
 *
 * The rule: a client's p99 is set by the long rounds, not the typical one,
 * and the stall of the same work varies several times from round to round
 * (the target and the source wait to be scheduled; measured on 2 cores at
 * 1M keys: one call of a slot's 61 keys 0.9 ms typical, 1.6 ms p90, 5.6 ms
 * worst).  So the budget bounds the predicted *long* round: the cost of a
 * key is estimated as a smoothed mean plus four mean deviations (the
 * estimator TCP uses for its retransmission timeout, Jacobson 1988), and a
 * round carries the keys that cost fits into the budget:
 *     cost  += (x - cost) / 8,   dev += (|x - cost| - dev) / 4,
 *     round_keys = budget / (cost + 4 dev)
 * where x is the round's stall per key.  A round that runs long raises dev
 * at once (and so shrinks the rounds several times); quiet rounds bring it
 * down a quarter at a time.  The growth is also capped at twice the keys
 * the last round carried, and the first round carries keys_min keys: no
 * round is ever sized on a guess.  The keys per call are round_keys, within
 * [keys_min, keys_max] (fewer keys than keys_min only add calls' fixed cost).
 * The stall per key includes the round's fixed part (round trip, SETSLOT,
 * GETKEYSINSLOT), so small rounds look dearer per key: the estimate errs on
 * the side of shorter rounds.
 *
 * A budget of 0 is no limit: keys_max keys per call and no limit per round
 * (the migrator's fixed defaults, the fast path).
 *
 * Pure: no I/O, no clock; times are given in microseconds. */
#ifndef SHARDCTL_LATENCY_BUDGET_H
#define SHARDCTL_LATENCY_BUDGET_H

struct latency_budget {
	long long budget_us;   /* 0: no limit */
	long long round_keys;  /* keys per round (a first call always goes) */
	int keys, keys_min, keys_max; /* keys per MIGRATE */
	/* the estimate: stall per key, nanoseconds; 0 before the first round */
	long long cost_ns, dev_ns;
	/* what was seen, for reports */
	long long rounds, over; /* rounds observed, of them over the budget */
	long long worst_us;     /* the longest stall seen */
};

/* Start small (one call of keys_min keys a round) under a budget, at the
 * maximum without one.  budget_us <= 0: no limit.  keys_min is clamped into
 * [1, keys_max]. */
void latency_budget_init(struct latency_budget *b, int budget_us, int keys_min, int keys_max);

/* The fewest keys per MIGRATE from now on (a source's value size is known
 * when its move starts): clamped into [1, keys_max]; keys rises to it. */
void latency_budget_set_keys_min(struct latency_budget *b, int keys_min);

/* One round on the source: it took stall_us (sent -> last reply read) for
 * `calls` MIGRATE calls carrying `keys` keys in all.  A round without a
 * MIGRATE tells nothing about the knobs and is ignored. */
void latency_budget_observe(struct latency_budget *b, long long stall_us, int calls, long long keys);

#endif
