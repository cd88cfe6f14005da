/* The latency budget (core/latency_budget.h) on a synthetic source, no
 * sockets: a round's stall is a fixed cost plus, per MIGRATE call, a cost
 * per call and per key; every slot holds `slot_keys` keys, so a call
 * carries min(keys, slot_keys) keys, and the round takes calls as the
 * driver does (the first always, more while round_keys holds them, at most
 * 16).  `spike` makes every spike-th round `spike_x` times as long (the
 * scheduling noise of a loaded host).  Checked: no budget keeps the
 * maximum; the first round is one call of keys_min keys; the rounds
 * converge under the budget; a noisy source gets shorter rounds than a
 * quiet one of the same mean (the tail, not the mean, is bounded); a slower
 * source shrinks them and they grow back when it passes; big slots shrink
 * the keys per call; bounds hold whatever is observed. */
#include <stdio.h>

#include "core/latency_budget.h"
#include "unit.h"

struct model {
	long long fixed_us, call_us, key_us;
	int slot_keys;
	int spike, spike_x; /* every spike-th round spike_x times longer; 0: none */
};

struct round {
	int calls;
	long long keys, stall;
};

/* One round with the budget's current knobs (round number i). */
static struct round round_of(struct latency_budget *b, const struct model *md, int i)
{
	int per = b->keys < md->slot_keys ? b->keys : md->slot_keys;
	struct round r = { 0, 0, md->fixed_us };

	while (r.calls < 16 && (r.calls == 0 || r.keys + per <= b->round_keys)) {
		r.calls++;
		r.keys += per;
		r.stall += md->call_us + per * md->key_us;
	}
	if (md->spike > 0 && i % md->spike == md->spike - 1)
		r.stall *= md->spike_x;
	latency_budget_observe(b, r.stall, r.calls, r.keys);
	return r;
}

static void test_no_limit(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 61, 0, 0 };
	struct round r = { 0, 0, 0 };

	latency_budget_init(&b, 0, 10, 1000);
	for (int i = 0; i < 100; i++)
		r = round_of(&b, &md, i);
	CHECK_INT(r.calls, 16);
	CHECK_INT(b.keys, 1000);
	CHECK_INT(b.rounds, 100);
	CHECK_INT(b.over, 0);
	CHECK(b.worst_us > 7000); /* 100 + 16 x (100 + 61 x 7) */
}

/* Nothing is sized on a guess: the first round is one call of keys_min. */
static void test_starts_small(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 500, 0, 0 };
	struct round r;

	latency_budget_init(&b, 2000, 10, 1000);
	latency_budget_set_keys_min(&b, 160);
	CHECK_INT(b.keys, 160);
	r = round_of(&b, &md, 0);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.keys, 160);
	/* growth: at most twice what the last round carried */
	CHECK(b.round_keys <= 320);
}

/* 61 keys a slot, 2 us a key, 50 us a call, 50 us fixed: one call 222 us,
 * so the 2 ms budget holds several calls; a steady source converges and
 * stays under the budget. */
static void test_converges(void)
{
	struct latency_budget b;
	struct model md = { 50, 50, 2, 61, 0, 0 };
	struct round r = { 0, 0, 0 };
	int over_late = 0;

	latency_budget_init(&b, 2000, 10, 1000);
	for (int i = 0; i < 300; i++) {
		r = round_of(&b, &md, i);
		if (i >= 30 && r.stall > 2000)
			over_late++;
	}
	CHECK_INT(over_late, 0);
	CHECK(r.calls >= 4);       /* cheap calls: many a round */
	CHECK(r.stall <= 2000);
	CHECK(r.stall >= 1000);    /* and not far below the budget */
	CHECK_INT(b.over, 0);
}

/* The same mean cost, one round in 8 three times as long: the rounds come
 * down so that the long ones fit too (nearly: the estimate is smoothed). */
static void test_noise_shrinks(void)
{
	struct latency_budget q, n;
	struct model quiet = { 50, 50, 2, 61, 0, 0 }, noisy = { 50, 50, 2, 61, 8, 3 };
	long long kq = 0, kn = 0, worst = 0;

	latency_budget_init(&q, 2000, 10, 1000);
	latency_budget_init(&n, 2000, 10, 1000);
	for (int i = 0; i < 400; i++) {
		struct round a = round_of(&q, &quiet, i), c = round_of(&n, &noisy, i);
		if (i >= 200) {
			kq += a.keys;
			kn += c.keys;
			if (c.stall > worst)
				worst = c.stall;
		}
	}
	CHECK(kn < kq);
	CHECK(worst <= 3000); /* the spikes of 3x: near the budget, not 3x it */
}

