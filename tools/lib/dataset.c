/* dataset.c - see dataset.h */
#include "lib/dataset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

int dataset_key(char *buf, int len, const char *prefix, long long index)
{
	int n = snprintf(buf, (size_t)len, "%s:%lld", prefix, index);

	return n < 0 || n >= len ? -1 : n;
}

void dataset_value(char *buf, size_t size, uint64_t seed, long long index, uint64_t version)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ__";
	char head[64];
	uint64_t state, bits = 0;
	size_t pos, hl;
	int left = 0;

	/* the readable head: index and version, cut when size is smaller */
	hl = (size_t)snprintf(head, sizeof(head), "%lld.%llu.", index, (unsigned long long)version);
	if (hl > size)
		hl = size;
	memcpy(buf, head, hl);
	/* then a stream seeded by all three inputs, 6 bits per byte */
	state = seed ^ ((uint64_t)index * 0xD6E8FEB86659FD93ULL) ^ (version * 0xA0761D6478BD642FULL);
	for (pos = hl; pos < size; pos++) {
		if (left < 6) {
			bits = splitmix64(&state);
			left = 64;
		}
		buf[pos] = alphabet[bits & 63];
		bits >>= 6;
		left -= 6;
	}
}

int dataset_value_equal(const char *got, size_t glen, size_t size, uint64_t seed,
			long long index, uint64_t version)
{
	char stackbuf[4096];
	char *want = stackbuf;
	int eq;

	if (glen != size)
		return 0;
	if (size > sizeof(stackbuf)) {
		want = malloc(size);
		if (!want)
			return 0;
	}
	dataset_value(want, size, seed, index, version);
	eq = memcmp(want, got, size) == 0;
	if (want != stackbuf)
		free(want);
	return eq;
}

uint64_t dataset_db_seed(uint64_t seed, int db)
{
	return seed ^ ((uint64_t)db * 0x9E3779B97F4A7C15ULL);
}
