/* latency_budget.c - see latency_budget.h */
#include "core/latency_budget.h"

void latency_budget_set_keys_min(struct latency_budget *b, int keys_min)
{
	b->keys_min = keys_min < 1 ? 1 : keys_min > b->keys_max ? b->keys_max : keys_min;
	if (b->keys < b->keys_min)
		b->keys = b->keys_min;
}

void latency_budget_init(struct latency_budget *b, int budget_ms, int calls_max, int keys_min, int keys_max)
{
	b->budget_us = budget_ms > 0 ? budget_ms * 1000LL : 0;
	b->calls_max = calls_max > 0 ? calls_max : 1;
	b->keys_max = keys_max > 0 ? keys_max : 1;
	b->calls = b->calls_max;
	b->keys = b->keys_max;
	latency_budget_set_keys_min(b, keys_min);
	b->rounds = b->over = b->worst_us = 0;
}

/* Over the budget: cut in proportion to budget / stall.  The work of the
 * round (not the limit, which may not have been reached) is what is
 * scaled, so a limit that was not binding still comes down to what fits. */
static void shrink(struct latency_budget *b, long long stall_us, int calls, long long keys)
{
	long long fit;

	if (calls > 1) {
		fit = calls * b->budget_us / stall_us; /* < calls */
		if (fit < 1)
			fit = 1;
		if (fit < b->calls)
			b->calls = (int)fit;
		return;
	}
	/* one call alone is too long: fewer keys in it */
	b->calls = 1;
	fit = keys * b->budget_us / stall_us;
	if (fit < b->keys_min)
		fit = b->keys_min;
	if (fit < b->keys)
		b->keys = (int)fit;
}

/* Under the budget: one small step up on each knob whose bigger round is
 * still predicted to fit. */
static void grow(struct latency_budget *b, long long stall_us, int calls)
{
	int step = b->keys / 8 > 0 ? b->keys / 8 : 1;

	if (b->keys < b->keys_max && stall_us * (b->keys + step) <= b->budget_us * b->keys)
		b->keys = b->keys + step < b->keys_max ? b->keys + step : b->keys_max;
	if (b->calls < b->calls_max && calls >= b->calls &&
	    (stall_us + stall_us / calls <= b->budget_us || 4 * stall_us <= 3 * b->budget_us))
		b->calls++;
}

void latency_budget_observe(struct latency_budget *b, long long stall_us, int calls, long long keys)
{
	if (calls <= 0)
		return;
	if (stall_us < 0)
		stall_us = 0;
	b->rounds++;
	if (stall_us > b->worst_us)
		b->worst_us = stall_us;
	if (b->budget_us <= 0)
		return;
	if (stall_us > b->budget_us) {
		b->over++;
		shrink(b, stall_us, calls, keys);
	} else {
		grow(b, stall_us, calls);
	}
}