/* The source slows down 4x for a while (load), then recovers. */
static void test_load_and_back(void)
{
	struct latency_budget b;
	struct model md = { 50, 50, 2, 61, 0, 0 }, slow = { 200, 200, 8, 61, 0, 0 };
	struct round r;
	long long before;
	int over_late = 0, back = -1;

	latency_budget_init(&b, 2000, 10, 1000);
	for (int i = 0; i < 200; i++)
		round_of(&b, &md, i);
	before = b.round_keys;
	for (int i = 0; i < 200; i++) {
		r = round_of(&b, &slow, i);
		if (i >= 10 && r.stall > 2000)
			over_late++;
	}
	CHECK_INT(over_late, 0);
	CHECK(b.round_keys < before / 2);
	for (int i = 0; i < 300 && back < 0; i++) {
		round_of(&b, &md, i);
		if (b.round_keys * 10 >= before * 9)
			back = i;
	}
	CHECK(back >= 0);  /* grown back */
	CHECK(back < 100); /* not forever */
}

/* Big slots: 1000 keys a call would be 7 ms alone; the keys per call come
 * down, never below keys_min. */
static void test_big_slots(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 5000, 0, 0 };
	struct round r = { 0, 0, 0 };

	latency_budget_init(&b, 2000, 10, 1000);
	for (int i = 0; i < 300; i++)
		r = round_of(&b, &md, i);
	CHECK(r.stall <= 2000);
	CHECK_INT(r.calls, 1);
	CHECK(r.keys >= 100); /* still moving: (2000 - 200) / 7 keys is the most */
	CHECK(b.keys < 1000);
	/* the floor holds where even it is too long */
	latency_budget_set_keys_min(&b, 400);
	for (int i = 0; i < 50; i++)
		r = round_of(&b, &md, i);
	CHECK_INT(b.keys, 400);
	CHECK_INT(r.keys, 400);
}

/* Bounds: whatever is observed, keys_min <= keys <= keys_max, round_keys >= 1. */
static void test_bounds(void)
{
	struct latency_budget b;
	static const long long stalls[] = { 1000000, 0, 5, 3000, 1, 99999999, 2000, 2001, 1999, -5 };

	latency_budget_init(&b, 1000, 10, 500);
	for (int r = 0; r < 50; r++)
		for (unsigned i = 0; i < sizeof(stalls) / sizeof(stalls[0]); i++) {
			latency_budget_observe(&b, stalls[i], 1 + (int)i % 3, 1 + (long long)i * 97);
			CHECK(b.round_keys >= 1);
			CHECK(b.keys >= 10 && b.keys <= 500);
		}
	CHECK_INT(b.rounds, 500);
	latency_budget_init(&b, 1000, 10, 500);
	latency_budget_observe(&b, 10000000, 8, 4000);
	CHECK_INT(b.keys, 10);
	CHECK(b.round_keys <= 10);
	for (int i = 0; i < 500; i++)
		latency_budget_observe(&b, 1, 8, 4000);
	CHECK_INT(b.keys, 500);
	CHECK(b.round_keys >= 4000);
	/* a round without MIGRATE says nothing */
	latency_budget_observe(&b, 10000000, 0, 0);
	CHECK_INT(b.keys, 500);
	CHECK_INT(b.rounds, 501);
	/* a floor set later lifts keys to it, and holds */
	latency_budget_set_keys_min(&b, 163);
	latency_budget_observe(&b, 10000000, 1, 500);
	CHECK_INT(b.keys, 163);
	latency_budget_set_keys_min(&b, 5000);
	CHECK_INT(b.keys_min, 500);
	CHECK_INT(b.keys, 500);
	/* odd arguments are clamped */
	latency_budget_init(&b, 3000, 0, 0);
	CHECK_INT(b.keys_max, 1);
	CHECK_INT(b.keys_min, 1);
	CHECK_INT(b.budget_us, 3000);
}

int main(void)
{
	test_no_limit();
	test_starts_small();
	test_converges();
	test_noise_shrinks();
	test_load_and_back();
	test_big_slots();
	test_bounds();
	return UNIT_DONE("latency_budget");
}
