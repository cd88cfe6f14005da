/* The latency budget (core/latency_budget.h) on a synthetic source, no
 * sockets: a round's stall is a fixed cost plus, per MIGRATE call, a cost
 * per call and per key; every slot holds `slot_keys` keys, so a call
 * carries min(keys limit, slot_keys) keys.  Checked: no budget keeps the
 * maximum; the knobs converge and the stall then stays under the budget;
 * a slower source (load) shrinks them and they grow back when it passes;
 * big slots shrink the keys once a single call is too long; min and max
 * hold whatever is observed. */
#include <stdio.h>

#include "core/latency_budget.h"
#include "unit.h"

struct model {
	long long fixed_us, call_us, key_us;
	int slot_keys;
};

/* One round with the budget's current knobs; returns the stall. */
static long long round_of(struct latency_budget *b, const struct model *md)
{
	int per = b->keys < md->slot_keys ? b->keys : md->slot_keys;
	long long stall = md->fixed_us + b->calls * (md->call_us + per * md->key_us);

	latency_budget_observe(b, stall, b->calls, (long long)per * b->calls);
	return stall;
}

static void test_no_limit(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 61 };

	latency_budget_init(&b, 0, 16, 10, 1000);
	for (int i = 0; i < 100; i++)
		round_of(&b, &md);
	CHECK_INT(b.calls, 16);
	CHECK_INT(b.keys, 1000);
	CHECK_INT(b.rounds, 100);
	CHECK_INT(b.over, 0);
	CHECK(b.worst_us > 7000); /* 100 + 16 x (100 + 61 x 7) */
}

/* 61 keys a slot, 7 us a key, 100 us a call, 100 us fixed: one call 527 us.
 * Budget 2 ms: 3 calls fit (1681 us), 4 do not (2208 us). */
static void test_converges(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 61 };
	long long stall = 0;
	int over_late = 0;

	latency_budget_init(&b, 2, 16, 10, 1000);
	for (int i = 0; i < 200; i++) {
		stall = round_of(&b, &md);
		if (i >= 20 && stall > 2000)
			over_late++;
	}
	CHECK_INT(over_late, 0);
	CHECK_INT(b.calls, 3);
	CHECK(stall <= 2000);
	CHECK(b.over >= 1 && b.over <= 3); /* the first rounds only */
	CHECK(b.keys >= 61); /* the keys were never the limit */
}

/* The source slows down 4x for a while (load), then recovers. */
static void test_load_and_back(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 61 }, slow = { 400, 400, 28, 61 };
	long long stall;
	int over_late = 0, back = -1;

	latency_budget_init(&b, 2, 16, 10, 1000);
	for (int i = 0; i < 100; i++)
		round_of(&b, &md);
	CHECK_INT(b.calls, 3);
	for (int i = 0; i < 100; i++) {
		stall = round_of(&b, &slow);
		if (i >= 10 && stall > 2000)
			over_late++;
	}
	CHECK_INT(over_late, 0);
	CHECK_INT(b.calls, 1); /* 400 + 1 x (400 + keys x 28) */
	CHECK(b.keys < 61);     /* one call of 61 keys is 2508 us: fewer keys */
	CHECK(b.keys >= 10);
	for (int i = 0; i < 200 && back < 0; i++) {
		round_of(&b, &md);
		if (b.calls == 3 && b.keys >= 61)
			back = i;
	}
	CHECK(back >= 0);   /* grown back */
	CHECK(back < 100);  /* slowly, but not forever */
	for (int i = 0; i < 100; i++)
		CHECK(round_of(&b, &md) <= 2000);
}

/* Big slots: 1000 keys a call would be 7 ms alone; the keys come down. */
static void test_big_slots(void)
{
	struct latency_budget b;
	struct model md = { 100, 100, 7, 5000 };
	long long stall = 0;

	latency_budget_init(&b, 2, 16, 10, 1000);
	for (int i = 0; i < 300; i++)
		stall = round_of(&b, &md);
	CHECK(stall <= 2000);
	CHECK(b.keys * b.calls >= 150); /* still moving: near (2000 - 100) / 7 keys a round */
	CHECK(b.keys <= 1000);
}

/* Bounds: whatever is observed, 1 <= calls <= calls_max and keys_min <= keys <= keys_max. */
static void test_bounds(void)
{
	struct latency_budget b;
	static const long long stalls[] = { 1000000, 0, 5, 3000, 1, 99999999, 2000, 2001, 1999, -5 };

	latency_budget_init(&b, 1, 8, 10, 500);
	for (int r = 0; r < 50; r++)
		for (unsigned i = 0; i < sizeof(stalls) / sizeof(stalls[0]); i++) {
			latency_budget_observe(&b, stalls[i], b.calls, (long long)b.calls * b.keys);
			CHECK(b.calls >= 1 && b.calls <= 8);
			CHECK(b.keys >= 10 && b.keys <= 500);
		}
	latency_budget_init(&b, 1, 8, 10, 500);
	latency_budget_observe(&b, 10000000, 8, 4000);
	latency_budget_observe(&b, 10000000, 1, 500);
	CHECK_INT(b.calls, 1);
	CHECK_INT(b.keys, 10);
	for (int i = 0; i < 500; i++)
		latency_budget_observe(&b, 1, b.calls, (long long)b.calls * b.keys);
	CHECK_INT(b.calls, 8);
	CHECK_INT(b.keys, 500);
	/* a round without MIGRATE says nothing */
	latency_budget_observe(&b, 10000000, 0, 0);
	CHECK_INT(b.calls, 8);
	/* a floor set later lifts keys to it, and holds */
	latency_budget_set_keys_min(&b, 163);
	latency_budget_observe(&b, 10000000, 1, 500);
	CHECK_INT(b.keys, 163);
	latency_budget_set_keys_min(&b, 5000);
	CHECK_INT(b.keys_min, 500);
	CHECK_INT(b.keys, 500);
	/* odd arguments are clamped */
	latency_budget_init(&b, 3, 0, 0, 0);
	CHECK_INT(b.calls_max, 1);
	CHECK_INT(b.keys_max, 1);
	CHECK_INT(b.keys_min, 1);
	CHECK_INT(b.budget_us, 3000);
}

int main(void)
{
	test_no_limit();
	test_converges();
	test_load_and_back();
	test_big_slots();
	test_bounds();
	return UNIT_DONE("latency_budget");
}
