/* latency_budget.h - how much key work one source node may be given per
 * round of the legacy migrator, so that its clients wait at most a budget.
 *
 * Why a budget: MIGRATE is synchronous (the source's event loop is blocked
 * until the target has stored the keys and replied), and a server runs the
 * commands of one connection's pipeline back to back.  A client request
 * landing on a source during a round waits for what is left of the round's
 * work there: at worst (calls in flight) x (time of one call).  The driver
 * measures that time, the stall (from sending the round to the source's
 * last reply), and feeds it here with what the round carried; this decides
 * the two knobs of the next rounds: MIGRATE calls per round on the source,
 * and keys per MIGRATE.
 *
 * The rule (additive increase, proportional decrease):
 * - over the budget: shrink at once, in proportion (the stall grows with
 *   the work queued): first the calls per round, down to one; with a single
 *   call over the budget, its keys (never below keys_min);
 * - under it: grow slowly, one step per round, only where the stall
 *   predicted for the bigger round still fits: keys per call by an eighth,
 *   calls by one (the stall of one more call is at most the round's
 *   per-call mean; a round under 3/4 of the budget also grows by one, since
 *   that mean also carries the round's fixed part: a round's other
 *   commands and the round trip).
 * A budget of 0 is no limit: the knobs stay at their maximum (the
 * migrator's fixed defaults, the fast path).
 *
 * Pure: no I/O, no clock; times are given in microseconds. */
#ifndef SHARDCTL_LATENCY_BUDGET_H
#define SHARDCTL_LATENCY_BUDGET_H

struct latency_budget {
	long long budget_us;   /* 0: no limit */
	int calls, calls_max;  /* MIGRATE calls per round (>= 1) */
	int keys, keys_min, keys_max; /* keys per MIGRATE */
	/* what was seen, for reports */
	long long rounds, over; /* rounds observed, of them over the budget */
	long long worst_us;     /* the longest stall seen */
};

/* Start at the maximum (calls_max calls of keys_max keys): the first round
 * measures, and the rule shrinks from there.  budget_ms <= 0: no limit.
 * keys_min is clamped into [1, keys_max], calls_max to >= 1. */
void latency_budget_init(struct latency_budget *b, int budget_ms, int calls_max, int keys_min, int keys_max);

/* The fewest keys per MIGRATE from now on (a source's value size is known
 * when its move starts): clamped into [1, keys_max]; keys rises to it. */
void latency_budget_set_keys_min(struct latency_budget *b, int keys_min);

/* One round on the source: it took stall_us (sent -> last reply read) for
 * `calls` MIGRATE calls carrying `keys` keys in all.  A round without a
 * MIGRATE tells nothing about the knobs and is ignored. */
void latency_budget_observe(struct latency_budget *b, long long stall_us, int calls, long long keys);

#endif
