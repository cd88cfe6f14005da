/* latency_budget.c - see latency_budget.h */
#include "core/latency_budget.h"

#include <limits.h>

/* the keys per call for a round allowance */
static void size_calls(struct latency_budget *b)
{
	long long k = b->round_keys;

	b->keys = k < b->keys_min ? b->keys_min : k > b->keys_max ? b->keys_max : (int)k;
}

void latency_budget_set_keys_min(struct latency_budget *b, int keys_min)
{
	b->keys_min = keys_min < 1 ? 1 : keys_min > b->keys_max ? b->keys_max : keys_min;
	if (b->budget_us > 0 && b->rounds == 0 && b->round_keys < b->keys_min)
		b->round_keys = b->keys_min; /* the first round: one call */
	if (b->keys < b->keys_min)
		b->keys = b->keys_min;
}

void latency_budget_init(struct latency_budget *b, int budget_us, int keys_min, int keys_max)
{
	b->budget_us = budget_us > 0 ? budget_us : 0;
	b->keys_max = keys_max > 0 ? keys_max : 1;
	b->keys_min = 1;
	b->cost_ns = b->dev_ns = 0;
	b->rounds = b->over = b->worst_us = 0;
	if (b->budget_us > 0) {
		b->round_keys = 0;
		latency_budget_set_keys_min(b, keys_min);
		size_calls(b);
	} else {
		b->round_keys = LLONG_MAX;
		b->keys = b->keys_max;
		latency_budget_set_keys_min(b, keys_min);
	}
}

void latency_budget_observe(struct latency_budget *b, long long stall_us, int calls, long long keys)
{
	long long x, err, tail, fit;

	if (calls <= 0 || keys <= 0)
		return;
	if (stall_us < 0)
		stall_us = 0;
	b->rounds++;
	if (stall_us > b->worst_us)
		b->worst_us = stall_us;
	if (b->budget_us <= 0)
		return;
	b->over += stall_us > b->budget_us;
	x = stall_us * 1000 / keys;
	if (x < 1)
		x = 1;
	if (b->rounds == 1) {
		b->cost_ns = x;
		b->dev_ns = x / 2;
	} else {
		err = x - b->cost_ns;
		b->cost_ns += err / 8;
		b->dev_ns += ((err < 0 ? -err : err) - b->dev_ns) / 4;
	}
	tail = b->cost_ns + 4 * b->dev_ns;
	fit = b->budget_us * 1000 / (tail > 0 ? tail : 1);
	if (fit > 2 * keys)
		fit = 2 * keys; /* no more than twice what was measured */
	b->round_keys = fit > 0 ? fit : 1;
	size_calls(b);
}
