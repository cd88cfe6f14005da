/* latency.h - a latency histogram with bounded memory and percentiles.
 * Pure: no I/O, no clock (callers measure and record).
 *
 * Values are microseconds.  Below 128 us every value has its own bucket;
 * above, each power of two is cut into 64 buckets, so a percentile is
 * reported within 1/64 (1.6%) of the true sample, never below it, and never
 * above the largest value recorded.  Percentiles use the nearest-rank rule:
 * p50 of n samples is the ceil(0.50 * n)-th smallest.
 */
#ifndef SHARDCTL_LATENCY_H
#define SHARDCTL_LATENCY_H

#include <stdint.h>

#define LATENCY_EXACT 128
#define LATENCY_SUB 64
#define LATENCY_MAX_EXP 40 /* values are clamped below 2^40 us (12 days) */
#define LATENCY_BUCKETS (LATENCY_EXACT + (LATENCY_MAX_EXP - 7) * LATENCY_SUB)

struct latency {
	uint64_t count, min, max, sum;
	uint64_t bucket[LATENCY_BUCKETS];
};

void latency_init(struct latency *l);
void latency_record(struct latency *l, uint64_t us);
/* Add every sample of src to dst. */
void latency_merge(struct latency *dst, const struct latency *src);
/* The p-th percentile (0 < p <= 100) by nearest rank; p <= 0 gives the
 * minimum; 0 when nothing was recorded. */
uint64_t latency_percentile(const struct latency *l, double p);

/* Bucket arithmetic, exposed for tests: the index of a value and the
 * inclusive [low, high] range of values an index holds. */
int latency_bucket_of(uint64_t us);
void latency_bucket_range(int idx, uint64_t *low, uint64_t *high);

#endif
