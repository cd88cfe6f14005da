/* latency.c - see latency.h */
#include "lib/latency.h"

#include <math.h>
#include <string.h>

void latency_init(struct latency *l)
{
	memset(l, 0, sizeof(*l));
}

int latency_bucket_of(uint64_t us)
{
	int e;

	if (us < LATENCY_EXACT)
		return (int)us;
	if (us >= (1ULL << LATENCY_MAX_EXP))
		us = (1ULL << LATENCY_MAX_EXP) - 1;
	e = 63 - __builtin_clzll(us); /* 7 .. LATENCY_MAX_EXP-1 */
	return LATENCY_EXACT + (e - 7) * LATENCY_SUB + (int)((us >> (e - 6)) & (LATENCY_SUB - 1));
}

void latency_bucket_range(int idx, uint64_t *low, uint64_t *high)
{
	int e, sub;

	if (idx < LATENCY_EXACT) {
		*low = *high = (uint64_t)idx;
		return;
	}
	e = 7 + (idx - LATENCY_EXACT) / LATENCY_SUB;
	sub = (idx - LATENCY_EXACT) % LATENCY_SUB;
	*low = (uint64_t)(LATENCY_SUB + sub) << (e - 6);
	*high = *low + (1ULL << (e - 6)) - 1;
}

void latency_record(struct latency *l, uint64_t us)
{
	if (l->count == 0 || us < l->min)
		l->min = us;
	if (us > l->max)
		l->max = us;
	l->count++;
	l->sum += us;
	l->bucket[latency_bucket_of(us)]++;
}

void latency_merge(struct latency *dst, const struct latency *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->count += src->count;
	dst->sum += src->sum;
	for (int i = 0; i < LATENCY_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t latency_percentile(const struct latency *l, double p)
{
	uint64_t rank, seen = 0, low, high;

	if (l->count == 0)
		return 0;
	if (p <= 0)
		return l->min;
	if (p >= 100)
		return l->max;
	rank = (uint64_t)ceil(p * (double)l->count / 100.0);
	if (rank < 1)
		rank = 1;
	for (int i = 0; i < LATENCY_BUCKETS; i++) {
		seen += l->bucket[i];
		if (seen >= rank) {
			latency_bucket_range(i, &low, &high);
			if (high > l->max)
				high = l->max;
			if (high < l->min)
				high = l->min;
			return high;
		}
	}
	return l->max;
}
